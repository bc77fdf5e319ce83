"""The baseline of the web benchmark (bench/web.py): a bare Flask app on the same gunicorn and database as
Witkey that runs the equivalent SQL with psycopg — no ORM, no schema validation, no auth, no CSRF, no
i18n — and renders the same data with a minimal template (JSON for the API's paths).

    BARE_DATABASE_URL=postgresql://… gunicorn 'bench.web_bare:create_app()'

Its paths are Witkey's, so one wrk script drives either side. Who is acting is read from the `X-Bench-User`
header (an account id; the real app reads its token or session). Equivalent means: the same rows read
(the page of 20 with its count, the brand, the bid counts; the provider with categories, cases, latest
rating and public reviews; a search asks the same full-text index with the app's own segmentation and
ranks as it does) and the same rows written in one transaction (a bid: the bid, its milestone
plan, its first revision, the brand's notice, the webhook event; a message: the message, the thread's
last activity, the sender's read mark, the notice, the webhook event; usage: the record, the notice, the
webhook event). The signed-in home page reads the brand's open tenders closing soonest and its unread
count (Witkey's to-do list also looks at contracts, disputes and more: an approximation).
"""
import json
import os
import secrets
from datetime import UTC, datetime

import psycopg
from flask import Flask, Response, abort, render_template_string, request
from psycopg.rows import dict_row

from services import search_index  # its segmentation only (jieba): the bare side asks the index the same words

PER_PAGE = 20

LIST_HTML = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{{ title }}</title></head><body>
<h1>{{ title }}</h1><p>{{ total }}</p><ul>{% for t in items %}<li><a href="/tenders/{{ t.id }}">{{ t.title }}</a>
{{ t.category }} · {{ t.budget_min / 100 }}–{{ t.budget_max / 100 }} {{ t.currency }} · {{ t.bid_deadline }}
· {{ t.display_name }} · {{ t.bid_count }}</li>{% endfor %}</ul></body></html>"""
TENDER_HTML = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{{ t.title }}</title></head><body>
<h1>{{ t.title }}</h1><p>{{ t.category }} · {{ t.budget_min / 100 }}–{{ t.budget_max / 100 }} {{ t.currency }}</p>
<p>{{ t.bid_deadline }} · {{ t.status }} · {{ t.bid_count }}</p><p>{{ t.display_name }} {{ t.store_name }}</p>
<div>{{ t.description }}</div><ul>{% for k in kpis %}<li>{{ k.name }} {{ k.target }}</li>{% endfor %}</ul>
</body></html>"""
PROVIDERS_HTML = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>Providers</title></head><body>
<p>{{ total }}</p><ul>{% for p in items %}<li><a href="/providers/{{ p.user_id }}">{{ p.company_name }}</a>
{{ p.stars }} {{ p.province }} {{ p.city }} {{ p.categories|join(", ") }} {{ p.cases }}</li>{% endfor %}</ul>
</body></html>"""
PROVIDER_HTML = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{{ p.company_name }}</title></head>
<body><h1>{{ p.company_name }}</h1><p>{{ p.display_name }} {{ p.stars }} {{ p.province }} {{ p.city }}</p>
<p>{{ p.description }}</p><p>{{ categories|join(", ") }}</p><ul>{% for c in cases %}<li>{{ c.title }}</li>
{% endfor %}</ul><p>{{ rating.score if rating else "" }}</p><ul>{% for r in reviews %}<li>{{ r.comment }}</li>
{% endfor %}</ul></body></html>"""
HOME_HTML = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>Home</title></head><body><ul>
{% for t in items %}<li><a href="/tenders/{{ t.id }}">{{ t.title }}</a> {{ t.bid_deadline }}</li>{% endfor %}
</ul><p>{{ unread }}</p></body></html>"""

# The list: what services.tenders.search_tenders asks (listed, brand not suspended, newest first), the page and
# its exact count (services.pagination), the brands of the page, then the page's bid counts.
LIST_SQL = """SELECT t.id, t.title, t.category, t.description, t.budget_min, t.budget_max, t.currency, t.bid_deadline,
    t.sealed, t.rounds, t.status, t.created_at, u.id AS brand_id, u.display_name, b.store_name
