"""A process's page, the forms of its actions, and its history (Historik)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from temporalio.client import Client

from api import services
from api.auth import Principal
from api.deps import ClientDep, NowDep, ProfilesDep, SessionDep, SettingsDep
from api.schemas import ProcessStateOut, TaskOut
from api.ui import choices, forms, labels, people
from api.ui.common import (
    GeneratedForm,
    Problem,
    UiUser,
    error_page,
    form_key,
    form_values,
    local_time,
    render,
    ui_router,
)
from api.ui.readable import Readable, readable
from readmodel import repository as repo
from runtime.settings import Settings
from workflows.model import SUPERVISOR
from workflows.process import ProcessWorkflow
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


def process_url(process_id: str) -> str:
    return f"/ui/processer/{quote(process_id)}"


def action_url(process_id: str, action: str) -> str:
    return f"{process_url(process_id)}/atgard/{action}"


def temporal_link(settings: Settings, user: Principal, process_id: str) -> str:
    """The workflow in the Temporal Web UI, for supervisors (who may read full histories)."""
    if user.role != SUPERVISOR or not settings.temporal_web_base:
        return ""
    namespace = quote(settings.temporal_namespace, safe="")
    return f"{settings.temporal_web_base}/namespaces/{namespace}/workflows/{quote(process_id, safe='')}"


PROPOSED = "proposed_"
BACK = "tillbaka"  # a form shown on another page (the cycle's start_now on the case page)


def published_proposals(details: dict[str, object]) -> dict[str, str]:
    """What a process publishes as ``proposed_<field>`` in its details (UC-4, NEW-*: the proposed
    decision date, the only one the validator accepts), as form values for that field of any
    action; a proposal the process makes for one action (``proposals``) goes before it."""
    return {
        key.removeprefix(PROPOSED): str(value)
        for key, value in details.items()
        if key.startswith(PROPOSED) and isinstance(value, str | int) and str(value)
    }


def _action_fields(
    cls: type[ProcessWorkflow],
    action: str,
    state: ProcessStateOut,
    now: datetime,
    profile: Profile | None,
    items: choices.Items,
) -> list[forms.FormField]:
    """An action's form fields: items to choose rather than ids to type, what the process proposes
    prefilled, what this process cannot submit left out."""
    fields = forms.describe(cls.ACTIONS[action], profile.name if profile else None)
    fields = items.apply(fields, cls.offered(state.details).get(action, {}))
    proposed = cls.proposals(state.details, profile, now) if profile is not None else {}
    fields = forms.with_proposals(fields, published_proposals(state.details) | proposed.get(action, {}))
    hidden = cls.hidden_fields(state.details).get(action, frozenset())
    return [ff for ff in fields if ff.name not in hidden]


def action_forms(
    user: Principal, state: ProcessStateOut, now: datetime, profile: Profile | None, items: choices.Items
) -> list[GeneratedForm]:
    """The forms of the caller's open tasks, then those of the actions open without a task."""
    cls = PROCESS_TYPES.get(state.type)
    if cls is None:
        return []
    return [
        GeneratedForm(
            form_id=f"atgard-{task.action}",
            title=task.title,
            action_url=action_url(state.process_id, task.action),
            fields=_action_fields(cls, task.action, state, now, profile, items),
            submit=labels.action_label(task.action),
            due_at=task.due_at,
            overdue=task.overdue or (task.due_at is not None and task.due_at < now),
        )
        for task in state.open_tasks
        if task.action in cls.ACTIONS and may_perform(user, task)
    ] + untasked_forms(user, state, now, profile, items)


