"""A notice as it leaves: rendered from the templates, encoded as a proper MIME message."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import date, time

from tsuen_common.policy import load_policies
from tsuen_common.timeutil import at_jst
from tsuen_notification.adapters.message import build_message, compose, message_id
from tsuen_notification.adapters.rendering import Renderer
from tsuen_notification.domain.notices import RecipientKind, Template

KAKEGAWA = load_policies().get("222135")
NOTICE = uuid.UUID("1c0e5a0e-7f3d-4d7b-8f7e-0a9b8c7d6e5f")


def _message(template: Template, context: dict[str, object], kind=RecipientKind.GUARDIAN):  # type: ignore[no-untyped-def]
    mail = Renderer(portal_url="https://tsuen.example.jp/").render(
        template, context, recipient_kind=kind, policy=KAKEGAWA
    )
    return build_message(
        notice_id=NOTICE,
        mail=mail,
        recipient="taro@example.jp",
        sender=KAKEGAWA.notification,
        date=at_jst(date(2026, 12, 1), time(10)),
    )


def _parsed(msg) -> email.message.EmailMessage:  # type: ignore[no-untyped-def]
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


LINK = {"url": "https://tsuen.example.jp/apply?t=abc", "expires_at": "2026年12月2日(水) 10:00"}


def test_headers_are_encoded_and_decode_back() -> None:
    raw = _message(Template.APPLICATION_LINK, LINK).as_bytes()
    # On the wire: ASCII only, non-ASCII headers as RFC 2047 encoded words.
    raw.decode("ascii")
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    assert b"=?utf-8?" in head
    parsed = _parsed(_message(Template.APPLICATION_LINK, LINK))
    assert parsed["Subject"] == "利用申請URLのお知らせ"
    assert parsed["From"].addresses[0].display_name == "掛川市 こども誰でも通園制度"
    assert parsed["From"].addresses[0].addr_spec == "tsuen-noreply@city.kakegawa.example.jp"
    assert parsed["To"] == "taro@example.jp"
    assert parsed["Message-ID"] == f"<{NOTICE}@city.kakegawa.example.jp>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Date"].datetime == at_jst(date(2026, 12, 1), time(10))


def test_text_and_html_parts_are_utf8_base64() -> None:
    parsed = _parsed(_message(Template.APPLICATION_LINK, LINK))
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    for part in (text, html):
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "base64"
    body = text.get_content()
    assert "保護者様" in body
    assert "https://tsuen.example.jp/apply?t=abc" in body
    assert "2026年12月2日(水) 10:00" in body
    assert "掛川市の担当窓口" in body
    assert '<a href="https://tsuen.example.jp/apply?t=abc">' in html.get_content()


def test_html_escapes_what_people_typed_but_text_keeps_it() -> None:
    context = {
        "facility_name": "<b>ひまわり</b>",
        "use_date": "2026年12月10日(木)",
        "time_range": None,
        "starts_at": "2026年12月10日(木) 9:00",
        "reason": "<script>alert(1)</script>",
        "cancelled_by": "保護者",
        "timely": True,
        "consumed": None,
        "bulk": False,
        "child_name": "山田 <i>太郎</i>",
        "booking_ref": "7DE66515",
    }
    parsed = _parsed(_message(Template.BOOKING_CANCELLED_FACILITY, context, RecipientKind.FACILITY))
    html = parsed.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("<b>ひまわり</b> ご担当者様")
    assert "期限内のキャンセルです" in text
    # The facility's notice names the child and the booking (issue 13).
    assert "お子さま: 山田 <i>太郎</i> さん" in text
    assert "予約番号: 7DE66515" in text
    assert "山田 &lt;i&gt;太郎&lt;/i&gt;" in html


def test_message_id_uses_the_sender_domain() -> None:
    assert message_id(NOTICE, "a@b.example.jp") == f"<{NOTICE}@b.example.jp>"


def test_wire_form_is_ascii_crlf_and_ends_with_a_line_break() -> None:
    mail = Renderer(portal_url="https://tsuen.example.jp/").render(
        Template.APPLICATION_LINK, LINK, recipient_kind=RecipientKind.GUARDIAN, policy=KAKEGAWA
    )
    raw = compose(
        notice_id=NOTICE,
        mail=mail,
        recipient="taro@example.jp",
        sender=KAKEGAWA.notification,
        date=at_jst(date(2026, 12, 1), time(10)),
    )
    raw.decode("ascii")
    # SMTP's DATA appends "." on a line of its own: the message must end with CRLF.
    assert raw.endswith(b"--\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert not parsed.defects
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    text = parsed.get_body(preferencelist=("plain",))
    assert text is not None
    assert text.get_content() == mail.text


def test_an_address_that_is_not_plain_goes_through_the_email_library() -> None:
    # Never produced by the events (validated addresses), but a header must stay one header.
    parsed = _parsed(
        build_message(
            notice_id=NOTICE,
            mail=Renderer().render(
                Template.APPLICATION_LINK,
                LINK,
                recipient_kind=RecipientKind.GUARDIAN,
                policy=KAKEGAWA,
            ),
            recipient="山田 <taro@example.jp>",
            sender=KAKEGAWA.notification,
            date=at_jst(date(2026, 12, 1), time(10)),
        )
    )
    assert parsed["To"].addresses[0].addr_spec == "taro@example.jp"
    assert parsed["To"].addresses[0].display_name == "山田"


def test_a_mailbox_that_is_not_ascii_goes_out_in_utf8_not_encoded_words() -> None:
    # RFC 2047 cannot encode an address: an internationalised mailbox (RFC 6532) is written as
    # UTF-8, and the SMTP adapter asks the server for SMTPUTF8.
    mail = Renderer().render(
        Template.APPLICATION_LINK, LINK, recipient_kind=RecipientKind.GUARDIAN, policy=KAKEGAWA
    )
    raw = compose(
        notice_id=NOTICE,
        mail=mail,
        recipient="ゆうこ@例え.jp",
        sender=KAKEGAWA.notification,
        date=at_jst(date(2026, 12, 1), time(10)),
    )
    assert "To: ゆうこ@例え.jp\r\n".encode() in raw
    assert b"=?utf-8?" not in raw.split(b"\r\nTo: ", 1)[1].split(b"\r\n", 1)[0]
    parsed = email.message_from_string(raw.decode("utf-8"), policy=email.policy.SMTPUTF8)
    assert parsed["To"].addresses[0].addr_spec == "ゆうこ@例え.jp"
    # The sender's display name stays RFC 2047 (an ASCII mailbox).
    assert raw.split(b"\r\n", 1)[0].startswith(b"From: =?utf-8?")
