"""What the routers share: the use-case context and the caller's address."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Annotated

from fastapi import Depends, Request

from tsuen_identity.service_layer.context import Identity


# async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.
async def get_identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


IdentityDep = Annotated[Identity, Depends(get_identity)]


@dataclass(frozen=True)
class ForwardedFor:
    """Whether, and from which peers, X-Forwarded-For names the client (settings)."""

    trusted: bool = False
    proxies: tuple[IPv4Network | IPv6Network, ...] = ()

    @classmethod
    def of(cls, trusted: bool, proxies: list[str]) -> ForwardedFor:
        return cls(trusted, tuple(ip_network(p, strict=False) for p in proxies))

    def client(self, peer: str | None, header: str | None) -> str:
        """The address throttles count by. X-Forwarded-For is anyone's to write, so it counts
        only when the operator trusts it and the peer is one of the proxies; then the entry the
        nearest proxy added (the last) is taken."""
        peer = peer or "unknown"
        if not self.trusted or not header or not self._from_proxy(peer):
            return peer
        hops = [hop.strip() for hop in header.split(",") if hop.strip()]
        return hops[-1] if hops else peer

    def _from_proxy(self, peer: str) -> bool:
        if not self.proxies:
            return True
        try:
            address = ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.proxies)


async def client_address(request: Request) -> str:
    forwarded: ForwardedFor = request.app.state.forwarded_for
    peer = request.client.host if request.client else None
    return forwarded.client(peer, request.headers.get("x-forwarded-for"))


ClientDep = Annotated[str, Depends(client_address)]
