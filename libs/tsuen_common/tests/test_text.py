"""Text typed by people: invisible characters removed, control characters and non-names refused."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from tsuen_common.text import (
    KanaName,
    PersonName,
    TextRefused,
    clean_kana,
    clean_name,
    clean_text,
    minutes_ja,
)

INVISIBLE = ["\u200b", "\u00ad", "\u2060", "\u200e", "\u202e", "\ufeff", "\u200d"]


@pytest.mark.parametrize("mark", INVISIBLE)
def test_invisible_characters_are_removed_from_a_name_and_its_reading(mark):
    assert clean_kana(f"ヤマ{mark}ダ タロウ") == "ヤマダ タロウ"
    assert clean_name(f"山田{mark} 太郎") == "山田 太郎"


def test_half_width_kana_and_full_width_letters_are_normalised():
    assert clean_kana("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ タロウ"
    assert clean_name("ＹＡＭＡＤＡ") == "YAMADA"


@pytest.mark.parametrize("text", ["a\x00b", "line\r\nbreak", "tab\there", "\x1b[31m"])
def test_control_characters_are_refused_in_one_line_text(text):
    with pytest.raises(TextRefused, match="制御文字"):
        clean_text(text)


def test_multiline_text_keeps_newlines_and_tabs_but_refuses_nul():
    assert clean_text("一行目\n\t二行目", multiline=True) == "一行目\n\t二行目"
    with pytest.raises(TextRefused):
        clean_text("a\x00", multiline=True)


@pytest.mark.parametrize("name", ["😀", "😀😀", "\u200b\u200b", "   ", "---", "123"])
def test_a_name_without_a_letter_is_refused(name):
    with pytest.raises(TextRefused, match="名前には文字を"):
        clean_name(name)


@pytest.mark.parametrize("kana", ["山田", "yamada", "ヤマダ😀", "ー", "\u200b", "ヤマダ1"])
def test_a_reading_must_be_kana(kana):
    with pytest.raises(TextRefused, match="ふりがな"):
        clean_kana(kana)


@pytest.mark.parametrize(
    "kana", ["やまだ たろう", "ヤマダ・タロウ", "ヴィーナス", "ゆうこ　ちゃん"]
)
def test_ordinary_readings_pass(kana):
    assert clean_kana(kana) == clean_text(kana)


class Form(BaseModel):
    name: PersonName
    kana: KanaName


def test_the_annotated_types_give_a_422_style_error_naming_the_field():
    with pytest.raises(ValidationError) as refused:
        Form(name="😀", kana="ヤマダ")
    [error] = refused.value.errors()
    assert error["loc"] == ("name",)
    assert "名前には文字を" in error["msg"]
    assert Form(name="山田\u200b花子", kana="ﾔﾏﾀﾞ").model_dump() == {
        "name": "山田花子",
        "kana": "ヤマダ",
    }


@pytest.mark.parametrize(
    ("minutes", "said"), [(90, "1時間30分"), (480, "8時間"), (45, "45分"), (0, "0分")]
)
def test_minutes_are_said_in_hours_and_minutes(minutes: int, said: str) -> None:
    assert minutes_ja(minutes) == said
