"""A process's page and the forms of its actions."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import services
from api.auth import Principal
from api.deps import ClientDep, NowDep, ProfilesDep, SessionDep
from api.schemas import ProcessStateOut, TaskOut
from api.ui import forms, labels
from api.ui.common import (
    GeneratedForm,
    Problem,
    UiUser,
    error_page,
    form_values,
    local_time,
    render,
    ui_router,
)
from readmodel import repository as repo
from workflows.profiles import Profile
from workflows.registry import PROCESS_TYPES

router = ui_router()


def may_perform(user: Principal, task: TaskOut) -> bool:
    """The task is the caller's to perform: their role (and unit), or escalated to their role."""
    if user.role in services.READ_ONLY:
        return False
    if task.escalated_to == user.role:
        return True
    return task.role == user.role and (task.org is None or task.org == user.org)


def _action_forms(
    user: Principal, state: ProcessStateOut, now: datetime, profile: Profile | None
) -> list[GeneratedForm]:
    cls = PROCESS_TYPES.get(state.type)
    if cls is None:
        return []
    proposals = cls.proposals(state.details, profile, now) if profile is not None else {}
    hidden = cls.hidden_fields(state.details)
    return [
        GeneratedForm(
            form_id=f"atgard-{task.action}",
            title=task.title,
            action_url=f"/ui/processer/{quote(state.process_id)}/atgard/{task.action}",
            fields=[
                ff
                for ff in forms.with_proposals(
                    forms.describe(cls.ACTIONS[task.action]), proposals.get(task.action, {})
                )
                if ff.name not in hidden.get(task.action, frozenset())
            ],
            submit=labels.action_label(task.action),
            due_at=task.due_at,
            overdue=task.overdue or (task.due_at is not None and task.due_at < now),
        )
        for task in state.open_tasks
        if task.action in cls.ACTIONS and may_perform(user, task)
    ]


def _detail_text(value: str | int | float | bool) -> str:
    """A detail for reading: instants in Stockholm time, yes/no, codes in Swedish."""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    text = str(value)
    if isinstance(value, str) and "T" in text:
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            instant = None
        if instant is not None and instant.tzinfo is not None:
            return local_time(instant)
    return labels.choice_label(text)


def _details(state: ProcessStateOut) -> list[tuple[str, str]]:
    """The simple values of the process's details (nested ones are in the timeline)."""
    return [
        (labels.field_label(name), _detail_text(value))
        for name, value in state.details.items()
        if isinstance(value, str | int | float | bool) and str(value) != ""
    ]


def _flash(request: Request, problem: Problem | None) -> str:
    """The confirmation after a redirect: an action performed, or the process started."""
    done = request.query_params.get("utfort")
    if problem is None and done:
        return f"Klart: {labels.action_label(done)}."
    if problem is None and request.query_params.get("startad"):
        return "Processen är startad."
    return ""


async def _process_page(
    request: Request,
    user: Principal,
    session: SessionDep,
    client: ClientDep,
    profiles: ProfilesDep,
    process_id: str,
    now: datetime,
    problem: Problem | None = None,
) -> HTMLResponse:
    try:
        row = services.visible_process(session, user, process_id)
        case = repo.get_case(session, row.case_id)
        state = await services.process_state(session, client, row)
    except HTTPException as error:
        return error_page(request, user, error)
    profile = profiles.get(case.profile) if case is not None else None
    tasks = [(t, t.overdue or (t.due_at is not None and t.due_at < now)) for t in state.open_tasks]
    return render(
        request,
        "process.html",
        user,
        problem,
        state=state,
        tasks=tasks,
        details=_details(state),
        action_forms=_action_forms(user, state, now, profile),
        flash=_flash(request, problem),
    )


@router.post("/processer/{process_id:path}/atgard/{action}", response_model=None)
async def perform_action(
    process_id: str,
    action: str,
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: ClientDep,
    profiles: ProfilesDep,
    now: NowDep,
) -> Response:
    """An action's form → services.perform_action → back to the process page (303), or the page
    again with the error and the contract's status (403/404/409/422)."""
    values = form_values(await request.form())
    try:
        row = services.visible_process(session, user, process_id)
        body = forms.body_of(services.action_input_class(row, action), values)
        await services.perform_action(
            session, client, user, process_id, action, body, values.get("idempotency_key") or None, now
        )
    except HTTPException as error:
        if error.status_code == status.HTTP_404_NOT_FOUND:
            return error_page(request, user, error)
        problem = Problem.of(error, f"atgard-{action}", values)
        return await _process_page(request, user, session, client, profiles, process_id, now, problem)
    target = f"/ui/processer/{quote(process_id)}?utfort={quote(action)}"
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


@router.get("/processer/{process_id:path}", response_class=HTMLResponse)
async def process_page(
    process_id: str,
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: ClientDep,
    profiles: ProfilesDep,
    now: NowDep,
) -> HTMLResponse:
    """A process: stage, deadlines, deviations, outcome, timeline, and the caller's action forms
    (prefilled with what the process proposes)."""
    return await _process_page(request, user, session, client, profiles, process_id, now)
