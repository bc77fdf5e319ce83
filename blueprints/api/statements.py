"""A month's statement (services.statements), as on the statements page: a provider's earnings and
payouts per currency, a brand's spend per contract. The role picks the view, never the request; months
are in the caller's time zone. JSON, or the page's CSV file."""
from datetime import datetime

from pydantic import BaseModel, Field

from blueprints.api.routing import api_route, current_api_user
from blueprints.statement_rows import csv_download, figures_of
from i18n import select_timezone
from services.errors import Invalid
from services.statements import Month

MONTH_HINT = "a month written YYYY-MM, e.g. 2026-10"


class StatementEntryOut(BaseModel):
    posted_at: datetime
    kind: str = Field(description="the posting's kind: release, dispute_outcome, adjustment, payout, …")
    key: str = Field(description="the ledger posting's unique key (the voucher number)")
    memo: str
    contract_id: int | None
    milestone_id: int | None
    milestone_title: str | None
    tender_title: str | None
    gross: int = Field(description="minor units, before commission")
    commission: int = Field(description="minor units the platform took")
    net: int = Field(description="minor units on the payable balance, signed")
    balance: int = Field(description="the payable balance after this line, minor units")
    bonus: int
    penalty: int
    engagement: str | None = Field(None, description="the line's contract: fixed, retainer or metered")


class ProviderStatementOut(BaseModel):
    currency: str
    opening: int
    closing: int
    lines: list[StatementEntryOut]
    totals: dict[str, int] = Field(description="the month by category (releases, dispute_outcomes, commissions, "
                                               "adjustments, payouts, payout_reversals, other, net)")
    by_engagement: dict[str, int] = Field(description="gross earnings by the contracts' engagement type")


class ContractSpendOut(BaseModel):
    contract_id: int
    tender_title: str
    engagement: str
    funded: int
    returned: int
    net: int


class BrandSpendOut(BaseModel):
    currency: str
    funded: int
    returned: int
    net: int
    contracts: list[ContractSpendOut]
    by_engagement: dict[str, int] = Field(description="net spend by the contracts' engagement type")


class StatementOut(BaseModel):
    month: str = Field(description="YYYY-MM")
    timezone: str = Field(description="the zone the month's bounds are read in (the caller's)")
    view: str = Field(description="`provider` (earnings) or `brand` (spend)")
    provider: list[ProviderStatementOut] | None = Field(None, description="one per currency (providers)")
    brand: list[BrandSpendOut] | None = Field(None, description="one per currency (brands)")


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError:
        raise Invalid(fields={"month": MONTH_HINT}) from None


def _provider_out(s) -> ProviderStatementOut:
    totals = {name: getattr(s.totals, name) for name in ("releases", "dispute_outcomes", "commissions",
                                                          "adjustments", "payouts", "payout_reversals", "other")}
    return ProviderStatementOut(
        currency=s.currency, opening=s.opening, closing=s.closing, totals={**totals, "net": s.totals.net},
        by_engagement=s.totals.by_engagement,
        lines=[StatementEntryOut.model_validate(line, from_attributes=True) for line in s.lines])


def _brand_out(spend) -> BrandSpendOut:
    return BrandSpendOut(currency=spend.currency, funded=spend.funded, returned=spend.returned, net=spend.net,
                         by_engagement=spend.by_engagement,
                         contracts=[ContractSpendOut.model_validate(c, from_attributes=True) for c in spend.contracts])


@api_route("/me/statements/<month>", summary="The caller's statement of one month", tag="Ledger",
           response=StatementOut, roles=("provider", "brand"), errors=(403, 422))
def get_statement(month: str):
    """A provider's earnings, commission and payouts with the running payable balance; a brand's money
    into escrow and back per contract. Money in minor units."""
    user, tz, which = current_api_user(), select_timezone(), _month(month)
    found = figures_of(user, which, tz)
    if "provider" in found:
        return StatementOut(month=str(which), timezone=tz, view="provider",
                            provider=[_provider_out(s) for s in found["provider"]])
    return StatementOut(month=str(which), timezone=tz, view="brand", brand=[_brand_out(s) for s in found["brand"]])


@api_route("/me/statements/<month>.csv", summary="The caller's statement of one month as CSV", tag="Ledger",
           roles=("provider", "brand"), errors=(403, 422), download="text/csv")
def get_statement_csv(month: str):
    """The statements page's CSV file: amounts in major units, text cells made inert for spreadsheets,
    a BOM so Excel reads UTF-8."""
    return csv_download(current_api_user(), _month(month), select_timezone())
