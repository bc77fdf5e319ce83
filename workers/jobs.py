"""Job functions. Each runs inside the app context the worker pushed, opens its own transaction,
and is safe to run twice (RQ delivers at least once)."""
from extensions import db
from services import tenders


def close_passed_deadlines() -> int:
    """Store `evaluating` on tenders whose bid deadline has passed (pages already show it)."""
    count = tenders.persist_passed_deadlines()
    db.session.commit()
    return count
