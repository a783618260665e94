"""Events produced by the identity service (accounts, login) on ``tsuen.identity.events``.

Contract: fields are only ever added (optional, with defaults); never renamed or removed
within a version. Consumers: notification (the account, reset and lock mails).

The URLs carry a one-time secret (the set-password token): these events are personal data and
must never be logged whole.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import AwareDatetime

from tsuen_common.events.envelope import EmailAddress, EventPayload
from tsuen_common.events.topics import Topic


class _Identity(EventPayload):
    topic: ClassVar[Topic] = Topic.IDENTITY
    aggregate_field: ClassVar[str] = "account_id"


class AccountIssued(_Identity):
    """アカウント発行のお知らせ: a new account and its one-time set-password link."""

    event_type: ClassVar[str] = "identity.AccountIssued"

    account_id: uuid.UUID
    email: EmailAddress
    url: str
    expires_at: AwareDatetime
    # guardian, facility_staff or municipality_officer: the mail's wording differs a little.
    role: str = "guardian"


class PasswordResetRequested(_Identity):
    """パスワード再設定: a one-time link to choose a new password."""

    event_type: ClassVar[str] = "identity.PasswordResetRequested"

    account_id: uuid.UUID
    email: EmailAddress
    url: str
    expires_at: AwareDatetime
    role: str = "guardian"


class AccountLocked(_Identity):
    """Too many failed logins: the account is locked until ``locked_until``."""

    event_type: ClassVar[str] = "identity.AccountLocked"

    account_id: uuid.UUID
    email: EmailAddress
    locked_until: AwareDatetime
    role: str = "guardian"


EVENTS: tuple[type[EventPayload], ...] = (
    AccountIssued,
    PasswordResetRequested,
    AccountLocked,
)
