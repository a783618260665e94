"""お子さんの情報登録: the guardian's form for the child's record, kept by eligibility.

Flat HTML fields (``ec_0_phone``) map to eligibility's ``ChildProfile`` JSON and its 422
locations back to the field, as the application form does (``applying.py``). Contacts and
pickup persons are fixed rows, so the form works as plain HTML without scripts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from tsuen_portal.adapters.backends import BackendNotFound, ServiceApi, _message_ja
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer.applying import Field

CONTACT_ROWS = 2
PICKUP_ROWS = 2
MAX_ALLERGIES = 10
_ALLERGY_SEPARATORS = re.compile(r"[\n、,，]+")

HEALTH = (
    Field(
        "allergies",
        ("allergies",),
        N_("Allergies"),
        "textarea",
        required=False,
        hint=N_("Foods or medicines, one per line (for example: 卵, 小麦). Leave empty if none."),
    ),
    Field(
        "allergy_notes",
        ("allergy_notes",),
        N_("What happens and what to do"),
        "textarea",
        required=False,
        hint=N_("For example: no egg even when cooked; an adrenaline auto-injector is brought"),
    ),
    Field(
        "health_notes",
        ("health_notes",),
        N_("Health, past illnesses, medicines"),
        "textarea",
        required=False,
    ),
    Field("medical_care", ("medical_care",), N_("Does the child need medical care?"), "yesno"),
    Field(
        "medical_care_notes",
        ("medical_care_notes",),
        N_("What medical care the child needs"),
        "textarea",
        required=False,
        hint=N_("Talk to the facility before the first use as well"),
    ),
    Field(
        "considerations",
        ("considerations",),
        N_("Anything else the facility should know"),
        "textarea",
        required=False,
        hint=N_("Development, sleep, meals, things the child dislikes"),
    ),
    Field(
        "family_doctor",
        ("family_doctor",),
        N_("Family doctor"),
        required=False,
        hint=N_("Clinic name and phone number"),
    ),
)


def contact_fields(row: int) -> tuple[Field, ...]:
    required = row == 0  # at least one emergency contact
    path = ("emergency_contacts", row)
    return (
        Field(f"ec_{row}_name", (*path, "name"), N_("Name"), required=required),
        Field(
            f"ec_{row}_relation",
            (*path, "relation"),
            N_("Relationship to the child"),
            required=required,
            hint=N_("For example: 母, 父, 祖母"),
        ),
        Field(
            f"ec_{row}_phone",
            (*path, "phone"),
            N_("Phone number"),
            "tel",
            required=required,
            hint=N_("A number that answers during the day, like 090-1234-5678"),
        ),
    )


def pickup_fields(row: int) -> tuple[Field, ...]:
    path = ("pickup_persons", row)
    return (
        Field(f"pu_{row}_name", (*path, "name"), N_("Name"), required=False),
        Field(
            f"pu_{row}_relation",
            (*path, "relation"),
            N_("Relationship to the child"),
            required=False,
        ),
        Field(f"pu_{row}_phone", (*path, "phone"), N_("Phone number"), "tel", required=False),
    )


CONTACTS = tuple(contact_fields(row) for row in range(CONTACT_ROWS))
PICKUPS = tuple(pickup_fields(row) for row in range(PICKUP_ROWS))
FIELDS: tuple[Field, ...] = (
    *HEALTH,
    *(f for row in CONTACTS for f in row),
    *(f for row in PICKUPS for f in row),
)


@dataclass
class RecordForm:
    """What the guardian typed (flat) and the version of the record the form showed."""

    values: dict[str, str] = field(default_factory=dict)
    version: int = 0

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> RecordForm:
        try:
            version = max(0, int(form.get("version", "0")))
        except ValueError:
            version = 0
        values = {f.name: str(form.get(f.name, "")).strip() for f in FIELDS}
        return cls(values, version)

    @classmethod
    def from_record(cls, body: Mapping[str, Any]) -> RecordForm:
        """The form filled from eligibility's answer (``profile`` null: an empty form)."""
        profile = body.get("profile") or {}
        values: dict[str, str] = {
            "allergies": "\n".join(profile.get("allergies") or []),
            "medical_care": "yes" if profile.get("medical_care") else "no",
        }
        for name in ("allergy_notes", "health_notes", "medical_care_notes"):
            values[name] = str(profile.get(name) or "")
        values["considerations"] = str(profile.get("considerations") or "")
        values["family_doctor"] = str(profile.get("family_doctor") or "")
        for prefix, key in (("ec", "emergency_contacts"), ("pu", "pickup_persons")):
            for row, person in enumerate(profile.get(key) or []):
                for part in ("name", "relation", "phone"):
                    values[f"{prefix}_{row}_{part}"] = str(person.get(part) or "")
        return cls(values, int(body.get("version") or 0))

    def allergies(self) -> list[str]:
        return [a.strip() for a in _ALLERGY_SEPARATORS.split(self.get("allergies")) if a.strip()]

    def check(self) -> dict[str, str]:
        """What the portal can say before sending; eligibility has the last word."""
        errors: dict[str, str] = {}
        for f in FIELDS:
            if f.required and f.kind != "yesno" and not self.get(f.name):
                errors[f.name] = N_("Fill in this field")
        for row in (*CONTACTS[1:], *PICKUPS):
            name, relation, _phone = row
            if any(self.get(f.name) for f in row):
                for f in (name, relation) if row in PICKUPS else row:
                    if not self.get(f.name):
                        errors[f.name] = N_("Fill in this field, or leave the whole row empty")
        if len(self.allergies()) > MAX_ALLERGIES:
            errors["allergies"] = N_("Write at most 10 allergies; put the rest in the notes")
        if self.get("medical_care") == "yes" and not self.get("medical_care_notes"):
            errors["medical_care_notes"] = N_("Say what the child needs")
        return errors

    def body(self) -> dict[str, Any]:
        """The JSON eligibility's ``PUT …/profile`` takes."""
        profile: dict[str, Any] = {
            "allergies": self.allergies(),
            "medical_care": self.get("medical_care") == "yes",
        }
        for name in (
            "allergy_notes",
            "health_notes",
            "medical_care_notes",
            "considerations",
            "family_doctor",
        ):
            profile[name] = self.get(name)
        profile["emergency_contacts"] = [
            {str(f.path[-1]): self.get(f.name) for f in row}
            for row in CONTACTS
            if any(self.get(f.name) for f in row)
        ]
        profile["pickup_persons"] = [
            {
                str(f.path[-1]): self.get(f.name)
                for f in row
                if self.get(f.name) or f.path[-1] != "phone"
            }
            for row in PICKUPS
            if any(self.get(f.name) for f in row)
        ]
        return {"profile": profile, "expected_version": self.version}


