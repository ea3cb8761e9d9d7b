"""The HTML pages and forms under ``/ui`` (DESIGN.md: "the same as HTML pages and forms, in Swedish").

The pages read through the same repository functions and access rules as the JSON routes, and the
forms start processes and perform actions through ``api.services``, the code the JSON routes call.
Identity is the ``token`` cookie of the dev login (or any valid bearer token); without one a page
redirects to the login form. Every form carries a hidden Idempotency-Key made when the form was
rendered, so a double-clicked submit has one effect.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import FormData

from api import services
from api.auth import TOKEN_COOKIE, Principal, current_user
from api.deps import ClientDep, ProfilesDep, SessionDep, SettingsDep
from api.errors import not_found, validation_detail
from api.routes import mailboxes
from api.routes.auth import DevLogin, dev_login
from api.schemas import DecisionOut, InboxTaskOut, MessageOut, OrderOut, ProcessStateOut, TaskOut
from api.ui import forms, labels
from readmodel import repository as repo
from readmodel.models import Case
from workflows import calendar
from workflows.model import ROLE_LABELS, ROLES
from workflows.process import ProcessWorkflow
from workflows.profiles import Profile, provider_mailbox
from workflows.registry import PROCESS_TYPES

HERE = Path(__file__).parent
WEEKDAYS = ("mån", "tis", "ons", "tors", "fre", "lör", "sön")
HOME = "/ui/uppgifter"
LOGIN = "/ui/login"

router = APIRouter(prefix="/ui", include_in_schema=False)
templates = Jinja2Templates(directory=HERE / "templates")


def local_time(instant: datetime | None) -> str:
    """An instant as Stockholm wall-clock time (CAL-2), e.g. ``mån 2026-11-23 10:00``."""
    if instant is None:
        return ""
    moment = calendar.local(instant)
    return f"{WEEKDAYS[moment.weekday()]} {moment:%Y-%m-%d %H:%M}"


templates.env.filters["local"] = local_time
templates.env.globals.update(
    field_label=labels.field_label,
    choice_label=labels.choice_label,
    action_label=labels.action_label,
    deadline_label=labels.deadline_label,
    stage_label=labels.stage_label,
    outcome_label=labels.outcome_label,
    role_label=labels.role_label,
    process_label=labels.process_label,
    status_label=labels.status_label,
    decision_kind_label=labels.decision_kind_label,
    order_status_label=labels.order_status_label,
)


class LoginRequired(Exception):
    """No valid token: the page sends the browser to the login form."""


def ui_user(request: Request, settings: SettingsDep) -> Principal:
    try:
        return current_user(request, settings)
    except HTTPException as error:
        raise LoginRequired from error


UiUser = Annotated[Principal, Depends(ui_user)]


def install(app: FastAPI) -> None:
    """Add the pages, their stylesheet and the redirect to the login form."""
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")

    @app.exception_handler(LoginRequired)
    async def _login_required(_request: Request, _error: LoginRequired) -> Response:
        return RedirectResponse(LOGIN, status.HTTP_303_SEE_OTHER)


# -- rendering ------------------------------------------------------------------------------


@dataclass
class Problem:
    """What went wrong, for the error box: the HTTP status and the Swedish messages."""

    status_code: int
    messages: list[str]
    form: str = ""  # the id of the form whose values are shown again
    values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, error: HTTPException, form: str = "", values: Mapping[str, str] | None = None) -> Problem:
        return cls(error.status_code, forms.error_messages(error.detail), form, values or {})


@dataclass
class GeneratedForm:
    """A form of a start request or an action: its fields, target and fresh Idempotency-Key."""

    form_id: str
    title: str
    action_url: str
    fields: list[forms.FormField]
    submit: str
    hidden: dict[str, str] = field(default_factory=dict)
    key: str = field(default_factory=lambda: str(uuid.uuid4()))
    intro: str = ""
    due_at: datetime | None = None
    overdue: bool = False

    @property
    def has_required(self) -> bool:
        return any(f.required for f in self.fields)


def render(
    request: Request,
    template: str,
    user: Principal | None,
    problem: Problem | None = None,
    status_code: int = status.HTTP_200_OK,
    **context: Any,
) -> HTMLResponse:
    values = problem.values if problem else {}
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "problem": problem,
            "values": values,
            "failed_form": problem.form if problem else "",
            **context,
        },
        status_code=problem.status_code if problem else status_code,
    )


def error_page(request: Request, user: Principal | None, error: HTTPException) -> HTMLResponse:
    return render(request, "error.html", user, Problem.of(error))


def form_values(form: FormData) -> dict[str, str]:
    return {key: value for key, value in form.items() if isinstance(value, str)}


# -- login ----------------------------------------------------------------------------------


def _login_page(
    request: Request, enabled: bool, problem: Problem | None = None, status_code: int = status.HTTP_200_OK
) -> HTMLResponse:
    roles = [(role, ROLE_LABELS[role]) for role in ROLES]
    return render(request, "login.html", None, problem, status_code, roles=roles, enabled=enabled)


@router.get("", response_class=RedirectResponse)
async def home() -> RedirectResponse:
    return RedirectResponse(HOME, status.HTTP_303_SEE_OTHER)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _login_page(request, settings.dev_login_enabled)


@router.post("/login", response_model=None)
async def login(request: Request, settings: SettingsDep) -> Response:
    """The dev login's form: the same route logic sets the ``token`` cookie, then the inbox."""
    if not settings.dev_login_enabled:
        return _login_page(request, enabled=False, status_code=status.HTTP_404_NOT_FOUND)
    values = form_values(await request.form())
    try:
        body = DevLogin.model_validate({k: v for k, v in values.items() if v != "" or k == "sub"})
    except ValidationError as error:
        messages = forms.error_messages(validation_detail(error))
        problem = Problem(status.HTTP_422_UNPROCESSABLE_CONTENT, messages, "login", values)
        return _login_page(request, settings.dev_login_enabled, problem)
    response = RedirectResponse(HOME, status.HTTP_303_SEE_OTHER)
    try:
        await dev_login(body, settings, response)
    except HTTPException:  # dev login is off here: as the JSON route, 404
        return _login_page(request, enabled=False, status_code=status.HTTP_404_NOT_FOUND)
    return response


