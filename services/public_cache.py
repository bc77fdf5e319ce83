"""Version stamps of what anonymous visitors see, for ETags and the short cache of public pages (issue 21).

Three kinds of public content each have a version counter in Redis: "tenders" (the tender hall and
tender pages), "providers" (the directory and provider pages) and "contests". Whatever a transaction
writes to a model listed in WATCHED bumps its kinds once the transaction commits (services/after_commit.py),
whoever wrote it — a web form, the API, a worker, a bulk UPDATE — so a cached page or an ETag made before
the write is never answered after it. A page also changes with time alone (a deadline passes, "closes in
3 days"), so every stamp includes the current `WINDOW` of seconds: nothing is served older than that.

Only anonymous requests are ever cached (blueprints/public_cache.py): nothing personal or sealed reaches
Redis. If Redis is down there is no stamp, and pages are simply rendered each time.
"""
import hashlib
import logging
import time
from itertools import chain

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from extensions import get_redis
from models import LedgerAccount
from services import after_commit

log = logging.getLogger(__name__)

WINDOW = 30  # seconds: the longest a public page is cached, and how often its ETag changes regardless
KINDS = ("tenders", "providers", "contests")
_TENDERS, _PROVIDERS, _CONTESTS = ("tenders",), ("providers",), ("contests",)
# model → the kinds of public page that show something of it
WATCHED = {
    "Tender": _TENDERS, "TenderKpi": _TENDERS, "TenderCriterion": _TENDERS, "TenderEnvelopes": _TENDERS,
    "TenderQuestion": _TENDERS, "TenderAddendum": _TENDERS, "TenderInvitation": _TENDERS, "BafoRound": _TENDERS,
    "Bid": _TENDERS,  # the bid count
    "BrandProfile": _TENDERS + _CONTESTS,  # the brand's name and score beside its tenders and contests
    "ProviderProfile": _PROVIDERS, "ProviderCategory": _PROVIDERS, "ShowcaseCase": _PROVIDERS,
    "ProviderRating": _PROVIDERS, "RatingRun": _PROVIDERS, "PartnerBadge": _PROVIDERS, "Review": _PROVIDERS,
    "Organisation": _PROVIDERS, "LedgerEntry": _PROVIDERS,  # the margin a provider holds (see `_shows`)
    "Contest": _CONTESTS, "ContestPrize": _CONTESTS, "ContestEntry": _CONTESTS, "ContestAward": _CONTESTS,
    "ContestEntryFile": _CONTESTS, "ContestReport": _CONTESTS,
    "User": KINDS, "Suspension": KINDS,  # names and avatars everywhere; a suspended account leaves the lists
}
# a user's row changes at every sign-in; only these columns are shown on public pages
USER_PUBLIC = ("display_name", "avatar_name", "role", "active", "suspended_at")


def _key(kind: str) -> str:
    return f"witkey:public-version:{kind}"


def _stamp_of(versions, parts) -> str:
    window = int(time.time() // WINDOW)
    raw = "|".join([*(v.decode() if v else "0" for v in versions), str(window), *parts])
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def stamp(kinds: tuple[str, ...], *parts: str) -> str | None:
    """A short digest of the kinds' versions, the current time window and `parts` (locale, path): equal
    stamps mean the same page. None when Redis cannot say (then nothing is cached)."""
    try:
        versions = get_redis().mget([_key(k) for k in kinds])
    except Exception:  # Redis down: serve fresh pages
        log.warning("public cache: no version stamp (Redis unavailable)", exc_info=True)
        return None
    return _stamp_of(versions, parts)


def stamp_and_get(kinds: tuple[str, ...], key: str, *parts: str) -> tuple[str | None, bytes | None]:
    """`stamp(kinds, *parts)` and the value stored at `key`, asked in one round trip to Redis (the hot
    path of every anonymous public read). (None, None) when Redis cannot say."""
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.mget([_key(k) for k in kinds])
        pipe.get(key)
        versions, stored = pipe.execute()
    except Exception:  # Redis down: serve fresh pages
        log.warning("public cache: no version stamp (Redis unavailable)", exc_info=True)
        return None, None
    return _stamp_of(versions, parts), stored


def bump(kinds) -> None:
    """New versions for these kinds: every stamp of them changes (after a commit: see `_flushed`)."""
    pipe = get_redis().pipeline()
    for kind in sorted(set(kinds)):
        pipe.incr(_key(kind))
    pipe.execute()


def _margin_entry(session: Session, entry) -> bool:
    """Whether a ledger entry moves a provider's margin (shown on its page); unknown accounts count."""
    account = (inspect(entry).dict.get("account")  # never a lazy load here: what the session already holds
               or session.identity_map.get(identity_key(LedgerAccount, entry.account_id)))
    return account is None or account.kind == "provider_margin"


def _shows(session: Session, obj) -> tuple[str, ...]:
    kinds = WATCHED.get(type(obj).__name__, ())
    if type(obj).__name__ == "LedgerEntry" and not _margin_entry(session, obj):
        return ()
    if kinds and obj in session.dirty:
        state = inspect(obj)
        names = USER_PUBLIC if type(obj).__name__ == "User" else [a.key for a in state.mapper.column_attrs]
        if not any(state.attrs[name].history.has_changes() for name in names):
            return ()
    return kinds


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        for kind in _shows(session, obj):
            after_commit.on_commit_batch(bump, kind, session=session)


@event.listens_for(Session, "do_orm_execute")
def _bulk(state) -> None:
    """UPDATE, DELETE and INSERT statements on a watched model (not seen by a flush)."""
    if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper is not None:
        for kind in WATCHED.get(state.bind_mapper.class_.__name__, ()):
            after_commit.on_commit_batch(bump, kind, session=state.session)
