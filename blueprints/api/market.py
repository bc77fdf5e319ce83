"""Market insight (services.market): public aggregates, recomputed nightly; and, for a brand, how its
own tender compares with its category."""
from datetime import datetime

from pydantic import BaseModel, RootModel

from blueprints.api.routing import api_route, current_api_user
from services import market


class Stars(BaseModel):
    new: int
    three: int
    four: int
    five: int
    six: int

    @classmethod
    def of(cls, counts: dict) -> "Stars":
        return cls(new=counts["new"], three=counts["3"], four=counts["4"], five=counts["5"], six=counts["6"])


class CellOut(BaseModel):
    """One cell's aggregates. Amounts (minor units of the snapshot's currency) and medians are null when
    fewer than `min_contracts` contracts stand behind the cell."""
    open_tenders: int
    awarded_contracts: int
    awarded_volume: int | None
    median_awarded_amount: int | None
    median_days_to_award: float | None
    median_bids: float | None
    providers: int
    verified_share: float | None
    stars: Stars


class CategoryOut(CellOut):
    category: str


class ProvinceOut(CellOut):
    province: str
    brands: int
    provider_density: float
    market_performance: float
    paying_density: float
    index: float


class CityOut(CellOut):
    province: str
    city: str


class MonthOut(BaseModel):
    month: str
    tenders_published: int
    awarded_contracts: int
    awarded_volume: int | None


class Categories(RootModel[list[CategoryOut]]):
    pass


class Provinces(RootModel[list[ProvinceOut]]):
    pass


class Cities(RootModel[list[CityOut]]):
    pass


class Months(RootModel[list[MonthOut]]):
    pass


class MarketOut(BaseModel):
    computed_at: datetime
    window_days: int
    min_contracts: int
    currency: str
    categories: list[CategoryOut]
    provinces: list[ProvinceOut]
    cities: list[CityOut]
    months: list[MonthOut]


class ComparisonOut(BaseModel):
    budget_max: int
    median_awarded_amount: int | None
    bids: int
    median_bids: float | None
    awarded_contracts: int


def _cells(model, rows: list[dict]) -> list:
    return [model(**{**row, "stars": Stars.of(row["stars"])}) for row in rows]


@api_route("/market", summary="The whole market snapshot", tag="Market", response=MarketOut, auth=False)
def market_snapshot():
    """Categories, provinces (with the service-ecosystem index), cities and the last twelve months."""
    data = market.latest()
    return MarketOut(**{**data, "categories": _cells(CategoryOut, data["categories"]),
                        "provinces": _cells(ProvinceOut, data["provinces"]),
                        "cities": _cells(CityOut, data["cities"]), "months": data["months"]})


@api_route("/market/provinces", summary="The province service-ecosystem index", tag="Market", response=Provinces,
           auth=False)
def market_provinces():
    """index = (0.3·d′ + 0.4·p′ + 0.3·m′)·100, each term min-max normalised over the provinces listed;
    highest first. The terms' definitions are on the market page and in services/market.py."""
    return Provinces(_cells(ProvinceOut, market.latest()["provinces"]))


@api_route("/market/categories", summary="The market per category", tag="Market", response=Categories, auth=False)
def market_categories():
    return Categories(_cells(CategoryOut, market.latest()["categories"]))


@api_route("/market/cities", summary="The market per city", tag="Market", response=Cities, auth=False)
def market_cities():
    return Cities(_cells(CityOut, market.latest()["cities"]))


@api_route("/market/months", summary="Tenders and awards per month", tag="Market", response=Months, auth=False)
def market_months():
    return Months([MonthOut(**row) for row in market.latest()["months"]])


@api_route("/tenders/<int:tender_id>/comparison", summary="How my tender compares with its category",
           tag="Market", response=ComparisonOut, roles=("brand",), errors=(404,))
def tender_comparison(tender_id: int):
    """The tender's budget against its category's median awarded contract, its bid count against the
    median; null where too few contracts stand behind the median. Only the tender's brand."""
    return ComparisonOut(**market.compare(current_api_user(), tender_id).__dict__)
