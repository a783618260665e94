"""変更申請: which of the guardian's details a change asks for, and who decides it.

A guardian's change of address, phone or name is reviewed by an officer of the municipality
before it applies (the ward checks it against its resident records); an officer's own change
applies at once. A new e-mail address is not reviewed here: its owner confirms it by link
(guardians.py), which is the check that matters for mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The request's field → the key in the application form's "guardian" section.
FORM_KEYS: dict[str, str] = {
    "address": "address",
    "phone": "phone",
    "guardian_name": "name",
    "guardian_kana": "kana",
}

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


def requested_changes(
    on_record: Mapping[str, Any], asked: Mapping[str, str | None]
) -> dict[str, str]:
    """The fields whose asked value differs from the one on record, in FORM_KEYS order."""
    return {
        field: value
        for field, key in FORM_KEYS.items()
        if (value := asked.get(field)) is not None and on_record.get(key) != value
    }


def in_form_order(changes: Mapping[str, str]) -> dict[str, str]:
    """``changes`` in FORM_KEYS order (JSONB keeps no order; mails and lists read better)."""
    return {field: changes[field] for field in FORM_KEYS if field in changes}


def applied(on_record: Mapping[str, Any], changes: Mapping[str, str]) -> dict[str, Any]:
    """The guardian section of the form with ``changes`` written in."""
    guardian = dict(on_record)
    for field, value in changes.items():
        guardian[FORM_KEYS[field]] = value
    return guardian


def needs_review(role_is_officer: bool) -> bool:
    """A guardian's change waits for an officer; an officer's change is already reviewed."""
    return not role_is_officer