@router.get("/logga-ut")
async def logout() -> RedirectResponse:
    response = RedirectResponse(LOGIN, status.HTTP_303_SEE_OTHER)
    response.delete_cookie(TOKEN_COOKIE)
    return response


# -- inbox ----------------------------------------------------------------------------------


@router.get("/uppgifter", response_class=HTMLResponse)
async def inbox(request: Request, user: UiUser, session: SessionDep) -> HTMLResponse:
    """The caller's open tasks (the query of GET /tasks), overdue first."""
    now = datetime.now(UTC)
    tasks = [InboxTaskOut.model_validate(row).with_overdue(now) for row in repo.inbox(session, user, now)]
    return render(request, "inbox.html", user, tasks=tasks)


# -- cases ----------------------------------------------------------------------------------


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
    problem: Problem | None = None,
) -> HTMLResponse:
    case: Case | None = repo.get_visible_case(session, user, case_id)
    if case is None:
        return error_page(request, user, not_found("Ärendet finns inte."))
    now = datetime.now(UTC)
    return render(
        request,
        "case.html",
        user,
        problem,
        case=case,
        processes=repo.processes_of_case(session, case_id),
        decisions=[DecisionOut.model_validate(d) for d in repo.decisions_of_case(session, case_id)],
        orders=[OrderOut.model_validate(o) for o in repo.orders_of_case(session, user, case_id)],
        tasks=[
            InboxTaskOut.model_validate(t).with_overdue(now)
            for t in repo.open_tasks_of_case(session, case_id)
        ],
        start_forms=_start_forms(user, profiles.get(case.profile), case_id),
    )


@router.get("/arenden/{case_id}", response_class=HTMLResponse)
async def case_page(
    case_id: str, request: Request, user: UiUser, session: SessionDep, profiles: ProfilesDep
) -> HTMLResponse:
    """One case: decisions, orders oldest first (ORD-7), processes, open tasks, start forms."""
    return _case_page(request, user, session, profiles, case_id)


@router.post("/processer", response_model=None)
async def start_process(
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
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
            session, client, settings, profiles, user, body, values.get("idempotency_key") or None
        )
    except HTTPException as error:
        problem = Problem.of(error, f"starta-{process_type}", values)
        if case_id is None:
            return _cases_page(request, user, session, problem)
        return _case_page(request, user, session, profiles, case_id, problem)
    return RedirectResponse(f"/ui/processer/{state.process_id}?startad=1", status.HTTP_303_SEE_OTHER)


# -- processes ------------------------------------------------------------------------------


