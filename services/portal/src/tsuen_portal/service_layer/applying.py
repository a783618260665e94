"""利用申請 without an account: the application form (eligibility's ``ApplicationForm``). The
steps around it (the municipalities, the application link, confirming a new e-mail address)
are in public_links.py. Every call here is public: eligibility checks the mailed token itself.

The form's fields are flat HTML names (``guardian_name``, ``proxy_0_kana``); ``FIELDS`` maps
each to its place in the JSON eligibility takes, and eligibility's 422 locations back to the
field, so an error is shown beside what the parent typed.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from tsuen_portal.adapters.backends import ServiceApi, _message_ja
from tsuen_portal.i18n import N_

PROXY_ROWS = 2
ACCEPTED_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024  # eligibility's default limit
MAX_ATTACHMENTS = 10


@dataclass(frozen=True)
class Field:
    name: str  # the HTML name and id
    path: tuple[str | int, ...]  # where eligibility wants it (and where its 422 points)
    label: str  # message id
    kind: str = "text"  # text, date, tel, textarea, gender, yesno
    required: bool = True
    hint: str = ""
    autocomplete: str = ""


GUARDIAN = (
    Field("guardian_name", ("guardian", "name"), N_("Your name"), autocomplete="name"),
    Field(
        "guardian_kana",
        ("guardian", "kana"),
        N_("Your name in katakana"),
        hint=N_("For example: ツウエン ハナコ"),
    ),
    Field("guardian_birth_date", ("guardian", "birth_date"), N_("Your date of birth"), "date"),
    Field(
        "guardian_address", ("guardian", "address"), N_("Address"), autocomplete="street-address"
    ),
    Field(
        "guardian_phone",
        ("guardian", "phone"),
        N_("Phone number"),
        "tel",
        hint=N_("For example: 0537-21-1111"),
        autocomplete="tel",
    ),
    Field("guardian_gender", ("guardian", "gender"), N_("Gender"), "gender"),
    Field(
        "guardian_relationship",
        ("guardian", "relationship_to_child"),
        N_("Your relationship to the child"),
        hint=N_("For example: 母, 父, 祖母"),
    ),
)
CHILD = (
    Field("child_name", ("child", "name"), N_("Child's name")),
    Field(
        "child_kana",
        ("child", "kana"),
        N_("Child's name in katakana"),
        hint=N_("For example: ツウエン タロウ"),
    ),
    Field("child_birth_date", ("child", "birth_date"), N_("Child's date of birth"), "date"),
    Field(
        "child_relationship",
        ("child", "relationship_to_guardian"),
        N_("The child's relationship to you"),
        hint=N_("For example: 長男, 長女"),
    ),
)
CONSENTS = (
    Field("consent_terms", ("consents", "terms"), N_("I agree to the terms of use"), "check"),
    Field(
        "consent_personal_data",
        ("consents", "personal_data"),
        N_("I agree to how personal data is handled"),
        "check",
    ),
    Field(
        "consent_share",
        ("consents", "share_with_facility"),
        N_("I agree that the facility receives this information"),
        "check",
    ),
)
PRIOR = Field(
    "prior_use_municipality",
    ("prior_use_municipality",),
    N_("Municipality where the child used the scheme before"),
    required=False,
    hint=N_("Only if the child used the scheme in another municipality"),
)
CONSIDERATIONS = (
    Field(
        "sc_present",
        ("special_considerations", "present"),
        N_("Does the child need special care?"),
        "yesno",
    ),
    Field(
        "sc_medical",
        ("special_considerations", "medical_care"),
        N_("Does the child need medical care (such as tube feeding or suction)?"),
        "yesno",
        hint=N_("If so, the facility consults with you before the first use."),
    ),
    Field(
        "sc_content",
        ("special_considerations", "content"),
        N_("What the child needs"),
        "textarea",
        required=False,
        hint=N_("For example: allergies, illness, development"),
    ),
    Field(
        "sc_diagnosis",
        ("special_considerations", "diagnosis"),
        N_("Diagnosis"),
        "textarea",
        required=False,
    ),
    Field(
        "sc_care",
        ("special_considerations", "required_care"),
        N_("Care needed"),
        "textarea",
        required=False,
    ),
    Field(
        "sc_doctor",
        ("special_considerations", "doctor_instructions"),
        N_("Doctor's instructions"),
        "textarea",
        required=False,
    ),
)
FACILITY = Field(
    "desired_facility_note",
    ("desired_facility_note",),
    N_("Facility you would like to use"),
    "textarea",
    required=False,
    hint=N_("The name of the facility, if you already know it"),
)


def proxy_fields(row: int) -> tuple[Field, ...]:
    path: tuple[str | int, ...] = ("proxy_users", row)
    return (
        Field(f"proxy_{row}_name", (*path, "name"), N_("Name"), required=False),
        Field(f"proxy_{row}_kana", (*path, "kana"), N_("Name in katakana"), required=False),
        Field(
            f"proxy_{row}_relationship",
            (*path, "relationship_to_child"),
            N_("Relationship to the child"),
            required=False,
        ),
        Field(f"proxy_{row}_phone", (*path, "phone"), N_("Phone number"), "tel", required=False),
    )


PROXIES = tuple(proxy_fields(row) for row in range(PROXY_ROWS))
FIELDS: tuple[Field, ...] = (
    *GUARDIAN,
    *CONSENTS,
    *(f for row in PROXIES for f in row),
    PRIOR,
    *CHILD,
    *CONSIDERATIONS,
    FACILITY,
)
BY_NAME = {f.name: f for f in FIELDS}
# The form's fields in the order the page shows them: the error summary lists them so.
ON_PAGE: tuple[str, ...] = (
    *(f.name for f in (*GUARDIAN, *CHILD, *CONSIDERATIONS)),
    *(f.name for row in PROXIES for f in row),
    PRIOR.name,
    FACILITY.name,
    "attachments",
    *(f.name for f in CONSENTS),
)
GENDERS = {
    "female": N_("Female"),
    "male": N_("Male"),
    "other": N_("Other"),
    "unanswered": N_("Prefer not to say"),
}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data_base64: str

    @property
    def size_kb(self) -> int:
        return max(1, len(base64.b64decode(self.data_base64)) // 1024)


@dataclass
class Application:
    """What the parent typed (flat, as the form sends it) and the files attached."""

    values: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> Application:
        values = {f.name: str(form.get(f.name, "")).strip() for f in FIELDS}
        attachments = []
        for n in range(MAX_ATTACHMENTS):
            data = form.get(f"attachment_{n}_data")
            if not data:
                continue
            attachments.append(
                Attachment(
                    filename=str(form.get(f"attachment_{n}_name", "attachment"))[:200],
                    content_type=str(form.get(f"attachment_{n}_type", "")),
                    data_base64=str(data),
                )
            )
        return cls(values, attachments)

    def check(self) -> dict[str, str]:
        """What the portal can say before sending: empty required fields, unreal dates,
        consents. Eligibility has the last word (kana, phone format, age)."""
        errors: dict[str, str] = {}
        for f in FIELDS:
            value = self.get(f.name)
            if f.kind == "check":
                if value != "yes":
                    errors[f.name] = N_("You must agree to this to apply")
            elif f.required and not value:
                errors[f.name] = N_("Fill in this field")
            elif f.kind == "date" and value:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    errors[f.name] = N_("Enter a real date, like 2027-01-07")
        if self.get("sc_present") == "yes" and not self.get("sc_content"):
            errors["sc_content"] = N_("Say what the child needs")
        for row in PROXIES:
            filled = [f for f in row if self.get(f.name)]
            if filled:
                for f in row[:3]:
                    if not self.get(f.name):
                        errors[f.name] = N_("Fill in this field, or leave the whole row empty")
        return errors

    def body(self, link_token: str) -> dict[str, Any]:
        """The JSON eligibility's ``POST /applications`` takes."""
        out: dict[str, Any] = {"link_token": link_token}
        for f in FIELDS:
            if f.path[0] == "proxy_users":
                continue
            value: Any = self.get(f.name)
            if f.kind in ("check", "yesno"):
                value = value == "yes"
            elif not value:
                if f.required:
                    value = ""
                else:
                    continue
            target = out
            for key in f.path[:-1]:
                target = target.setdefault(str(key), {})
            target[str(f.path[-1])] = value
        out["proxy_users"] = [
            {
                str(f.path[-1]): self.get(f.name)
                for f in row
                if self.get(f.name) or f.path[-1] != "phone"
            }
            for row in PROXIES
            if any(self.get(f.name) for f in row)
        ]
        out["attachments"] = [
            {"filename": a.filename, "content_type": a.content_type, "data_base64": a.data_base64}
            for a in self.attachments
        ]
        return out


