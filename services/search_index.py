"""Keyword search that understands Chinese: one segmentation for documents and queries, one index per backend.

Chinese is written without spaces, so neither PostgreSQL's text search nor SQLite's FTS5 can find "客服" inside
"客服外包服务" on their own. Every searchable row therefore keeps a *search document*: its text cut into words
by jieba (search mode: "品牌设计" is kept as "品牌 设计 品牌设计", so the whole word and its parts are all
found) plus its Latin words lower-cased, space-separated — `search_title` (title or name, ranked higher) and
`search_text` (the rest). The database then only has to split on spaces:

* PostgreSQL: ``setweight(to_tsvector('simple', search_title), 'A') || … search_text … 'B'`` stored in a
  generated column, `search_vector`, with a GIN index (the `simple` configuration: no stemming, no stop
  words, so it matches exactly what we segmented), queried with ``plainto_tsquery('simple', <the segmented
  query>)`` (every word must match) and ranked by `ts_rank`. Stored, so that checking a row is cheap: a
  common word's newest matches are found by reading the rows newest first (see RANK_WINDOW).
* SQLite: an FTS5 table over the same two columns (external content, kept in step by triggers created in the
  migration), queried with MATCH and ranked by `bm25()` (the title weighted 10:1).

Why not pg_trgm: trigrams need three characters, and most Chinese words are two ("客服", "摄影"), so a
trigram index cannot serve them (it falls back to scanning); and it would not give SQLite anything.

The documents are written in one place, `_reindex` below, after every flush that touched a searchable row
(a tender's or a contest's title or text, a provider's name, description, categories or portfolio cases):
services never have to remember it. `reindex_all` rebuilds every document (`flask search reindex`).
"""
import logging
import re
import threading
from dataclasses import dataclass

from flask import has_app_context
from flask_babel import force_locale
from markupsafe import Markup, escape
from sqlalchemy import event, func, inspect, literal_column, select, table, update
from sqlalchemy.orm import Session, attributes

from extensions import db
from i18n.labels import CATEGORY_LABELS
from models import Contest, ProviderCategory, ProviderProfile, ShowcaseCase, Tender

MAX_QUERY_LENGTH = 200  # characters of a search
# A search ranks by relevance the newest RANK_WINDOW rows matching it (`matching(..., newest=…)`), not every
# match: ranking every match of a common word ("photography" in 400,000 of a million tenders) costs in
# proportion to the matches; the newest few hundred cost the same at any size. More matches than this:
# the list is these, ranked, and its count says "more than RANK_WINDOW".
RANK_WINDOW = 500
MAX_QUERY_TERMS = 10  # words of a query that count; the rest are ignored (as the old LIKE search did)
FTS_TITLE_WEIGHT = 10.0  # SQLite bm25: a word in the title counts ten times one in the text
INDEX_LOCALES = ("en", "zh_CN")  # a provider's categories are found by their names in both languages

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# a run of Chinese characters, or a run of other letters and digits (Latin words, numbers, "4k")
_RUNS = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")

# Words of this market that jieba's general dictionary lacks (it cuts "外包" into "外" and "包"): added once,
# so documents and queries are cut the same way. Adding a word here needs `flask search reindex`.
MARKET_WORDS = ("外包", "客服外包", "带货", "直播带货", "短视频", "详情页", "主图", "电商", "种草", "私域",
                "代运营", "店铺运营", "产品摄影", "商品摄影", "修图", "精修", "抖音", "小红书", "天猫", "京东",
                "拼多多", "淘宝", "售前", "售后", "投放", "比稿", "视觉设计", "包装设计", "品牌设计")

_jieba = None
_jieba_lock = threading.Lock()


def _segmenter():
    """jieba, its dictionary loaded once per process, lazily (about a second) and quietly (it logs to stderr)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba  # noqa: PLC0415  (a second to load: only processes that search pay for it)

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in MARKET_WORDS:
                    tokenizer.add_word(word)
                _jieba = tokenizer
    return _jieba


def _words(text: str) -> list[str]:
    """The words of `text` in order: Chinese runs cut in search mode, other runs lower-cased, as they are."""
    out: list[str] = []
    for run in _RUNS.findall(text or ""):
        if _IS_CJK.match(run):
            out.extend(w for w in _segmenter().cut_for_search(run, HMM=False) if w.strip())
        else:
            out.append(run.lower())
    return out


def segment(text: str) -> str:
    """The search document of `text`: its words, space-separated (deterministic: same text, same words)."""
    return " ".join(_words(text))


def query_terms(q: str | None) -> list[str]:
    """The words a query asks for, each of which must appear (AND), at most MAX_QUERY_TERMS, no repeats.

    Cut exactly like the documents, so a long word asks for itself and its parts ("代运营": "运营" and
    "代运营"): a document about "代运营" is found, one about any "运营" is not."""
    terms: list[str] = []
    for word in _words(q or ""):
        if word not in terms:
            terms.append(word)
    return terms[:MAX_QUERY_TERMS]


# --- the query side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indexed:
    """A searchable table: its name and the integer key its search index (FTS5 rowid) refers to."""
    table: str
    key: str

    @property
    def fts(self) -> str:
        return f"{self.table}_fts"

    @property
    def pg_index(self) -> str:
        return f"ix_{self.table}_search"

    def vector_sql(self) -> str:
        """The indexed column on PostgreSQL: the document's tsvector, stored (a generated column)."""
        return f"{self.table}.search_vector"


