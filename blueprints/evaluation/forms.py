"""Reading the scorecard page's free-form fields: one mark per criterion (fields `c<criterion id>`) and
whole-number scores. Whatever is not a whole number reaches the service as None, which refuses it with
the allowed range — the rules stay in services.scorecards, not in the routes."""
from collections.abc import Iterable, Mapping


def whole_number(raw: str | None) -> int | None:
    """The integer typed, or None for anything else (blank, "7.5", "ten")."""
    text = (raw or "").strip()
    if not text.lstrip("-").isascii() or not text.lstrip("-").isdigit() or len(text) > 12:
        return None  # also "١٢" (digits int() would take) and numbers too long to be a mark or an id
    try:
        return int(text)
    except ValueError:  # "--5"
        return None


def marks(form: Mapping[str, str], criteria: Iterable) -> dict[str, int | None]:
    """The marks typed for `criteria`, by criterion name; a criterion left blank is not graded."""
    return {c.name: whole_number(form.get(f"c{c.id}")) for c in criteria if (form.get(f"c{c.id}") or "").strip()}


def whole_numbers(values: Iterable[str]) -> list[int]:
    """The whole numbers among `values` (checkbox ids), ignoring anything else."""
    return [n for n in (whole_number(v) for v in values) if n is not None]
