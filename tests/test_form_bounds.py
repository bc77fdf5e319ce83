"""Numbers, dates and amounts typed into any web form are refused with a form error, never a crash:
values past what Python's decimal context, a database column or a calendar holds (issue 14, finding 5)."""
import importlib
import inspect
import pkgutil

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, FieldList, FormField

import blueprints
from tests.support.factories import tender_payload
from tests.support.web import form_post, switch

# Each once raised (decimal.Overflow, OverflowError, a DataError on PostgreSQL) or could.
HOSTILE = ["1e1000000", "-1e1000000", "1e-1000000", "9" * 40, "-" + "9" * 40, "1e999999", "NaN", "Infinity",
           "0000-01-01T00:00", "99999-12-31T23:59", "9999-12-31T23:59", "0001-01-01T00:00", "0000-00-00", "1e15",
           "12345678901234567890.1234567890123", "١٢٣", "\u200b1"]


def _form_classes():
    for module in pkgutil.iter_modules(blueprints.__path__):
        if not module.ispkg:
            continue
        try:
            forms = importlib.import_module(f"blueprints.{module.name}.forms")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(forms, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls is not FlaskForm and cls.__module__ == forms.__name__:
                yield cls


def _leaf_names(fields):
    for field in fields:
        if isinstance(field, (FieldList, FormField)):
            yield from _leaf_names(field)
        elif isinstance(field, Field):
            yield field.name


FORMS = sorted(set(_form_classes()), key=lambda c: c.__qualname__)


def test_the_sweep_finds_the_forms():
    names = {cls.__name__ for cls in FORMS}
    assert {"TenderForm", "BidForm", "DepositForm", "BankDetailsForm"} <= names, names


@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("value", HOSTILE)
def test_every_form_field_refuses_values_beyond_any_range_without_raising(app, form_class, value):
    with app.test_request_context(method="POST"):
        names = list(_leaf_names(form_class(meta={"csrf": False}, formdata=None)))
        form = form_class(meta={"csrf": False}, formdata=MultiDict(dict.fromkeys(names, value)))
        for field in _all_fields(form):
            if getattr(field, "choices", ()) is None:  # set per page by the route (e.g. a contract's milestones)
                field.choices = [(1, "one")]
        form.validate()  # must not raise
        for field in _all_fields(form):  # a value a field accepted is one the database and calendar hold
            data = None if field.errors else getattr(field, "data", None)
            if isinstance(data, int) and not isinstance(data, bool):
                assert -(2**63) <= data < 2**63, (field.name, data)  # what a BIGINT column holds
            if hasattr(data, "year"):
                assert 1 <= data.year <= 9999


def _all_fields(fields):
    for field in fields:
        if isinstance(field, (FieldList, FormField)):
            yield from _all_fields(field)
        else:
            yield field


@pytest.mark.parametrize("amount", ["1e1000000", "-1e1000000", "1E+1000000"])
def test_huge_decimal_amounts_are_a_form_error(client, login, make_user, api, amount):
    """Tender budget, bid amount and a staff deposit: the page answers 422 with the form, not a 500."""
    brand = make_user("brand")
    login(brand)
    r = form_post(client, "/tenders/new", {"title": "Huge budget", "category": "design", "currency": "CNY",
                                          "description": "A description long enough to pass.",
                                          "budget_min": amount, "budget_max": "100",
                                          "bid_deadline": "2030-01-01T10:00", "rounds": "proposal"})
    assert r.status_code == 422, r.status_code
    tid = api(brand).post("/tenders", json=tender_payload()).json["id"]
    switch(client, make_user("provider"))
    bid = {"amount": amount, "delivery_days": "90", "proposal": "A proposal that is long enough to pass.",
           "milestones-0-title": "All", "milestones-0-amount": amount, "milestones-0-due_days": "15"}
    assert form_post(client, f"/tenders/{tid}/bid", bid).status_code == 422
    switch(client, make_user("admin"))
    r = form_post(client, "/admin/deposits", {"email": brand.email, "amount": amount, "currency": "CNY",
                                             "reference": "BANK-1"})
    assert r.status_code == 422, r.status_code

