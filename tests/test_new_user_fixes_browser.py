"""Item 5 checks that need a browser (issue 17): the proposal preview shows what the server renders, in
Chromium under the page's own CSP (no inline script), with no console error."""
import pytest

from tests.test_page_widths import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.shared_data]

def test_the_proposal_preview_renders_on_the_server_under_the_csp(new_page, demo):
    page = new_page(locale="en-US")
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    sign_in(page, "provider")
    for tender_id in demo["tenders"]:  # the first demo tender whose bid form the provider may open
        page.goto(f"/tenders/{tender_id}/bid")
        if page.locator("#proposal").count():
            break
    else:
        raise AssertionError("no demo tender takes a bid from the demo provider")
    page.fill("#proposal", "## Plan\n\n**40 agents** on two shifts\n\n<script>alert(1)</script>")
    page.click("[data-testid=preview-button]")
    preview = page.locator("[data-testid=proposal-preview]")
    preview.locator("strong").wait_for()
    assert preview.locator("h2").inner_text() == "Plan" and preview.locator("script").count() == 0
    assert errors == []