FROM tenders t JOIN users u ON u.id = t.brand_id LEFT JOIN brand_profiles b ON b.user_id = t.brand_id
WHERE {where} ORDER BY {rank}t.created_at DESC, t.id DESC LIMIT %(limit)s OFFSET %(offset)s"""
# The search index's expression and query, as services/search_index.py writes them (the GIN index's own)
VECTOR_SQL = "t.search_vector"  # the stored tsvector the app's GIN index is on (services/search_index.py)
COUNT_SQL = "SELECT count(*) FROM tenders t WHERE {where}"
BID_COUNTS_SQL = """SELECT tender_id, count(*) FROM bids WHERE tender_id = ANY(%(ids)s) AND status != 'withdrawn'
GROUP BY tender_id"""
DETAIL_SQL = """SELECT t.*, u.display_name, b.store_name,
    (SELECT count(*) FROM bids WHERE tender_id = t.id AND status != 'withdrawn') AS bid_count
FROM tenders t JOIN users u ON u.id = t.brand_id LEFT JOIN brand_profiles b ON b.user_id = t.brand_id
WHERE t.id = %(id)s AND NOT t.invited_only"""
DIRECTORY_WHERE = """p.user_id IN (SELECT account_user_id FROM organisations)
    AND p.user_id NOT IN (SELECT id FROM users WHERE suspended_at IS NOT NULL)"""
DIRECTORY_SQL = f"""SELECT p.user_id, p.company_name, p.stars, p.province, p.city, p.verification_status,
    u.display_name, array(SELECT category FROM provider_categories c WHERE c.provider_id = p.user_id) AS categories,
    (SELECT count(*) FROM showcase_cases s WHERE s.provider_id = p.user_id) AS cases
FROM provider_profiles p JOIN users u ON u.id = p.user_id WHERE {DIRECTORY_WHERE}
ORDER BY p.stars DESC NULLS LAST, p.rating_score DESC NULLS LAST, (p.verification_status = 'verified') DESC, p.user_id
LIMIT %(limit)s OFFSET %(offset)s"""  # noqa: S608 (DIRECTORY_WHERE is a constant)
CONVERSATIONS_SQL = """SELECT c.id, c.key, c.tender_id, c.contract_id, c.brand_id, c.provider_id, c.last_message_at,
    (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.sender_account_id != %(u)s
     AND m.id > coalesce((SELECT last_read_id FROM conversation_reads r WHERE r.conversation_id = c.id
                          AND r.user_id = %(u)s), 0)) AS unread
