"""Counting the SQL statements a piece of code sends (to catch N+1 queries)."""
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def counting_queries(engine):
    """with counting_queries(engine) as statements: … → every statement sent meanwhile, in order."""
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
