"""Brands top up by bank transfer (issue 18): the receiving account and the brand's reference, the
import of the platform bank account's statement, and staff's queue of lines that matched no wallet.

What the import promises:
- A bank transaction is credited at most once, ever: its id, normalised, is the unique
  `transaction_key` of its statement line and the posting key (`bank:<key>`). Importing a file again
  counts its lines as `duplicates`; two staff importing at once run one after the other (a lock held
  to commit), so the second sees the first's lines.
- Malformed input refuses the whole file, and nothing changes: a missing column, a date that is not
  YYYY-MM-DD, an amount that is not plain ASCII digits with at most the currency's decimals (so
  `1,234.50`, full-width `１２３４` and `-5.00` are refused rather than guessed at), an unknown
  currency, a missing or repeated transaction id. Each problem is named by line and field. A partial
  import would leave finance unsure which lines went in; a refused file is fixed and sent again.
- A line whose reference has our shape but a wrong check character (a typo on the transfer) is not
  malformed — the money did arrive — so it is not credited to anyone: it goes to the queue with its
  reason, and the answer names its line and the `reference` field.
Money of unmatched lines waits in the ledger's `bank_suspense` account until staff assign it to a
wallet or return it to the payer; both decisions are audited.
"""
import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from babel.numbers import get_currency_precision
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import BankStatementLine, User
from models.bank_statement import LineStatus
from models.catalog import CURRENCIES
from models.status import can_move, transition
from models.types import utcnow
from services import audit, destinations, ledger, locking, margins, notifications, permissions, transfer_references
from services.errors import Conflict, Forbidden, Invalid, NotFound, check
from services.funding import normalise_reference

IMPORT_LOCK = 0x42414E4B  # "BANK": one statement import at a time (services.locking.serialize)
MAX_LINES = 10_000
AMOUNT = re.compile(r"[0-9]+(?:\.([0-9]+))?", re.ASCII)
# Why a line went to the queue, as the answer and the staff page name it.
REASONS = {
    "no_reference": _l("The transfer carries no reference of ours."),
    "check_digit": _l("The reference's check character is wrong: a typo on the transfer."),
    "unknown_account": _l("The reference names no brand account."),
    "margin_currency": _l("A provider's transfer pays its margin deposit, which is held in CNY only."),
}


# --- what brands see ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TopUp:
    bank_name: str
    bank_account: str
    bank_holder: str
    reference: str


def top_up_details(user: User) -> TopUp:
    """The platform's receiving account and the brand's own permanent transfer reference."""
    if not user.is_brand:
        raise Forbidden(_l("Only brands top up a wallet."))
    permissions.require(user, "wallet.read")
    config = current_app.config
    return TopUp(bank_name=config["PLATFORM_BANK_NAME"], bank_account=config["PLATFORM_BANK_ACCOUNT"],
                 bank_holder=config["PLATFORM_BANK_HOLDER"],
                 reference=transfer_references.reference_for(user.account_id))


# --- reading a statement --------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    number: int  # the line in the file (the header is line 1)
    value_date: date
    amount: int
    currency: str
    reference: str
    transaction_id: str
    transaction_key: str


def transaction_key(transaction_id: str) -> str:
    """The bank's transaction id as one transaction: case, spaces, separators and full-width forms do
    not make another."""
    return normalise_reference(transaction_id)


def _amount(text: str, currency: str):
    """(minor units, None) or (None, why)."""
    text = text.strip()
    if text.startswith("-"):
        return None, _l("Negative lines (money going out) are not top-ups; remove them from the file.")
    if any(ord(ch) > 127 for ch in text):
        return None, _l("Use ASCII digits only (no full-width characters).")
    if "," in text:
        return None, _l("Write the amount without thousands separators, e.g. 1234.50.")
    match = AMOUNT.fullmatch(text)
    if match is None or len(text) > 16:
        return None, _l("Write the amount in major units with a dot, e.g. 1234.50.")
    decimals = get_currency_precision(currency) if currency in CURRENCIES else 2
    if len(match.group(1) or "") > decimals:
        return None, _l("Use at most %(n)s decimal places.", n=decimals)
    whole, _, fraction = text.partition(".")
    amount = int(whole) * 10**decimals + int((fraction or "0").ljust(decimals, "0") or 0)
    if amount <= 0:
        return None, _l("The amount must be above zero.")
    return amount, None


