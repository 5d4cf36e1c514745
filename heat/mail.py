"""Sending one plain-text email through the SMTP server HEAT_SMTP_URL names: smtp://host:port
(STARTTLS when the server offers it) or smtps://host:465 (TLS from the start), with a user name
and password in the URL when the server asks for them. Only the worker calls this."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

SMTP_TIMEOUT_SECONDS = 30
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


def send(smtp_url: str, sender: str, to: str, subject: str, body: str) -> None:
    """Hand the email to the server; any refusal or lost connection raises (the task retries)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    server = urlsplit(smtp_url)
    host, port = server.hostname or "", server.port or DEFAULT_PORTS[server.scheme]
    context = ssl.create_default_context()
    connection = (
        smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
        if server.scheme == "smtps"
        else smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    )
    with connection as smtp:
        smtp.ehlo()
        if server.scheme == "smtp" and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        if server.username:
            smtp.login(unquote(server.username), unquote(server.password or ""))
        smtp.send_message(message)
