"""The data of the web benchmark (bench/web.py): a marketplace of `tenders` tenders written with PostgreSQL
COPY, then the few rows the bench acts as (tokens, a session, a metered contract) made through the app.

Shape per N tenders: N // 100 brands (at least 5), N // 5 providers (at least 10; a million tenders: 200,000),
5 bids a tender (a million: 5,000,000) from five different providers, one conversation of two messages on
every third tender, and BIDDERS more providers with no bids, who bid during the write bench. Titles mix
English and Chinese words so that `q=photography` and `q=摄影` match one tender in five.
"""
import io
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

from models.catalog import CATEGORIES

BIDDERS = 100  # the write bench's providers: BIDDERS × tenders distinct (provider, tender) pairs
WORDS = [("customer service", "客服外包"), ("detail page design", "详情页设计"), ("tea photography", "产品摄影"),
         ("short video", "短视频"), ("store diagnosis", "店铺诊断")]
PROVINCES = ("浙江", "广东", "上海", "北京", "江苏")
# never a valid argon2 hash, so nobody signs in with a password: the bench uses tokens and sessions
PASSWORD_HASH = "!bench-no-login"  # noqa: S105 (not a password)
CHUNK = 50_000
BULK_TABLES = ("users", "organisations", "memberships", "provider_profiles", "provider_categories", "tenders", "bids",
               "conversations", "messages")  # their secondary indexes are dropped for the load and built after it


