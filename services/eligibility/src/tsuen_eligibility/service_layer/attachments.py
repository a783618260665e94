"""The application's attachments: checked on the way in, handed to officers on the way out."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from tsuen_eligibility.adapters import application_store
from tsuen_eligibility.domain.attachments import content_matches, safe_filename
from tsuen_eligibility.service_layer.commands import Attachment
from tsuen_eligibility.service_layer.context import Eligibility
from tsuen_eligibility.service_layer.errors import Invalid, NotFound, TooLarge, UnsupportedType


@dataclass(frozen=True)
class AttachmentFile:
    """An attachment's bytes, from base64 in the JSON form or from a multipart upload."""

    filename: str
    content_type: str
    data: bytes


def _checked(ctx: Eligibility, n: int, file: AttachmentFile) -> AttachmentFile:
    settings = ctx.settings
    content_type = file.content_type.split(";")[0].strip().lower()
    if content_type not in settings.attachment_content_types:
        raise UnsupportedType(
            f"attachment {n} ({file.filename}) is {content_type}; send one of "
            f"{', '.join(settings.attachment_content_types)}",
            message_ja=f"添付{n}の形式（{content_type}）は受け付けられません。"
            "PDF・JPEG・PNG のいずれかでお送りください。",
        )
    if len(file.data) > settings.attachment_max_bytes:
        raise TooLarge(
            _too_large(n, file.filename, settings.attachment_max_bytes),
            message_ja=_too_large_ja(n, settings.attachment_max_bytes),
        )
    name = safe_filename(file.filename)
    if not file.data:
        raise Invalid(
            f"attachment {n} ({name}) is empty", message_ja=f"添付{n}（{name}）が空です。"
        )
    if not content_matches(content_type, file.data):
        raise UnsupportedType(
            f"attachment {n} ({name}) is not a {content_type} file; send the scan or photo "
            "itself as PDF, JPEG or PNG",
            message_ja=f"添付{n}（{name}）の中身が {content_type} ではありません。"
            "PDF・JPEG・PNG のファイルをそのまま添付してください。",
        )
    return AttachmentFile(name, content_type, file.data)


def decode_attachments(
    ctx: Eligibility, items: list[Attachment], uploads: Sequence[AttachmentFile] = ()
) -> list[AttachmentFile]:
    """The form's base64 attachments and the multipart uploads, numbered in that order and
    each checked (type, size, not empty, content matching its type)."""
    settings = ctx.settings
    if len(items) + len(uploads) > settings.attachment_max_count:
        raise Invalid(
            f"at most {settings.attachment_max_count} attachments per application",
            message_ja=f"添付できるファイルは、1件の申請につき{settings.attachment_max_count}件までです。",
        )
    files = []
    for n, item in enumerate(items, start=1):
        # base64 is 4/3 of the size: refuse before decoding a huge string.
        if len(item.data_base64) > (settings.attachment_max_bytes * 4) // 3 + 8:
            raise TooLarge(
                _too_large(n, item.filename, settings.attachment_max_bytes),
                message_ja=_too_large_ja(n, settings.attachment_max_bytes),
            )
        try:
            data = base64.b64decode(item.data_base64, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid(
                f"attachment {n} ({item.filename}): data_base64 is not base64",
                message_ja=f"添付{n}のデータを読み取れませんでした。ファイルを選び直してください。",
            ) from None
        files.append(_checked(ctx, n, AttachmentFile(item.filename, item.content_type, data)))
    for n, upload in enumerate(uploads, start=len(items) + 1):
        files.append(_checked(ctx, n, upload))
    return files


def _size_text(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    if size >= 1024:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


def _too_large_ja(n: int, limit: int) -> str:
    return (
        f"添付{n}のファイルが大きすぎます（上限 {_size_text(limit)}）。"
        "解像度を下げるなどして、小さくしてからお送りください。"
    )


def _too_large(n: int, filename: str, limit: int) -> str:
    return (
        f"attachment {n} ({filename}) is larger than {_size_text(limit)}; "
        "send a smaller scan or photo (for example a PDF at a lower resolution)"
    )


async def get_attachment(
    ctx: Eligibility, *, municipality: str, application_id: uuid.UUID, attachment_id: uuid.UUID
) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of one attachment, for the officer's download."""
    async with ctx.sessions() as session:
        row = await application_store.attachment(
            session,
            municipality=municipality,
            application_id=application_id,
            attachment_id=attachment_id,
        )
    if row is None:
        raise NotFound(
            f"no attachment {attachment_id} on application {application_id}",
            message_ja="添付ファイルが見つかりませんでした。申請の詳細を開き直してください。",
        )
    return row.filename, row.content_type, row.data