def may_perform(user: Principal, task: TaskOut) -> bool:
    """The task is the caller's to perform: their role (and unit), or escalated to their role."""
    if user.role in services.READ_ONLY:
        return False
    if task.escalated_to == user.role:
        return True
    return task.role == user.role and (task.org is None or task.org == user.org)


def _action_forms(user: Principal, state: ProcessStateOut) -> list[GeneratedForm]:
    cls = PROCESS_TYPES.get(state.type)
    if cls is None:
        return []
    now = datetime.now(UTC)
    return [
        GeneratedForm(
            form_id=f"atgard-{task.action}",
            title=task.title,
            action_url=f"/ui/processer/{quote(state.process_id)}/atgard/{task.action}",
            fields=forms.describe(cls.ACTIONS[task.action]),
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


async def _process_page(
    request: Request,
    user: Principal,
    session: SessionDep,
    client: ClientDep,
    process_id: str,
    problem: Problem | None = None,
) -> HTMLResponse:
    try:
        row = services.visible_process(session, user, process_id)
        state = await services.process_state(client, row)
    except HTTPException as error:
        return error_page(request, user, error)
    done = request.query_params.get("utfort")
    flash = ""
    if problem is None and done:
        flash = f"Klart: {labels.action_label(done)}."
    elif problem is None and request.query_params.get("startad"):
        flash = "Processen är startad."
    now = datetime.now(UTC)
    tasks = [(t, t.overdue or (t.due_at is not None and t.due_at < now)) for t in state.open_tasks]
    return render(
        request,
        "process.html",
        user,
        problem,
        state=state,
        tasks=tasks,
        details=_details(state),
        action_forms=_action_forms(user, state),
        flash=flash,
    )


@router.post("/processer/{process_id:path}/atgard/{action}", response_model=None)
async def perform_action(
    process_id: str,
    action: str,
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: ClientDep,
) -> Response:
    """An action's form → services.perform_action → back to the process page (303), or the page
    again with the error and the contract's status (403/404/409/422)."""
    values = form_values(await request.form())
    try:
        row = services.visible_process(session, user, process_id)
        body = forms.body_of(services.action_input_class(row, action), values)
        await services.perform_action(
            session, client, user, process_id, action, body, values.get("idempotency_key") or None
        )
    except HTTPException as error:
        if error.status_code == status.HTTP_404_NOT_FOUND:
            return error_page(request, user, error)
        return await _process_page(
            request, user, session, client, process_id, Problem.of(error, f"atgard-{action}", values)
        )
    target = f"/ui/processer/{quote(process_id)}?utfort={quote(action)}"
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


@router.get("/processer/{process_id:path}", response_class=HTMLResponse)
async def process_page(
    process_id: str, request: Request, user: UiUser, session: SessionDep, client: ClientDep
) -> HTMLResponse:
    """A process: stage, deadlines, deviations, outcome, timeline, and the caller's action forms."""
    return await _process_page(request, user, session, client, process_id)


# -- mailboxes ------------------------------------------------------------------------------


def _readable_mailboxes(user: Principal, session: SessionDep, profiles: dict[str, Profile]) -> list[str]:
    names = mailboxes.authority_mailboxes(profiles)
    candidates = set().union(*names.values())
    if user.org:
        candidates.add(provider_mailbox(user.org))
    candidates |= {provider_mailbox(c.provider_id) for c in repo.list_cases(session, user) if c.provider_id}
    return sorted(m for m in candidates if mailboxes.may_read(user, m, names))


@router.get("/brevlador", response_class=HTMLResponse)
async def mailbox_list(
    request: Request, user: UiUser, session: SessionDep, profiles: ProfilesDep
) -> HTMLResponse:
    """The function mailboxes the caller reads (COM-2, FU-10)."""
    return render(request, "mailboxes.html", user, names=_readable_mailboxes(user, session, profiles))


@router.get("/brevlador/{mailbox}", response_class=HTMLResponse)
async def mailbox_page(
    mailbox: str, request: Request, user: UiUser, session: SessionDep, profiles: ProfilesDep
) -> HTMLResponse:
    """A function mailbox's messages, with the access rules of GET /mailboxes/{mailbox}/messages."""
    try:
        messages = await mailboxes.list_messages(mailbox, user, session, profiles)
    except HTTPException as error:
        return error_page(request, user, error)
    return render(
        request,
        "mailbox.html",
        user,
        mailbox=mailbox,
        messages=[MessageOut.model_validate(m) for m in messages],
        names=_readable_mailboxes(user, session, profiles),
    )