INDEXED = {Tender: Indexed("tenders", "id"), ProviderProfile: Indexed("provider_profiles", "user_id"),
           Contest: Indexed("contests", "id")}


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def matching(stmt, model, terms: list[str], newest: tuple | None = None):
    """`stmt` (a select of `model`) narrowed to the rows holding every term, best match first (callers add
    their own order after it: recency). No terms: `stmt` as it is.

    `newest` (columns, e.g. (created_at, id)): only the newest RANK_WINDOW + 1 matches of `stmt`'s filters
    so far, by those columns descending, are kept and ranked — a bounded amount of work whatever the number
    of matches (page with `paginate(..., cap=RANK_WINDOW)`: its count then says "more than" beyond)."""
    if not terms:
        return stmt
    spec = INDEXED[model]
    key = getattr(model, spec.key)
    if _dialect() == "postgresql":
        vector = literal_column(spec.vector_sql())
        tsquery = func.plainto_tsquery(literal_column("'simple'"), " ".join(terms))
        found = stmt.where(vector.op("@@")(tsquery))
        ranked = func.ts_rank(vector, tsquery).desc()
    else:
        fts = table(spec.fts, literal_column("rowid").label("rowid"))
        fts_ref = literal_column(spec.fts)
        match = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        found = stmt.join(fts, literal_column(f"{spec.fts}.rowid") == key).where(fts_ref.op("MATCH")(match))
        ranked = func.bm25(fts_ref, FTS_TITLE_WEIGHT, 1.0)
    if newest:
        window = (found.with_only_columns(key).order_by(None).order_by(*(column.desc() for column in newest))
                  .limit(RANK_WINDOW + 1))
        found = found.where(key.in_(window))
    return found.order_by(ranked)


# --- highlighting ------------------------------------------------------------------------------------


def _spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where the terms occur in `text` (either case), overlapping ones merged, in order."""
    spans = []
    lowered = text.lower()
    for term in terms:
        if not term:
            continue
        pattern = re.escape(term) if _IS_CJK.match(term) else r"(?<![^\W_])" + re.escape(term)
        spans.extend(m.span() for m in re.finditer(pattern, lowered))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _marked(text: str, spans: list[tuple[int, int]]) -> Markup:
    """`text` escaped, its spans wrapped in <mark> (escaped first: user text never becomes markup)."""
    out, at = [], 0
    for start, end in spans:
        out.append(escape(text[at:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def highlight(text: str | None, q: str | None) -> Markup:
    """`text` as safe HTML with the words of the query `q` marked."""
    text = text or ""
    return _marked(text, _spans(text, query_terms(q)) if q else [])


def snippet(text: str | None, q: str | None, width: int = 80) -> Markup:
    """About `width` characters of `text` around the first word of `q` it holds (its start if none), marked,
    with "…" where it was cut; safe HTML."""
    text = " ".join((text or "").split())
    spans = _spans(text, query_terms(q)) if q else []
    first = spans[0][0] if spans else 0
    start = max(0, min(first - width // 3, len(text) - width))
    end = min(len(text), start + width)
    inside = [(max(s, start) - start, min(e, end) - start) for s, e in spans if e > start and s < end]
    body = _marked(text[start:end], inside)
    return Markup("").join([Markup("…") if start else Markup(""), body, Markup("…") if end < len(text) else Markup("")])


# --- the documents -----------------------------------------------------------------------------------

_category_words: dict[str, str] = {}


def category_text(category: str) -> str:
    """A category's code and its names in every language, e.g. "customer_service Customer-service … 客服外包".

    Needs an app context: without one, force_locale translates nothing, and the English-only text would be
    cached for the process (every provider document written after it unfindable by the Chinese name)."""
    if not has_app_context():
        raise RuntimeError("search_index.category_text needs an app context (the names are translated)")
    if category not in _category_words:
        names = [category.replace("_", " ")]
        for locale in INDEX_LOCALES:
            with force_locale(locale):
                names.append(str(CATEGORY_LABELS.get(category, "")))
        _category_words[category] = " ".join(names)
    return _category_words[category]


def tender_document(title: str, description: str) -> tuple[str, str]:
    return segment(title), segment(description)


def contest_document(title: str, brief: str) -> tuple[str, str]:
    return segment(title), segment(brief)


def _provider_documents(conn, provider_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Each provider's document read from the database as flushed: its name; its description, categories and
    portfolio cases (title, client, metric, description)."""
    profiles = ProviderProfile.__table__
    rows = conn.execute(select(profiles.c.user_id, profiles.c.company_name, profiles.c.description)
                        .where(profiles.c.user_id.in_(provider_ids))).all()
    categories: dict[int, list[str]] = {}
    for pid, category in conn.execute(select(ProviderCategory.provider_id, ProviderCategory.category)
                                      .where(ProviderCategory.provider_id.in_(provider_ids))
                                      .order_by(ProviderCategory.category)):
        categories.setdefault(pid, []).append(category_text(category))
    cases: dict[int, list[str]] = {}
    for case in conn.execute(select(ShowcaseCase.provider_id, ShowcaseCase.title, ShowcaseCase.client_brand,
                                    ShowcaseCase.metric, ShowcaseCase.description)
                             .where(ShowcaseCase.provider_id.in_(provider_ids)).order_by(ShowcaseCase.id)):
        cases.setdefault(case.provider_id, []).append(
            " ".join((case.title, case.client_brand or "", case.metric or "", case.description or "")))
    return {row.user_id: (segment(row.company_name or ""),
                          segment(" ".join([row.description or "", *categories.get(row.user_id, []),
                                            *cases.get(row.user_id, [])])))
            for row in rows}