@dataclass(frozen=True)
class Submitted:
    application_id: str


@dataclass(frozen=True)
class Refused:
    """Eligibility did not take the form: errors by field (message ids or its own Japanese
    words), or the link is unusable (404/410), or a reason for the whole form (409)."""

    field_errors: dict[str, str]
    link_unusable: bool = False
    message_ja: str = ""


def _field_of(loc: list[Any]) -> str:
    """Eligibility's 422 location → the form field (the closest one we show)."""
    path = tuple(loc[1:]) if loc and loc[0] == "body" else tuple(loc)
    if path[:1] == ("application",):
        path = path[1:]
    for f in FIELDS:
        if path[: len(f.path)] == f.path:
            return f.name
    if path[:1] == ("consents",):
        return "consent_terms"
    if path[:1] == ("special_considerations",):
        return "sc_content"
    if path[:1] == ("attachments",):
        return "attachments"
    return "guardian_name"


def _hint_for(name: str) -> str:
    """What most likely went wrong in a field eligibility refused (its messages are English)."""
    if name.endswith("_kana"):
        return N_("Enter the name in katakana, with a space between family and given name")
    if name.endswith("_phone"):
        return N_("Enter a phone number with digits and hyphens, like 0537-21-1111")
    if name.endswith("_name"):
        return N_("Enter the name as written in the family register")
    return N_("Check what you entered here")


