"""Issue 18 item 3 in Chromium: the provider records an invoice with its PDF on the contract page, the
brand sees the release invoiced and downloads the contract document."""
import os

import pytest

from tests.test_browser import login_as
from tests.test_invoices import _pdf
from workers import jobs

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SHOTS_DIR")  # set it to keep screenshots of the pages (to look at them)


def _shoot(page, name: str) -> None:
    if SHOTS:
        for width in (390, 1366):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_a_provider_records_an_invoice_and_the_brand_sees_it(app, new_page, deal, tmp_path, locale):
    d = deal(amounts=(100000_00, 50000_00))
    d.brand.put("/me/brand-profile", json={"store_name": "光影服饰旗舰店", "size_tier": "small",
                                           "invoice_title": "杭州光影服饰有限公司", "tax_id": "91330106MA2B3C4D5E"})
    d.deposit(150000_00)
    d.release(0)
    with app.app_context():
        assert jobs.make_contract_document(d.contract_id) == "made"
    me = {side: getattr(d, side).get("/me").json["email"] for side in ("provider", "brand")}
    m = d.milestone_ids[0]
    pdf = tmp_path / "fapiao.pdf"
    pdf.write_bytes(_pdf())

    page = new_page(locale=locale)
    login_as(page, me["provider"])
    page.goto(f"/contracts/{d.contract_id}#milestone-{m}")
    page.locator(f"[data-testid=invoice-form-{m}]").locator("xpath=..").locator("summary").click()
    page.fill(f"#invoice-number-{m}", "FP-2026-0042")
    page.select_option(f"#invoice-rate-{m}", "600")
    page.set_input_files(f"#invoice-file-{m}", str(pdf))
    page.click(f"[data-testid=invoice-form-{m}] button[type=submit]")
    page.wait_for_selector(f"[data-testid=invoice-provider-{m}]")
    assert "FP-2026-0042" in page.inner_text(f"[data-testid=invoice-provider-{m}]")
    _shoot(page, f"contract-provider-{locale}")

    page = new_page(locale=locale)
    login_as(page, me["brand"])
    page.goto(f"/contracts/{d.contract_id}")
    line = page.inner_text(f"[data-testid=invoice-provider-{m}]")
    assert "FP-2026-0042" in line and "杭州光影服饰有限公司" in line
    with page.expect_download() as download:
        page.click("[data-testid=contract-document] a")
    assert download.value.suggested_filename == f"contract-{d.contract_id}.pdf"
    _shoot(page, f"contract-brand-{locale}")
    page.goto("/statements")
    assert "FP-2026-0042" in page.inner_text("[data-testid=statement-invoices]")
    _shoot(page, f"statements-brand-{locale}")
    page.goto("/account/profile")
    _shoot(page, f"profile-brand-{locale}")
