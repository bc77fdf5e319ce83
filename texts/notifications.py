"""What each notification says, rendered in the reader's language when it is read."""
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext

from i18n import datetime_local, money
from i18n.labels import ROUND_LABELS
from texts.terms import terms


def _moment(value: str | None) -> str:
    """An ISO time stored in a notification, shown in the reader's time zone."""
    try:
        return datetime_local(datetime.fromisoformat(value)) if value else ""
    except ValueError:
        return value or ""


def _review_received(p: dict) -> str:
    """Double-blind: say when the reader can see the review (stored since the wording says so). A contest
    prize's review names the contest (its window has always started: it opens at the handover)."""
    if p.get("contest"):
        if p.get("published"):
            return _("The other side reviewed you on the contest “%(contest)s”: both reviews are now published.", **p)
        return _("The other side reviewed you on the contest “%(contest)s”: write your review to see theirs "
                 "(published when both are in, or on %(date)s).", contest=p["contest"],
                 date=_moment(p.get("until")))
    if p.get("published"):
        return _("The other side reviewed you on contract “%(tender)s”: both reviews are now published.", **p)
    if p.get("until"):
        return _("The other side reviewed you on contract “%(tender)s”: write your review to see theirs (published "
                 "when both are in, or on %(date)s).", tender=p["tender"], date=_moment(p["until"]))
    if "until" in p:  # the contract still runs: its review window has not started
        return ngettext("The other side reviewed you on contract “%(tender)s”: write your review to see theirs "
                        "(published when both are in, or %(num)s day after the contract ends).",
                        "The other side reviewed you on contract “%(tender)s”: write your review to see theirs "
                        "(published when both are in, or %(num)s days after the contract ends).",
                        terms.review_days, tender=p["tender"])
    return _("You received a review on “%(tender)s”.", **p) if p.get("tender") else _("You received a review.")


