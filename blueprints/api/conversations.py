"""Conversations: open one about a tender or contract, list them with unread counts, read and write."""
from blueprints.api.routing import Answer, api_route, current_api_user
from blueprints.api.schemas.conversations import (
    ConversationIn,
    ConversationList,
    ConversationOpened,
    ConversationOut,
    MessageIn,
    MessageList,
    MessageOut,
    ReadOut,
    ReportIn,
)
from blueprints.limits import message_limits
from extensions import db
from services import conversations


def message_out(m) -> MessageOut:
    return MessageOut(id=m.id, conversation_id=m.conversation_id, sender_id=m.sender_id,
                      sender_account_id=m.sender_account_id, body=m.body, contact_warning=m.contact_warning,
                      created_at=m.created_at, reported=m.reported_at is not None, files=[f.filename for f in m.files])


def conversation_out(conv, viewer, unread: int = 0, *, subject: str | None = None,
                     with_name: str | None = None) -> ConversationOut:
    """`subject` and `with_name` when the caller has them already (the list), else loaded here."""
    if subject is None:
        subject = (conv.tender if conv.tender_id is not None else conv.contract).title
    if with_name is None:
        with_name = conversations.other_party(conv, viewer).display_name
    return ConversationOut(id=conv.id, tender_id=conv.tender_id, contract_id=conv.contract_id,
                           brand_id=conv.brand_id, provider_id=conv.provider_id, with_name=with_name,
                           subject=subject, last_message_at=conv.last_message_at, unread=unread)


@api_route("/conversations", "POST", summary="Open the conversation about a tender (with one provider) or a "
           "contract, with a first message", tag="Conversations", body=ConversationIn, response=ConversationOpened,
           status=201, also=(200,), roles=("brand", "provider"), limits=message_limits, errors=(403, 404, 422, 429))
def open_conversation(body: ConversationIn):
    """One conversation per tender and provider, one per contract: a second POST adds the message to the
    same conversation and answers 200 with its id. A provider may write once invited or once it has bid."""
    viewer = current_api_user()
    conv, message, created = conversations.open_conversation(
        viewer, tender_id=body.tender_id, contract_id=body.contract_id, with_user_id=body.with_user_id,
        body=body.body)
    out = ConversationOpened(**dict(conversation_out(conv, viewer)), message=message_out(message))
    return out if created else Answer(out, 200)


@api_route("/conversations", summary="Your conversations, newest first, with unread counts", tag="Conversations",
           response=ConversationList, roles=("brand", "provider"), errors=(403,))
def list_conversations():
    viewer = current_api_user()
    return ConversationList(items=[conversation_out(row.conversation, viewer, row.unread, subject=row.subject,
                                                    with_name=row.with_name)
                                   for row in conversations.list_for(viewer)])


@api_route("/conversations/<int:conversation_id>/messages", summary="A conversation's messages, oldest first",
           tag="Conversations", response=MessageList, errors=(403, 404))
def list_conversation_messages(conversation_id: int):
    """Staff may read only while a dispute is open on the contract or after a message was reported; each
    such read is recorded in the staff audit log."""
    viewer = current_api_user()
    conv = conversations.readable_by(viewer, conversation_id)
    items = [message_out(m) for m in conversations.messages_of(conv)]
    if viewer.is_admin:
        db.session.commit()  # the audit entry of this read (a read otherwise never commits)
    return MessageList(items=items)


@api_route("/conversations/<int:conversation_id>/messages", "POST", summary="Write in a conversation",
           tag="Conversations", body=MessageIn, response=MessageOut, status=201, roles=("brand", "provider"),
           limits=message_limits, errors=(403, 404, 422, 429))
def send_conversation_message(conversation_id: int, body: MessageIn):
    return message_out(conversations.send(current_api_user(), conversation_id, body.body))


@api_route("/conversations/<int:conversation_id>/read", "POST", summary="Mark the conversation read (for you)",
           tag="Conversations", response=ReadOut, roles=("brand", "provider"), errors=(403, 404))
def mark_conversation_read(conversation_id: int):
    return ReadOut(last_read_id=conversations.mark_read(current_api_user(), conversation_id))


@api_route("/messages/<int:message_id>/report", "POST", summary="Report the other side's message to staff",
           tag="Conversations", body=ReportIn, response=MessageOut, roles=("brand", "provider"),
           errors=(403, 404, 422))
def report_message(message_id: int, body: ReportIn):
    return message_out(conversations.report(current_api_user(), message_id, body.reason))
