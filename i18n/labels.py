"""Translated labels for the codes in models.catalog and the status vocabularies."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from i18n import money

CATEGORY_LABELS = {
    "customer_service": _l("Customer-service outsourcing"),
    "photography": _l("Photography"),
    "design": _l("Design"),
    "video": _l("Video"),
    "consulting": _l("Consulting and training"),
    "operations": _l("Store operations"),
}

SIZE_TIER_LABELS = {
    "small": _l("Small shop"),
    "growing": _l("Growing brand"),
    "large": _l("Large brand"),
    "flagship": _l("Flagship brand"),
}

ORG_ROLE_LABELS = {
    "owner": _l("Owner"),
    "procurement": _l("Procurement"),
    "evaluator": _l("Evaluator"),
    "finance": _l("Finance"),
    "viewer": _l("Viewer"),
    "bid_manager": _l("Bid manager"),
    "delivery": _l("Delivery"),
}

ROUND_LABELS = {
    "proposal": _l("Written proposal"),
    "pitch": _l("Pitch presentation"),
    "site_visit": _l("On-site inspection"),
}

TENDER_STATUS_LABELS = {
    "open": _l("Open for bids"),
    "evaluating": _l("Evaluating"),
    "awarded": _l("Awarded"),
    "cancelled": _l("Cancelled"),
}

TECHNICAL_RESULT_LABELS = {
    "passed": _l("Passed the technical stage"),
    "failed": _l("Failed the technical stage"),
}

BID_STATUS_LABELS = {
    "submitted": _l("In the running"),
    "rejected": _l("Not taken further"),
    "withdrawn": _l("Withdrawn"),
    "awarded": _l("Awarded"),
}

MILESTONE_STATUS_LABELS = {
    "pending": _l("Not funded"),
    "funded": _l("In escrow"),
    "delivered": _l("Delivered"),
    "changes_requested": _l("Changes requested"),
    "released": _l("Released"),
    "disputed": _l("Disputed"),
    "resolved": _l("Resolved"),
    "cancelled": _l("Cancelled"),
    "charged_back": _l("Charged back"),
}

# Card chargebacks (a Stripe "dispute"), not to be confused with disputes between brand and provider.
CHARGEBACK_STATUS_LABELS = {
    "warning_needs_response": _l("Inquiry: needs a response"),
    "warning_under_review": _l("Inquiry: under review"),
    "warning_closed": _l("Inquiry closed"),
    "needs_response": _l("Needs a response"),
    "under_review": _l("Under review by the bank"),
    "won": _l("Won"),
    "lost": _l("Lost"),
    "prevented": _l("Prevented"),
}

LOSS_BEARER_LABELS = {
    "escrow": _l("Covered by the money in escrow"),
    "platform": _l("Borne by the platform"),
    "provider": _l("Recovered from the provider's payouts"),
    "unknown": _l("Unknown charge: finance to investigate"),
}

RECOVERY_STATE_LABELS = {
    "pending": _l("Waiting for the bank's decision: nothing is deducted yet"),
    "active": _l("Deducted from your next payouts"),
    "done": _l("Recovered in full"),
    "cancelled": _l("Cancelled: the chargeback was won"),
}

PARTY_DISPUTE_REASON_LABELS = {  # what a party may open a dispute for (models.dispute.DISPUTE_REASONS)
    "not_delivered": _l("Not delivered"),
    "quality": _l("Quality below what was agreed"),
    "scope_change": _l("Scope change"),
    "late": _l("Late"),
    "unresponsive": _l("Unresponsive"),
    "kpi_figures": _l("KPI figures contested"),
    "other": _l("Other"),
}
# ... and what staff open one for (STAFF_DISPUTE_REASONS): every reason a dispute can show
DISPUTE_REASON_LABELS = {**PARTY_DISPUTE_REASON_LABELS, "account_suspended": _l("Account suspended")}

DISPUTE_STATUS_LABELS = {"open": _l("Open"), "resolved": _l("Decided"), "withdrawn": _l("Withdrawn")}

KPI_DIRECTION_LABELS = {"at_least": _l("at least the target"), "at_most": _l("at most the target")}
KPI_DIRECTION_SHORT = {"at_least": "≥", "at_most": "≤"}

CONTEST_STATUS_LABELS = {"open": _l("Open for entries"), "selecting": _l("Picking winners"),
                         "awarded": _l("Awarded"), "cancelled": _l("Cancelled")}
CONTEST_IP_LABELS = {"full_transfer": _l("All rights transfer to the brand"),
                     "exclusive_licence": _l("Exclusive licence to the brand"),
                     "non_exclusive_licence": _l("Non-exclusive licence to the brand")}
HANDOVER_STATE_LABELS = {"pending": _l("Waiting for the winner's files"), "delivered": _l("Handed over, to confirm"),
                         "confirmed": _l("Confirmed")}
ENTRY_STATUS_LABELS = {"active": _l("In the running"), "withdrawn": _l("Withdrawn"), "removed": _l("Removed")}
PURCHASE_STATUS_LABELS = {"offered": _l("Offer waiting for an answer"), "accepted": _l("Offer accepted"),
                          "declined": _l("Offer declined"), "withdrawn": _l("Offer withdrawn"),
                          "expired": _l("Offer expired")}

ENGAGEMENT_LABELS = {"fixed": _l("Fixed price in milestones"), "retainer": _l("Retainer: a fee per period"),
                     "metered": _l("Metered: units used, capped per period")}
# A period on the contract page's timeline (services/period_views.py)
PERIOD_STATE_LABELS = {
    "awaiting_funding": _l("Awaiting funding"), "unfunded": _l("Not started: not funded"),
    "funded": _l("Funded"), "running": _l("Running"), "in_review": _l("In review"),
    "disputed": _l("Disputed"), "charged_back": _l("Charged back"), "released": _l("Released"),
    "resolved": _l("Decided"), "cancelled": _l("Cancelled"),
}

ADJUSTMENT_DIRECTION_LABELS = {"to_brand": _l("from the provider to the brand"),
                               "to_provider": _l("from the brand to the provider")}

CORRECTION_STATUS_LABELS = {"pending": _l("Awaiting approval"), "applied": _l("Applied"), "rejected": _l("Rejected")}

DISPUTE_ACTION_LABELS = {"opened": _l("Dispute opened"), "evidence": _l("Evidence added"), "withdrawn": _l("Withdrawn"),
                         "resolved": _l("Decided"), "adjusted": _l("Correction posted")}


def dispute_event_details(action: str, detail: dict | None, currency: str) -> str:
    """What a recorded dispute action did, as a sentence (the audit trail stores codes and minor units)."""
    d = detail or {}
    if action == "opened":
        return _("Reason: %(reason)s", reason=DISPUTE_REASON_LABELS.get(d.get("reason"), d.get("reason") or ""))
    if action == "evidence":
        return _("Links: %(links)s, files: %(files)s", links=d.get("links", 0), files=d.get("files", 0))
    if action == "withdrawn":
        status = d.get("restored")
        return _("The milestone is back to “%(status)s”.", status=MILESTONE_STATUS_LABELS.get(status, status or ""))
    if action == "resolved":
        return _("%(provider)s to the provider (commission %(commission)s), %(refund)s back to the brand",
                 provider=money(d.get("provider_amount", 0), currency),
                 commission=money(d.get("commission", 0), currency), refund=money(d.get("refund", 0), currency))
    if action == "adjusted":
        text = _("%(amount)s %(direction)s: %(reason)s", amount=money(d.get("amount", 0), currency),
                 direction=ADJUSTMENT_DIRECTION_LABELS.get(d.get("direction"), d.get("direction") or ""),
                 reason=d.get("reason") or "")
        commission = d.get("commission") or 0  # corrections recorded before the rule carry none
        if commission < 0:
            text += " · " + _("commission given back: %(amount)s", amount=money(-commission, currency))
        elif commission > 0:
            text += " · " + _("commission charged: %(amount)s", amount=money(commission, currency))
        return text
    return ""

RESPONSE_LABELS = {"responded": _l("Responded"), "waiting": _l("Waiting"),
                   "not_responding": _l("Not responding")}

STATEMENT_LINE_STATUS_LABELS = {"credited": _l("Credited"), "unmatched": _l("Waiting for staff"),
                                "assigned": _l("Assigned by staff"), "returned": _l("Returned to the payer")}

ACCOUNT_LABELS = {
    "brand_wallet": _l("Wallet"),
    "escrow": _l("In escrow"),
    "provider_payable": _l("Earned, awaiting payout"),
    "platform_revenue": _l("Platform revenue"),
    "bank_clearing": _l("Bank transfers in"),
    "stripe_clearing": _l("Card payments in"),
    "payouts_clearing": _l("Payouts in progress"),
    "chargebacks": _l("Chargebacks"),
    "bank_suspense": _l("Bank transfers awaiting assignment"),
    "withdrawal_hold": _l("Withdrawals on their way"),
    "provider_margin": _l("Margin deposit held"),
    "contest_escrow": _l("Contest prizes in escrow"),
}

POSTING_LABELS = {
    "deposit": _l("Bank transfer received"),
    "bank_unmatched": _l("Bank transfer matching no wallet"),
    "bank_return": _l("Bank transfer returned"),
    "fund": _l("Milestone funded into escrow"),
    "release": _l("Milestone released"),
    "refund": _l("Refund"),
    "resolution": _l("Dispute decided"),
    "adjustment": _l("Correction by staff"),
    "payout": _l("Payout taken into a settlement batch"),
    "payout_paid": _l("Payout sent"),
    "payout_reversal": _l("Failed payout returned"),
    "chargeback_withdrawn": _l("Chargeback: taken back by the card network"),
    "chargeback_reinstated": _l("Chargeback won: money returned"),
    "chargeback_cover": _l("Chargeback covered by the escrow"),
    "chargeback_restore": _l("Chargeback won: escrow refilled"),
    "chargeback_loss": _l("Chargeback loss borne by the platform"),
    "chargeback_claim": _l("Chargeback: recovery from the provider decided"),
    "chargeback_recovery": _l("Chargeback recovery deducted from a payout"),
    "withdrawal": _l("Withdrawal requested"),
    "withdrawal_return": _l("Withdrawal returned to the wallet"),
    "card_top_up": _l("Wallet topped up by card"),
    "margin_in": _l("Margin deposit paid from earnings"),
    "margin_deposit": _l("Margin deposit paid by bank transfer"),
    "margin_out": _l("Margin deposit withdrawn to earnings"),
    "margin_award": _l("Margin deposit awarded after a dispute"),
    "contest_fund": _l("Contest prizes put into escrow"),
    "contest_award": _l("Contest prizes paid to the winners"),
    "contest_refund": _l("Contest prizes refunded"),
}

WITHDRAWAL_STATUS_LABELS = {
    "requested": _l("Waiting for staff"),
    "approved": _l("Approved, goes with the next payout batch"),
    "refused": _l("Refused, back in the wallet"),
    "paid": _l("Paid to your bank account"),
    "failed": _l("Failed, back in the wallet"),
}

PAYOUT_STATUS_LABELS = {
    "pending": _l("On its way"),
    "paid": _l("Paid"),
    "failed": _l("Failed"),
}

BATCH_STATUS_LABELS = {
    "collecting": _l("Collecting"),
    "paying": _l("Paying"),
    "closed": _l("Closed"),
}

PAYOUT_METHOD_LABELS = {
    "bank": _l("Bank transfer"),
    "stripe": _l("Stripe Connect"),
}

CONTRACT_STATUS_LABELS = {
    "active": _l("Active"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}

VERIFICATION_LABELS = {
    "unsubmitted": _l("Not submitted"),
    "pending": _l("Awaiting review"),
    "verified": _l("Verified"),
    "rejected": _l("Rejected"),
}

SCORE_LABELS = {"quality": _l("Quality"), "communication": _l("Communication"), "timeliness": _l("Timeliness"),
                "professionalism": _l("Professionalism")}

# A review's 1–5 marks, in words (the stars beside them are decoration screen readers skip).
MARK_LABELS = {5: _l("5 – excellent"), 4: _l("4 – good"), 3: _l("3 – fair"), 2: _l("2 – poor"), 1: _l("1 – very poor")}

BADGE_LABELS = {"gold": _l("Gold partner"), "silver": _l("Silver partner")}

ROLE_LABELS = {
    "brand": _l("Brand"),
    "provider": _l("Service provider"),
    "admin": _l("Platform staff"),
}

PROVINCE_LABELS = {
    "beijing": _l("Beijing"), "tianjin": _l("Tianjin"), "hebei": _l("Hebei"), "shanxi": _l("Shanxi"),
    "inner_mongolia": _l("Inner Mongolia"), "liaoning": _l("Liaoning"), "jilin": _l("Jilin"),
    "heilongjiang": _l("Heilongjiang"), "shanghai": _l("Shanghai"), "jiangsu": _l("Jiangsu"),
    "zhejiang": _l("Zhejiang"), "anhui": _l("Anhui"), "fujian": _l("Fujian"), "jiangxi": _l("Jiangxi"),
    "shandong": _l("Shandong"), "henan": _l("Henan"), "hubei": _l("Hubei"), "hunan": _l("Hunan"),
    "guangdong": _l("Guangdong"), "guangxi": _l("Guangxi"), "hainan": _l("Hainan"),
    "chongqing": _l("Chongqing"), "sichuan": _l("Sichuan"), "guizhou": _l("Guizhou"),
    "yunnan": _l("Yunnan"), "tibet": _l("Tibet"), "shaanxi": _l("Shaanxi"), "gansu": _l("Gansu"),
    "qinghai": _l("Qinghai"), "ningxia": _l("Ningxia"), "xinjiang": _l("Xinjiang"),
    "hong_kong": _l("Hong Kong"), "macau": _l("Macau"), "taiwan": _l("Taiwan"),
}


# The staff audit log (services.audit): what each action, subject and recorded field is called.
STAFF_ACTION_LABELS = {
    "provider.verify": _l("Provider verified"),
    "provider.reject": _l("Provider rejected"),
    "brand.verify": _l("Brand verified"),
    "brand.reject": _l("Brand verification declined"),
    "dispute.decide": _l("Dispute decided"),
    "deposit.record": _l("Bank deposit recorded"),
    "payout_batch.request": _l("Settlement batch started"),
    "payout.mark_paid": _l("Payout marked paid"),
    "payout.mark_failed": _l("Payout marked failed"),
    "review.hide": _l("Review hidden"),
    "review.keep": _l("Reported review kept"),
    "chargeback.save_evidence": _l("Chargeback evidence saved"),
    "chargeback.submit_evidence": _l("Chargeback evidence submitted"),
    "chargeback.provider_at_fault": _l("Chargeback charged to the provider"),
    "reconciliation.run": _l("Reconciliation run now"),
    "reconciliation.request": _l("Reconciliation queued"),
    "ratings.recompute": _l("Ratings recomputed"),
    "user.create_admin": _l("Staff account created"),
    "user.suspend": _l("Account suspended"),
    "user.unsuspend": _l("Suspension lifted"),
    "user.appeal_uphold": _l("Appeal refused, suspension upheld"),
    "user.appeal_lift": _l("Appeal granted, suspension lifted"),
    "user.payout_hold": _l("Payouts held"),
    "user.payout_release": _l("Payouts released"),
    "dispute.correct": _l("Decision corrected"),
    "dispute.correction_propose": _l("Correction proposed"),
    "dispute.correction_approve": _l("Correction approved and applied"),
    "dispute.correction_reject": _l("Correction rejected"),
    "bank_statement.import": _l("Bank statement imported"),
    "bank_line.assign": _l("Statement line credited to a wallet"),
    "bank_line.return": _l("Statement line returned to the payer"),
    "conversation.read": _l("Conversation read by staff"),
    "withdrawal.approve": _l("Withdrawal approved"),
    "withdrawal.refuse": _l("Withdrawal refused"),
    "margin.category_set": _l("Category margin requirement set"),
    "margin.award": _l("Margin awarded to the brand"),
    "margin.award_propose": _l("Margin award proposed"),
    "margin.award_approve": _l("Margin award approved and applied"),
    "margin.award_reject": _l("Margin award rejected"),
    "contest.cancel": _l("Contest cancelled for a rule breach"),
    "contest_entry.remove": _l("Contest entry removed as a copy (a strike)"),
    "contest_report.dismiss": _l("Copy report dismissed"),
}

AUDIT_SUBJECT_LABELS = {
    "provider": _l("Provider"),
    "brand": _l("Brand"),
    "dispute": _l("Dispute"),
    "deposit": _l("Deposit"),
    "payout_batch": _l("Settlement batch"),
    "payout": _l("Payout"),
    "review": _l("Review"),
    "chargeback": _l("Chargeback"),
    "reconciliation_run": _l("Reconciliation run"),
    "ratings": _l("Ratings"),
    "suspension": _l("Suspension"),
    "user": _l("Account"),
    "bank_statement_line": _l("Bank statement line"),
    "conversation": _l("Conversation"),
    "withdrawal": _l("Withdrawal"),
    "category_margin": _l("Category margin requirement"),
    "contest": _l("Contest"),
    "contest_entry": _l("Contest entry"),
}

AUDIT_FIELD_LABELS = {
    "verification_status": _l("Verification"),
    "verified_registration_number": _l("Verified registration number"),
    "status": _l("Status"),
    "milestone_status": _l("Milestone"),
    "provider_amount": _l("To the provider"),
    "commission": _l("Commission"),
    "refund": _l("Back to the brand"),
    "wallet_balance": _l("Wallet balance"),
    "amount": _l("Amount"),
    "reference": _l("Bank reference"),
    "bank_reference": _l("Bank reference"),
    "job_id": _l("Job"),
    "method": _l("Method"),
    "cutoff": _l("Money released before"),
    "min_amount": _l("Minimum payout"),
    "hidden": _l("Hidden"),
    "published": _l("Published"),
    "open_reports": _l("Open reports"),
    "evidence_submitted": _l("Submitted to the bank"),
    "product_description": _l("What was bought"),
    "customer_name": _l("Customer name"),
    "customer_email_address": _l("Customer e-mail"),
    "service_date": _l("Service date"),
    "access_activity_log": _l("Activity log"),
    "uncategorized_text": _l("Deliveries, files and acceptance"),
    "loss_bearer": _l("Who bears the loss"),
    "recovery_cap": _l("Recovery cap"),
    "ok": _l("No differences"),
    "differences": _l("Differences"),
    "since": _l("Compared from"),
    "settle_minutes": _l("Settling time (minutes)"),
    "email": _l("E-mail"),
    "display_name": _l("Name"),
    "role": _l("Role"),
    "provider_share": _l("Provider's share"),
    "direction": _l("Direction"),
    "correction_id": _l("Correction"),
    "posting": _l("Posting"),
    "proposed_by": _l("Proposed by"),
    "suspended": _l("Suspended"),
    "suspension_id": _l("Suspension"),
    "appeal": _l("Appeal"),
    "payouts_held": _l("Payouts held"),
    "logins_ended": _l("Logins ended"),
    "transaction_id": _l("Bank transaction id"),
    "bank": _l("Statement format"),
    "lines": _l("Lines"),
    "matched": _l("Credited"),
    "unmatched": _l("To the queue"),
    "duplicates": _l("Already imported"),
}


def options(pairs) -> list[SelectChoice]:
    """WTForms select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def choices(labels: dict, blank=None) -> list[SelectChoice]:
    """Select options for a code → label table, in its order; `blank` adds an empty first option."""
    return options([("", blank)] if blank is not None else []) + options(labels.items())