def _copy_decision(kind: str, p: dict) -> str:
    """A copy report decided: to the reporter and to the reported entry's provider, with staff's note."""
    text = {
        "contest_report_upheld": lambda: _("Platform staff upheld your copy report on entry %(entry)s of "
                                           "“%(contest)s”: the entry is removed from the contest.", **p),
        "contest_report_dismissed": lambda: _("Platform staff dismissed your copy report on entry %(entry)s of "
                                              "“%(contest)s”: the entry stays in the contest.", **p),
        "contest_entry_removed": lambda: _("Platform staff found that your entry %(entry)s in “%(contest)s” copies "
                                           "another work: it is removed from the contest, and the removal is "
                                           "recorded on your account.", **p),
        "contest_entry_kept": lambda: _("A report that your entry %(entry)s in “%(contest)s” is a copy was "
                                        "dismissed by platform staff: your entry stays in the contest.", **p),
    }[kind]()
    return _("%(text)s Staff's note: %(note)s", text=text, note=p["note"]) if p.get("note") else text


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
                                        tender=p["tender"], deadline=_moment(p.get("deadline"))),
        "bid_advanced": lambda: _("Your bid on “%(tender)s” moved on to the next round: %(round)s.", **p),
        "bid_rejected": lambda: _("Your bid on “%(tender)s” was not taken further: %(reason)s", **p),
        "slot_scheduled": lambda: _("Booked for “%(tender)s” — %(round)s on %(when)s: %(location)s.",
                                    tender=p.get("tender", ""), round=p.get("round", ""),
                                    when=_moment(p.get("starts_at")), location=p.get("location", "")),
        "message_received": lambda: ngettext("%(sender)s wrote to you: “%(excerpt)s”",
                                             "%(sender)s wrote to you %(num)s times; the latest: “%(excerpt)s”",
                                             int(p.get("count") or 1), sender=p.get("sender", ""),
                                             excerpt=p.get("excerpt", "")),
        "technical_opened": lambda: _("The technical envelopes of “%(tender)s” were opened at %(at)s; prices stay "
                                      "sealed.", tender=p["tender"], at=_moment(p.get("at"))),
        "prices_opened": lambda: _("The price envelopes of “%(tender)s” were opened at %(at)s.", tender=p["tender"],
                                   at=_moment(p.get("at"))),
        "bafo_invited": lambda: _("You are invited to a best and final offer on “%(tender)s” until %(closes_at)s: "
                                  "you may lower your price and change your plan.", tender=p["tender"],
                                  closes_at=_moment(p.get("closes_at"))),
        "final_offer_received": lambda: _("A final offer arrived on “%(tender)s”; it opens when the round closes.",
                                          **p),
        "bid_awarded": lambda: _("You won “%(tender)s”! The contract is ready.", **p),
        "bid_not_awarded": lambda: _("“%(tender)s” was awarded to another provider.", **p),
        "tender_cancelled": lambda: _("“%(tender)s” was cancelled.", **p),
        "invited": lambda: _("You are invited to bid on “%(tender)s”.", **p),
        "provider_verified": lambda: _("Your company is verified."),
        "contest_entry_submitted": lambda: _("A new entry arrived in your contest “%(contest)s”.", **p),
        "contest_won": lambda: _("Your entry won a prize in the contest “%(contest)s”: the prize is in your earnings.",
                                 **p),
        "contest_awarded": lambda: _("The prizes of your contest “%(contest)s” were paid to the winners.", **p),
        "contest_handover_delivered": lambda: _(
            "The winner of “%(contest)s” handed over the source files: confirm within %(days)s days, or the "
            "handover confirms itself.", **p),
        "contest_handover_confirmed": lambda: _("The brand confirmed your handover for “%(contest)s”.", **p),
        "contest_report_upheld": lambda: _copy_decision(kind, p),
        "contest_report_dismissed": lambda: _copy_decision(kind, p),
        "contest_entry_removed": lambda: _copy_decision(kind, p),
        "contest_entry_kept": lambda: _copy_decision(kind, p),
        "contest_cancelled": lambda: _("The contest “%(contest)s” was cancelled by staff: %(reason)s", **p),
        "contest_offer_received": lambda: _(
            "The brand of “%(contest)s” offers to buy your entry: accept or decline within %(days)s days.", **p),
        "contest_offer_accepted": lambda: _(
            "Your offer to buy an entry of “%(contest)s” was accepted: the contract is funded from your wallet.",
            **p),
        "contest_offer_declined": lambda: _("Your offer to buy an entry of “%(contest)s” was declined.", **p),
        "contest_offer_withdrawn": lambda: _("The brand withdrew its offer to buy your entry in “%(contest)s”.",
                                             **p),
        "contest_offer_expired": lambda: _("Your offer to buy an entry of “%(contest)s” expired unanswered.", **p),
        "milestone_funded": lambda: _("“%(milestone)s” is funded and held in escrow: you can start.", **p),
        "fund_confirmation_needed": lambda: _(
            "%(member)s asks to fund “%(milestone)s”: a second finance or owner member confirms by funding it too.",
            **p),
        "milestone_delivered": lambda: _("“%(milestone)s” was delivered. Review it: it is released by itself "
                                         "after %(days)s days.", **p),
        "changes_requested": lambda: _("Changes requested on “%(milestone)s”: %(note)s", **p),
        "milestone_released": lambda: _("“%(milestone)s” was accepted and its payment released.", **p),
        "milestone_auto_released": lambda: _("“%(milestone)s” was released automatically after the review period.",
                                             **p),
        "milestone_cancelled": lambda: _("“%(milestone)s” was cancelled by the brand before funding.", **p),
        "release_reminder": lambda: ngettext(
            "“%(milestone)s” will be released automatically in %(num)s day unless you accept it, request changes "
            "or open a dispute.", "“%(milestone)s” will be released automatically in %(num)s days unless you accept "
            "it, request changes or open a dispute.", terms.reminder_days, milestone=p["milestone"]),
        "payment_failed": lambda: _("The card payment for “%(milestone)s” failed; try again from the contract.",
                                    **p),
        "dispute_opened": lambda: ngettext("A dispute was opened on “%(milestone)s”. Add your evidence within %(num)s "
                                           "day.", "A dispute was opened on “%(milestone)s”. Add your evidence within "
                                           "%(num)s days.", terms.dispute_days, milestone=p["milestone"]),
        "dispute_evidence": lambda: _("New evidence in the dispute on “%(milestone)s”.", **p),
        "dispute_withdrawn": lambda: _("The dispute on “%(milestone)s” was withdrawn.", **p),
        "dispute_resolved": lambda: _("Platform staff decided the dispute on “%(milestone)s”: %(reason)s", **p),
        "deposit_recorded": lambda: _("Your bank transfer of %(amount)s was credited to your wallet.",
                                      amount=money(p.get("amount", 0), p.get("currency", "CNY"))),
        "card_top_up": lambda: _("Your card payment of %(amount)s was added to your wallet.",
                                 amount=money(p.get("amount", 0), p.get("currency", "CNY"))),
        "margin_received": lambda: _("Your bank transfer of %(amount)s was added to your margin deposit.",
                                     amount=money(p.get("amount", 0), p.get("currency", "CNY"))),
        "margin_awarded": lambda: _("Platform staff awarded you %(amount)s from the provider's margin deposit after "
                                    "the dispute; it is in your wallet.",
                                    amount=money(p.get("amount", 0), p.get("currency", "CNY"))),
        "withdrawal_refused": lambda: _("Your withdrawal of %(amount)s was refused and is back in your wallet: "
                                        "%(reason)s", amount=money(p.get("amount", 0), p.get("currency", "CNY")),
                                        reason=p.get("reason", "")),
        "withdrawal_paid": lambda: _("Your withdrawal of %(amount)s was sent to your bank account.",
                                     amount=money(p.get("amount", 0), p.get("currency", "CNY"))),
        "withdrawal_failed": lambda: _("Your withdrawal of %(amount)s could not be paid and is back in your wallet: "
                                       "%(reason)s", amount=money(p.get("amount", 0), p.get("currency", "CNY")),
                                       reason=p.get("reason", "")),
        "payout_paid": lambda: _("Your payout of %(amount)s was sent.",
                                 amount=money(p.get("amount", 0), p.get("currency", "CNY"))),
        "payout_failed": lambda: _("Your payout of %(amount)s failed and the money is back in your balance: "
                                   "%(reason)s", amount=money(p.get("amount", 0), p.get("currency", "CNY")),
                                   reason=p.get("reason", "")),
        "chargeback_opened": lambda: _("Chargeback of %(amount)s on “%(milestone)s”: answer it with evidence before "
                                       "the bank's deadline.", milestone=p.get("milestone", ""),
                                       amount=money(p.get("amount", 0), p.get("currency", "CNY"))),
        "milestone_charged_back": lambda: _("The card payment for “%(milestone)s” was charged back by the card "
                                            "holder's bank: the milestone is frozen until the bank decides.", **p),
        "chargeback_recovery": lambda: _("A chargeback on “%(milestone)s” will be recovered from your payouts: at "
                                         "most %(amount)s, and at most %(share)s%% of each payout. Why: %(reason)s",
                                         milestone=p.get("milestone", ""), share=p.get("share", ""),
                                         amount=money(p.get("amount", 0), p.get("currency", "CNY")),
                                         reason=p.get("reason", "")),
        "webhook_disabled": lambda: _("Your webhook endpoint %(url)s failed %(failures)s times in a row and was "
                                      "switched off. Fix it, then switch it on again on the Webhooks page.",
                                      url=p.get("url", ""), failures=p.get("failures", "")),
        "chargeback_recovery_cancelled": lambda: _("The chargeback on “%(milestone)s” was won: nothing will be "
                                                   "recovered from your payouts.", **p),
        "provider_rejected": lambda: _("Your verification was declined: %(reason)s", **p),
        "usage_recorded": lambda: _("%(quantity)s × %(unit)s recorded as used in “%(milestone)s”.", **p),
        "period_funding_due": lambda: _("“%(milestone)s” of “%(tender)s” starts on %(date)s: fund it before then, or "
                                        "it does not start.", milestone=p.get("milestone", ""),
                                        tender=p.get("tender", ""), date=_moment(p.get("starts_at"))),
        "period_started": lambda: _("“%(milestone)s” of “%(tender)s” is funded and has started.", **p),
        "period_not_started": lambda: _("“%(milestone)s” of “%(tender)s” was not funded in time, so it has not "
                                        "started: you may pause the work until it is.", **p),
        "period_auto_funded": lambda: _("“%(milestone)s” of “%(tender)s” was funded from your wallet.", **p),
        "period_closed": lambda: _("“%(milestone)s” has ended: its usage report was submitted for review.", **p),
        "contract_ending": lambda: _("Notice was given on “%(tender)s”: it ends after period %(periods)s.", **p),
        "end_now_asked": lambda: _("The other side asks to end “%(tender)s” now: give notice to end it now too "
                                   "to agree.", **p),
        "periods_proposed": lambda: _("The brand proposes %(periods)s periods for “%(tender)s”: agree on the "
                                      "contract page.", **p),
        "periods_changed": lambda: _("“%(tender)s” now runs for %(periods)s periods.", **p),
        "kpi_recorded": lambda: _("The brand recorded a “%(kpi)s” result for “%(milestone)s”.", **p),
        "review_received": lambda: _review_received(p),
        "review_hidden": lambda: _("Platform staff hid your review on “%(tender)s”: %(reason)s", **p),
        "review_of_you_hidden": lambda: _("Platform staff hid a review of you on “%(tender)s”: %(reason)s", **p),
        "review_report_hidden": lambda: _("Platform staff hid the review by %(author)s that you reported: %(reason)s",
                                          **p),
        "review_report_kept": lambda: _("Platform staff kept the review by %(author)s that you reported: "
                                        "%(reason)s", **p),
    }
    make = texts.get(kind)
    text = make() if make else _("Something changed: open it to see what.")
    about = p.get("about")
    if about and about.get("title") and about["title"] not in text:
        return _("%(about)s: %(text)s", about=about_label(about), text=text)
    return text


def about_label(about: dict | None) -> str:
    """The tender or contract a notice is about, as a heading ("Contract “Spring campaign”")."""
    if not about:
        return _("Other notices")
    if about.get("type") == "contract":
        return _("Contract “%(title)s”", title=about.get("title", ""))
    return _("Tender “%(title)s”", title=about.get("title", ""))
