"""Pure parts of the use cases: CSV parsing, attachment limits, the public draw re-run."""

from __future__ import annotations

import base64
import uuid
from datetime import date
from typing import Any

import pytest

from tsuen_common.policy import EnrollmentType, load_policies
from tsuen_eligibility.config import Settings
from tsuen_eligibility.domain.lottery import new_seed, seed_commitment
from tsuen_eligibility.service_layer.attachments import decode_attachments
from tsuen_eligibility.service_layer.commands import (
    Attachment,
    EnrollmentIn,
    ReplayApplicant,
    ReplayRequest,
    ResidentRecordIn,
)
from tsuen_eligibility.service_layer.context import Eligibility
from tsuen_eligibility.service_layer.draw_replay import replay
from tsuen_eligibility.service_layer.errors import Invalid, TooLarge, UnsupportedType
from tsuen_eligibility.service_layer.registries import parse_csv


def ctx(**settings: Any) -> Eligibility:
    return Eligibility(
        sessions=None,  # type: ignore[arg-type]  # these rules never touch the database
        outbox=None,  # type: ignore[arg-type]
        policies=load_policies(),
        settings=Settings(**settings),
    )


def test_resident_csv_with_bom_and_optional_columns() -> None:
    text = "\ufeffchild_kana,child_birth_date,moved_in_on\nヤマダ タロウ,2025-01-15,\n"
    [row] = parse_csv(text, ResidentRecordIn)
    assert row.child_birth_date == date(2025, 1, 15)
    assert row.moved_in_on is None


def test_enrollment_csv_error_names_the_line_and_field() -> None:
    text = (
        "child_kana,child_birth_date,facility_type,enrolled_from\n"  # header
        "ア,2025-01-01,nursery,2026-04-01\n"
    )
    with pytest.raises(Invalid, match=r"CSV line 2: facility_type"):
        parse_csv(text, EnrollmentIn)


def test_csv_with_unknown_column_is_refused_with_the_expected_header() -> None:
    with pytest.raises(Invalid, match="child_kana"):
        parse_csv("name,birth\nA,2025-01-01\n", ResidentRecordIn)


def test_enrollment_csv_reads_facility_types() -> None:
    text = (
        "child_kana,child_birth_date,facility_type,enrolled_from\n"
        "ア,2025-01-01,tokyo_certified,2026-04-01\n"
    )
    [row] = parse_csv(text, EnrollmentIn)
    assert row.facility_type is EnrollmentType.TOKYO_CERTIFIED


def _attachment(data: bytes, content_type: str = "application/pdf") -> Attachment:
    return Attachment(
        filename="a.pdf", content_type=content_type, data_base64=base64.b64encode(data).decode()
    )


def test_attachment_at_the_size_limit_is_accepted_one_byte_more_is_not() -> None:
    context = ctx(attachment_max_bytes=1000)
    [f] = decode_attachments(context, [_attachment(b"%PDF-" + b"x" * 995)])
    assert len(f.data) == 1000
    with pytest.raises(TooLarge, match="larger than 1000 bytes"):
        decode_attachments(context, [_attachment(b"%PDF-" + b"x" * 996)])


def test_attachment_type_and_count_are_limited() -> None:
    with pytest.raises(UnsupportedType, match="image/png"):
        decode_attachments(ctx(), [_attachment(b"x", "text/html")])
    with pytest.raises(Invalid, match="at most 1 attachments"):
        decode_attachments(ctx(attachment_max_count=1), [_attachment(b"%PDF-")] * 2)
    # Parameters of the media type do not matter: "image/jpeg; name=a.jpg" is a JPEG.
    jpeg = b"\xff\xd8\xff\xe0"
    [f] = decode_attachments(ctx(), [_attachment(jpeg, "IMAGE/JPEG; name=a.jpg")])
    assert f.content_type == "image/jpeg"


def test_replay_checks_the_commitment_and_is_deterministic() -> None:
    seed = new_seed()
    applicants = [ReplayApplicant(application_id=uuid.UUID(int=i)) for i in range(1, 8)]
    request = ReplayRequest(
        seed=seed, seed_hash=seed_commitment(seed), places=3, applicants=applicants
    )
    first = replay(request)
    assert replay(request) == first
    assert first["winners"] == first["order"][:3]
    with pytest.raises(Invalid, match="does not match"):
        replay(request.model_copy(update={"seed_hash": "0" * 64}))
