"""Cases: register a person's case with its decisions; list and read the visible ones."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.exc import IntegrityError

from api import cycles, directory, idempotency, units
from api.auth import CurrentUser, Principal, require_roles
from api.deps import NowDep, ProfilesDep, SessionDep, SettingsDep
from api.errors import not_found, unprocessable
from api.idempotency import KeyHeader
from api.limits import CheckedRequest
from api.schemas import (
    CaseDetailOut,
    CaseOut,
    CreatedCaseOut,
    DecisionOut,
    InboxTaskOut,
    OrderOut,
    ProcessSummaryOut,
)
from api.validation import READ_RESPONSES, WRITE_RESPONSES, shown
from readmodel import repository as repo
from readmodel.models import Case, Decision
from workflows.model import CASE_WORKER, ON_CALL_SUPERVISOR, SENIOR_CASE_WORKER

router = APIRouter(prefix="/cases", tags=["cases"], responses=READ_RESPONSES)

REGISTRARS = (CASE_WORKER, SENIOR_CASE_WORKER, ON_CALL_SUPERVISOR)
DecisionKind = Literal["care", "service", "safety_alarm", "hsl", "meals", "night"]
TARGET = "/cases"


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


class CaseIn(CheckedRequest):
    person_name: str = Field(min_length=1, examples=["Greta Exempel"])
    profile: str | None = Field(default=None, description="Municipality profile; default from settings.")
    case_worker_id: str | None = Field(
        default=None,
        description="Default: the calling case worker. A user known in another role is refused (422).",
    )
    provider_id: str | None = Field(default=None, examples=["hemtjanst-nord"])
    decisions: list[DecisionIn] = Field(default_factory=list)


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
async def register_case(
    body: CaseIn,
    user: Annotated[Principal, Depends(require_roles(*REGISTRARS))],
    session: SessionDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
    now: NowDep,
    request: Request,
    response: Response,
    idempotency_key: KeyHeader = None,
) -> CreatedCaseOut:
    """Register a person's case with its current decisions; a repeat with the same key is a no-op.

    FU-1: the case's follow-up cycle starts with its decisions (a repeat makes sure it runs)."""
    scope = idempotency.scope(user, TARGET, idempotency_key)
    fingerprint = idempotency.fingerprint("POST", TARGET, body.model_dump(mode="json"))
    case_id = f"c-{scope.digest[:12]}"
    existing = repo.get_case(session, case_id)
    if idempotency.lookup(session, scope, fingerprint) is not None and existing is not None:
        response.status_code = status.HTTP_200_OK
        await cycles.start_for_case(request, session, existing)
        return CreatedCaseOut(case_id=case_id)
    profile = body.profile or settings.default_profile
    if profile not in profiles:
        raise unprocessable(f"Okänd kommunprofil: {shown(profile)}.")
    units.check(profile, body.model_dump(mode="json"))  # the provider is a unit of the register
    directory.check_case_worker(session, body.model_dump())  # a case worker, if the directory knows them
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
    try:
        repo.add_case(session, row, decisions)
        repo.add_idempotency_record(session, idempotency.record(scope, fingerprint, case_id, now))
        session.commit()
    except IntegrityError:  # a concurrent request with the same key registered it first
        session.rollback()
        if idempotency.lookup(session, scope, fingerprint) is None:
            raise
        response.status_code = status.HTTP_200_OK
        return CreatedCaseOut(case_id=case_id)
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
        processes=[
            ProcessSummaryOut.model_validate(p) for p in repo.processes_of_case(session, user, case_id)
        ],
        decisions=[DecisionOut.model_validate(d) for d in repo.decisions_of_case(session, case_id)],
        orders=[OrderOut.model_validate(o) for o in repo.orders_of_case(session, user, case_id)],
        open_tasks=[
            InboxTaskOut.model_validate(t).with_overdue(now)
            for t in repo.open_tasks_of_case(session, user, case_id)
        ],
    )
