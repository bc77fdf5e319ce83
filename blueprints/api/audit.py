"""Staff: the audit log of every staff action, with the staff page's filters."""
from flask import current_app

from blueprints.api.routing import api_route, current_api_user
from blueprints.api.schemas.audit import AuditChange, AuditEntryOut, AuditPage, AuditQuery
from services import audit
from texts.audit_log import action_label


def entry_out(entry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id, created_at=entry.created_at, actor_id=entry.actor_id,
        actor_name=entry.actor.display_name if entry.actor else None, action=entry.action,
        action_label=action_label(entry.action), subject_type=entry.subject_type, subject_id=entry.subject_id,
        affected_user_id=entry.affected_user_id, other_user_id=entry.other_user_id, reason=entry.reason,
        before=entry.before, after=entry.after,
        changes=[AuditChange(field=c.field, before=c.before, after=c.after) for c in audit.changes(entry)])


@api_route("/admin/audit", summary="The staff audit log, newest first", tag="Staff", query=AuditQuery,
           response=AuditPage, roles=("admin",), errors=(403, 422))
def audit_log(query: AuditQuery):
    """Every staff action with who (null: the command line), when, on what, to whom, why, and the fields it
    changed. Days are the caller's own (its account's time zone); a `date_to` before `date_from` is 422."""
    viewer = current_api_user()
    page = audit.search(audit.Filters(
        actor_id=query.actor_id, command_line=query.command_line, action=query.action,
        subject_type=query.subject_type, subject_id=query.subject_id, affected=query.affected,
        date_from=query.date_from, date_to=query.date_to, text=query.q,
        timezone=viewer.timezone or current_app.config["DEFAULT_TIMEZONE"]), query.page, query.per_page)
    return AuditPage(items=[entry_out(e) for e in page.items], page=page.page, per_page=page.per_page,
                     total=page.total, total_is_estimate=page.total_is_estimate)
