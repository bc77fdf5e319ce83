"""Conversation pages: the list, one thread (with its polling endpoint), writing, reporting, and the
staff queue of reported messages. Rules live in services.conversations."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.conversations.forms import MessageForm, ReportForm, StartForm
from blueprints.downloads import send_one_of
from blueprints.limits import message_limits
from blueprints.web import perform, role_required, submitted
from extensions import db
from services import conversations

bp = Blueprint("conversations", __name__, url_prefix="/conversations")



def _files(field) -> list:
    return [(f.stream, f.filename) for f in field.data or [] if f and f.filename]


def _warn(message) -> None:
    """Contact details before a contract: the message went out, and both sides are reminded why not."""
    if message.contact_warning:
        flash(_("Your message was sent. It seems to contain contact details: until a contract exists, keep the "
                "conversation on Witkey — payments and disputes are protected only here."), "warning")


@bp.get("")
@role_required("brand", "provider")
def index():
    """The viewer's threads, newest first, with the other party, the tender or contract and unread counts."""
    return render_template("conversations/index.html", rows=conversations.list_for(current_user))


@bp.post("/start")
@role_required("brand", "provider")
@message_limits
def start():
    form = StartForm()
    if submitted(form):
        opened = perform(lambda: conversations.open_conversation(
            current_user, tender_id=form.tender_id.data, contract_id=form.contract_id.data,
            with_user_id=form.with_user_id.data, body=form.body.data, files=_files(form.files)))
        if opened:
            conv, message, _created = opened
            _warn(message)
            return redirect(url_for("conversations.detail", conversation_id=conv.id))
    return redirect(url_for("conversations.index"))


def _thread(conversation_id: int):
    """The thread for this viewer: parties mark it read; each staff read goes into the audit log."""
    conv = conversations.readable_by(current_user, conversation_id)
    messages = conversations.messages_of(conv)
    if not current_user.is_admin:
        conversations.mark_read(current_user, conv.id)
    db.session.commit()
    return conv, messages


@bp.get("/<int:conversation_id>")
@login_required
def detail(conversation_id: int):
    conv, messages = _thread(conversation_id)
    return render_template("conversations/detail.html", conv=conv, messages=messages, form=MessageForm(),
                           report_form=ReportForm(), other=None if current_user.is_admin
                           else conversations.other_party(conv, current_user),
                           grounds=conversations.staff_grounds(conv) if current_user.is_admin else None)


@bp.get("/<int:conversation_id>/since")
@role_required("brand", "provider")
def since(conversation_id: int):
    """What arrived after `after` (the page polls this). The answer carries an ETag, so a poll that finds
    nothing new costs a 304 with no body; plain HTTP, so it works on the embedded server and behind
    gunicorn's sync workers alike (no connection is held open)."""
    conv = conversations.conversation_for(current_user, conversation_id)
    after = max(request.args.get("after", 0, type=int) or 0, 0)
    new = conversations.messages_of(conv, after)
    if new:
        conversations.mark_read(current_user, conv.id)
        db.session.commit()
    response = jsonify({"last_id": new[-1].id if new else after,
                        "html": render_template("conversations/_messages.html", conv=conv, messages=new,
                                                report_form=ReportForm())})
    response.headers["Cache-Control"] = "private, no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.post("/<int:conversation_id>")
@role_required("brand", "provider")
@message_limits
def send(conversation_id: int):
    form = MessageForm()
    if submitted(form):
        message = perform(lambda: conversations.send(current_user, conversation_id, form.body.data,
                                                     _files(form.files)))
        if message:
            _warn(message)
    return redirect(url_for("conversations.detail", conversation_id=conversation_id) + "#write")


@bp.post("/messages/<int:message_id>/report")
@role_required("brand", "provider")
def report(message_id: int):
    form = ReportForm()
    if submitted(form):
        message = perform(lambda: conversations.report(current_user, message_id, form.reason.data or ""),
                          success=_("Reported. Platform staff will read the conversation."))
        if message:
            return redirect(url_for("conversations.detail", conversation_id=message.conversation_id))
    return redirect(url_for("conversations.index"))


@bp.get("/<int:conversation_id>/messages/<int:message_id>/files/<int:file_id>")
@login_required
def download(conversation_id: int, message_id: int, file_id: int):
    conv = conversations.readable_by(current_user, conversation_id)
    message = next((m for m in conversations.messages_of(conv) if m.id == message_id), None)
    db.session.commit()
    return send_one_of(message.files if message else [], file_id)


@bp.get("/reported")
@role_required("admin")
def reported():
    """Staff queue: reported messages, oldest report first."""
    return render_template("conversations/reported.html", messages=conversations.reported())
