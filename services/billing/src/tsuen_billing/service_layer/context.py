"""What every billing use case works with, built once (service_layer.wiring): the shared
use-case context (``tsuen_common.usecase``) with the price book."""

from __future__ import annotations

from dataclasses import dataclass

from tsuen_billing.domain.prices import PriceBook
from tsuen_common.usecase import UseCaseContext


@dataclass(kw_only=True)
class Billing(UseCaseContext):
    prices: PriceBook
