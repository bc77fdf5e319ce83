"""Staff's queue of contest entries reported as copies: both entries side by side with every file's
SHA-256 and upload time, and the decision (services.contest_reports: removal and a strike, or dismissal)."""
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.admin.forms import CopyReportDecisionForm
from blueprints.admin.routes import bp
from blueprints.web import perform, submitted
from services import contest_reports, contest_views


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


@bp.get("/contest-reports")
def contest_reports_queue():
    """Open copy reports, the longest waiting first."""
    page = contest_reports.queue(current_user, _page())
    if page.page > page.pages >= 1:  # the last one on this page was just decided: the new last page
        return redirect(url_for("admin.contest_reports_queue", page=page.pages))
    return render_template("admin/contest_reports.html", page=page, decision_form=CopyReportDecisionForm(),
                           entry_active=contest_views.entry_active)


@bp.post("/contest-reports/<int:report_id>/decide")
def decide_contest_report(report_id: int):
    form = CopyReportDecisionForm()
    if submitted(form):
        uphold = form.decision.data == "uphold"
        perform(lambda: contest_reports.decide(current_user, report_id, uphold, form.note.data or ""),
                success=_("Entry removed from the contest; the strike is on record and both sides were told.")
                if uphold else _("Report dismissed; both sides were told."))
    return redirect(url_for("admin.contest_reports_queue", page=_page()))
