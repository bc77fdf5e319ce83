"""Reporting a contest entry as a copy, from the contest page (services.contest_reports decides who may).

Staff decide in their queue (blueprints/admin/contest_reports.py)."""
from flask import redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.contests.forms import CopyReportForm
from blueprints.contests.routes import bp
from blueprints.web import perform, submitted
from services import contest_reports


@bp.context_processor
def copy_reports():
    """What templates/contests/_copy_report.html needs on the contest page."""
    viewer = current_user if current_user.is_authenticated else None
    return {"copy_report_form": CopyReportForm(),
            "may_report": lambda contest, entry: contest_reports.may_report(viewer, contest, entry),
            "copy_originals": lambda contest, entry: contest_reports.originals_for(viewer, contest, entry)}


@bp.post("/<int:contest_id>/entries/<int:entry_id>/reports")
@login_required
def report_copy(contest_id: int, entry_id: int):
    """The contest's brand or one of its entrants reports an entry as a copy (404 to anyone else)."""
    form = CopyReportForm()
    if submitted(form):
        perform(lambda: contest_reports.report(current_user, contest_id, entry_id, form.reason.data,
                                               form.original_entry_id.data),
                success=_("Reported. Platform staff compare the files' fingerprints and upload times and decide; "
                          "you will be told."))
    return redirect(url_for("contests.detail", contest_id=contest_id, _anchor=f"entry-{entry_id}"))
