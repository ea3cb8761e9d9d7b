"""What the JSON routes and the HTML forms both do: start a process, perform an action, read a state.

One piece of code serves both: the routes in ``api/routes/processes.py`` and the form handlers in
``api/ui`` call these functions, so the access rules, the validation and the idempotency are the
same whichever way a user comes in. Errors are the contract's ``HTTPException``s.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from fastapi import HTTPException, status
from sqlalchemy.orm import Session
from temporalio.client import Client

from api import abnormal_ends, directory, idempotency, limits, starting, units
from api import case_closing as closing
from api import temporal_gateway as gateway
from api.auth import Principal
from api.errors import PROCESS_CLOSED, PROCESS_FAILING, not_found, refused
from api.inputs import parse_action, process_class
from api.schemas import ProcessStateOut, TimelineEntryOut
from readmodel import repository as repo
from readmodel.models import Process
from runtime.settings import Settings, get_settings
from workflows.model import BILLING, SUPERVISOR, ProcessState
from workflows.process import ProcessWorkflow
from workflows.profiles import Profile
from workflows.registry import PROCESS_TYPES

READ_ONLY = (SUPERVISOR, BILLING)
START_TARGET = "/processes"
IN_FLIGHT = "En begäran med samma Idempotency-Key behandlas fortfarande; försök igen om en stund."


def _state_of_row(row: Process) -> ProcessStateOut:
    """What the read model still knows of a process whose workflow is no longer kept (an aborted
    one with the explanation of its end)."""
    state = ProcessState(process_id=row.id, type=row.type, case_id=row.case_id, stage=row.stage)
    update: dict[str, Any] = {"status": row.status, "outcome": row.outcome}
    if row.status == repo.ABORTED:
        update["deviations"] = [abnormal_ends.explanation(row.outcome, row.closed_at)]
    return ProcessStateOut.of(state).model_copy(update=update)


def release_connection(session: Session) -> None:
    """End the request's read-model transaction before waiting on Temporal.

    The workflow answers only after its activities have written the read model; a request that
    kept its pooled connection while waiting could starve those activities under load (the
    benchmark in bench/ ran the pool dry at 20 concurrent starts before this).
    """
    session.commit()


def _failing_state(row: Process) -> ProcessStateOut:
    """A process whose workflow does not answer: the read model's state, saying so (§2.4)."""
    state = _state_of_row(row)
    return state.model_copy(update={"status": "failing", "deviations": [PROCESS_FAILING]})


def _timeouts(settings: Settings | None) -> tuple[timedelta, timedelta]:
    """(how long an action or start waits, how long reading a state waits)."""
    settings = settings or get_settings()
    return (
        timedelta(seconds=settings.action_timeout_seconds),
        timedelta(seconds=settings.query_timeout_seconds),
    )


async def process_state(
    session: Session, client: Client, row: Process, settings: Settings | None = None
) -> ProcessStateOut:
    """The workflow's state, or what the read model knows when the workflow is no longer kept or
    does not answer (then with status "failing" and a Swedish explanation)."""
    release_connection(session)
    timeout = _timeouts(settings)[1]
    try:
        state = await gateway.current_state(client, row.id, timeout)
    except gateway.ProcessFailing:
        return _failing_state(row)
    except gateway.EndedAbnormally as ended:
        return await _aborted_state(session, client, row, ended.end, timeout)
    return ProcessStateOut.of(state) if state is not None else _state_of_row(row)


async def _aborted_state(
    session: Session, client: Client, row: Process, end: abnormal_ends.AbnormalEnd, timeout: timedelta
) -> ProcessStateOut:
    """A process whose workflow ended without closing it: recorded so in the read model (its
    once-key released, its tasks closed), shown as it was then, with status "aborted", no open
    task and the explanation as a deviation and the last entry of its timeline. (One that had
    closed itself before it was terminated, its last step unanswered, stays completed.)"""
    abnormal_ends.record(session, row.id, end)
    try:
        state = await gateway.query_state(client, row.id, timeout)
    except gateway.ProcessFailing:
        state = None  # e.g. it failed on code that no longer replays: the read model's state
    base = ProcessStateOut.of(state) if state is not None else _state_of_row(row)
    if row.status != repo.ABORTED:
        return base
    text = abnormal_ends.explanation(end.outcome, end.at)
    timeline = [*base.timeline, TimelineEntryOut(at=end.at, actor="Temporal", text=text)]
    return base.model_copy(
        update={
            "status": repo.ABORTED,
            "outcome": end.outcome,
            "open_tasks": [],
            "deviations": [*(d for d in base.deviations if d != text), text],
            "timeline": timeline,
        }
    )


