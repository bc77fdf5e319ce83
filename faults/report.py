"""The campaign's table: one row per kind of fault, over all its rounds."""
from dataclasses import dataclass, field


@dataclass
class Row:
    """One fault injected once, and what the checks found after it."""

    fault: str
    acknowledged: int = 0
    writes: int = 0
    lost: int = 0
    errored_committed: int = 0
    unanswered_committed: int = 0
    ledger_differences: int = 0
    app_back: float | None = None  # seconds from the fault's end until the app answered; None: never
    ratings: float | None = None  # seconds until no stale rating was left; None: not within the bound
    ratings_checked: bool = False
    payouts: float | None = None  # seconds until no batch was open; None: not within the bound
    payouts_checked: bool = False
    restarts: int = 0  # the stack restarted by the campaign (the app did not come back by itself)
    repairs: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


HEADER = ("fault", "count", "writes acked", "lost", "committed but errored", "no answer, committed",
          "ledger/recon", "ratings ≤ bound", "payouts ≤ bound", "app back max", "restarts", "result")


def _seconds(values: list[float | None], checked: bool = True) -> str:
    if not checked:
        return "-"
    if any(v is None for v in values):
        return "FAIL"
    return f"{max(values):.2f} s" if values else "-"


def summarise(rows: list[Row]) -> list[tuple[str, ...]]:
    table, order = [], []
    for row in rows:
        if row.fault not in order:
            order.append(row.fault)
    for fault in order:
        mine = [r for r in rows if r.fault == fault]
        ratings = [r.ratings for r in mine if r.ratings_checked]
        payouts = [r.payouts for r in mine if r.payouts_checked]
        ledger = sum(r.ledger_differences for r in mine)
        table.append((
            fault, str(len(mine)), str(sum(r.acknowledged for r in mine)), str(sum(r.lost for r in mine)),
            str(sum(r.errored_committed for r in mine)), str(sum(r.unanswered_committed for r in mine)),
            "ok" if not ledger else f"{ledger} differences",
            _seconds(ratings, bool(ratings)), _seconds(payouts, bool(payouts)),
            _seconds([r.app_back for r in mine]), str(sum(r.restarts for r in mine)),
            "PASS" if all(r.ok for r in mine) else "FAIL"))
    return table


def render(rows: list[Row], bound: float) -> str:
    table = summarise(rows)
    widths = [max(len(h), *(len(r[i]) for r in table)) if table else len(h) for i, h in enumerate(HEADER)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)),
             "-|-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in table]
    total = sum(r.acknowledged for r in rows)
    lines.append(f"\n{total} acknowledged writes checked over {len(rows)} faults; bound for ratings and "
                 f"payout batches {bound:.0f} s from the fault's end.")
    failed = [r for r in rows if not r.ok]
    if failed:
        lines.append("\nFailed checks:")
        lines += [f"  - {r.fault}: {f}" for r in failed for f in r.failures]
    notes = [(r.fault, n) for r in rows for n in r.notes + [f"repaired by the campaign: {x}" for x in r.repairs]]
    if notes:
        lines.append("\nNotes:")
        lines += [f"  - {fault}: {note}" for fault, note in notes]
    return "\n".join(lines)
