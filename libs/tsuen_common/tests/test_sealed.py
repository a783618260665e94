"""Secrets sealed at rest with keys from the environment (envelope encryption)."""

from __future__ import annotations

import pytest

from tsuen_common.sealed import SealingError, SecretBox, box_from_settings, new_key_spec

OLD, NEW = new_key_spec("old"), new_key_spec("new")
CONTEXT = b"test.keys"


def test_a_sealed_secret_opens_and_does_not_show_the_secret() -> None:
    box = SecretBox.parse(OLD)
    sealed = box.seal(b"the-signing-key", context=CONTEXT)
    assert b"the-signing-key" not in sealed
    assert sealed.startswith(b"tsv1:old:")
    assert box.open(sealed, context=CONTEXT) == b"the-signing-key"
    assert box.seal(b"x", context=CONTEXT) != box.seal(b"x", context=CONTEXT)  # fresh nonces


def test_a_sealed_value_cannot_change_purpose_or_be_altered() -> None:
    box = SecretBox.parse(OLD)
    sealed = box.seal(b"secret", context=CONTEXT)
    with pytest.raises(SealingError):
        box.open(sealed, context=b"another.purpose")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(SealingError):
        box.open(tampered, context=CONTEXT)


def test_rotation_new_key_first_old_still_opens_then_reseal() -> None:
    sealed_old = SecretBox.parse(OLD).seal(b"secret", context=CONTEXT)
    rotated = SecretBox.parse(f"{NEW},{OLD}")
    assert rotated.open(sealed_old, context=CONTEXT) == b"secret"
    assert rotated.needs_reseal(sealed_old)
    resealed = rotated.seal(rotated.open(sealed_old, context=CONTEXT), context=CONTEXT)
    assert not rotated.needs_reseal(resealed)
    with pytest.raises(SealingError, match="not configured"):
        SecretBox.parse(NEW.replace("new:", "other:")).open(sealed_old, context=CONTEXT)


def test_values_from_before_sealing_still_open_and_are_marked_for_reseal() -> None:
    box = SecretBox.parse(OLD)
    assert box.open(b"plain-legacy-key", context=CONTEXT) == b"plain-legacy-key"
    assert box.needs_reseal(b"plain-legacy-key")


def test_prod_refuses_to_store_secrets_in_the_clear() -> None:
    with pytest.raises(SealingError, match="required in prod"):
        box_from_settings(None, environment="prod")
    assert not box_from_settings(None, environment="dev").seals
    assert box_from_settings(OLD, environment="prod").seals


@pytest.mark.parametrize("spec", ["nokey", "k:not-base64!", "k:" + "QUFB"])
def test_malformed_keys_are_refused_at_start(spec: str) -> None:
    with pytest.raises(SealingError):
        SecretBox.parse(spec)
