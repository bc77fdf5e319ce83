"""The caller's notifications."""
from flask import current_app

from blueprints.api.presenters import notification_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.notifications import (
    NotificationOut,
    NotificationPage,
    NotificationPreferencesIn,
    NotificationPreferencesOut,
    NotificationQuery,
)
from models.notification import DELIVERIES
from services import notification_prefs, notifications


@api_route("/notifications", summary="The caller's notifications, newest first", tag="Notifications",
           query=NotificationQuery, response=NotificationPage)
def list_notifications(query: NotificationQuery):
    user = current_api_user()
    page = notifications.list_for(user, unread_only=query.unread, page=query.page, per_page=query.per_page)
    return NotificationPage(items=[notification_out(n) for n in page.items], page=page.page,
                            per_page=page.per_page, total=page.total, total_is_estimate=page.total_is_estimate,
                            unread=notifications.unread_count(user))


@api_route("/notifications/<int:notification_id>/read", "POST", summary="Mark one notification read",
           tag="Notifications", response=NotificationOut, errors=(404,))
def mark_read(notification_id: int):
    return notification_out(notifications.mark_read(current_api_user(), notification_id))


@api_route("/notifications/read-all", "POST", summary="Mark every notification read", tag="Notifications")
def mark_all_read():
    return {"marked": notifications.mark_all_read(current_api_user())}


def _preferences_out(user, preferences: dict[str, str]) -> NotificationPreferencesOut:
    return NotificationPreferencesOut(preferences=preferences, deliveries=list(DELIVERIES),
                                      digest_hour=current_app.config["DIGEST_HOUR"], timezone=user.timezone,
                                      email_notifications=user.email_notifications)


@api_route("/me/notification-preferences", summary="How each kind of notice reaches the caller",
           tag="Notifications", response=NotificationPreferencesOut)
def notification_preferences():
    """Every notice is in the app; `email` also mails it at once, `digest` gathers it into one e-mail a
    day at `digest_hour` in the caller's time zone (none when nothing is waiting)."""
    user = current_api_user()
    return _preferences_out(user, notification_prefs.preferences(user))


@api_route("/me/notification-preferences", "PUT", summary="Change how kinds of notice reach the caller",
           tag="Notifications", body=NotificationPreferencesIn, response=NotificationPreferencesOut,
           errors=(422,))
def update_notification_preferences(body: NotificationPreferencesIn):
    """Only the kinds named change; an unknown kind or delivery refuses the whole change (422)."""
    user = current_api_user()
    return _preferences_out(user, notification_prefs.update(user, body.preferences))
