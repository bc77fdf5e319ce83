"""The caller's notifications."""
from blueprints.api.presenters import notification_out
from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.notifications import NotificationOut, NotificationPage, NotificationQuery
from services import notifications


@api_route("/notifications", summary="The caller's notifications, newest first", tag="Notifications",
           query=NotificationQuery, response=NotificationPage)
def list_notifications(query: NotificationQuery):
    user = current_api_user()
    page = notifications.list_for(user, unread_only=query.unread, page=query.page, per_page=query.per_page)
    return NotificationPage(items=[notification_out(n) for n in page.items], page=page.page,
                            per_page=page.per_page, total=page.total,
                            unread=notifications.unread_count(user))


@api_route("/notifications/<int:notification_id>/read", "POST", summary="Mark one notification read",
           tag="Notifications", response=NotificationOut, errors=(404,))
def mark_read(notification_id: int):
    return notification_out(notifications.mark_read(current_api_user(), notification_id))


@api_route("/notifications/read-all", "POST", summary="Mark every notification read", tag="Notifications")
def mark_all_read():
    return {"marked": notifications.mark_all_read(current_api_user())}