# The kinds of notice on the notification preferences page (services.notification_prefs.KINDS).
NOTIFICATION_KIND_LABELS = {
    "message_received": _l("A new message in a conversation"),
    "invited": _l("An invitation to bid"),
    "bid_received": _l("A bid arrived on your tender"),
    "bid_revised": _l("A bid on your tender was revised"),
    "bid_withdrawn": _l("A bid on your tender was withdrawn"),
    "question_asked": _l("A question on your tender"),
    "question_answered": _l("An answer to a question"),
    "addendum_published": _l("An addendum to a tender"),
    "bid_advanced": _l("Your bid moved to the next round"),
    "bid_rejected": _l("Your bid was not taken further"),
    "slot_scheduled": _l("A pitch or site visit was booked"),
    "bid_awarded": _l("You won a tender"),
    "bid_not_awarded": _l("A tender went to another provider"),
    "tender_cancelled": _l("A tender was cancelled"),
    "contest_entry_submitted": _l("An entry arrived in your contest"),
    "contest_won": _l("Your contest entry won a prize"),
    "contest_awarded": _l("Your contest's prizes were paid"),
    "contest_cancelled": _l("A contest was cancelled by staff"),
    "contest_report_upheld": _l("A copy you reported was removed"),
    "contest_report_dismissed": _l("A copy report you made was dismissed"),
    "contest_entry_removed": _l("Your contest entry was removed as a copy"),
    "contest_entry_kept": _l("A copy report on your contest entry was dismissed"),
    "contest_handover_delivered": _l("A contest winner handed over the files"),
    "contest_handover_confirmed": _l("Your contest handover was confirmed"),
    "contest_offer_received": _l("A brand offers to buy your contest entry"),
    "contest_offer_accepted": _l("Your offer to buy an entry was accepted"),
    "contest_offer_declined": _l("Your offer to buy an entry was declined"),
    "contest_offer_withdrawn": _l("An offer to buy your entry was withdrawn"),
    "contest_offer_expired": _l("Your offer to buy an entry expired"),
    "milestone_funded": _l("A milestone was funded"),
    "fund_confirmation_needed": _l("A funding waits for your confirmation"),
    "milestone_delivered": _l("A milestone was delivered"),
    "changes_requested": _l("Changes were requested"),
    "milestone_released": _l("A milestone was accepted and paid"),
    "milestone_auto_released": _l("A milestone was released automatically"),
    "milestone_cancelled": _l("A milestone was cancelled"),
    "release_reminder": _l("An automatic release is near"),
    "payment_failed": _l("A card payment failed"),
    "kpi_recorded": _l("A KPI result was recorded"),
    "dispute_opened": _l("A dispute was opened"),
    "dispute_evidence": _l("New evidence in a dispute"),
    "dispute_withdrawn": _l("A dispute was withdrawn"),
    "dispute_resolved": _l("A dispute was decided"),
    "deposit_recorded": _l("A bank transfer reached your wallet"),
    "payout_paid": _l("A payout was sent"),
    "payout_failed": _l("A payout failed"),
    "chargeback_opened": _l("A chargeback was opened"),
    "milestone_charged_back": _l("A payment was charged back"),
    "chargeback_recovery": _l("A chargeback will be recovered from payouts"),
    "chargeback_recovery_cancelled": _l("A chargeback recovery was cancelled"),
    "review_received": _l("You received a review"),
    "review_hidden": _l("Your review was hidden"),
    "review_of_you_hidden": _l("A review of you was hidden"),
    "review_report_hidden": _l("A review you reported was hidden"),
    "review_report_kept": _l("A review you reported was kept"),
    "provider_verified": _l("Your company was verified"),
    "provider_rejected": _l("Your verification was declined"),
    "webhook_disabled": _l("A webhook endpoint was switched off"),
    "technical_opened": _l("Technical envelopes were opened"),
    "prices_opened": _l("Price envelopes were opened"),
    "bafo_invited": _l("An invitation to a best and final offer"),
    "final_offer_received": _l("A final offer arrived"),
    "usage_recorded": _l("Usage was recorded on a metered period"),
    "period_funding_due": _l("A period must be funded soon"),
    "period_auto_funded": _l("A period was funded from your wallet"),
    "period_not_started": _l("A period did not start: not funded"),
    "period_started": _l("A period started"),
    "period_closed": _l("A metered period ended and awaits review"),
    "periods_proposed": _l("A change to the number of periods was proposed"),
    "periods_changed": _l("The number of periods changed"),
    "contract_ending": _l("Notice to end a contract was given"),
    "end_now_asked": _l("The other side asked to end a contract at once"),
    "card_top_up": _l("A card top-up reached your wallet"),
    "withdrawal_paid": _l("A withdrawal was paid"),
    "withdrawal_refused": _l("A withdrawal was refused"),
    "withdrawal_failed": _l("A withdrawal payment failed"),
    "margin_received": _l("Your margin deposit was credited"),
    "margin_awarded": _l("Part of a margin deposit was awarded"),
}
DELIVERY_LABELS = {"in_app": _l("In the app only"), "email": _l("E-mail at once"), "digest": _l("Daily digest")}


