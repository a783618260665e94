"""Where the portal may send a browser after a form: only paths on this site."""

from __future__ import annotations

HOME = "/"


def safe_next(value: str | None, default: str = HOME) -> str:
    """``value`` if it is a path on this site, else ``default``.

    An open redirect would let a phishing link borrow the portal's login page (log in here,
    land on a look-alike site that asks for the password "again")."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 0x20 for c in value)
    ):
        return default
    return value
