"""The header's menu in a test browser: on a phone it folds behind its button (static/js/menu.js)."""


def open_menu(page) -> None:
    """Open the folded menu when its button shows (a phone), as a user must before following a menu link;
    on a desktop the menu is always open and this does nothing."""
    toggle = page.locator("[data-testid=menu-toggle]")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
