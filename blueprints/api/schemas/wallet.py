"""Wallet top-up: the receiving bank account and reference, bank statement imports and their queue."""
from datetime import datetime

from pydantic import BaseModel, Field

from blueprints.api.schemas.common import Out


class BankOut(Out):
    name: str
    account: str
    holder: str


class TopUpOut(Out):
    bank: BankOut
    reference: str = Field(description="the brand's permanent transfer reference, to write on every transfer")


class StatementLineOut(Out):
    id: int
    line: int | None = Field(None, description="its line in the imported file (the header is line 1)")
    transaction_id: str
    amount: int
    currency: str
    reference: str
    status: str
    reason: str | None = Field(None, description="why it matched no wallet: no_reference, check_digit, unknown_account")
    field: str | None = Field(None, description="the field the reason is about")
    message: str | None = None


class ImportOut(BaseModel):
    matched: int
    unmatched: list[StatementLineOut]
    duplicates: int


class QueueOut(BaseModel):
    items: list[StatementLineOut]


class AssignIn(BaseModel):
    account: str = Field(min_length=1, max_length=254, description="the brand's transfer reference or e-mail")
    note: str = Field("", max_length=500)


class ReturnIn(BaseModel):
    note: str = Field(min_length=1, max_length=500, description="why the money goes back")


class WithdrawalIn(BaseModel):
    amount: int = Field(gt=0, le=10**13, description="minor units; at most the wallet's available balance")
    currency: str = Field(min_length=3, max_length=3)


class WithdrawalOut(Out):
    id: int
    amount: int
    currency: str
    status: str = Field(description="requested, approved, refused, paid or failed")
    payout_id: int | None = Field(None, description="the bank payout that carries it, once a batch took it")
    note: str = Field("", description="staff's note; why it was refused")
    created_at: datetime


class WithdrawalPage(BaseModel):
    items: list[WithdrawalOut]
    page: int
    per_page: int
    total: int
    total_is_estimate: bool = False  # true: more than `total` (the count stops at a cap)


class WithdrawalRefuseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="why; the brand is told")


class WithdrawalApproveIn(BaseModel):
    note: str = Field("", max_length=500)


class CardTopUpIn(BaseModel):
    amount: int = Field(gt=0, le=10**11, description="minor units")
    currency: str = Field(min_length=3, max_length=3)


class CardTopUpOut(Out):
    id: int
    amount: int
    currency: str
    status: str = Field(description="open, succeeded, failed or canceled")
    client_secret: str | None = Field(None, description="for Stripe.js confirmCardPayment")
    publishable_key: str | None = None
