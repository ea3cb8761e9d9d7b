"""What ``POST /cases/{case_id}/events`` and the case page's event form both do (END-1..END-6).

A reported event starts a ``case-event`` process (``workflows/case_event.py``) under the next free
number of the case, with the Idempotency-Key rules of ``api.idempotency`` and the limits of
``api.limits``. A death (END-2) then ends every running process of the case, found in the read
model, through the update every process accepts (``end_for_case_event``); each update's id comes
from the key's scope, so a repeated request ends nothing twice and answers as the first did. A
process not yet in the read model ends itself when it starts (``api.case_closing``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import HTTPException, status
from pydantic import BaseModel
from sqlalchemy.orm import Session
from temporalio.client import Client

from api import case_closing as closing
from api import idempotency, limits, services, starting
from api import temporal_gateway as gateway
from api.auth import Principal
from api.case_closing import EndedProcessOut
from api.errors import not_found, refused, unprocessable
from api.inputs import case_info, parse
from api.schemas import ProcessStateOut
from api.validation import shown
from readmodel import case_events as queries
from readmodel import repository as repo
from runtime.settings import Settings
from workflows.case_event import CaseEventWorkflow
from workflows.io.case_event import DEATH, REPORTS, CaseEventInput
from workflows.model import Actor, StartContext
from workflows.profiles import Profile
from workflows.rules.case_event import REPORTERS, death_ending

ANY_REPORTER = frozenset(role for roles in REPORTERS.values() for role in roles)


class CaseEventOut(BaseModel):
    """The reported event's process, and the processes it ended."""

    event: ProcessStateOut
    ended: list[EndedProcessOut] = []


def target(case_id: str) -> str:
    return f"/cases/{case_id}/events"


def _report_of(body: dict[str, Any]) -> tuple[str, Any]:
    """The event type and its report (422 for an unknown type or invalid fields)."""
    event = body.get("type")
    if not isinstance(event, str) or event not in REPORTS:
        known = ", ".join(REPORTS)
        raise unprocessable(f"Okänd händelse: {shown(event)}. Kända händelser: {known}.")
    fields = {k: v for k, v in body.items() if k != "type"}
    return event, parse(REPORTS[event], fields)


def _input(
    session: Session,
    profiles: dict[str, Profile],
    user: Principal,
    case_id: str,
    body: dict[str, Any],
    now: datetime,
) -> CaseEventInput:
    """The case-event process's input: 404 for a case the caller does not see, 403 for a report
    the caller may not make (END-3: the whole case's pause is the provider's), 422 for bad data."""
    case = repo.get_visible_case(session, user, case_id)
    if case is None:
        raise not_found("Ärendet finns inte.")
    closing.refuse_if_closed(case)  # END-2: a closed case takes no more events
    event, report = _report_of(body)
    profile = profiles.get(case.profile)
    if profile is None:
        raise unprocessable(f"Okänd kommunprofil: {case.profile}.")
    info = case_info(case, list(repo.decisions_of_case(session, case.id)))
    ctx = StartContext(case_id=case.id, case=info, profile=profile, actor=user.actor, now=now)
    orders = [order.id for order in queries.open_orders(session, case.id)]
    try:
        inp = CaseEventWorkflow.for_report(event, report, ctx, orders)
    except PermissionError as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from error
    except ValueError as error:
        raise refused(error) from error
    services.check_input(CaseEventWorkflow, inp)
    return inp


async def report_event(
    session: Session,
    client: Client,
    settings: Settings,
    profiles: dict[str, Profile],
    user: Principal,
    case_id: str,
    body: dict[str, Any],
    key: str | None,
    now: datetime,
) -> tuple[CaseEventOut, bool]:
    """Report a case event ``{"type": ..., ...fields}`` at ``now`` (UTC instant) → (the event's
    process and what it ended, whether it was created). 400 without a key, 403 for a role that
    reports no event or not this one, 404 for a case the caller does not see, 409 for a second
    death, 422 for invalid fields or a key used for another body."""
    scope = idempotency.scope(user, target(case_id), key)
    if user.role not in ANY_REPORTER:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"Rollen {user.role} rapporterar inga händelser.")
    limits.check(body)
    fingerprint = idempotency.fingerprint("POST", target(case_id), body)
    first = idempotency.lookup(session, scope, fingerprint)
    if first is not None:
        return await _repeat(session, client, user, settings, first.resource_id, scope, now), False
    inp = _input(session, profiles, user, case_id, body, now)
    row = await services.reserve(
        session, client, inp.case_id, CaseEventWorkflow, inp, scope, fingerprint, now
    )
    if row is None:  # a concurrent request with the same key reserved first
        first = idempotency.lookup(session, scope, fingerprint)
        resource = first.resource_id if first else ""
        return await _repeat(session, client, user, settings, resource, scope, now), False
    services.release_connection(session)
    timeout = _action_timeout(settings)
    try:
        state = await gateway.start_process(
            client, settings.task_queue, CaseEventWorkflow.process_type, inp, row.id, inp.case_id, timeout
        )
    except HTTPException as error:
        if error.status_code != status.HTTP_504_GATEWAY_TIMEOUT:
            starting.release(session, row.id, scope)
        raise
    out = ProcessStateOut.of(state)
    death = inp.event == DEATH
    ended = await _end_case(session, client, settings, out, user.actor, scope, now) if death else []
    return CaseEventOut(event=out, ended=ended), True


def _action_timeout(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.action_timeout_seconds)


async def _repeat(
    session: Session,
    client: Client,
    user: Principal,
    settings: Settings,
    process_id: str,
    scope: idempotency.Scope,
    now: datetime,
) -> CaseEventOut:
    """A repeated report: the first one's process; a death ends what may still run (the first
    request may have stopped half-way), with the same update ids."""
    row = repo.get_visible_process(session, user, process_id)
    if row is None:
        raise HTTPException(status.HTTP_409_CONFLICT, services.IN_FLIGHT)
    state = await services.process_state(session, client, row, settings)
    death = state.details.get("event") == DEATH
    ended = await _end_case(session, client, settings, state, user.actor, scope, now) if death else []
    return CaseEventOut(event=state, ended=ended)


async def _end_case(
    session: Session,
    client: Client,
    settings: Settings,
    event: ProcessStateOut,
    actor: Actor,
    scope: idempotency.Scope,
    now: datetime,
) -> list[EndedProcessOut]:
    """END-2: the case closes, and every running process of it closes with the outcome
    ``ended_by_death`` (also those started while the death was being registered)."""
    died_on = date.fromisoformat(str(event.details.get("died_on", "")))
    closing.close(session, event.case_id, now, died_on)
    ending = death_ending(actor, died_on, event.process_id)
    timeout = _action_timeout(settings)
    return await closing.end_running(session, client, event.case_id, ending, scope.update_id, timeout, now)
