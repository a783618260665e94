"""A token whose subject is not one of identity's account ids names no account: a 404."""

from __future__ import annotations

import uuid

import pytest

from tsuen_common import errors
from tsuen_common.auth import Principal, Role
from tsuen_identity.entrypoints.api import _account_id


def test_an_account_subject_is_its_id() -> None:
    account = uuid.uuid4()
    officer = Principal(subject=str(account), role=Role.MUNICIPALITY_OFFICER, municipality="131016")
    assert _account_id(officer) == account


def test_a_subject_from_elsewhere_is_a_404_not_a_500() -> None:
    # Found by the fuzz suite (issue 12): "staff-demo" crashed /v1/me and /v1/logout-all.
    dev = Principal(subject="staff-demo", role=Role.MUNICIPALITY_OFFICER, municipality="131016")
    with pytest.raises(errors.NotFound) as refused:
        _account_id(dev)
    assert refused.value.status == 404
    assert refused.value.message_ja
