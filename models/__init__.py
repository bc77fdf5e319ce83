"""All models, imported here so Alembic and the app see the whole metadata."""
from models.audit import StaffAction
from models.bank_statement import BankStatementLine
from models.bid import Bid, BidAttachment, BidMilestone, BidRevision, BidScore, EvaluationSlot
from models.card_top_up import CardTopUp
from models.chargeback import Chargeback, ChargebackEvent
from models.contest import (
    Contest,
    ContestAward,
    ContestEntry,
    ContestEntryFile,
    ContestHandoverFile,
    ContestPrize,
    ContestPurchase,
    ContestReport,
)
from models.contract import Contract, Milestone
from models.conversation import Conversation, ConversationRead, Message, MessageFile
from models.dispute import Dispute, DisputeCorrection, DisputeEvent, DisputeEvidence, EvidenceFile
from models.document import ContractDocument, Invoice
from models.engagement import UsageRecord
from models.envelope import BafoRound, TenderEnvelopes
from models.escrow import DeliveryFile, IdempotentRequest, MilestoneDelivery, MilestoneEvent
from models.installation import Installation
from models.kpi import KpiResult
from models.ledger import LedgerAccount, LedgerEntry, LedgerPosting
from models.mail import OutgoingMail
from models.margin import CategoryMargin, MarginAward
from models.market import MarketSnapshot
from models.notification import Notification, NotificationDigest, NotificationPreference
from models.organisation import FundRequest, Membership, Organisation, OrgInvitation
from models.outbox import OutboxJob, RatingMark
from models.payout import Payout, PayoutAccount, PayoutBatch
from models.profile import BrandProfile, ProviderCategory, ProviderProfile, ShowcaseCase
from models.reconciliation import ReconciliationRun
from models.review import PartnerBadge, ProviderRating, Review, ReviewReport
from models.scorecard import BidOpening, Grade, GradingClosure, PanelMember, TenderCriterion
from models.stripe import StripePayment, StripeRefund
from models.suspension import Suspension
from models.tender import Tender, TenderKpi
from models.tender_extras import TenderAddendum, TenderInvitation, TenderQuestion
from models.upload import Upload
from models.user import ApiToken, RecoveryCode, User, UserLogin
from models.webhook import WebhookDelivery, WebhookEndpoint, WebhookEvent
from models.withdrawal import Withdrawal

__all__ = [
    "MarketSnapshot", "ContractDocument", "Invoice",
    "BankStatementLine", "Withdrawal", "CategoryMargin", "MarginAward", "CardTopUp",
    "Chargeback", "ChargebackEvent", "KpiResult", "PartnerBadge", "ProviderRating", "Review", "ReviewReport",
    "Payout", "PayoutAccount", "PayoutBatch", "ReconciliationRun",
    "Dispute", "DisputeCorrection", "DisputeEvent", "DisputeEvidence", "EvidenceFile", "StripeRefund",
    "ApiToken", "Bid", "BidAttachment", "BidMilestone", "BidRevision", "BidScore", "BrandProfile", "Contract",
    "DeliveryFile", "EvaluationSlot", "IdempotentRequest", "Installation",
    "LedgerAccount", "LedgerEntry", "LedgerPosting",
    "Milestone", "MilestoneDelivery", "MilestoneEvent", "Notification", "NotificationDigest", "NotificationPreference",
    "OutboxJob", "ProviderCategory",
    "ProviderProfile", "RatingMark",
    "ShowcaseCase", "StripePayment", "Tender", "TenderAddendum", "TenderInvitation", "TenderKpi", "TenderQuestion",
    "OutgoingMail", "RecoveryCode", "StaffAction", "Suspension", "User", "UserLogin",
    "FundRequest", "Membership", "Organisation", "OrgInvitation",
    "Conversation", "ConversationRead", "Message", "MessageFile",
    "WebhookDelivery", "WebhookEndpoint", "WebhookEvent",
    "BafoRound", "TenderEnvelopes",
    "BidOpening", "Grade", "GradingClosure", "PanelMember", "TenderCriterion",
    "UsageRecord",
    "Upload",
    "Contest", "ContestAward", "ContestEntry", "ContestEntryFile", "ContestHandoverFile", "ContestPrize",
    "ContestPurchase", "ContestReport",
]
