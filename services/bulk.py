"""Many rows of one table in one statement, for the sweeps that write thousands at once.

On PostgreSQL the rows travel as one JSON parameter and are inserted by one INSERT … SELECT FROM
json_to_recordset(…): one statement and one round trip however many rows, where an executemany
sends (and the server plans and runs) one INSERT per row. Elsewhere (SQLite) an executemany."""
import json
from datetime import datetime

from sqlalchemy import Integer, String, any_, bindparam, insert, text
from sqlalchemy.dialects.postgresql import ARRAY

from extensions import db


def insert_rows(table, rows: list[dict]) -> int:
    """Insert `rows` (dicts with the same keys, named after `table`'s columns; datetimes aware) into
    `table` (a Table: Model.__table__). Column defaults are not applied: give every value."""
    if not rows:
        return 0
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return len(rows)
    names = list(rows[0])
    columns = ", ".join(f'"{name}"' for name in names)
    record = ", ".join(f'"{name}" {table.c[name].type.compile(bind.dialect)}' for name in names)
    db.session.execute(text(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} '  # noqa: S608 (names from the table)
                            f"FROM json_to_recordset(CAST(:rows AS json)) AS r({record})"),
                       {"rows": json.dumps(rows, default=_iso)})
    return len(rows)


def among(column, values) -> object:
    """`column IN values` for a chunk's worth (hundreds) of ids or keys. On PostgreSQL `= ANY(array)`:
    one parameter, so the statement's text is the same whatever the count (an IN list renders one
    placeholder per value, and the driver parses each new text again)."""
    values = list(values)
    if db.session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    kind = Integer if all(isinstance(v, int) for v in values) else String
    return column == any_(bindparam(None, values, type_=ARRAY(kind)))


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