def untasked_forms(
    user: Principal,
    state: ProcessStateOut,
    now: datetime,
    profile: Profile | None,
    items: choices.Items,
    back: str = "",
) -> list[GeneratedForm]:
    """The forms of the actions open without a task that the caller's role may perform (e.g.
    starting a follow-up now, FU-1); ``back``: the page they are shown on, if not the process's."""
    cls = PROCESS_TYPES.get(state.type)
    if cls is None or state.status != "running" or user.role in services.READ_ONLY:
        return []
    return [
        GeneratedForm(
            form_id=f"atgard-{action}",
            title=title,
            action_url=action_url(state.process_id, action),
            fields=_action_fields(cls, action, state, now, profile, items),
            submit=labels.action_label(action),
            hidden={BACK: back} if back else {},
        )
        for action, (title, roles) in cls.actions_without_task(state.details).items()
        if action in cls.ACTIONS and user.role in roles
    ]


async def forms_of_case(
    session: Session,
    client: Client | None,
    settings: Settings,
    user: Principal,
    case_id: str,
    now: datetime,
    profile: Profile | None,
    items: choices.Items,
    back: str,
) -> list[GeneratedForm]:
    """The actions the case's running processes offer without a task (``actions_without_task``),
    for the case page ``back``: e.g. starting a follow-up now on the follow-up cycle (FU-1). None
    without Temporal: the case page is the read model's."""
    found: list[GeneratedForm] = []
    if client is None or user.role in services.READ_ONLY:
        return found
    for row in repo.processes_of_case(session, user, case_id):
        cls = PROCESS_TYPES.get(row.type)
        if row.status != "running" or cls is None or "actions_without_task" not in vars(cls):
            continue
        try:
            state = await services.process_state(session, client, row, settings)
        except HTTPException:  # the case page stands without them; the process's page says why
            continue
        found += untasked_forms(user, state, now, profile, items, back)
    return found


def _detail_text(value: str | int | float | bool) -> str:
    """A detail for reading: instants in Stockholm time, yes/no, codes in Swedish, units by name."""
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
    return labels.value_label(text)


UNIT_DETAILS = frozenset({"team_id", "receiver", "provider_id"})


def _details(state: ProcessStateOut, read: Readable) -> list[tuple[str, str]]:
    """The simple values of the process's details (nested ones are in the timeline); the ids of
    units, decisions and orders as people read them."""
    return [
        (
            labels.detail_label(name, state.type),
            labels.unit_label(str(value)) if name in UNIT_DETAILS else read(_detail_text(value)),
        )
        for name, value in state.details.items()
        if isinstance(value, str | int | float | bool)
        and str(value) != ""
        and name not in labels.HIDDEN_DETAILS
    ]


def deadlines(state: ProcessStateOut) -> list[tuple[str, datetime, bool]]:
    """The process's deadlines as (label, due, done), the ones still to meet first: a deadline of
    an action that is no longer open (done, or no longer asked for) and every deadline of a
    closed process are done (issue 10: "Tidsfrister" showed deadlines long met as if pending)."""
    cls = PROCESS_TYPES.get(state.type)
    actions = set(cls.ACTIONS) if cls is not None else set()
    open_actions = {task.action for task in state.open_tasks}
    closed = state.status != "running"
    rows = [
        (
            labels.deadline_label(name, state.type),
            due,
            closed or (name in actions and name not in open_actions),
        )
        for name, due in state.deadlines.items()
    ]
    return sorted(rows, key=lambda row: row[2])


def _flash(request: Request) -> str:
    """The confirmation after a redirect: an action performed, or the process started."""
    done = request.query_params.get("utfort")
    if done is not None:  # the banner names a known action, never echoes the address (issue 10)
        return f"Klart: {labels.ACTION_LABELS[done]}." if done in labels.ACTION_LABELS else "Klart."
    if request.query_params.get("startad"):
        return "Processen är startad."
    return ""


def _back(values: dict[str, str]) -> str:
    """The page a form came from, to show its error there: only a page of this site."""
    back = values.get(BACK, "")
    return back if back.startswith("/ui/") and "//" not in back and "\\" not in back else ""


