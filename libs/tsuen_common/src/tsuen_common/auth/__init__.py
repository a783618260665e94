"""Bearer-token auth shared by every tsuen API: roles, the tenant-aware principal, FastAPI wiring.

See :mod:`tsuen_common.auth.dependencies` for how an app is wired.
"""

from tsuen_common.auth.dependencies import (
    MunicipalityCode,
    OfficerDep,
    PrincipalDep,
    Unauthenticated,
    configure_auth,
    get_principal,
    get_token_verifier,
    require_roles,
)
from tsuen_common.auth.errors import (
    AuthConfigError,
    AuthError,
    Forbidden,
    InvalidToken,
    TokenExpired,
)
from tsuen_common.auth.issuer import TokenIssuer
from tsuen_common.auth.principal import Principal, Role
from tsuen_common.auth.verifier import TokenVerifier

__all__ = [
    "AuthConfigError",
    "AuthError",
    "Forbidden",
    "InvalidToken",
    "MunicipalityCode",
    "OfficerDep",
    "Principal",
    "PrincipalDep",
    "Role",
    "TokenExpired",
    "TokenIssuer",
    "TokenVerifier",
    "Unauthenticated",
    "configure_auth",
    "get_principal",
    "get_token_verifier",
    "require_roles",
]
