"""The lightbox in Chromium, on a 390 px phone: a portfolio's thumbnails open their 1200 px view in a
dialog from the keyboard, arrows move between pictures, Escape closes it and gives focus back."""
import io

from playwright.sync_api import expect

from extensions import db
from models import Upload
from services.runners import images as image_job
from tests.support.images import photo


def test_portfolio_pictures_open_in_the_lightbox_from_the_keyboard(app, new_page, make_user, api):
    provider = make_user("provider")
    seller = api(provider)
    for i, colour in enumerate([(200, 40, 40), (40, 40, 200)]):
        case = seller.post("/me/cases", json={"title": f"Case {i}", "category": "design"}).json
        seller.client.put(f"/api/v1/me/cases/{case['id']}/image", content_type="multipart/form-data",
                          headers={"Authorization": f"Bearer {seller.token}"},
                          data={"file": (io.BytesIO(photo((1800, 1200), colour=colour)), f"case-{i}.jpg")})
    with app.app_context():
        for upload_id in db.session.scalars(db.select(Upload.id)).all():
            image_job.derive(upload_id)

    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/providers/{provider.id}")
    first = page.locator("a[data-lightbox]").first
    first.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.lightbox")
    dialog.wait_for(state="visible")
    image = dialog.locator("img")
    # loaded: the view, not the original (expect() polls from Playwright's own world; wait_for_function
    # would eval a string, which the page's CSP refuses once it has to poll)
    expect(image).to_have_js_property("naturalWidth", 1200)
    assert dialog.bounding_box()["width"] <= 390  # fits the phone
    assert dialog.locator(".lightbox-caption").inner_text() == "Case 0"
    page.keyboard.press("ArrowRight")
    assert dialog.locator(".lightbox-caption").inner_text() == "Case 1"
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("() => document.activeElement.matches('a[data-lightbox]')")  # focus came back
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
