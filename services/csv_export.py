"""The one CSV writer for every export (statements, the payout bank file): what a spreadsheet opens.

Text from users (company and bank names, titles, memos) must never run as a formula when finance
opens the file in Excel or LibreOffice: a text cell that begins with = + - @, a tab or a carriage
return is prefixed with an apostrophe (OWASP's CSV-injection rule), which spreadsheets show as text.
Numbers stay numbers: an int or Decimal, or a string that is exactly a plain decimal number
(`-5.00`, `123`), is written as it is, so a negative amount is still readable and summable.
The file starts with a BOM so Excel reads UTF-8 (Chinese names) instead of the local code page.
"""
import csv
import io
import re
from collections.abc import Iterable
from decimal import Decimal

BOM = "\ufeff"
MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def text(value) -> str:
    """A cell known to be text (a title, a memo): escaped even when it looks like a number ("-5")."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def cell(value) -> str | int | Decimal:
    """One cell as written: None → empty, numbers as they are, text made inert."""
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def render(rows: Iterable[Iterable], *, bom: bool = True) -> str:
    """Every row through `cell`, as one CSV document (with the BOM unless told otherwise)."""
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()
