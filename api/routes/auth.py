"""Local login: a token for any role (only where ``dev_login_enabled``)."""

from __future__ import annotations

from typing import Literal, get_args

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import Field, ValidationInfo, field_validator

from api.auth import DEV_TOKEN_LIFETIME, ORG_ROLES, TOKEN_COOKIE, Principal, issue_token
from api.deps import SettingsDep
from api.limits import CheckedRequest
from api.schemas import TokenOut
from api.validation import READ_RESPONSES
from workflows.model import ROLES

router = APIRouter(prefix="/auth", tags=["auth"], responses=READ_RESPONSES)

Role = Literal[
    "case_worker",
    "senior_case_worker",
    "provider",
    "homecoming_team",
    "on_call_supervisor",
    "deputy_manager",
    "supervisor",
    "billing",
]
assert set(get_args(Role)) == set(ROLES), "Role must list workflows.model.ROLES"


class DevLogin(CheckedRequest):
    """An identity, with the limits of a verified token's claims (api.auth.check_identity)."""

    sub: str = Field(min_length=1, examples=["anna"])
    name: str = Field(default="", examples=["Anna Handläggare"])
    role: Role
    org: str | None = Field(default=None, examples=["hemtjanst-nord"], validate_default=True)
    municipality: str | None = None

    @field_validator("org")
    @classmethod
    def _unit_named(cls, org: str | None, info: ValidationInfo) -> str | None:
        """A unit for the roles that act for one: the error at ``org`` (the login form shows it there)."""
        role = info.data.get("role")
        if role in ORG_ROLES and not org:
            raise ValueError(f"Rollen {role} kräver en enhet (org), den man arbetar för.")
        return org


@router.post("/dev-login")
async def dev_login(body: DevLogin, settings: SettingsDep, response: Response) -> TokenOut:
    """Local development only: a signed token for the given identity (also set as a cookie)."""
    if not settings.dev_login_enabled:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    principal = Principal(
        sub=body.sub,
        name=body.name or body.sub,
        role=body.role,
        org=body.org or None,
        municipality=body.municipality or None,
    )
    token = issue_token(settings, principal)
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=int(DEV_TOKEN_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
    )
    return TokenOut(token=token)
