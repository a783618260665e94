"""What the routers share: the use-case context and the caller's address."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from tsuen_identity.service_layer.context import Identity


# async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.
async def get_identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


IdentityDep = Annotated[Identity, Depends(get_identity)]


async def client_address(request: Request) -> str:
    """The address throttles count by. X-Forwarded-For is anyone's to write, so it is used only
    when the operator says a proxy in front sets it (TSUEN_TRUST_FORWARDED_FOR); then the
    proxy's entry, the last one, is taken."""
    if request.app.state.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.client.host if request.client else "unknown"


ClientDep = Annotated[str, Depends(client_address)]
