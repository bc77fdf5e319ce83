"""A real SMTP server in this process (aiosmtpd on a free port), for tests that read what arrives.

`smtp_server` yields a server whose `.url` goes into MAIL_URL and whose `.messages` are the received
messages parsed by the standard `email` package; it checks the client's login (user `witkey`,
password `s3cret`) and records who sent each message."""
import socket
import time
import warnings
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "witkey", "s3cret"


class _Inbox:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[bool] = []  # per message: whether the client had logged in
        self.users: list[str] = []  # every successful login, by user name
        self.refuse: set[str] = set()  # recipients answered 550 (a permanent refusal)
        self.fail_next = 0  # DATA answered 451 this many times (a temporary failure)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook)
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.fail_next:
            self.fail_next -= 1
            return "451 4.3.0 try again later"
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.original_content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.logins.append(session.authenticated)
        return "250 Message accepted"


    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
            and auth_data.password == PASSWORD.encode()
        if ok:
            self.users.append(USER)
        return AuthResult(success=ok)


class SmtpServer:
    def __init__(self):
        self.inbox = _Inbox()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        with warnings.catch_warnings():  # AUTH without TLS: on loopback, in a test, on purpose
            warnings.simplefilter("ignore", UserWarning)
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                         authenticator=self.inbox.authenticate, auth_require_tls=False)

    @property
    def url(self) -> str:
        return f"smtp://{USER}:{PASSWORD}@127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()
