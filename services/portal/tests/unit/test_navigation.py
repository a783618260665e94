import pytest

from tsuen_portal.domain.navigation import safe_next


@pytest.mark.parametrize("target", ["/", "/certificates/abc", "/bookings?kind=flexible"])
def test_a_path_on_this_site_is_kept(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [None, "", "https://evil.example/", "//evil.example/", "/\\evil.example", "/a\r\nSet-Cookie:x"],
)
def test_anything_else_goes_home(target):
    assert safe_next(target) == "/"