async def await_ready(client: Client, process_id: str, settings: Settings | None = None) -> None:
    """A process another one started (e.g. the follow-up of the cycle's start_now) has opened its
    first steps, so its page shows its forms; waits at most the action timeout (then 504)."""
    await gateway.wait_ready(client, process_id, _timeouts(settings)[0])


def check_input(cls: type[ProcessWorkflow], inp: Any) -> None:
    """What the workflow itself would refuse (``ProcessWorkflow.check_input``): 422, nothing started."""
    try:
        cls.check_input(inp)
    except ValueError as error:
        raise refused(error) from error


def visible_process(session: Session, user: Principal, process_id: str) -> Process:
    """The process row if the caller may see its case (FU-10); 404 otherwise."""
    row = repo.get_visible_process(session, user, process_id)
    if row is None:
        raise not_found("Processen finns inte.")
    return row


def may_start(user: Principal, cls: type[ProcessWorkflow]) -> bool:
    return user.role in cls.START_ROLES


async def _repeat_start(
    session: Session, client: Client, user: Principal, process_id: str
) -> ProcessStateOut:
    """The answer to a repeated start: the state of the process the first request started."""
    row = repo.get_visible_process(session, user, process_id)
    if row is not None:
        return await process_state(session, client, row)
    release_connection(session)
    try:  # its read-model row is not written yet
        state = await gateway.current_state(client, process_id)
    except gateway.EndedAbnormally as ended:
        raise HTTPException(status.HTTP_409_CONFLICT, PROCESS_CLOSED) from ended
    if state is None:
        raise HTTPException(status.HTTP_409_CONFLICT, IN_FLIGHT)
    return ProcessStateOut.of(state)


async def _start_new_case(
    session: Session,
    client: Client,
    user: Principal,
    settings: Settings,
    cls: type[ProcessWorkflow],
    inp: Any,
    case_id: str,
    key: idempotency.Scope,
    fingerprint: str,
    now: datetime,
) -> tuple[ProcessStateOut, bool]:
    """A process that creates its case: its id comes from the key's scope, stored before the start."""
    process_id = starting.process_id(case_id, cls.process_type, 1)
    first = idempotency.claim(session, key, fingerprint, process_id, now)
    if first is not None:  # a concurrent request with the same key
        return await _repeat_start(session, client, user, first.resource_id), False
    release_connection(session)
    try:
        state = await gateway.start_process(
            client, settings.task_queue, cls.process_type, inp, process_id, case_id, _timeouts(settings)[0]
        )
    except HTTPException as error:
        if error.status_code != status.HTTP_504_GATEWAY_TIMEOUT:
            idempotency.release(session, key)
        raise
    return ProcessStateOut.of(state), True


async def start_process(
    session: Session,
    client: Client,
    settings: Settings,
    profiles: dict[str, Profile],
    user: Principal,
    body: dict[str, Any],
    key: str | None,
    now: datetime,
) -> tuple[ProcessStateOut, bool]:
    """Start a process from ``{"type", "case_id", ...fields}`` at ``now`` (UTC instant) → (its
    state, whether it was created).

    ``key`` (the Idempotency-Key, required: 400) is scoped to the caller: a repeat with the same
    body answers the state of the process the first request started (created is then False); the
    same key with another body is 422. Every value is checked against the limits (422).
    """
    scope = idempotency.scope(user, START_TARGET, key)
    cls = process_class(body.get("type"))
    limits.check(body)
    fingerprint = idempotency.fingerprint("POST", START_TARGET, body)
    first = idempotency.lookup(session, scope, fingerprint)
    if first is not None:
        return await _repeat_start(session, client, user, first.resource_id), False
    if not may_start(user, cls):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"Rollen {user.role} får inte starta {cls.process_type}."
        )
    fields = {k: v for k, v in body.items() if k not in ("type", "case_id")}
    case = None
    if not cls.CREATES_CASE:
        case = repo.get_visible_case(session, user, str(body.get("case_id") or ""))
        if case is None:
            raise not_found("Ärendet finns inte.")
        closing.refuse_if_closed(case)  # END-2: a closed case starts nothing
    profile = starting.choose_profile(cls, case, fields, user, settings, profiles)
    units.check(profile.name, fields)  # a unit the municipality's register lists
    directory.check_case_worker(session, fields)  # e.g. a new urgent case's responsible case worker
    case_id = case.id if case is not None else starting.new_case_id(scope)
    inp = starting.build(cls, session, case_id, case, profile, fields, user, now)
    check_input(cls, inp)
    if case is None:
        return await _start_new_case(
            session, client, user, settings, cls, inp, case_id, scope, fingerprint, now
        )
    row = await reserve(session, client, case.id, cls, inp, scope, fingerprint, now)
    if row is None:  # a concurrent request with the same key reserved first
        first = idempotency.lookup(session, scope, fingerprint)
        return await _repeat_start(session, client, user, first.resource_id if first else ""), False
    release_connection(session)
    try:
        started = await gateway.start_process(
            client, settings.task_queue, cls.process_type, inp, row.id, case.id, _timeouts(settings)[0]
        )
    except HTTPException as error:
        if error.status_code != status.HTTP_504_GATEWAY_TIMEOUT:
            starting.release(session, row.id, scope)
        raise
    # END-2: a death registered while this started is seen by the process itself at its start
    # (ProcessWorkflow._end_if_case_closed): it then answers closed, ended by the death.
    return ProcessStateOut.of(started), True


