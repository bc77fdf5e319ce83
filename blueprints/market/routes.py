"""The public market page (services.market): the province service-ecosystem index, the market per
category, province and city, monthly trends, and the same tables as CSV."""
from datetime import datetime

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _

from i18n import labels, major_units
from services import csv_export, market

bp = Blueprint("market", __name__, url_prefix="/market")


@bp.get("")
def index():
    data = market.latest()
    top = max((row["index"] for row in data["provinces"]), default=0) or 1
    busiest = max((m["tenders_published"] for m in data["months"]), default=0) or 1
    return render_template("market/index.html", data=data, top=top, busiest=busiest, weights=market.WEIGHTS,
                           computed_at=datetime.fromisoformat(data["computed_at"]))


def _cell_columns() -> list[str]:
    return [_("Open tenders"), _("Contracts awarded"), _("Awarded volume"), _("Median awarded amount"),
            _("Median days to award"), _("Median bids"), _("Providers"), _("Verified providers (share)")]


def _cell_values(row: dict, currency: str) -> list:
    """A suppressed figure (None) is an empty cell; amounts in major units of the snapshot's currency."""
    def amount(value):
        return "" if value is None else format(major_units(value, currency), "f")

    def plain(value):
        return "" if value is None else value

    return [row["open_tenders"], row["awarded_contracts"], amount(row["awarded_volume"]),
            amount(row["median_awarded_amount"]), plain(row["median_days_to_award"]), plain(row["median_bids"]),
            row["providers"], plain(row["verified_share"])]


def _csv(rows: list[list], name: str) -> Response:
    return Response(csv_export.render(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="witkey-market-{name}.csv"'})


@bp.get("/provinces.csv")
def provinces_csv():
    data = market.latest()
    header = [_("Province"), _("Index"), _("Provider density"), _("Market performance"), _("Paying-merchant density"),
              _("Brands"), *_cell_columns()]
    rows = [[str(labels.PROVINCE_LABELS.get(r["province"], r["province"])), r["index"], r["provider_density"],
             r["market_performance"], r["paying_density"], r["brands"], *_cell_values(r, data["currency"])]
            for r in data["provinces"]]
    return _csv([header, *rows], "provinces")


@bp.get("/categories.csv")
def categories_csv():
    data = market.latest()
    rows = [[str(labels.CATEGORY_LABELS.get(r["category"], r["category"])), *_cell_values(r, data["currency"])]
            for r in data["categories"]]
    return _csv([[_("Category"), *_cell_columns()], *rows], "categories")
