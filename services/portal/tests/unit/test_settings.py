import pytest

from tsuen_portal.config import Settings


@pytest.mark.parametrize(
    ("environment", "secure"), [("prod", True), ("test", False), ("dev", False)]
)
def test_session_cookies_are_secure_except_in_test_and_dev(monkeypatch, environment, secure):
    monkeypatch.delenv("TSUEN_PORTAL_SECURE_COOKIES", raising=False)
    monkeypatch.setenv("TSUEN_ENVIRONMENT", environment)
    assert Settings().secure_cookies is secure


def test_the_setting_wins(monkeypatch):
    monkeypatch.setenv("TSUEN_ENVIRONMENT", "dev")
    monkeypatch.setenv("TSUEN_PORTAL_SECURE_COOKIES", "true")
    assert Settings().secure_cookies is True
