"""Reading price tables (domain.prices) from YAML: the shipped presets, or an operator's directory
(``TSUEN_BILLING_PRICES_DIR``). File names: ``fy<year>-default.yaml`` and
``fy<year>-<code>-<name>.yaml``; the contents say the year and municipality."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml
from pydantic import ValidationError

from tsuen_billing.domain.prices import PriceBook, PriceTable

__all__ = ["PRESETS", "load_price_book"]

PRESETS: Traversable = files("tsuen_billing") / "prices"


def load_price_book(directory: Path | Traversable | None = None) -> PriceBook:
    root = directory if directory is not None else PRESETS
    tables = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        try:
            tables.append(PriceTable.model_validate(yaml.safe_load(entry.read_text("utf-8"))))
        except (ValidationError, yaml.YAMLError) as exc:
            raise ValueError(f"{entry.name}: {exc}") from exc
    if not tables:
        raise ValueError(f"no price tables in {root}")
    return PriceBook(tables)
