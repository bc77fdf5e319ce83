"""Accessibility (WCAG 2.1 AA) of what axe-core cannot check (issue 17 item 6; axe itself runs over every
page in tests/test_page_widths.py): form errors tied to their field and naming it, required fields marked,
hints linked, the skip link, Space on a link styled as a button, and the staff decision's confirmation."""
import re

import pytest
from flask import render_template_string
from flask_wtf import FlaskForm
from playwright.sync_api import expect
from wtforms import StringField
from wtforms.validators import DataRequired

from tests.support.web import form_post
from tests.test_browser import login_as, staff_on_a_dispute

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def _tag(html: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    return re.search(rf'<(?:input|textarea|select)\b[^>]*\bid="{element_id}"[^>]*>', html).group(0)


def test_a_refused_form_ties_each_error_to_its_field_and_names_the_field(client, login, make_user):
    login(make_user("brand"))
    for headers, required in ((EN, "Title is required."), (ZH, "标题为必填项。")):
        r = form_post(client, "/tenders/new", {"title": "", "description": ""}, page="/tenders/new", headers=headers)
        assert r.status_code == 422
        html = r.get_data(as_text=True)
        title = _tag(html, "title")
        assert 'aria-invalid="true"' in title and 'aria-describedby="title-error"' in title and "required" in title
        error = re.search(r'<span id="title-error">(.*?)</span>', html, re.S).group(1)
        assert required in error
        assert "This field is required." not in html and "此字段是必填项" not in html
        # the required mark is seen, not read out (the input's `required` says it)
        assert re.search(r'<label for="title">[^<]*<span class="req" aria-hidden="true">\*</span></label>', html)
        assert 'aria-invalid' not in _tag(html, "criteria")  # only fields that are wrong


def test_a_hint_is_linked_to_its_field_and_an_optional_field_is_not_marked(app):
    class Form(FlaskForm):
        class Meta:
            csrf = False
        code = StringField("Code", validators=[DataRequired()], description="The 6 digits your app shows.")
        note = StringField("Note")

    with app.test_request_context("/", method="POST", data={"code": ""}, headers=EN):
        form = Form()
        assert not form.validate()
        html = render_template_string('{% from "_macros.html" import field %}{{ field(form.code) }}'
                                      '{{ field(form.note) }}', form=form)
    code = _tag(html, "code")
    assert 'aria-describedby="code-hint code-error"' in code
    assert '<small class="hint" id="code-hint">The 6 digits your app shows.</small>' in html
    assert "Code is required." in html
    note = _tag(html, "note")
    assert "aria-describedby" not in note and "aria-invalid" not in note and "required" not in note
    assert '<label for="note">Note</label>' in html


def test_repeated_rows_have_distinct_labels_for_screen_readers(client, login, make_user):
    login(make_user("brand"))
    html = client.get("/tenders/new", headers=EN).get_data(as_text=True)
    names = re.findall(r'<label for="kpis-\d+-name">(.*?)</label>', html)
    assert len(names) > 1 and len(set(names)) == len(names), names


@pytest.mark.browser
def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(new_page, make_user):
    page = new_page()
    login_as(page, make_user("brand").email)
    page.goto("/tenders")
    page.keyboard.press("Tab")
    link = page.locator(":focus")
    assert link.get_attribute("class") == "skip-link" and link.is_visible()  # seen when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    page.keyboard.press("Tab")  # the next stop is inside the content, not the menu again
    assert page.evaluate("document.activeElement.closest('main') !== null")


@pytest.mark.browser
def test_a_refused_form_puts_the_focus_on_the_first_wrong_field(new_page, make_user):
    page = new_page()
    login_as(page, make_user("brand").email)
    page.goto("/tenders/new")
    page.fill("#description", "Chat support for our store.")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector("#title[aria-invalid=true]")
    # a11y.js moves the focus once the page's scripts run, which may be after the field is parsed:
    # wait for it (a page that never moves it fails here on the timeout). expect() polls from
    # Playwright's own world; wait_for_function would eval a string, which the page's CSP refuses.
    expect(page.locator("#title")).to_be_focused(timeout=10000)


@pytest.mark.browser
def test_a_link_styled_as_a_button_answers_space(new_page):
    page = new_page()
    page.goto("/")
    page.locator("header a.button").focus()
    page.keyboard.press("Space")
    page.wait_for_url("**/register")


@pytest.mark.browser
def test_a_decision_above_the_escrow_asks_no_question_with_a_negative_refund(new_page, deal, make_user, app):
    """The confirmation would say "-¥100.00 back to the brand": instead no question is asked, the server
    refuses the amount and the field says why, with the focus on it."""
    d, page = staff_on_a_dispute(new_page, deal, make_user, app)
    asked = []
    page.on("dialog", lambda dialog: asked.append(dialog.message))
    page.fill("#provider_amount", "1100.00")
    page.fill("#reason", "More than the escrow.")
    page.get_by_test_id("decide-form").locator("button[type=submit]").click()
    page.wait_for_selector("#provider_amount[aria-invalid=true]")
    assert asked == []
    # as above: the focus moves once the page's scripts run (a page that never moves it times out here)
    expect(page.locator("#provider_amount")).to_be_focused(timeout=10000)
    assert page.locator("#provider_amount-error").inner_text().startswith("Amount to the provider")
    assert d.milestone(0)["status"] == "disputed"
