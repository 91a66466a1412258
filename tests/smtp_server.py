"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for email tests."""
from __future__ import annotations

import socket
import subprocess
import time
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    # Controller(port=0) cannot confirm its own start-up, so pick a free port first.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Capture:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def bodies(self) -> list[str]:
        return [m.get_body(("plain",)).get_content() for m in self.messages]


class SmtpServer:
    def __init__(self, port: int | None = None, **controller_kwargs):
        self.port = port or free_port()
        self.capture = Capture()
        self.kwargs = controller_kwargs
        self.controller: Controller | None = None

    @property
    def messages(self):
        return self.capture.messages

    def start(self) -> "SmtpServer":
        self.controller = Controller(self.capture, hostname="127.0.0.1", port=self.port, **self.kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def config(self) -> dict:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_TIMEOUT": 5,
                "MAIL_FROM": "reminders@test.example"}

    def wait_for(self, count: int, seconds: float = 10.0) -> list:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


def self_signed_cert(directory) -> tuple[str, str]:
    """A certificate for 127.0.0.1 made with openssl, which the client is told to trust (SMTP_CA_FILE)."""
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


class Authenticator:
    def __init__(self, username: str, password: str):
        self.username, self.password = username.encode(), password.encode()
        self.attempts = 0

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.attempts += 1
        ok = auth_data.login == self.username and auth_data.password == self.password
        # handled=False on failure, so the server replies 535 instead of leaving the client hanging
        return AuthResult(success=True) if ok else AuthResult(success=False, handled=False)
