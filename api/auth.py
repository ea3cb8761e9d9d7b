"""Identity from ``Authorization: Bearer <JWT>`` (or the ``token`` cookie of the HTML forms).

Locally tokens are HS256-signed with ``settings.jwt_secret`` and handed out by
``POST /auth/dev-login``. In production ``jwks_url`` (OIDC/JWKS) or ``jwt_issuer_key`` (a PEM
public key) is configured and only tokens signed by the issuer are accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status

from api.deps import SettingsDep
from runtime.settings import Settings
from workflows.model import ROLES, Actor

TOKEN_COOKIE = "token"
DEV_TOKEN_LIFETIME = timedelta(hours=12)
ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


@dataclass(frozen=True)
class Principal:
    """The caller, from the token's claims."""

    sub: str
    name: str
    role: str
    org: str | None = None
    municipality: str | None = None

    @property
    def actor(self) -> Actor:
        """The actor every action carries (the body can never set it)."""
        return Actor(user_id=self.sub, role=self.role, name=self.name, org=self.org)


def issue_token(settings: Settings, principal: Principal) -> str:
    """A dev token (HS256 with the local secret)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": principal.sub,
        "name": principal.name,
        "role": principal.role,
        "org": principal.org,
        "municipality": principal.municipality,
        "iat": now,
        "exp": now + DEV_TOKEN_LIFETIME,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url)


def decode_token(settings: Settings, token: str) -> dict[str, Any]:
    """Verify the signature (issuer key if configured, else the dev secret) and return the claims."""
    options: jwt.types.Options = {"require": ["sub", "role"], "verify_aud": False}
    if settings.jwks_url:
        key = _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token).key
        return jwt.decode(token, key, algorithms=ASYMMETRIC, options=options)
    if settings.jwt_issuer_key:
        return jwt.decode(token, settings.jwt_issuer_key, algorithms=ASYMMETRIC, options=options)
    return jwt.decode(token, settings.jwt_secret, algorithms=["HS256"], options=options)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    role = claims.get("role")
    if role not in ROLES:
        raise ValueError(f"okänd roll: {role!r}")
    return Principal(
        sub=str(claims["sub"]),
        name=str(claims.get("name") or claims["sub"]),
        role=str(role),
        org=claims.get("org") or None,
        municipality=claims.get("municipality") or None,
    )


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def _token_of(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return request.cookies.get(TOKEN_COOKIE)


def current_user(request: Request, settings: SettingsDep) -> Principal:
    """The authenticated caller; 401 without a valid token or with an unknown role."""
    token = _token_of(request)
    if token is None:
        raise _unauthorized("Inloggning krävs (Authorization: Bearer <token>).")
    try:
        return principal_from_claims(decode_token(settings, token))
    except (jwt.PyJWTError, ValueError, KeyError) as error:
        raise _unauthorized(f"Ogiltig token: {error}") from error


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_roles(*roles: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that answers 403 unless the caller has one of ``roles``."""

    async def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"Rollen {user.role} får inte göra detta.")
        return user

    return check
