"""KPI figures for a period from the brand's customer-service system: a CSV export with the columns
`date,metric,value` (one row per day and metric; a sample is demo/kpi_export_sample.csv). Each metric
of the tender's KPIs becomes one result for the period: the mean of its rows, recorded through
services.kpis like a result typed in. Everything is checked first — unknown metrics, garbage values,
dates outside the period — and any error (named by row and field) records nothing.

The provider sees the figures as soon as they are recorded and may contest them: that opens a dispute
on the period with the figures quoted as evidence (services.disputes decides it like any other)."""
import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from i18n.labels import KPI_DIRECTION_SHORT
from models import KpiResult, User
from services import disputes, kpis
from services.errors import Conflict, Forbidden, Invalid
from services.escrow import milestone_for

COLUMNS = ["date", "metric", "value"]
MAX_ROWS = 5000
MAX_BYTES = 1_000_000


def _rows(data: bytes):
    if len(data) > MAX_BYTES:
        raise Invalid(fields={"file": _l("The file is larger than 1 MB.")})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(fields={"file": _l("The file must be UTF-8 text (CSV).")}) from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
        if header != COLUMNS:
            raise Invalid(fields={"file": _l("The first row must be the header: date,metric,value.")})
        return list(reader)
    except csv.Error as error:  # a runaway quoted field, a NUL byte: not a CSV export
        raise Invalid(fields={"file": _l("Row %(row)s is not valid CSV.", row=reader.line_num)}) from error


def _check_row(number: int, row: list[str], kpi_by_name: dict, period) -> tuple[dict, tuple | None]:
    """(errors keyed `row N: field`, (kpi id, value) when the row is good)."""
    if len(row) != 3:
        return {f"row {number}": _l("Each row has three cells: date, metric, value.")}, None
    raw_date, metric, raw_value = (cell.strip() for cell in row)
    errors = {}
    try:
        day = date.fromisoformat(raw_date)
    except ValueError:
        errors[f"row {number}: date"] = _l("Write the date as YYYY-MM-DD.")
    else:
        if period is not None and not period[0] <= day <= period[1]:
            errors[f"row {number}: date"] = _l("The date is outside this period (%(start)s to %(end)s).",
                                                start=period[0].isoformat(), end=period[1].isoformat())
    kpi = kpi_by_name.get(metric.casefold())
    if kpi is None:
        errors[f"row {number}: metric"] = _l("Not one of this contract's KPIs: %(names)s.",
                                              names=", ".join(k.name for k in kpi_by_name.values()))
    value = kpis.measurement(raw_value)
    if value is None:
        errors[f"row {number}: value"] = _l("Enter a number of 0 or more.")
    return errors, None if errors else (kpi.id, value)


def parse(milestone, data: bytes) -> dict[int, Decimal]:
    """The mean value per KPI id, or Invalid naming every bad row (`row N: field`)."""
    kpi_by_name = {k.name.strip().casefold(): k for k in milestone.contract.kpis}
    period = (milestone.starts_at.date(), milestone.due_at.date()) if milestone.starts_at else None
    rows = _rows(data)
    if len(rows) > MAX_ROWS:
        raise Invalid(fields={"file": _l("At most %(n)s rows.", n=MAX_ROWS)})
    values: dict[int, list[Decimal]] = defaultdict(list)
    errors: dict[str, object] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if not any(cell.strip() for cell in row):
            continue
        row_errors, good = _check_row(number, row, kpi_by_name, period)
        errors |= row_errors
        if good:
            values[good[0]].append(good[1])
        if len(errors) >= 50:  # enough to fix the export; the rest would only repeat
            break
    if not values and not errors:
        errors["file"] = _l("The file holds no figures.")
    if errors:
        raise Invalid(fields=errors)
    return {kpi_id: sum(found) / len(found) for kpi_id, found in values.items()}


def import_csv(actor: User, milestone_id: int, data: bytes) -> list[KpiResult]:
    """Record the period's result for every metric in the file, all or nothing."""
    milestone = milestone_for(actor, milestone_id, lock=True)
    means = parse(milestone, data)
    note = str(_l("Imported from a CSV export"))
    # one refused result (already recorded…) raises, and the request's rollback takes the others back
    return [kpis.record_result(actor, milestone.id, kpi_id, mean.quantize(Decimal("0.0001")), note)
            for kpi_id, mean in sorted(means.items())]


def contest(actor: User, milestone_id: int, statement: str):
    """The provider contests the period's figures: a dispute on the period, the figures quoted."""
    milestone = milestone_for(actor, milestone_id, lock=True)
    results = db.session.scalars(select(KpiResult).where(KpiResult.milestone_id == milestone.id)
                                 .order_by(KpiResult.kpi_id)).all()
    if actor.account_id != milestone.contract.provider_id:
        raise Forbidden(_l("Only the contract's provider contests the brand's KPI figures."))
    if not results:
        raise Conflict(_l("No KPI figures are recorded for this period yet."), code="nothing_to_contest")
    figures = "\n".join("- " + str(_l("%(kpi)s: %(value)s %(unit)s (%(verdict)s; target %(direction)s %(target)s)",
                                        kpi=r.kpi.name, value=f"{r.value.normalize():f}", unit=r.kpi.unit,
                                        verdict=_l("met") if r.met else _l("missed"),
                                        direction=KPI_DIRECTION_SHORT[r.kpi.direction],
                                        target=f"{r.kpi.target.normalize():f}"))
                         for r in results)
    statement = (statement or "").strip()
    heading = _l("Contested figures:")
    text = f"{statement}\n\n{heading}\n{figures}".strip()[:5000]
    return disputes.open_dispute(actor, milestone.id, "kpi_figures", text)
