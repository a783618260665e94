"""Registry imports checked before they are applied (住民記録, 保育所等の在籍): pure rules.

An officer's CSV is read whole — every line's problems are collected, not just the first — so
the officer can fix the spreadsheet in one go. Line numbers are the spreadsheet's rows: the
header is row 1 and blank rows still count (a spreadsheet shows them). Each row is then
compared with what is on record: new, changed or the same. The fingerprint sums up what the
officer saw (rows, changes, the certifications that would end) so that applying refuses
anything else.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

MAX_ROWS = 50_000
MAX_ERRORS = 200  # beyond this the file is wrong throughout; the count says how many more

ModelT = TypeVar("ModelT", bound=BaseModel)
KeyT = TypeVar("KeyT")
Outcome = Literal["new", "changed", "unchanged"]


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None  # None: the whole row or the header
    message: str
    message_ja: str


@dataclass(frozen=True)
class ReadCsv(Generic[ModelT]):
    rows: list[tuple[int, ModelT]]  # (line as the spreadsheet counts it, the row)
    errors: list[RowError]
    error_count: int


# pydantic's error types → what the officer should do, in Japanese.
_JA_BY_TYPE = {
    "missing": "入力してください。",
    "date_from_datetime_parsing": "日付は 2026-04-01 の形で入力してください。",
    "date_parsing": "日付は 2026-04-01 の形で入力してください。",
    "date_type": "日付は 2026-04-01 の形で入力してください。",
    "string_too_long": "文字数が多すぎます。",
}


def _message_ja(error: Mapping[str, Any], choices: Iterable[str]) -> str:
    kind = str(error.get("type", ""))
    if kind == "enum":
        return "次のいずれかを入力してください: " + "、".join(choices) + "。"
    if kind in _JA_BY_TYPE:
        return _JA_BY_TYPE[kind]
    if "kana" in str(error.get("msg", "")).lower() or "カナ" in str(error.get("msg", "")):
        return "ふりがなはカタカナ（またはひらがな）で入力してください。"
    return "値が正しくありません。"


def _choices(model: type[BaseModel], column: str) -> list[str]:
    annotation = model.model_fields[column].annotation if column in model.model_fields else None
    members = getattr(annotation, "__members__", None)
    return [str(m.value) for m in members.values()] if members else []


def columns(model: type[BaseModel]) -> list[str]:
    """The header row of a template CSV: the model's fields in order."""
    return list(model.model_fields)


def read_csv(text: str, model: type[ModelT]) -> ReadCsv[ModelT]:
    """Every row of the CSV as the model, and every problem with its line and column."""
    records = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in next(records, [])]
    expected = columns(model)
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in expected]
    if missing or unknown or len(set(header)) != len(header):
        detail = f"the header must name the columns {expected} (required: {required})"
        ja = "1行目（見出し行）の列名が正しくありません。テンプレートの見出し行をお使いください。"
        if missing:
            ja += "　足りない列: " + "、".join(missing)
        if unknown:
            ja += "　不明な列: " + "、".join(unknown)
        return ReadCsv([], [RowError(1, None, detail, ja)], 1)
    rows: list[tuple[int, ModelT]] = []
    errors: list[RowError] = []
    count = 0

    def problem(error: RowError) -> None:
        nonlocal count
        count += 1
        if len(errors) < MAX_ERRORS:
            errors.append(error)

    for line, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank spreadsheet row
        if len(rows) + count >= MAX_ROWS:
            problem(
                RowError(
                    line,
                    None,
                    f"at most {MAX_ROWS} rows per import; split the file",
                    f"一度に取り込めるのは{MAX_ROWS}行までです。ファイルを分けてください。",
                )
            )
            break
        if len(record) > len(header):
            problem(
                RowError(
                    line,
                    None,
                    "more cells than the header has columns",
                    "見出し行より列が多くなっています。余分な「,」がないかご確認ください。",
                )
            )
            continue
        values = {h: v.strip() for h, v in zip(header, record, strict=False) if v.strip()}
        try:
            rows.append((line, model.model_validate(values)))
        except ValidationError as exc:
            for e in exc.errors():
                column = str(e["loc"][0]) if e["loc"] else None
                problem(
                    RowError(
                        line,
                        column,
                        e["msg"],
                        _message_ja(e, _choices(model, column) if column else []),
                    )
                )
    return ReadCsv(rows, errors, count)


@dataclass(frozen=True)
class RowChange(Generic[KeyT]):
    line: int
    key: KeyT
    outcome: Outcome
    before: dict[str, str | None] | None  # what is on record (None: nothing yet)
    after: dict[str, str | None]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def compare_with_record(
    rows: Iterable[tuple[int, ModelT]],
    on_record: Mapping[KeyT, dict[str, str | None]],
    *,
    key: Callable[[ModelT], KeyT],
    values: Callable[[ModelT], dict[str, str | None]],
) -> list[RowChange[KeyT]]:
    """Each row as new, changed or unchanged. Rows apply in order (the import upserts), so a
    child twice in the file is compared with the row before it, as the import would leave it."""
    state = dict(on_record)
    changes: list[RowChange[KeyT]] = []
    for line, row in rows:
        k = key(row)
        before = state.get(k)
        after = values(row)
        outcome: Outcome = (
            "new" if before is None else "unchanged" if before == after else "changed"
        )
        changes.append(RowChange(line, k, outcome, before, after))
        state[k] = after
    return changes


def resident_values(moved_in_on: date | None, moved_out_on: date | None) -> dict[str, str | None]:
    """What a resident record holds (the import overwrites both dates)."""
    return {"moved_in_on": _iso(moved_in_on), "moved_out_on": _iso(moved_out_on)}


def enrollment_values(enrolled_until: date | None) -> dict[str, str | None]:
    """What an enrollment row can change once on record (its key holds type and first day)."""
    return {"enrolled_until": _iso(enrolled_until)}


def moving_out_ends_certification(moved_out_on: date | None) -> date | None:
    """転出: a resident record with a moving-out day ends the child's certification that day."""
    return moved_out_on


def enrollment_ends_certification(excluded: bool, enrolled_from: date) -> date | None:
    """入所: enrolling in a facility type the municipality excludes ends the certification on
    the first day of enrollment; another type leaves it alone."""
    return enrolled_from if excluded else None


def fingerprint(kind: str, summary: Any) -> str:
    """The preview's digest: the same CSV against the same records gives the same value."""
    text = json.dumps({"kind": kind, "summary": summary}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
