"""A home-page item's link: where the thing is done (services.todo names it by endpoint)."""
from flask import url_for


def todo_url(item, **kw) -> str:
    return url_for(item.endpoint, **item.args, _anchor=item.anchor or None, **kw)
