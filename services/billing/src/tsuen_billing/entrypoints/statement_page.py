"""The printable statement (利用料明細書): one plain HTML page, printable from any browser."""

from __future__ import annotations

from html import escape
from typing import Any

from tsuen_common.timeutil import JST

KIND_JA = {
    "use": "利用",
    "no_show": "欠席(連絡なし)",
    "late_cancel": "期限後キャンセル",
    "late_pickup": "お迎え遅れ",
    "over_cap": "上限超過(施設料金)",
    "not_charged_cancel": "施設都合キャンセル(請求なし)",
}

_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}"
    "td,th{border:1px solid #333;padding:.3em .6em}.n{text-align:right}"
)


def _yen(amount: int | None) -> str:
    return f"{amount or 0:,}円"


def _times(line: dict[str, Any]) -> str:
    start, end = line.get("checked_in_at"), line.get("checked_out_at")
    if start is None or end is None:
        return ""
    return f"{start.astimezone(JST):%H:%M}–{end.astimezone(JST):%H:%M}"


def _costs(line: dict[str, Any]) -> str:
    """The visit's 実費 with its items: 「400円（昼食 300円、おやつ 100円）」."""
    items = line.get("actual_costs") or []
    if not items:
        return _yen(line.get("actual_cost_yen"))
    named = "、".join(f"{escape(str(name))} {_yen(int(yen))}" for name, yen in items)
    return f"{_yen(line.get('actual_cost_yen'))}（{named}）"


def _row(line: dict[str, Any]) -> str:
    kind = escape(KIND_JA.get(line["kind"], line["kind"]))
    if line["service_month"] != line["billing_month"]:
        kind += f"（{escape(line['service_month'])}分の調整）"
    cells = [
        f"<td>{line['use_date'].isoformat()}</td>",
        f"<td>{kind}</td>",
        f"<td>{_times(line)}</td>",
        f"<td class=n>{line['minutes']}分</td>",
        f"<td class=n>{_yen(line['fee_yen'])}</td>",
        f"<td class=n>{_yen(line['over_cap_yen'])}</td>",
        f"<td class=n>{_costs(line)}</td>",
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def statement_html(statement: dict[str, Any]) -> str:
    month = escape(statement["month"])
    head = "".join(
        f"<th>{h}</th>"
        for h in ("利用日", "区分", "登園–降園", "時間", "利用者負担", "上限超過料金", "実費")
    )
    rows = "\n".join(_row(line) for line in statement["lines"])
    fee, over, costs, total = (
        _yen(statement["fee_yen"]),
        _yen(statement["over_cap_yen"]),
        _yen(statement.get("actual_cost_yen")),
        _yen(statement["total_yen"]),
    )
    return (
        '<!doctype html>\n<html lang="ja"><head><meta charset="utf-8">'
        f"<title>利用料明細書 {month}</title><style>{_STYLE}</style></head>\n<body>\n"
        f"<h1>利用料明細書（{month}）</h1>\n"
        f"<p>施設: {escape(statement['facility_name'])}</p>\n"
        f"<table><thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n"
        f"<tfoot><tr><th colspan=4>合計</th><td class=n>{fee}</td><td class=n>{over}</td>"
        f"<td class=n>{costs}</td></tr>\n"
        f"<tr><th colspan=4>お支払い額（施設へ）</th><td class=n colspan=3>{total}</td></tr>"
        "</tfoot></table>\n<p>実費は施設が定める給食費などで、利用した日の分です。</p>\n</body></html>\n"
    )
