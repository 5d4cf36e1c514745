"""Sending one plain-text email: through the SMTP server HEAT_SMTP_URL names (smtp://host:port,
STARTTLS when the server offers it, or smtps://host:465, TLS from the start, with a user name and
password in the URL when the server asks for them), or through GOV.UK Notify with its official
client (HEAT_NOTIFY_API_KEY, and a template whose subject is ((subject)) and body ((body))).
Only the worker calls this."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from notifications_python_client.notifications import NotificationsAPIClient

SMTP_TIMEOUT_SECONDS = 30  # for Notify's API too
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


def send(config: Mapping[str, Any], to: str, subject: str, body: str) -> None:
    """Hand the email to Notify or the SMTP server, whichever is set up; any refusal or lost
    connection raises (the task retries)."""
    if config["HEAT_NOTIFY_API_KEY"]:
        client = NotificationsAPIClient(
            config["HEAT_NOTIFY_API_KEY"], base_url=config["HEAT_NOTIFY_BASE_URL"], timeout=SMTP_TIMEOUT_SECONDS
        )
        try:
            client.send_email_notification(
                email_address=to,
                template_id=config["HEAT_NOTIFY_TEMPLATE_ID"],
                personalisation={"subject": subject, "body": body},
            )
        finally:
            client.request_session.close()
    else:
        send_by_smtp(config["HEAT_SMTP_URL"], config["HEAT_MAIL_FROM"], to, subject, body)


def send_by_smtp(smtp_url: str, sender: str, to: str, subject: str, body: str) -> None:
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
