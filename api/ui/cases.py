"""The cases list, a case's page and the start of a process from either."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import services
from api.auth import Principal
from api.deps import ClientDep, NowDep, ProfilesDep, SessionDep, SettingsDep
from api.errors import not_found
from api.schemas import DecisionOut, InboxTaskOut, OrderOut
from api.ui import forms, labels
from api.ui.case_event_forms import event_forms
from api.ui.common import GeneratedForm, Problem, UiUser, error_page, form_values, render, ui_router
from readmodel import repository as repo
from readmodel.models import Case
from workflows.process import ProcessWorkflow
from workflows.profiles import Profile
from workflows.registry import PROCESS_TYPES

router = ui_router()


def _startable(user: Principal, profile: Profile | None, creates_case: bool) -> list[type[ProcessWorkflow]]:
    """The process types the caller may start here (and the case's profile enables)."""
    return [
        cls
        for cls in PROCESS_TYPES.values()
        if creates_case == cls.CREATES_CASE
        and services.may_start(user, cls)
        and (profile is None or profile.enables(cls.process_type))
    ]


def _start_forms(user: Principal, profile: Profile | None, case_id: str | None) -> list[GeneratedForm]:
    return [
        GeneratedForm(
            form_id=f"starta-{cls.process_type}",
            title=f"Starta {labels.process_label(cls.process_type).lower()}",
            action_url="/ui/processer",
            fields=forms.describe(cls.START_REQUEST),
            submit="Starta",
            hidden={"type": cls.process_type, **({"case_id": case_id} if case_id else {})},
        )
        for cls in _startable(user, profile, creates_case=case_id is None)
    ]


def _cases_page(
    request: Request, user: Principal, session: SessionDep, problem: Problem | None = None
) -> HTMLResponse:
    cases = repo.list_cases(session, user)
    return render(
        request, "cases.html", user, problem, cases=cases, start_forms=_start_forms(user, None, None)
    )


@router.get("/arenden", response_class=HTMLResponse)
async def cases(request: Request, user: UiUser, session: SessionDep) -> HTMLResponse:
    """The cases visible to the caller; the start of processes that create their case."""
    return _cases_page(request, user, session)


def _case_page(
    request: Request,
    user: Principal,
    session: SessionDep,
    profiles: dict[str, Profile],
    case_id: str,
    now: datetime,
    problem: Problem | None = None,
) -> HTMLResponse:
    case: Case | None = repo.get_visible_case(session, user, case_id)
    if case is None:
        return error_page(request, user, not_found("Ärendet finns inte."))
    return render(
        request,
        "case.html",
        user,
        problem,
        case=case,
        processes=repo.processes_of_case(session, user, case_id),
        decisions=[DecisionOut.model_validate(d) for d in repo.decisions_of_case(session, case_id)],
        orders=[OrderOut.model_validate(o) for o in repo.orders_of_case(session, user, case_id)],
        tasks=[
            InboxTaskOut.model_validate(t).with_overdue(now)
            for t in repo.open_tasks_of_case(session, user, case_id)
        ],
        start_forms=_start_forms(user, profiles.get(case.profile), case_id),
        event_forms=event_forms(user, case_id),  # END-1..END-6
    )


case_page_with = _case_page  # the case page with a problem, for the forms of other modules


@router.get("/arenden/{case_id}", response_class=HTMLResponse)
async def case_page(
    case_id: str,
    request: Request,
    user: UiUser,
    session: SessionDep,
    profiles: ProfilesDep,
    now: NowDep,
) -> HTMLResponse:
    """One case: decisions, orders oldest first (ORD-7), processes, open tasks, start forms."""
    return _case_page(request, user, session, profiles, case_id, now)


@router.post("/processer", response_model=None)
async def start_process(
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
    now: NowDep,
) -> Response:
    """The start form of a case (or of the cases list) → services.start_process → the process page."""
    values = form_values(await request.form())
    process_type = values.get("type", "")
    case_id = values.get("case_id") or None
    cls = PROCESS_TYPES.get(process_type)
    body: dict[str, Any] = {"type": process_type}
    if cls is not None:
        body |= forms.body_of(cls.START_REQUEST, values)
    if case_id is not None:
        body["case_id"] = case_id
    try:
        state, _created = await services.start_process(
            session, client, settings, profiles, user, body, values.get("idempotency_key") or None, now
        )
    except HTTPException as error:
        problem = Problem.of(error, f"starta-{process_type}", values)
        if case_id is None:
            return _cases_page(request, user, session, problem)
        return _case_page(request, user, session, profiles, case_id, now, problem)
    return RedirectResponse(f"/ui/processer/{state.process_id}?startad=1", status.HTTP_303_SEE_OTHER)
