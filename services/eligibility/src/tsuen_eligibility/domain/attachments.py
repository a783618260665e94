"""Attachments (障害者手帳 and the like): names made safe, contents checked against their type.

A file name comes from the parent's phone and ends up in an officer's download header: CR/LF
there split the header (the download broke the connection), a path walks out of a folder, and
an invisible character hides an extension. The content is checked against the declared type by
its first bytes, so a script cannot be uploaded as "image/png" and opened by a browser as HTML
(downloads also carry ``X-Content-Type-Options: nosniff``).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

MAX_FILENAME_CHARS = 120
FALLBACK_NAME = "attachment"

# The first bytes each accepted type must start with.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def safe_filename(name: str) -> str:
    """The last path part, NFKC, without control or invisible characters, at most 120 chars."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    text = text.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".")
    text = text.replace('"', "'")
    if len(text) > MAX_FILENAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        keep = MAX_FILENAME_CHARS - len(ext) - 1 if dot and len(ext) <= 10 else MAX_FILENAME_CHARS
        text = f"{(stem if dot else text)[:keep]}.{ext}" if dot and len(ext) <= 10 else text[:keep]
    return text or FALLBACK_NAME


def content_matches(content_type: str, data: bytes) -> bool:
    """Whether ``data`` starts like a file of ``content_type`` (unknown types never match)."""
    return any(data.startswith(sig) for sig in SIGNATURES.get(content_type, ()))


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback plus the UTF-8 name (filename*), so 手帳.pdf stays 手帳.pdf."""
    name = safe_filename(filename)
    fallback = name.encode("ascii", "replace").decode().replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
