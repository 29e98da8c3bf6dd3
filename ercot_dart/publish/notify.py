"""Notifications: a short summary of each published run, and a failure notice when a run fails,
to Slack and Microsoft Teams incoming webhooks and by e-mail (SMTP).

The messages are plain data (:class:`Message`), built by pure functions; each channel sends one.
Webhook URLs and passwords are secrets: they come from settings (the environment or Prefect
Secret blocks, :mod:`ercot_dart.publish.secrets`) and never appear in errors or logs: a channel
is named by its kind only.
"""

from __future__ import annotations

import smtplib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import httpx
import pandas as pd

from ercot_dart.publish.secrets import resolve

if TYPE_CHECKING:
    from ercot_dart.settings import Settings

TIMEOUT = 10.0


@dataclass(frozen=True)
class Message:
    """What a notification says: a title and lines of text (the first lines matter most)."""

    title: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class DeliveryError(ConnectionError):
    """A channel's server did not take the message, for a reason a retry may cure (5xx, 429,
    no connection). A ``ConnectionError``, so the task retry condition retries it."""


class RejectedError(ValueError):
    """A channel refused the message for good (4xx: a wrong URL, a revoked webhook)."""


def top_spreads(predictions: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` ensemble predictions largest in size (point, local hour, prediction)."""
    ens = predictions[predictions["model"] == "ensemble"]
    order = ens["prediction"].abs().sort_values(ascending=False).index[:n]
    return ens.loc[order]


def summary_message(
    run: str,
    bundle_id: str,
    predictions: pd.DataFrame,
    locations: list[str],
    top: int = 5,
    caveats: list[str] | None = None,
) -> Message:
    """The summary of a published run; ``caveats`` (e.g. the stale sources it was made from,
    when the freshness check does not stop runs) head it and mark its subject."""
    from ercot_dart.ercot.timeconv import CENTRAL

    days = sorted(
        {d.isoformat() for d in predictions["interval_start_utc"].dt.tz_convert(CENTRAL).dt.date}
    )
    lines = [
        *(f"CAVEAT: {c}" for c in caveats or []),
        f"Run {run}: bundle {bundle_id}",
        f"{len(predictions):,} rows, {predictions['settlement_point'].nunique():,} settlement "
        f"points, delivery day(s) {', '.join(days)}",
    ]
    biggest = top_spreads(predictions, top)
    if len(biggest):
        lines.append("Largest expected DART spreads (ensemble, $/MWh):")
        for r in biggest.itertuples():
            day = pd.Timestamp(r.interval_start_utc).tz_convert(CENTRAL).date()
            lines.append(
                f"  {r.settlement_point} {day} HE {r.hour_ending_local}"
                f"{' (repeated)' if r.dst_flag == 'Y' else ''}: {r.prediction:+.2f}"
                f"  [P10 {r.p10:+.2f}, P90 {r.p90:+.2f}]"
            )
    lines.extend(f"Published: {where}" for where in locations)
    mark = f" with {len(caveats)} caveat(s)" if caveats else ""
    return Message(
        f"ercot-dart: DART predictions published ({days[0] if days else '-'}){mark}", lines
    )


def failure_message(run: str, flow: str, reason: str, url: str | None = None) -> Message:
    """The notice of a failed run."""
    lines = [f"Flow {flow}, run {run} failed: {reason}", "Nothing was half-published."]
    if url:
        lines.append(f"Details: {url}")
    return Message(f"ercot-dart: run {run} FAILED", lines)


class Channel(ABC):
    """One way of telling people."""

    kind: str

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver ``message``; :class:`DeliveryError` if a retry may help, else
        :class:`RejectedError`."""


def _post(kind: str, url: str, payload: dict[str, Any]) -> None:
    try:
        response = httpx.post(url, json=payload, timeout=TIMEOUT)
    except httpx.TransportError as exc:
        raise DeliveryError(f"{kind} webhook unreachable: {type(exc).__name__}") from None
    if response.status_code == 429 or response.status_code >= 500:
        raise DeliveryError(f"{kind} webhook answered {response.status_code}")
    if response.status_code >= 400:
        raise RejectedError(
            f"{kind} webhook refused the message ({response.status_code}): check its URL"
        )


@dataclass
class Slack(Channel):
    """A Slack incoming webhook (``{"text": ...}`` with mrkdwn)."""

    url: str = field(repr=False)
    kind: str = "slack"

    def send(self, message: Message) -> None:
        _post(self.kind, self.url, {"text": f"*{message.title}*\n{message.text}"})


@dataclass
class Teams(Channel):
    """A Microsoft Teams incoming webhook (a Workflows "post to a channel when a webhook request
    is received" flow): an Adaptive Card."""

    url: str = field(repr=False)
    kind: str = "teams"

    def send(self, message: Message) -> None:
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": message.title, "weight": "Bolder", "wrap": True},
                *(
                    {"type": "TextBlock", "text": line, "wrap": True, "spacing": "None"}
                    for line in message.lines
                ),
            ],
        }
        payload = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
        _post(self.kind, self.url, payload)


@dataclass
class Email(Channel):
    """E-mail through an SMTP server."""

    host: str
    port: int
    sender: str
    to: list[str]
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    kind: str = "email"

    def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.to)
        mail.set_content(message.text + "\n")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError:
            raise RejectedError(f"SMTP server {self.host}:{self.port} refused the login") from None
        except smtplib.SMTPRecipientsRefused:
            raise RejectedError(
                f"SMTP server {self.host}:{self.port} refused the recipients"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"SMTP server {self.host}:{self.port} unavailable: {type(exc).__name__}"
            ) from None


def configured(settings: Settings) -> list[str]:
    """The kinds of channel set up in settings (``slack``, ``teams``, ``email``), in that order;
    nothing is resolved, so one channel's bad secret cannot keep the others quiet."""
    kinds = []
    if settings.notify_slack_webhook:
        kinds.append("slack")
    if settings.notify_teams_webhook:
        kinds.append("teams")
    if _recipients(settings):
        kinds.append("email")
    return kinds


def channel(settings: Settings, kind: str) -> Channel:
    """The configured channel ``kind``, its secret resolved.

    Raises:
        SecretError: its secret cannot be resolved (a permanent error: not retried).
        ValueError: no such channel is configured.
    """
    if kind == "slack" and settings.notify_slack_webhook:
        return Slack(resolve(settings.notify_slack_webhook, "ERCOT_DART_NOTIFY_SLACK_WEBHOOK"))
    if kind == "teams" and settings.notify_teams_webhook:
        return Teams(resolve(settings.notify_teams_webhook, "ERCOT_DART_NOTIFY_TEAMS_WEBHOOK"))
    if kind == "email" and _recipients(settings):
        return Email(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.notify_email_from,
            to=_recipients(settings),
            username=settings.smtp_username,
            password=resolve(settings.smtp_password, "ERCOT_DART_SMTP_PASSWORD"),
            starttls=settings.smtp_starttls,
        )
    raise ValueError(f"no {kind} channel is configured")


def _recipients(settings: Settings) -> list[str]:
    return [a.strip() for a in settings.notify_email_to.split(",") if a.strip()]
