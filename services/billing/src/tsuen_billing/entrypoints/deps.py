"""What the routers share: the use-case context."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tsuen_billing.service_layer.context import Billing


# async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.
async def get_billing(request: Request) -> Billing:
    billing: Billing = request.app.state.billing
    return billing


BillingDep = Annotated[Billing, Depends(get_billing)]
