"""What each rating dimension means and how to raise it, for "why you have N stars"."""
from flask_babel import lazy_gettext as _l

DIMENSIONS = {
    "service_reviews": (_l("Service reviews"), 40,
                        _l("Brands' review scores, recent reviews and larger contracts counting more."),
                        _l("Ask every brand to review the contract when it ends; reply to reviews.")),
    "operating": (_l("Operating capability"), 30,
                  _l("Deliveries on time, contracts completed, change-request rounds, disputes lost and the KPI "
                     "targets brands recorded as met."),
                  _l("Deliver by each milestone's due date, get it right the first time and meet the KPI targets.")),
    "brand_development": (_l("Brand development"), 15,
                          _l("Brands served in the last 12 months, brands that came back, and their size."),
                          _l("Win work from more brands, and keep the ones you have.")),
    "growth": (_l("Growth potential"), 15,
               _l("Released volume and new brands in the last 6 months against the 6 before."),
               _l("Grow your released volume and add new brands this half-year.")),
}
