"""Identity from ``Authorization: Bearer <JWT>`` (or the ``token`` cookie of the HTML forms).

Locally tokens are HS256-signed with ``settings.jwt_secret`` and handed out by
``POST /auth/dev-login``. In production ``jwks_url`` (OIDC/JWKS) or ``jwt_issuer_key`` (a PEM
public key) is configured and only tokens signed by the issuer, for the expected ``iss`` and
``aud``, are accepted. Every token needs ``exp``; 60 s of clock skew are allowed (issue 6 §5).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status

from api import directory, limits
from api.deps import SettingsDep
from api.validation import shown
from runtime.settings import Settings
from workflows.model import DEPUTY_MANAGER, HOMECOMING_TEAM, PROVIDER, ROLES, Actor

TOKEN_COOKIE = "token"
DEV_TOKEN_LIFETIME = timedelta(hours=12)
ASYMMETRIC = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
# Roles that act for a unit: their token (and dev login) must name it in ``org``.
ORG_ROLES = (PROVIDER, HOMECOMING_TEAM, DEPUTY_MANAGER)


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
    """A dev token (HS256 with the local secret), with ``iss``/``aud`` when they are configured."""
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
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url)


def decode_token(settings: Settings, token: str) -> dict[str, Any]:
    """Verify the signature (issuer key if configured, else the dev secret) and return the claims.

    Issue 6 §5: ``exp`` is required; ``iss`` and ``aud`` are checked against the settings (always
    with an issuer key or JWKS, whose settings require them); ``iat``, ``nbf`` and ``exp`` allow
    ``jwt_leeway_seconds`` of clock skew.
    """
    required = ["sub", "role", "exp"]
    required += ["iss"] if settings.jwt_issuer else []
    required += ["aud"] if settings.jwt_audience else []
    options: jwt.types.Options = {"require": required, "verify_aud": settings.jwt_audience is not None}
    checks: dict[str, Any] = {
        "options": options,
        "leeway": settings.jwt_leeway_seconds,
        "issuer": settings.jwt_issuer,
        "audience": settings.jwt_audience,
    }
    if settings.jwks_url:
        key = _jwks_client(settings.jwks_url).get_signing_key_from_jwt(token).key
        return jwt.decode(token, key, algorithms=ASYMMETRIC, **checks)
    if settings.jwt_issuer_key:
        return jwt.decode(token, settings.jwt_issuer_key, algorithms=ASYMMETRIC, **checks)
    return jwt.decode(token, settings.jwt_secret, algorithms=["HS256"], **checks)


def check_identity(sub: str, name: str, role: str, org: str | None, municipality: str | None) -> None:
    """An identity the system can record (ValueError in Swedish otherwise): ids and name within
    the read model's columns (the actor's label fits ``tasks.closed_by``), no NUL or lone
    surrogate, and an ``org`` for the roles that act for a unit."""
    if role not in ROLES:
        raise ValueError(f"okänd roll: {shown(role)}")
    values = {"sub": sub, "name": name, "org": org or "", "municipality": municipality or ""}
    for field, value in values.items():
        problem = limits.text_problem(value, limits.FIELD_LENGTHS[field])
        if problem is not None:
            raise ValueError(f"{field} {problem[1]}")
    if not sub.strip():
        raise ValueError("sub saknas")
    if role in ORG_ROLES and not org:
        raise ValueError(f"rollen {role} kräver org (den enhet man arbetar för)")


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The caller from verified claims; ValueError (Swedish) for an identity the system cannot use."""
    texts = {key: claims.get(key) for key in ("sub", "name", "role", "org", "municipality")}
    if any(value is not None and not isinstance(value, str) for value in texts.values()):
        raise ValueError("sub, name, role, org och municipality ska vara text")
    sub = str(claims["sub"])
    principal = Principal(
        sub=sub,
        name=str(texts["name"] or sub),
        role=str(texts["role"]),
        org=texts["org"] or None,
        municipality=texts["municipality"] or None,
    )
    check_identity(principal.sub, principal.name, principal.role, principal.org, principal.municipality)
    return principal


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def _token_of(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return request.cookies.get(TOKEN_COOKIE)


INVALID_TOKEN = "Ogiltig token: signatur, utfärdare, mottagare eller giltighetstid stämmer inte."


def current_user(request: Request, settings: SettingsDep) -> Principal:
    """The authenticated caller; 401 without a valid token or with an unknown role."""
    token = _token_of(request)
    if token is None:
        raise _unauthorized("Inloggning krävs (Authorization: Bearer <token>).")
    try:
        return principal_from_claims(decode_token(settings, token))
    except jwt.ExpiredSignatureError as error:
        raise _unauthorized("Ogiltig token: den har gått ut. Logga in igen.") from error
    except jwt.PyJWTError as error:
        raise _unauthorized(
            "Ogiltig token: signatur, utfärdare, mottagare eller giltighetstid stämmer inte."
        ) from error
    except (ValueError, KeyError) as error:
        raise _unauthorized(f"Ogiltig token: {error}.") from error


def known_user(request: Request, user: Annotated[Principal, Depends(current_user)]) -> Principal:
    """The authenticated caller, remembered in the directory of people (issue 10 §1)."""
    directory.remember(request.app.state, user)
    return user


CurrentUser = Annotated[Principal, Depends(known_user)]


def require_roles(*roles: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that answers 403 unless the caller has one of ``roles``."""

    async def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"Rollen {user.role} får inte göra detta.")
        return user

    return check