def _parse_row(cell: dict[str, str], number: int, seen: dict[str, int]) -> tuple[Line | None, dict]:
    """One line, or what is wrong with it by field; `seen` (normalised transaction id → line) grows."""
    wrong: dict[str, object] = {}
    currency = cell["currency"].upper()
    if currency not in CURRENCIES:
        wrong["currency"] = _l("Choose a supported currency.")
    try:
        value_date = date.fromisoformat(cell["date"])
    except ValueError:
        value_date, wrong["date"] = None, _l("Write the date as YYYY-MM-DD.")
    amount, why = _amount(cell["amount"], currency)
    if why:
        wrong["amount"] = why
    transaction_id = cell["transaction_id"]
    key = transaction_key(transaction_id)
    if not key or len(transaction_id) > 120 or len(key) > 100:
        wrong["transaction_id"] = _l("Every line needs the bank's transaction id (at most 100 characters).")
    elif key in seen:
        wrong["transaction_id"] = _l("The same transaction id is on line %(line)s too.", line=seen[key])
    else:
        seen[key] = number
    if len(cell["reference"]) > 200:
        wrong["reference"] = _l("At most 200 characters.")
    if wrong:
        return None, wrong
    return Line(number=number, value_date=value_date, amount=amount, currency=currency, reference=cell["reference"],
                transaction_id=transaction_id, transaction_key=key), {}


def parse(data: bytes, bank: str = "default") -> list[Line]:
    """The statement's lines, or Invalid naming every malformed line and field (nothing is imported)."""
    formats = current_app.config["BANK_STATEMENT_FORMATS"]
    if bank not in formats:
        raise Invalid(fields={"bank": _l("Choose one of the configured statement formats.")})
    columns = formats[bank]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(fields={"file": _l("The file is not UTF-8 text.")}) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [column for column in columns.values() if column not in header]
    if missing:
        raise Invalid(_l("The statement's columns are not the ones expected."),
                      fields={"file": _l("Missing columns: %(columns)s (expected %(expected)s).",
                                         columns=", ".join(missing), expected=",".join(columns.values()))})
    errors: dict[str, object] = {}
    lines: list[Line] = []
    seen: dict[str, int] = {}
    for row in reader:
        if None in row:  # csv's key for the values beyond the header's columns
            errors[f"line {reader.line_num}"] = _l("More values than the header has columns.")
            continue
        if not any((value or "").strip() for value in row.values()):
            continue  # a blank line at the end of an export
        if len(lines) >= MAX_LINES:
            raise Invalid(fields={"file": _l("At most %(n)s lines per file.", n=MAX_LINES)})
        line, wrong = _parse_row({field: (row.get(column) or "").strip() for field, column in columns.items()},
                                 reader.line_num, seen)
        errors.update({f"line {reader.line_num}: {columns[field]}": why for field, why in wrong.items()})
        if line is not None and not errors:
            lines.append(line)
    if errors:
        raise Invalid(_l("The statement was not imported: fix these lines and import it again."), fields=errors)
    if not lines:
        raise Invalid(fields={"file": _l("The statement has no lines.")})
    return lines


# --- importing ------------------------------------------------------------------------------------

@dataclass
class ImportResult:
    matched: int
    unmatched: list[BankStatementLine]
    duplicates: int
    numbers: dict[int, int]  # statement line id → its line number in the file


def _brand_of(account_id: int | None) -> User | None:
    user = db.session.get(User, account_id) if account_id else None
    return user if user is not None and user.is_brand and user.account_id == user.id else None


def _owner_of(account_id: int | None) -> User | None:
    """The brand or provider (an organisation's principal) a reference names: a provider's transfer pays
    its margin deposit (services.margins)."""
    user = db.session.get(User, account_id) if account_id else None
    return user if user is not None and (user.is_brand or user.is_provider) and user.account_id == user.id else None


def _match(reference: str, currency: str) -> tuple[User | None, str | None]:
    """(the brand or provider a reference names, None) or (None, why it matches nobody)."""
    if not transfer_references.looks_like_reference(reference):
        return None, "no_reference"
    account_id = transfer_references.account_id_of(reference)
    if account_id is None:
        return None, "check_digit"
    owner = _owner_of(account_id)
    if owner is not None and owner.is_provider and currency != margins.MARGIN_CURRENCY:
        return None, "margin_currency"
    return (owner, None) if owner is not None else (None, "unknown_account")


def _credit(line: BankStatementLine, brand: User, source, key: str, actor_id: int | None) -> None:
    """Into the brand's wallet, or a provider's margin deposit. (`brand_id` records either.)"""
    if brand.is_provider:
        margins.credit_bank_transfer(line, brand, source, key, actor_id)
        line.brand_id = brand.id
        return
    wallet = ledger.wallet(brand, line.currency)
    ledger.post(key, "deposit", [(source, -line.amount), (wallet, line.amount)],
                memo=f"bank transfer {line.reference}", actor_id=actor_id, reference=line.transaction_id,
                meta={"brand_id": brand.id, "statement_line_id": line.id})
    line.brand_id = brand.id
    notifications.notify([brand.id], "deposit_recorded", to=destinations.WALLET, amount=line.amount,
                         currency=line.currency)