@router.post("/processer/{process_id:path}/atgard/{action}", response_model=None)
async def perform_action(
    process_id: str,
    action: str,
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: ClientDep,
    now: NowDep,
) -> Response:
    """An action's form → services.perform_action → back to the process page (303); a refused
    action → the process page again with the error next to its field and the contract's status
    (403/409/422), by post/redirect/get."""
    values = form_values(await request.form())
    fields: list[forms.FormField] = []
    process_type: str | None = None
    try:
        row = services.visible_process(session, user, process_id)
        process_type = row.type
        input_class = services.action_input_class(row, action)
        fields = forms.describe(input_class)
        body = forms.body_of(input_class, values)
        state = await services.perform_action(
            session,
            client,
            user,
            process_id,
            action,
            body,
            form_key(session, user, services.action_target(process_id), values, now),
            now,
        )
    except HTTPException as error:
        if error.status_code == status.HTTP_404_NOT_FOUND:
            return error_page(request, user, error)
        problem = Problem.of(error, f"atgard-{action}", values, fields, process_type)
        return problem.redirect(request, _back(values) or process_url(process_id))
    cls = PROCESS_TYPES.get(state.type)
    following = cls.continues_at(action, state.details) if cls is not None else None
    if following:  # e.g. the follow-up the cycle's start_now started (FU-1), ready (perform_action)
        return RedirectResponse(f"{process_url(following)}?startad=1", status.HTTP_303_SEE_OTHER)
    return RedirectResponse(f"{process_url(process_id)}?utfort={quote(action)}", status.HTTP_303_SEE_OTHER)


@router.get("/processer/{process_id:path}/historik", response_class=HTMLResponse)
async def process_history(
    process_id: str,
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """Historik: the process's timeline in Swedish (the entries of GET /processes/{id}/history)."""
    try:
        row = services.visible_process(session, user, process_id)
        case = repo.get_visible_case(session, user, row.case_id)
        state = await services.process_state(session, client, row, settings)
    except HTTPException as error:
        return error_page(request, user, error)
    label = labels.process_label(state.type)
    entries = [(e.at, label, state.process_id, e.actor, e.text) for e in state.timeline]
    return render(
        request,
        "history.html",
        user,
        readable=readable(session, user, [row.case_id]),
        heading=f"Historik: {labels.process_label(state.type)}",
        case=case,
        facts=people.facts_of(session, user, case) if case is not None else None,
        entries=entries,
        links=[(state.process_id, labels.process_label(state.type), temporal_link(settings, user, row.id))],
    )


@router.get("/processer/{process_id:path}", response_class=HTMLResponse)
async def process_page(
    process_id: str,
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: ClientDep,
    profiles: ProfilesDep,
    settings: SettingsDep,
    now: NowDep,
) -> HTMLResponse:
    """A process: the person, stage, deadlines, deviations, outcome, timeline, and the caller's
    action forms (prefilled with what the process proposes); optional actions without a deadline
    are here, not in the inbox."""
    try:
        row = services.visible_process(session, user, process_id)
        case = repo.get_visible_case(session, user, row.case_id)
        state = await services.process_state(session, client, row, settings)
    except HTTPException as error:
        return error_page(request, user, error)
    profile = profiles.get(case.profile) if case is not None else None
    tasks = [(t, t.overdue or (t.due_at is not None and t.due_at < now)) for t in state.open_tasks]
    forms_ = action_forms(
        user, state, now, profile, choices.case_items(session, user, row.case_id, state.details)
    )
    ordered = [o for o in repo.orders_of_case(session, user, row.case_id) if o.id == row.id]
    items = [str(i.get("name", "")) if isinstance(i, dict) else str(i) for o in ordered for i in o.items]
    read = readable(session, user, [row.case_id])
    return render(
        request,
        "process.html",
        user,
        readable=read,
        state=state,
        facts=people.facts_of(session, user, case) if case is not None else None,
        tasks=tasks,
        details=([("Beställda insatser", ", ".join(items))] if items else []) + _details(state, read),
        deadline_forms=[f for f in forms_ if f.due_at is not None],
        optional_forms=[f for f in forms_ if f.due_at is None],
        deadlines=deadlines(state),
        flash=_flash(request),
        temporal_url=temporal_link(settings, user, row.id),
        now=now,
    )