def pg_dsn(url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://…) as libpq wants it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)


@dataclass
class Shape:
    tenders: int
    brands: int = 0
    providers: int = 0
    bidders: int = BIDDERS

    def __post_init__(self):
        self.brands = self.brands or max(5, self.tenders // 100)
        self.providers = self.providers or max(10, self.tenders // 5)

    @property
    def first_provider(self) -> int:
        return self.brands + 1

    @property
    def first_bidder(self) -> int:
        return self.brands + self.providers + 1

    def brand_of(self, tender: int) -> int:
        return 1 + (tender - 1) % self.brands

    def bidders_of(self, tender: int) -> list[int]:
        """The five providers that bid on `tender` (distinct: steps of providers // 5)."""
        step = max(1, self.providers // 5)
        return [self.first_provider + (tender + k * step) % self.providers for k in range(5)]


@dataclass
class Fixture:
    """Who the bench acts as, and the rows its requests name."""

    brand_id: int = 0
    brand_token: str = ""
    brand_cookie: str = ""
    provider_id: int = 0
    provider_token: str = ""
    bidder_ids: list = field(default_factory=list)
    bidder_tokens: list = field(default_factory=list)
    tender_id: int = 0  # a tender in the middle of the list
    conversation_id: int = 0
    milestone_id: int = 0  # a funded period of a metered contract
    tenders: int = 0
    bid_offset: int = 0  # where the write bench's (bidder, tender) pairs start: past those a kept run used


def _copy(cur, table: str, columns: tuple, rows) -> None:
    """COPY `rows` (tuples of str/int/None, none holding a tab, newline or backslash) into `table`."""
    buf = io.StringIO()
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for n, row in enumerate(rows, 1):
            buf.write("\t".join(r"\N" if v is None else str(v) for v in row))
            buf.write("\n")
            if n % CHUNK == 0:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())


class Documents:
    """The search documents of the seeded rows (services/search_index.py), each distinct text segmented once.

    Every generated text is a numbered prefix ("Tender 7", "Work item 7:") and one of a few phrases; the
    segmentation works run by run (a space or a colon ends a run), so a document is the prefix lower-cased
    and the phrase's words, cached: a million tenders cost five jieba calls, not a million. `check` compares
    a few against search_index.segment of the whole text, so a change there cannot make them drift."""

    def __init__(self):
        from services import search_index  # noqa: PLC0415 (jieba: only when seeding)

        self.index = search_index
        self.cache: dict[str, str] = {}

    def words(self, text: str) -> str:
        if text not in self.cache:
            self.cache[text] = self.index.segment(text)
        return self.cache[text]

    def tender_title(self, t: int) -> tuple[str, str]:
        en, zh = WORDS[t % 5]
        return f"Tender {t} {en} {zh}", f"tender {t} {self.words(f'{en} {zh}')}"

    def tender_description(self, t: int) -> tuple[str, str]:
        en, zh = WORDS[(t * 7) % 5]
        phrase = f"{en}，{zh}，秋季上新。"
        return f"Work item {t}: {phrase}", f"work item {t} {self.words(phrase)}"

    def provider(self, u: int, categories: list[str]) -> tuple[str, str, str, str]:
        """(company name, description, search_title, search_text), the categories' names included as
        search_index._provider_documents writes them (needs an app context: the names are translated)."""
        en, zh = WORDS[u % 5]
        description = f"We do {en} / {zh}."
        text = " ".join([description, *(self.index.category_text(c) for c in sorted(categories))])
        return f"服务商公司 {u}", description, f"{self.words('服务商公司')} {u}", self.words(text)

    def check(self, shape: "Shape") -> None:
        for t in (1, 2, 3, 4, 5, shape.tenders):
            for text, document in (self.tender_title(t), self.tender_description(t)):
                assert document == self.index.segment(text), (text, document)  # noqa: S101 (a bench's own check)
        name, _, title, _ = self.provider(shape.first_provider, [])
        assert title == self.index.segment(name), (name, title)  # noqa: S101


@contextmanager
def _without_indexes(cur, tables: tuple):
    """The secondary indexes of `tables` (not those behind a primary key or unique constraint) dropped
    while the block loads them, then built again: one sort per index instead of a million inserts."""
    cur.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
                "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)",
                (list(tables),))
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    yield
    cur.execute("SET maintenance_work_mem = '512MB'")
    for _, definition in indexes:
        cur.execute(definition)


def seed(dsn: str, shape: Shape) -> None:
    """Every bulk row, by COPY, in one transaction, with its search document; then the sequences past them
    and VACUUM ANALYZE. Needs an app context (the provider documents name categories in both languages).

    Fast at a million tenders: the foreign-key triggers are off for the load (session_replication_role:
    the rows are generated consistent), the secondary indexes are built after it, and the search documents
    are computed once per distinct text (`Documents`)."""
    now = datetime.now(UTC)
    stamp = now.isoformat()
    deadline = (now + timedelta(days=60)).isoformat()
    users = shape.brands + shape.providers + shape.bidders
    docs = Documents()
    docs.check(shape)
    with psycopg.connect(pg_dsn(dsn)) as conn, conn.cursor() as cur, _without_indexes(cur, BULK_TABLES):
        cur.execute("SET session_replication_role = replica")

        def role(uid):
            return "brand" if uid <= shape.brands else "provider"

        def categories_of(u):
            return [CATEGORIES[(u + k) % len(CATEGORIES)] for k in range(2)]

        _copy(cur, "users", ("id", "email", "password_hash", "role", "display_name", "timezone", "active",
                             "created_at", "email_verified_at", "email_notifications"),
              ((u, f"{role(u)}{u}@bench.example", PASSWORD_HASH, role(u),
                f"{'品牌' if role(u) == 'brand' else '服务商'} {u}", "Asia/Shanghai", "t", stamp, stamp, "f")
               for u in range(1, users + 1)))
        _copy(cur, "organisations", ("id", "name", "kind", "account_user_id", "created_at"),
              ((u, f"Org {u}", role(u), u, stamp) for u in range(1, users + 1)))
        _copy(cur, "memberships", ("id", "organisation_id", "user_id", "role", "joined_at"),
              ((u, u, u, "owner", stamp) for u in range(1, users + 1)))
        _copy(cur, "brand_profiles", ("user_id", "store_name", "size_tier", "updated_at", "verification_status",
                                      "invoice_title", "tax_id"),
              ((u, f"旗舰店 {u}", "small", stamp, "unsubmitted", "", "") for u in range(1, shape.brands + 1)))
        providers = range(shape.first_provider, users + 1)
        _copy(cur, "provider_profiles", ("user_id", "company_name", "province", "city", "description",
                                         "verification_status", "updated_at", "stars", "rating_score",
                                         "search_title", "search_text"),
              ((u, *(p := docs.provider(u, categories_of(u)))[:1], PROVINCES[u % 5], "杭州", p[1],
                "verified" if u % 3 == 0 else "unsubmitted", stamp,
                None if u % 4 == 0 else 1 + u % 6, None if u % 4 == 0 else f"{50 + u % 50}.5", p[2], p[3])
               for u in providers))
        _copy(cur, "provider_categories", ("provider_id", "category"),
              ((u, c) for u in providers for c in categories_of(u)))
        # tender i is i seconds newer than tender i - 1: the newest is the highest id
        start = now - timedelta(seconds=shape.tenders + 3600)
        _copy(cur, "tenders", ("id", "brand_id", "title", "category", "description", "budget_min", "budget_max",
                               "currency", "bid_deadline", "sealed", "rounds", "status", "created_at", "updated_at",
                               "search_title", "search_text"),
              ((t, shape.brand_of(t), (title := docs.tender_title(t))[0], CATEGORIES[t % len(CATEGORIES)],
                (text := docs.tender_description(t))[0], 1000_00, 5000_00 + t, "CNY", deadline, "f",
                '["proposal"]', "open", (ts := (start + timedelta(seconds=t)).isoformat()), ts, title[1], text[1])
               for t in range(1, shape.tenders + 1)))
        _copy(cur, "bids", ("tender_id", "provider_id", "status", "amount", "currency", "delivery_days", "proposal",
                            "revision", "round_index", "created_at", "updated_at"),
              ((t, p, "submitted", 2000_00 + k, "CNY", 10 + k, "We have done this for twenty brands.", 1, 0, stamp,
                stamp) for t in range(1, shape.tenders + 1) for k, p in enumerate(shape.bidders_of(t))))
        conversations = range(1, shape.tenders + 1, 3)  # id (t + 2) // 3; every brand has some (brands % 3 != 0)
        _copy(cur, "conversations", ("id", "key", "tender_id", "brand_id", "provider_id", "created_at",
                                     "last_message_at"),
              (((t + 2) // 3, f"tender:{t}:{shape.bidders_of(t)[0]}", t, shape.brand_of(t), shape.bidders_of(t)[0],
                stamp, stamp) for t in conversations))
        _copy(cur, "messages", ("conversation_id", "sender_id", "sender_account_id", "body", "contact_warning",
                                "created_at"),
              (((t + 2) // 3, who, who, text, "f", stamp) for t in conversations
               for who, text in ((shape.bidders_of(t)[0], "请问交付周期可以缩短吗？"),
                                 (shape.brand_of(t), "可以，我们再谈谈细节。"))))
        for table, column in (("users", "id"), ("organisations", "id"), ("memberships", "id"),
                              ("tenders", "id"), ("bids", "id"), ("conversations", "id"), ("messages", "id")):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "  # noqa: S608 (names above)
                        f"(SELECT max({column}) FROM {table}))")
        cur.execute("SET session_replication_role = DEFAULT")
    with psycopg.connect(pg_dsn(dsn), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def fixture(app, shape: Shape) -> Fixture:
    """Tokens for the first brand, the first provider and the bidders; a session cookie for the brand; a
    conversation of the brand's; a funded period of a metered contract (made through the API, as a
    user would); a tender in the middle of the list."""
    from extensions import db  # noqa: PLC0415 (the app's modules: after create_app)
    from models import User  # noqa: PLC0415
    from services import accounts, funding, sessions  # noqa: PLC0415

    fx = Fixture(tenders=shape.tenders, brand_id=1, provider_id=shape.first_provider,
                 tender_id=max(1, shape.tenders // 2))
    with app.app_context():
        brand = db.session.get(User, fx.brand_id)
        provider = db.session.get(User, fx.provider_id)
        fx.brand_token, _ = accounts.issue_token(brand, "bench")
        fx.provider_token, _ = accounts.issue_token(provider, "bench")
        raw = sessions.start(brand)
        serializer = app.session_interface.get_signing_serializer(app)
        fx.brand_cookie = f"{app.config['SESSION_COOKIE_NAME']}=" + serializer.dumps(
            {"_user_id": f"{brand.id}:{raw}", "_fresh": True})
        for uid in range(shape.first_bidder, shape.first_bidder + shape.bidders):
            fx.bidder_ids.append(uid)
            fx.bidder_tokens.append(accounts.issue_token(db.session.get(User, uid), "bench")[0])
        staff = User(email="staff@bench.example", password_hash=PASSWORD_HASH, role="admin", display_name="Staff",
                     timezone="Asia/Shanghai", active=True)
        db.session.add(staff)
        db.session.commit()
        fx.conversation_id = db.session.scalar(db.text(
            "SELECT id FROM conversations WHERE brand_id = :b ORDER BY id LIMIT 1"), {"b": fx.brand_id})

    client = app.test_client()

    def call(method, path, token, body=None, expect=(200, 201)):
        r = client.open(f"/api/v1{path}", method=method, json=body, headers={"Authorization": f"Bearer {token}"})
        if r.status_code not in expect:
            raise RuntimeError(f"bench fixture: {method} {path} answered {r.status_code}: {r.get_data(as_text=True)}")
        return r.get_json()

    deadline = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    tender = call("POST", "/tenders", fx.brand_token, {
        "title": "产品摄影 metered", "category": "photography", "description": "Photos of the autumn range, per photo.",
        "budget_min": 100_00, "budget_max": 5000_00, "currency": "CNY", "bid_deadline": deadline,
        "rounds": ["proposal"], "engagement": "metered", "periods": 2, "period_days": 30, "unit": "photo"})
    bid = call("POST", f"/tenders/{tender['id']}/bids", fx.provider_token, {
        "currency": "CNY", "delivery_days": 30, "proposal": "Studio and retouching.", "unit_price": 50_00,
        "cap_per_period": 1000_00})
    call("POST", f"/tenders/{tender['id']}/close", fx.brand_token)
    award = call("POST", f"/tenders/{tender['id']}/award", fx.brand_token, {"bid_id": bid["id"]})
    contract = call("GET", f"/contracts/{award['contract_id']}", fx.brand_token)
    fx.milestone_id = contract["milestones"][0]["id"]
    with app.app_context():
        staff = db.session.scalar(db.select(User).where(User.email == "staff@bench.example"))
        funding.record_deposit(staff, db.session.get(User, fx.brand_id), 10_000_00, "CNY", "BENCH-DEPOSIT-1")
        db.session.commit()
    call("POST", f"/milestones/{fx.milestone_id}/fund", fx.brand_token)
    return fx


def resign_cookie(app, cookie: str) -> str:
    """A kept fixture's session cookie signed with `app`'s secret key: a --reuse run has a new instance
    folder, so a new key, and the old signature would make the brand anonymous (its home page would be
    measured signed out). The content (the user and its login token) is read without the old key."""
    name, _, value = cookie.partition("=")
    serializer = app.session_interface.get_signing_serializer(app)
    _valid, data = serializer.loads_unsafe(value)
    return f"{name}=" + serializer.dumps(data)


def save(fx: Fixture, path) -> None:
    path.write_text(json.dumps(fx.__dict__))
