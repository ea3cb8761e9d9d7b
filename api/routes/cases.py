"""Cases: register a person's case with its decisions; list and read the visible ones."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request, Response, status
from pydantic import BaseModel, Field, model_validator

from api import cycles
from api.auth import CurrentUser, Principal, require_roles
from api.deps import NowDep, ProfilesDep, SessionDep, SettingsDep
from api.errors import not_found, unprocessable
from api.schemas import (
    CaseDetailOut,
    CaseOut,
    CreatedCaseOut,
    DecisionOut,
    InboxTaskOut,
    OrderOut,
    ProcessSummaryOut,
)
from readmodel import repository as repo
from readmodel.models import Case, Decision
from workflows.model import CASE_WORKER, ON_CALL_SUPERVISOR, SENIOR_CASE_WORKER

router = APIRouter(prefix="/cases", tags=["cases"])

REGISTRARS = (CASE_WORKER, SENIOR_CASE_WORKER, ON_CALL_SUPERVISOR)
DecisionKind = Literal["care", "service", "safety_alarm", "hsl", "meals", "night"]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


class DecisionIn(BaseModel):
    """A current decision (beslut): what is granted, dated from ``start_date``."""

    kind: DecisionKind
    services: list[str] = Field(default_factory=list, examples=[["Personlig omvårdnad"]])
    start_date: date
    end_date: date | None = None
    new_case: bool = Field(
        default=False, description="A case new to home care: first followed up two months later (FU-2)."
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> DecisionIn:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("Beslutets slutdatum ligger före startdatum.")
        return self


class CaseIn(BaseModel):
    person_name: str = Field(min_length=1, examples=["Greta Exempel"])
    profile: str | None = Field(default=None, description="Municipality profile; default from settings.")
    case_worker_id: str | None = Field(default=None, description="Default: the calling case worker.")
    provider_id: str | None = Field(default=None, examples=["hemtjanst-nord"])
    decisions: list[DecisionIn] = Field(default_factory=list)


def _case_id(user: Principal, key: str | None) -> str:
    """A new case id; with an Idempotency-Key the same key of the same user gives the same id."""
    if key is None:
        return f"c-{uuid.uuid4().hex[:12]}"
    digest = hashlib.sha256(f"{user.sub}\n{key}".encode()).hexdigest()
    return f"c-{digest[:12]}"


@router.post("", status_code=status.HTTP_201_CREATED)
async def register_case(
    body: CaseIn,
    user: Annotated[Principal, Depends(require_roles(*REGISTRARS))],
    session: SessionDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
    now: NowDep,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CreatedCaseOut:
    """Register a person's case with its current decisions; an Idempotency-Key makes a repeat a no-op.

    FU-1: the case's follow-up cycle starts with its decisions (a repeat makes sure it runs)."""
    profile = body.profile or settings.default_profile
    if profile not in profiles:
        raise unprocessable(f"Okänd kommunprofil: {profile}.")
    case_id = _case_id(user, idempotency_key)
    existing = repo.get_case(session, case_id)
    if existing is not None:
        response.status_code = status.HTTP_200_OK
        await cycles.start_for_case(request, session, existing)
        return CreatedCaseOut(case_id=case_id)
    row = Case(
        id=case_id,
        person_name=body.person_name,
        municipality=profile,
        profile=profile,
        case_worker_id=body.case_worker_id or (user.sub if user.role == CASE_WORKER else None),
        provider_id=body.provider_id,
        created_at=now,
    )
    decisions = [
        Decision(
            id=f"{case_id}/decision/{number}",
            case_id=case_id,
            kind=d.kind,
            services=d.services,
            start_date=d.start_date,
            end_date=d.end_date,
        )
        for number, d in enumerate(body.decisions, start=1)
    ]
    repo.add_case(session, row, decisions)
    session.commit()
    await cycles.start_for_case(
        request,
        session,
        row,
        new_case={d.id for d, i in zip(decisions, body.decisions, strict=True) if i.new_case},
    )
    return CreatedCaseOut(case_id=case_id)


@router.get("")
async def list_cases(user: CurrentUser, session: SessionDep) -> list[CaseOut]:
    """The cases visible to the caller."""
    return [CaseOut.model_validate(row) for row in repo.list_cases(session, user)]


@router.get("/{case_id}")
async def get_case(case_id: str, user: CurrentUser, session: SessionDep, now: NowDep) -> CaseDetailOut:
    """One case with its processes, decisions, orders (oldest first, ORD-7) and open tasks."""
    row = repo.get_visible_case(session, user, case_id)
    if row is None:
        raise not_found("Ärendet finns inte.")
    return CaseDetailOut(
        **CaseOut.model_validate(row).model_dump(),
        processes=[ProcessSummaryOut.model_validate(p) for p in repo.processes_of_case(session, case_id)],
        decisions=[DecisionOut.model_validate(d) for d in repo.decisions_of_case(session, case_id)],
        orders=[OrderOut.model_validate(o) for o in repo.orders_of_case(session, user, case_id)],
        open_tasks=[
            InboxTaskOut.model_validate(t).with_overdue(now)
            for t in repo.open_tasks_of_case(session, case_id)
        ],
    )