def posting_detail(posting) -> str:
    """What a ledger line is about, in the reader's language: the bank's reference for a transfer, the
    milestone's title for escrow moves, staff's reason for a correction. The stored memo is for staff and
    may be English ("bank transfer 4PX…", "payout 12"), so it is shown only where it is people's own text."""
    if posting.kind in ("deposit", "bank_unmatched", "bank_return"):
        return _("reference %(reference)s", reference=posting.reference) if posting.reference else ""
    if posting.kind in MEMO_IS_TEXT:
        return posting.memo or ""
    return ""


def statement_sentence(kind: str, number: int | None, tender: str | None, engagement: str | None = None) -> str:
    """A statement line as a sentence in the reader's language: "Milestone 2 of “Spring tea shoot” released"
    (a period of a retainer or metered contract is named as a period). Kinds not about one milestone read
    as their label."""
    if number is None or not tender or kind not in MILESTONE_SENTENCES:
        return str(POSTING_LABELS.get(kind, kind))
    milestone, period = MILESTONE_SENTENCES[kind]
    return str(period if engagement in ("retainer", "metered") else milestone) % {"n": number, "tender": tender}


# (for a milestone, for a period) of a contract; %(n)s counts from 1, %(tender)s is the tender's title
MILESTONE_SENTENCES = {
    "fund": (_l("Milestone %(n)s of “%(tender)s” funded into escrow"),
             _l("Period %(n)s of “%(tender)s” funded into escrow")),
    "release": (_l("Milestone %(n)s of “%(tender)s” released"), _l("Period %(n)s of “%(tender)s” released")),
    "refund": (_l("Milestone %(n)s of “%(tender)s” refunded to the brand"),
               _l("Period %(n)s of “%(tender)s” refunded to the brand")),
    "resolution": (_l("Dispute over milestone %(n)s of “%(tender)s” decided"),
                   _l("Dispute over period %(n)s of “%(tender)s” decided")),
    "adjustment": (_l("Correction by staff to milestone %(n)s of “%(tender)s”"),
                   _l("Correction by staff to period %(n)s of “%(tender)s”")),
}


# Postings whose memo is a milestone's title or staff's written reason (services/escrow, disputes, chargebacks)
MEMO_IS_TEXT = frozenset({"fund", "release", "refund", "resolution", "adjustment", "chargeback_cover",
                          "chargeback_restore"})
