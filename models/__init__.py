"""All models, imported here so Alembic and the app see the whole metadata."""
from models.profile import BrandProfile, ProviderCategory, ProviderProfile, ShowcaseCase
from models.tender import Tender, TenderKpi
from models.user import ApiToken, User

__all__ = [
    "ApiToken", "BrandProfile", "ProviderCategory", "ProviderProfile", "ShowcaseCase", "Tender",
    "TenderKpi", "User",
]