async def reserve(
    session: Session,
    client: Client,
    case_id: str,
    cls: type[ProcessWorkflow],
    inp: Any,
    scope: idempotency.Scope,
    fingerprint: str,
    now: datetime,
) -> Process | None:
    """``starting.reserve``; when the process that holds what the type allows once (e.g. the one
    running extension) has in fact ended abnormally in Temporal (terminated, timed out, failed,
    cancelled), that is recorded (``abnormal_ends``) and the start proceeds. Otherwise 409."""
    try:
        return starting.reserve(session, case_id, cls, inp, scope, fingerprint, now)
    except starting.Taken as taken:
        if taken.holder is None or await abnormal_ends.heal(session, client, taken.holder, now) is None:
            raise
    return starting.reserve(session, case_id, cls, inp, scope, fingerprint, now)


def action_input_class(row: Process, action: str) -> type[Any]:
    """The input dataclass of ``action`` on the process; 404 for an action the type does not have."""
    cls = PROCESS_TYPES.get(row.type)
    if cls is None or action not in cls.ACTIONS:
        raise not_found(f"Okänd åtgärd: {action}.")
    return cls.ACTIONS[action]


def action_target(process_id: str) -> str:
    """What an action's Idempotency-Key is scoped to besides its caller: the process."""
    return f"process:{process_id}"


async def perform_action(
    session: Session,
    client: Client,
    user: Principal,
    process_id: str,
    action: str,
    body: dict[str, Any],
    key: str | None,
    now: datetime,
    settings: Settings | None = None,
) -> ProcessStateOut:
    """Perform ``action`` with the body's fields as the caller at ``now`` → the new state.

    ``key`` (the Idempotency-Key, required: 400) is scoped to the caller and the process; the
    update id is derived from that scope, so a repeat with the same body has one effect and
    answers as the first did; the same key with another action or body is 422. A refused action
    (4xx) gives its key back.
    Waits at most the settings' ``action_timeout_seconds``, then 504.
    """
    scope = idempotency.scope(user, action_target(process_id), key)
    row = visible_process(session, user, process_id)
    input_class = action_input_class(row, action)
    if user.role in READ_ONLY:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"Rollen {user.role} kan inte utföra åtgärder.")
    arg = parse_action(input_class, body, user.actor)
    if units.has_units(body):
        case = repo.get_case(session, row.case_id)
        units.check(case.profile if case is not None else None, body)
    fingerprint = idempotency.fingerprint("POST", f"/processes/{row.id}/actions/{action}", body)
    first = idempotency.claim(session, scope, fingerprint, row.id, now)
    release_connection(session)
    try:
        state = await gateway.perform(client, row.id, action, arg, scope.update_id, _timeouts(settings)[0])
    except HTTPException as error:
        if error.detail == PROCESS_CLOSED:  # its row may still say running: an abnormal end?
            await abnormal_ends.heal(session, client, row, now)
        if first is None and error.status_code < status.HTTP_500_INTERNAL_SERVER_ERROR:
            idempotency.release(session, scope)
        elif first is not None and error.status_code == status.HTTP_409_CONFLICT:
            # The first request was performed (else its key was given back), and the process has
            # ended since: answer its state.
            return await process_state(session, client, row)
        raise
    await _await_continuation(client, state, action, settings)
    return ProcessStateOut.of(state)


async def _await_continuation(
    client: Client, state: ProcessState, action: str, settings: Settings | None
) -> None:
    """The process an action started (the cycle's ``start_now`` → its follow-up, FU-1) has opened
    its first steps, and so written them to the read model, before the action is answered: the
    answer and the inbox agree (issue 9), for the JSON route and the page alike. At most the
    action timeout: the action is done either way, so a slow follow-up does not fail it (its
    page and state tell where it is)."""
    cls = PROCESS_TYPES.get(state.type)
    following = cls.continues_at(action, state.details) if cls is not None else None
    if following:
        with contextlib.suppress(HTTPException):
            await await_ready(client, following, settings)
