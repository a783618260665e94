"""Jinja2 templates → the subject, plain-text body and HTML body of one notice.

Templates live beside this module (``templates/<name>.txt.j2`` and ``.html.j2``), extend one
base layout each, and only place values the domain already formatted. HTML is autoescaped, so a
facility name or a cancellation reason typed by a person can never inject markup; the text part
is not (it is not markup). StrictUndefined turns a missing value into an error instead of a mail
with a hole in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tsuen_common.policy import MunicipalityPolicy
from tsuen_notification.domain.notices import SUBJECTS, RecipientKind, Template


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self, *, portal_url: str | None = None) -> None:
        self.portal_url = portal_url
        self.env = Environment(
            loader=PackageLoader("tsuen_notification.adapters", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(
        self,
        template: Template,
        context: dict[str, Any],
        *,
        recipient_kind: RecipientKind,
        policy: MunicipalityPolicy,
    ) -> RenderedMail:
        subject = SUBJECTS[template]
        greeting = {
            RecipientKind.FACILITY: f"{context.get('facility_name', '')} ご担当者様",
            RecipientKind.STAFF: "ご担当者様",
        }.get(recipient_kind, "保護者様")
        values = {
            **context,
            "subject": subject,
            "greeting": greeting,
            "municipality_name": policy.name,
            "sender_name": policy.notification.sender_name,
            "reply_to": policy.notification.reply_to,
            "portal_url": self.portal_url,
            "also_phone_facility": policy.cancellation.also_phone_facility,
        }
        text = self.env.get_template(f"{template}.txt.j2").render(values)
        html = self.env.get_template(f"{template}.html.j2").render(values)
        return RenderedMail(subject=subject, text=text, html=html)
