"""A process's page, the forms of its actions, and its history (Historik)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import services
from api.auth import Principal
from api.deps import ClientDep, NowDep, ProfilesDep, SessionDep, SettingsDep
from api.schemas import ProcessStateOut, TaskOut
from api.ui import forms, labels, people
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


def temporal_link(settings: Settings, user: Principal, process_id: str) -> str:
    """The workflow in the Temporal Web UI, for supervisors (who may read full histories)."""
    if user.role != SUPERVISOR or not settings.temporal_web_base:
        return ""
    namespace = quote(settings.temporal_namespace, safe="")
    return f"{settings.temporal_web_base}/namespaces/{namespace}/workflows/{quote(process_id, safe='')}"


PROPOSED = "proposed_"


def published_proposals(details: dict[str, object]) -> dict[str, str]:
    """What a process publishes as ``proposed_<field>`` in its details (UC-4, NEW-*: the proposed
    decision date, the only one the validator accepts), as form values for that field of any
    action; a proposal the process makes for one action (``proposals``) goes before it."""
    return {
        key.removeprefix(PROPOSED): str(value)
        for key, value in details.items()
        if key.startswith(PROPOSED) and isinstance(value, str | int) and str(value)
    }


def _action_forms(
    user: Principal, state: ProcessStateOut, now: datetime, profile: Profile | None
) -> list[GeneratedForm]:
    cls = PROCESS_TYPES.get(state.type)
    if cls is None:
        return []
    proposals = cls.proposals(state.details, profile, now) if profile is not None else {}
    general = published_proposals(state.details)
    hidden = cls.hidden_fields(state.details)
    return [
        GeneratedForm(
            form_id=f"atgard-{task.action}",
            title=task.title,
            action_url=f"{process_url(state.process_id)}/atgard/{task.action}",
            fields=[
                ff
                for ff in forms.with_proposals(
                    forms.describe(cls.ACTIONS[task.action], profile.name if profile else None),
                    general | proposals.get(task.action, {}),
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
        await services.perform_action(
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
        return problem.redirect(request, process_url(process_id))
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
    action_forms = _action_forms(user, state, now, profile)
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
        deadline_forms=[f for f in action_forms if f.due_at is not None],
        optional_forms=[f for f in action_forms if f.due_at is None],
        deadlines=deadlines(state),
        flash=_flash(request),
        temporal_url=temporal_link(settings, user, row.id),
        now=now,
    )
