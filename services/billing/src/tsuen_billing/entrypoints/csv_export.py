"""The claim as CSV (請求明細). Column layout, documented in docs/billing.md#csv: one row per
usage line, UTF-8 with a BOM (spreadsheets in Japan read it as UTF-8), CRLF line ends, a header
row with these names, in this order; amounts in whole yen, dates ISO 8601."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

COLUMNS: tuple[str, ...] = (
    "billing_month",  # 請求月: the month this claim closed
    "facility_id",
    "facility_name",
    "paying_municipality",  # 支払自治体 (the child's municipality)
    "service_month",  # 利用月: the use date's month
    "adjustment",  # 1: a late line of an earlier, closed month (調整行); else 0
    "use_date",
    "child_id",
    "booking_id",
    "kind",  # use | no_show | late_cancel | late_pickup | over_cap | not_charged_cancel
    "minutes",
    "age_band",  # age_0 | age_1_2 (empty for lines outside the scheme's rates)
    "fiscal_year",
    "benefit_yen",  # 給付費
    "addon_yen",  # 加算
    "claim_yen",  # benefit_yen + addon_yen
    "source_event_id",  # the booking event the line came from
    "first_visit",  # 1: addon_yen includes the 初回 add-on (per visit); else 0
)


def claim_csv(lines: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for line in lines:
        writer.writerow(
            [
                line["billing_month"],
                line["facility_id"],
                line["facility_name"],
                line["paying_municipality"],
                line["service_month"],
                1 if line["service_month"] != line["billing_month"] else 0,
                line["use_date"].isoformat(),
                line["child_id"],
                line["booking_id"],
                line["kind"],
                line["minutes"],
                line["age_band"] or "",
                line["fiscal_year"] if line["fiscal_year"] is not None else "",
                line["benefit_yen"],
                line["addon_yen"],
                line["benefit_yen"] + line["addon_yen"],
                line["source_event_id"],
                1 if line.get("first_visit") else 0,
            ]
        )
    return out.getvalue()