def import_statement(staff: User, data: bytes, bank: str = "default") -> ImportResult:
    """Credit the lines whose reference names a brand, queue the others, skip the ones seen before."""
    lines = parse(data, bank)
    locking.serialize(BankStatementLine, IMPORT_LOCK)
    known = set(db.session.scalars(select(BankStatementLine.transaction_key).where(
        BankStatementLine.transaction_key.in_([line.transaction_key for line in lines]))))
    result = ImportResult(matched=0, unmatched=[], duplicates=0, numbers={})
    for parsed in lines:
        if parsed.transaction_key in known:
            result.duplicates += 1
            continue
        brand, reason = _match(parsed.reference, parsed.currency)
        row = BankStatementLine(
            transaction_key=parsed.transaction_key, transaction_id=parsed.transaction_id, bank=bank,
            value_date=parsed.value_date, amount=parsed.amount, currency=parsed.currency,
            reference=parsed.reference, status=LineStatus.CREDITED if brand else LineStatus.UNMATCHED, reason=reason,
            imported_by_id=staff.id)
        db.session.add(row)
        db.session.flush()
        result.numbers[row.id] = parsed.number
        clearing = ledger.clearing("bank_clearing", parsed.currency)
        key = f"bank:{parsed.currency}:{parsed.transaction_key}"
        if brand is not None:
            _credit(row, brand, clearing, key, staff.id)
            result.matched += 1
        else:
            ledger.post(key, "bank_unmatched",
                        [(clearing, -row.amount), (ledger.clearing("bank_suspense", row.currency), row.amount)],
                        memo=f"bank transfer {row.reference}", actor_id=staff.id, reference=row.transaction_id,
                        meta={"statement_line_id": row.id})
            result.unmatched.append(row)
    audit.record(staff, "bank_statement.import", "bank_statement_line", None,
                 after={"bank": bank, "lines": len(lines), "matched": result.matched,
                        "unmatched": len(result.unmatched), "duplicates": result.duplicates})
    return result


# --- the queue ------------------------------------------------------------------------------------

def queue(limit: int = 200) -> list[BankStatementLine]:
    """Lines waiting for a decision, oldest first."""
    return list(db.session.scalars(select(BankStatementLine).where(BankStatementLine.status == LineStatus.UNMATCHED)
                                   .order_by(BankStatementLine.id).limit(limit)))


def recent(limit: int = 30) -> list[BankStatementLine]:
    return list(db.session.scalars(select(BankStatementLine).order_by(BankStatementLine.id.desc()).limit(limit)))


def _undecided(line_id: int) -> BankStatementLine:
    line = locking.locked_get(BankStatementLine, line_id)
    if line is None:
        raise NotFound()
    if not can_move(line, LineStatus.ASSIGNED):
        raise Conflict(_l("This statement line is already decided."), code="already_decided")
    return line


def brand_for(account: str) -> User | None:
    """The brand a staff member named: by its transfer reference or its account e-mail."""
    account = (account or "").strip()
    if transfer_references.looks_like_reference(account):
        return _brand_of(transfer_references.account_id_of(account))
    user = User.by_email(account) if account else None
    return _brand_of(user.account_id) if user is not None else None


def assign(staff: User, line_id: int, account: str, note: str = "") -> BankStatementLine:
    """Staff credit a queued line to the brand they name (a reference or an e-mail)."""
    brand = brand_for(account)
    check({"account": brand is None and _l("Name a brand by its transfer reference or account e-mail.")})
    line = _undecided(line_id)
    _credit(line, brand, ledger.clearing("bank_suspense", line.currency),
            f"bank:{line.currency}:{line.transaction_key}:assign", staff.id)
    _decide(staff, line, LineStatus.ASSIGNED, "bank_line.assign", note, affected_user_id=brand.id)
    return line


def mark_returned(staff: User, line_id: int, note: str) -> BankStatementLine:
    """Staff send a queued line's money back to the payer (the bank transfer itself is made at the bank)."""
    check({"note": not (note or "").strip() and _l("Say why the money is returned.")})
    line = _undecided(line_id)
    ledger.post(f"bank:{line.currency}:{line.transaction_key}:return", "bank_return",
                [(ledger.clearing("bank_suspense", line.currency), -line.amount),
                 (ledger.clearing("bank_clearing", line.currency), line.amount)],
                memo=f"returned {line.reference}", actor_id=staff.id, reference=line.transaction_id,
                meta={"statement_line_id": line.id})
    _decide(staff, line, LineStatus.RETURNED, "bank_line.return", note)
    return line


def _decide(staff: User, line: BankStatementLine, status: str, action: str, note: str, **who) -> None:
    transition(line, status)
    line.decided_by_id, line.decided_at, line.note = staff.id, utcnow(), (note or "").strip()[:500]
    audit.record(staff, action, "bank_statement_line", line.id,
                 before={"status": "unmatched"},
                 after={"status": status.value, "amount": line.amount, "currency": line.currency,
                        "reference": line.reference, "transaction_id": line.transaction_id},
                 reason=line.note, **who)