def _changed(session: Session, obj, *names: str) -> bool:
    """Whether the flush inserted `obj` or changed one of its `names` (history is still there after a flush)."""
    state = inspect(obj)
    return obj in session.new or any(state.attrs[name].history.has_changes() for name in names)


def _reindex(session: Session, _flush_context) -> None:
    """After a flush: rewrite the documents of the rows whose searchable text it changed (one UPDATE each)."""
    documents: dict[Indexed, dict[int, tuple[str, str]]] = {}
    providers: set[int] = set()
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Tender) and _changed(session, obj, "title", "description"):
            documents.setdefault(INDEXED[Tender], {})[obj.id] = tender_document(obj.title, obj.description)
            _remember(obj, documents[INDEXED[Tender]][obj.id])
        elif isinstance(obj, Contest) and _changed(session, obj, "title", "brief"):
            documents.setdefault(INDEXED[Contest], {})[obj.id] = contest_document(obj.title, obj.brief)
            _remember(obj, documents[INDEXED[Contest]][obj.id])
        elif isinstance(obj, ProviderProfile) and _changed(session, obj, "company_name", "description"):
            providers.add(obj.user_id)
        elif isinstance(obj, ProviderCategory | ShowcaseCase):
            providers.add(obj.provider_id)
    providers |= {obj.provider_id for obj in session.deleted if isinstance(obj, ProviderCategory | ShowcaseCase)}
    if not documents and not providers:
        return
    conn = session.connection()
    if providers:
        documents[INDEXED[ProviderProfile]] = _provider_documents(conn, providers)
        for pid, document in documents[INDEXED[ProviderProfile]].items():
            profile = session.identity_map.get(session.identity_key(ProviderProfile, pid))
            if profile is not None:
                _remember(profile, document)
    for spec, rows in documents.items():
        _write(conn, spec, rows)


def _remember(obj, document: tuple[str, str]) -> None:
    """The object in memory holds what the database now holds (without marking it changed)."""
    attributes.set_committed_value(obj, "search_title", document[0])
    attributes.set_committed_value(obj, "search_text", document[1])


def _write(conn, spec: Indexed, rows: dict[int, tuple[str, str]]) -> None:
    target = db.metadata.tables[spec.table]
    key = target.c[spec.key]
    keep = {"updated_at": target.c.updated_at} if "updated_at" in target.c else {}  # not an edit of its own
    for row_id, (title, text) in rows.items():
        conn.execute(update(target).where(key == row_id).values(search_title=title, search_text=text, **keep))


event.listen(Session, "after_flush", _reindex)


def reindex_all(conn=None, batch: int = 500) -> int:
    """Rewrite every search document (after MARKET_WORDS or the segmentation changed), on `conn` (the
    session's by default; the migration that added them passes its own); returns how many. On SQLite the
    FTS5 tables are then rebuilt from them. Reads only the columns the documents are made of."""
    count = 0
    conn = conn if conn is not None else db.session.connection()
    for model, columns in ((Tender, ("title", "description")), (Contest, ("title", "brief"))):
        spec = INDEXED[model]
        target = db.metadata.tables[spec.table]
        last = 0
        while True:
            rows = conn.execute(select(target.c[spec.key], *(target.c[c] for c in columns))
                                .where(target.c[spec.key] > last).order_by(target.c[spec.key]).limit(batch)).all()
            if not rows:
                break
            _write(conn, spec, {row[0]: (segment(row[1]), segment(row[2])) for row in rows})
            last, count = rows[-1][0], count + len(rows)
    profiles = ProviderProfile.__table__
    last = 0
    while True:
        ids = list(conn.scalars(select(profiles.c.user_id).where(profiles.c.user_id > last)
                                .order_by(profiles.c.user_id).limit(batch)))
        if not ids:
            break
        _write(conn, INDEXED[ProviderProfile], _provider_documents(conn, set(ids)))
        last, count = ids[-1], count + len(ids)
    if conn.dialect.name == "sqlite":
        for spec in INDEXED.values():
            conn.exec_driver_sql(f"INSERT INTO {spec.fts}({spec.fts}) VALUES ('rebuild')")  # noqa: S608 (constants)
    return count