FROM conversations c WHERE c.brand_id = %(u)s OR c.provider_id = %(u)s ORDER BY c.last_message_at DESC, c.id DESC"""
UNREAD_SQL = """SELECT count(m.id) FROM messages m JOIN conversations c ON c.id = m.conversation_id
LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.user_id = %(u)s
WHERE (c.brand_id = %(u)s OR c.provider_id = %(u)s) AND m.sender_account_id != %(u)s
AND m.id > coalesce(r.last_read_id, 0)"""


def _tender_filters(args, web: bool) -> tuple[str, dict]:
    where = ["NOT t.invited_only", "t.brand_id NOT IN (SELECT id FROM users WHERE suspended_at IS NOT NULL)"]
    params: dict = {}
    if args.get("category"):
        where.append("t.category = %(category)s")
        params["category"] = args["category"]
    if web and "status" not in args:  # the web list shows open tenders unless asked otherwise
        where.append("t.status = 'open' AND t.bid_deadline > now()")
    terms = search_index.query_terms(args.get("q"))  # the same words the app asks the index for
    if terms:
        where.append(f"{VECTOR_SQL} @@ plainto_tsquery('simple', %(tsq)s)")
        params["tsq"] = " ".join(terms)
    return " AND ".join(where), params


def _rank(args) -> str:
    """With a search: best match first (as the app ranks), then the newest."""
    return (f"ts_rank({VECTOR_SQL}, plainto_tsquery('simple', %(tsq)s)) DESC, "
            if search_index.query_terms(args.get("q")) else "")


def _json(data, status=200) -> Response:
    return Response(json.dumps(data, default=str, ensure_ascii=False), status, mimetype="application/json")


def create_app(dsn: str | None = None) -> Flask:  # noqa: PLR0915 (one factory: every route shares its connection)
    dsn = (dsn or os.environ["BARE_DATABASE_URL"]).replace("postgresql+psycopg://", "postgresql://", 1)
    app = Flask(__name__)
    state: dict = {}

    def conn() -> psycopg.Connection:
        """One connection per process (opened after gunicorn forks), as SQLAlchemy's pool keeps one."""
        if state.get("pid") != os.getpid() or state["conn"].closed:
            state.update(pid=os.getpid(), conn=psycopg.connect(dsn, autocommit=True, row_factory=dict_row))
        return state["conn"]

    def actor() -> int:
        return int(request.headers.get("X-Bench-User", "0"))

    def tender_page(web: bool):
        page = max(1, request.args.get("page", 1, type=int))
        where, params = _tender_filters(request.args, web)
        params |= {"limit": PER_PAGE, "offset": (page - 1) * PER_PAGE}
        c = conn()
        items = c.execute(LIST_SQL.format(where=where, rank=_rank(request.args)), params).fetchall()
        total = c.execute(COUNT_SQL.format(where=where), params).fetchone()["count"]
        counts = {r["tender_id"]: r["count"] for r in c.execute(
            BID_COUNTS_SQL, {"ids": [t["id"] for t in items]}).fetchall()} if items else {}
        for t in items:
            t["bid_count"] = None if t["sealed"] else counts.get(t["id"], 0)
        return items, page, total

    @app.get("/api/v1/tenders")
    def api_tenders():
        items, page, total = tender_page(web=False)
        return _json({"items": [{
            "id": t["id"], "title": t["title"], "category": t["category"], "description": t["description"],
            "budget_min": t["budget_min"], "budget_max": t["budget_max"], "currency": t["currency"],
            "bid_deadline": t["bid_deadline"], "sealed": t["sealed"], "rounds": t["rounds"], "status": t["status"],
            "bid_count": t["bid_count"], "created_at": t["created_at"],
            "brand": {"id": t["brand_id"], "display_name": t["display_name"], "store_name": t["store_name"]}}
            for t in items], "page": page, "per_page": PER_PAGE, "total": total})

    def one_tender(tender_id: int):
        c = conn()
        t = c.execute(DETAIL_SQL, {"id": tender_id}).fetchone()
        if t is None:
            abort(404)
        kpis = c.execute("SELECT * FROM tender_kpis WHERE tender_id = %(id)s ORDER BY position",
                         {"id": tender_id}).fetchall()
        return t, kpis

    @app.get("/api/v1/tenders/<int:tender_id>")
    def api_tender(tender_id: int):
        t, kpis = one_tender(tender_id)
        return _json({"id": t["id"], "title": t["title"], "category": t["category"], "description": t["description"],
                      "budget_min": t["budget_min"], "budget_max": t["budget_max"], "currency": t["currency"],
                      "bid_deadline": t["bid_deadline"], "status": t["status"], "bid_count": t["bid_count"],
                      "kpis": [{"name": k["name"], "target": k["target"]} for k in kpis],
                      "brand": {"id": t["brand_id"], "display_name": t["display_name"]}})

    @app.get("/tenders")
    def web_tenders():
        items, _page, total = tender_page(web=True)
        return render_template_string(LIST_HTML, title="Tenders", items=items, total=total)

    @app.get("/tenders/<int:tender_id>")
    def web_tender(tender_id: int):
        t, kpis = one_tender(tender_id)
        return render_template_string(TENDER_HTML, t=t, kpis=kpis)

    @app.get("/providers")
    def web_providers():
        page = max(1, request.args.get("page", 1, type=int))
        c = conn()
        items = c.execute(DIRECTORY_SQL, {"limit": PER_PAGE, "offset": (page - 1) * PER_PAGE}).fetchall()
        total = c.execute(f"SELECT count(*) FROM provider_profiles p WHERE {DIRECTORY_WHERE}"  # noqa: S608 (constant)
                          ).fetchone()["count"]
        return render_template_string(PROVIDERS_HTML, items=items, total=total)

    @app.get("/providers/<int:provider_id>")
    def web_provider(provider_id: int):
        c = conn()
        p = c.execute("""SELECT p.*, u.display_name FROM provider_profiles p JOIN users u ON u.id = p.user_id
                         WHERE p.user_id = %(id)s""", {"id": provider_id}).fetchone()
        if p is None:
            abort(404)
        args = {"id": provider_id}
        categories = [r["category"] for r in c.execute(
            "SELECT category FROM provider_categories WHERE provider_id = %(id)s", args)]
        cases = c.execute("SELECT * FROM showcase_cases WHERE provider_id = %(id)s ORDER BY id", args).fetchall()
        rating = c.execute("SELECT * FROM provider_ratings WHERE provider_id = %(id)s ORDER BY id DESC LIMIT 1",
                           args).fetchone()
        reviews = c.execute("""SELECT * FROM reviews WHERE subject_id = %(id)s AND author_role = 'brand'
                               AND visible_from <= now() AND hidden_at IS NULL
                               ORDER BY created_at DESC LIMIT 20""", args).fetchall()
        return render_template_string(PROVIDER_HTML, p=p, categories=categories, cases=cases, rating=rating,
                                      reviews=reviews)

    @app.get("/api/v1/conversations")
    def api_conversations():
        rows = conn().execute(CONVERSATIONS_SQL, {"u": actor()}).fetchall()
        return _json({"items": rows})

    @app.get("/")
    def home():
        c, u = conn(), actor()
        items = c.execute("""SELECT id, title, bid_deadline FROM tenders WHERE brand_id = %(u)s AND status = 'open'
                             ORDER BY bid_deadline LIMIT 10""", {"u": u}).fetchall()
        unread = c.execute(UNREAD_SQL, {"u": u}).fetchone()["count"]
        return render_template_string(HOME_HTML, items=items, unread=unread)

    def event(cur, kind: str, resource: str, data: dict, audience: list) -> None:
        cur.execute("""INSERT INTO webhook_events (public_id, type, resource, data, audience, public, created_at)
                       VALUES (%s, %s, %s, %s, %s, false, now())""",
                    ("evt_" + secrets.token_hex(12), kind, resource, json.dumps(data), json.dumps(audience)))

    def notice(cur, user_id: int, kind: str, params: dict, endpoint: str, url_args: dict) -> None:  # noqa: PLR0917
        cur.execute("""INSERT INTO notifications (user_id, kind, params, endpoint, url_args, created_at, digest_pending)
                       VALUES (%s, %s, %s, %s, %s, now(), false)""",
                    (user_id, kind, json.dumps(params), endpoint, json.dumps(url_args)))

    @app.post("/api/v1/tenders/<int:tender_id>/bids")
    def api_bid(tender_id: int):
        body, provider = request.get_json(), actor()
        with conn().transaction(), conn().cursor() as cur:
            t = cur.execute("SELECT brand_id, title FROM tenders WHERE id = %s", (tender_id,)).fetchone()
            bid = cur.execute("""INSERT INTO bids (tender_id, provider_id, status, amount, currency, delivery_days,
                                 proposal, revision, round_index, created_at, updated_at)
                                 VALUES (%s, %s, 'submitted', %s, %s, %s, %s, 1, 0, now(), now()) RETURNING id""",
                              (tender_id, provider, body["amount"], body["currency"], body["delivery_days"],
                               body["proposal"])).fetchone()["id"]
            for n, m in enumerate(body["milestones"]):
                cur.execute("""INSERT INTO bid_milestones (bid_id, position, title, amount, due_days)
                               VALUES (%s, %s, %s, %s, %s)""", (bid, n, m["title"], m["amount"], m["due_days"]))
            cur.execute("""INSERT INTO bid_revisions (bid_id, number, amount, delivery_days, proposal, milestones,
                           created_at) VALUES (%s, 1, %s, %s, %s, %s, now())""",
                        (bid, body["amount"], body["delivery_days"], body["proposal"], json.dumps(body["milestones"])))
            notice(cur, t["brand_id"], "bid_received", {"tender": t["title"]}, "evaluation.board",
                   {"tender_id": tender_id})
            event(cur, "bid.submitted", f"bid:{bid}", {"bid": {"id": bid, "tender_id": tender_id}},
                  [t["brand_id"], provider])
        return _json({"id": bid, "tender_id": tender_id, "status": "submitted"}, 201)

    @app.post("/api/v1/conversations/<int:conversation_id>/messages")
    def api_message(conversation_id: int):
        body, sender = request.get_json()["body"], actor()
        with conn().transaction(), conn().cursor() as cur:
            conv = cur.execute("SELECT brand_id, provider_id FROM conversations WHERE id = %s",
                               (conversation_id,)).fetchone()
            message = cur.execute("""INSERT INTO messages (conversation_id, sender_id, sender_account_id, body,
                                     contact_warning, created_at) VALUES (%s, %s, %s, %s, false, now())
                                     RETURNING id, created_at""", (conversation_id, sender, sender, body)).fetchone()
            cur.execute("UPDATE conversations SET last_message_at = now() WHERE id = %s", (conversation_id,))
            cur.execute("""INSERT INTO conversation_reads (conversation_id, user_id, last_read_id) VALUES (%s, %s, %s)
                           ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read_id = excluded.last_read_id""",
                        (conversation_id, sender, message["id"]))
            other = conv["provider_id"] if sender == conv["brand_id"] else conv["brand_id"]
            # As Witkey does (services.conversations._tell): one unread notice per thread and reader, which
            # each later message updates; a new one only when none is unread. A notice per message would
            # pile thousands of unread notices of this one thread onto the reader during the run, and
            # Witkey's side, which looks for the thread's unread notice, would measure those leftovers.
            params = json.dumps({"conversation": conversation_id})
            if not cur.execute("""UPDATE notifications SET params = %s, created_at = now()
                                  WHERE user_id = %s AND kind = 'message_received' AND read_at IS NULL
                                  AND (url_args ->> 'conversation_id')::int = %s""",
                               (params, other, conversation_id)).rowcount:
                notice(cur, other, "message_received", {"conversation": conversation_id}, "conversations.detail",
                       {"conversation_id": conversation_id})
            event(cur, "message.created", f"conversation:{conversation_id}", {"message": {"id": message["id"]}},
                  [conv["brand_id"], conv["provider_id"]])
        return _json({"id": message["id"], "conversation_id": conversation_id, "body": body,
                      "created_at": message["created_at"]}, 201)

    @app.post("/api/v1/milestones/<int:milestone_id>/usage")
    def api_usage(milestone_id: int):
        body, recorder = request.get_json(), actor()
        with conn().transaction(), conn().cursor() as cur:
            m = cur.execute("""SELECT m.id, m.contract_id, c.brand_id, c.provider_id FROM milestones m
                               JOIN contracts c ON c.id = m.contract_id WHERE m.id = %s FOR UPDATE OF m""",
                            (milestone_id,)).fetchone()
            cur.execute("""INSERT INTO usage_records (milestone_id, quantity, note, recorded_by_id, created_at)
                           VALUES (%s, %s, %s, %s, now())""", (milestone_id, body["quantity"], body.get("note", ""),
                                                               recorder))
            total = cur.execute("SELECT coalesce(sum(quantity), 0)::bigint AS q FROM usage_records "
                                "WHERE milestone_id = %s", (milestone_id,)).fetchone()["q"]
            other = m["provider_id"] if recorder == m["brand_id"] else m["brand_id"]
            notice(cur, other, "usage_recorded", {"quantity": body["quantity"]}, "contracts.detail",
                   {"contract_id": m["contract_id"]})
            event(cur, "usage.recorded", f"milestone:{milestone_id}", {"usage": {"quantity_total": total}},
                  [m["brand_id"], m["provider_id"]])
        return _json({"quantity_total": total, "charge": None}, 201)

    app.config["BENCH_STARTED"] = datetime.now(UTC).isoformat()
    return app