def _refusal(response: httpx.Response) -> Refused:
    message = _message_ja(response)
    if response.status_code in (404, 410):
        return Refused({}, link_unusable=True, message_ja=message)
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    errors: dict[str, str] = {}
    if response.status_code == 422 and isinstance(detail, list):
        for item in detail:
            name = _field_of(list(item.get("loc") or []))
            errors.setdefault(name, _hint_for(name))
    elif isinstance(detail, str) and detail.split(":")[0] in ("child.birth_date",):
        errors["child_birth_date"] = N_("Check the child's date of birth")
    elif isinstance(detail, str) and detail.startswith("guardian.birth_date"):
        errors["guardian_birth_date"] = N_("Your date of birth must be before the child's")
    elif response.status_code in (413, 415) or (
        isinstance(detail, str) and detail.startswith("attachment")
    ):
        errors["attachments"] = N_("Attach PDF, JPEG or PNG files of 5 MB or less")
    # A birth date the page explains at its field (in the page's language) needs no banner; the
    # banner is for what no field explains (a duplicate application, the period closed) and for
    # eligibility's precise words about a file.
    explained = bool(errors) and "attachments" not in errors
    return Refused(errors, message_ja="" if explained else message)


async def submit(
    eligibility: ServiceApi, municipality: str, link_token: str, application: Application
) -> Submitted | Refused:
    response = await eligibility.send(
        "POST",
        f"/v1/municipalities/{municipality}/applications",
        json=application.body(link_token),
    )
    if response.status_code == 201:
        return Submitted(str(response.json()["application_id"]))
    return _refusal(response)
