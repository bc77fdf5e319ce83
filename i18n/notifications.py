"""What each notification says, rendered in the reader's language when it is read."""
from flask_babel import gettext as _

from i18n.labels import ROUND_LABELS


def render(kind: str, params: dict) -> str:
    p = dict(params or {})
    if "round" in p:
        p["round"] = str(ROUND_LABELS.get(p["round"], p["round"]))
    texts = {
        "bid_received": lambda: _("%(provider)s bid on “%(tender)s”.", **p) if p.get("provider")
        else _("A new sealed bid arrived on “%(tender)s”.", **p),
        "bid_revised": lambda: _("%(provider)s revised its bid on “%(tender)s”.", **p) if p.get("provider")
        else _("A sealed bid on “%(tender)s” was revised.", **p),
        "bid_withdrawn": lambda: _("%(provider)s withdrew its bid on “%(tender)s”.", **p) if p.get("provider")
        else _("A sealed bid on “%(tender)s” was withdrawn.", **p),
        "question_asked": lambda: _("A provider asked a question on “%(tender)s”.", **p),
        "question_answered": lambda: _("A question on “%(tender)s” was answered.", **p),
        "addendum_published": lambda: _("“%(tender)s” was changed by an addendum; bids now close %(deadline)s.",
                                        tender=p["tender"], deadline=p.get("deadline", "")[:16].replace("T", " ")
                                        + " UTC"),
        "bid_advanced": lambda: _("Your bid on “%(tender)s” moved on to the %(round)s round.", **p),
        "bid_rejected": lambda: _("Your bid on “%(tender)s” was not taken further: %(reason)s", **p),
        "slot_scheduled": lambda: _("Your %(round)s for “%(tender)s” is booked: %(location)s.", **p),
        "bid_awarded": lambda: _("You won “%(tender)s”! The contract is ready.", **p),
        "bid_not_awarded": lambda: _("“%(tender)s” was awarded to another provider.", **p),
        "tender_cancelled": lambda: _("“%(tender)s” was cancelled.", **p),
        "invited": lambda: _("You are invited to bid on “%(tender)s”.", **p),
        "provider_verified": lambda: _("Your company is verified."),
        "provider_rejected": lambda: _("Your verification was declined: %(reason)s", **p),
    }
    make = texts.get(kind)
    return make() if make else kind