@dataclass(frozen=True)
class Saved:
    version: int


@dataclass(frozen=True)
class Refused:
    """Errors by field, or (409: changed meanwhile) a reason for the whole form."""

    field_errors: dict[str, str]
    message_ja: str = ""
    stale: bool = False


def _field_of(loc: list[Any]) -> str:
    path = tuple(loc[1:]) if loc and loc[0] == "body" else tuple(loc)
    if path[:1] == ("profile",):
        path = path[1:]
    for f in FIELDS:
        if path[: len(f.path)] == f.path:
            return f.name
    if path[:1] == ("emergency_contacts",):
        return "ec_0_name"
    return "allergies"


def _hint_for(name: str) -> str:
    if name.endswith("_phone"):
        return N_("Enter a phone number with digits and hyphens, like 0537-21-1111")
    if name.endswith("_name"):
        return N_("Enter the person's name")
    return N_("Check what you entered here")


def path(municipality: str, child_id: str) -> str:
    return f"/v1/municipalities/{municipality}/children/{child_id}/profile"


async def load(eligibility: ServiceApi, token: str, municipality: str, child_id: str) -> RecordForm:
    """The record as eligibility holds it; BackendNotFound when it is not this family's."""
    return RecordForm.from_record(await eligibility.get(path(municipality, child_id), token))


async def save(
    eligibility: ServiceApi, token: str, municipality: str, child_id: str, form: RecordForm
) -> Saved | Refused:
    response: httpx.Response = await eligibility.send(
        "PUT", path(municipality, child_id), token, json=form.body()
    )
    if response.status_code == 200:
        return Saved(int(response.json()["version"]))
    if response.status_code in (403, 404):
        raise BackendNotFound(path(municipality, child_id))
    if response.status_code == 409:
        return Refused({}, message_ja=_message_ja(response), stale=True)
    errors: dict[str, str] = {}
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    if response.status_code == 422 and isinstance(detail, list):
        for item in detail:
            name = _field_of(list(item.get("loc") or []))
            errors.setdefault(name, _hint_for(name))
    return Refused(errors or {"allergies": N_("Check what you entered here")})
