"""A closed case (END-2): a death closes the case (``cases.closed_at``, ``cases.died_on``) and
ends every running process of it; a closed case refuses new processes and events (409).

No process of the case keeps running after the death, however it was started. The death commits
``closed_at`` first and then lists the running processes; every process commits its own row when
it starts and then reads the case (``ProcessWorkflow._end_if_case_closed``). Whichever comes second
sees the other: either the death lists the process and ends it here, or the process finds the case
closed and ends itself with the death's ending, its orders ending on the date of death. That holds
for a start through the API racing the death (its row is reserved before its workflow runs) and
for a process another process started just before the death (an order after extra visits, the
cycle's follow-up), which is not in the read model yet when the death lists. Listing again until a
round finds nothing new only makes the death's answer name more of them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import HTTPException, status
from pydantic import BaseModel
from sqlalchemy.orm import Session
from temporalio.client import Client

from api import abnormal_ends
from api import temporal_gateway as gateway
from api.errors import conflict
from readmodel import case_events as queries
from readmodel import repository as repo
from readmodel.models import Case
from workflows.io.case_event import CaseEnding

# Rounds of listing the case's running processes again: a process ended in one round may have
# started another just before (the cycle a follow-up, a follow-up an order); a third is unheard of.
ROUNDS = 4


class EndedProcessOut(BaseModel):
    """A process a case event ended (END-2), or why it was not."""

    process_id: str
    type: str
    outcome: str | None
    status: str  # completed | already_closed | failing


def closed_text(case: Case) -> str:
    return (
        f"Ärendet {case.id} är avslutat (END-2, dödsfall): inga nya processer eller händelser "
        "registreras i det."
    )


def refuse_if_closed(case: Case) -> None:
    """409 in Swedish for a closed case (END-2)."""
    if case.closed_at is not None:
        raise conflict(closed_text(case))


def close(session: Session, case_id: str, at: datetime, died_on: date) -> None:
    """END-2: the case is closed from ``at`` (UTC instant) by a death on ``died_on``; a repeat
    keeps the first moment. Committed before the running processes are listed (see above)."""
    case = repo.get_case(session, case_id)
    if case is not None and case.closed_at is None:
        case.closed_at = at
        case.died_on = died_on
        session.commit()


async def end_running(
    session: Session,
    client: Client,
    case_id: str,
    ending: CaseEnding,
    update_id: str,
    timeout: timedelta,
    now: datetime,
) -> list[EndedProcessOut]:
    """END-2: every running process of the case closes with the ending's outcome, listed again
    until a round finds no new one; the case's event process itself is left alone. A listed
    process whose workflow had already ended abnormally (e.g. terminated in the Temporal UI) is
    recorded so (``abnormal_ends``): no running row or open task of it is left."""
    handled = {ending.event_process_id}
    named: dict[str, str] = {}  # processes named by an ended one (the cycle's follow-up)
    ended: list[EndedProcessOut] = []
    for _ in range(ROUNDS):
        listed = {r.id: r.type for r in queries.running_processes(session, case_id)}
        targets = [(pid, kind) for pid, kind in {**named, **listed}.items() if pid not in handled]
        _release(session)
        if not targets:
            break
        named = {}
        for process_id, process_type in targets:
            handled.add(process_id)
            out, details = await _end_one(client, process_id, process_type, ending, update_id, timeout)
            if out.status == "already_closed":
                await _heal(session, client, process_id, now)
            ended.append(out)
            follow_up = details.get("current_follow_up")
            if isinstance(follow_up, str) and follow_up:
                named[follow_up] = "follow-up"
    return ended


async def _end_one(
    client: Client,
    process_id: str,
    process_type: str,
    ending: CaseEnding,
    update_id: str,
    timeout: timedelta,
) -> tuple[EndedProcessOut, dict[str, Any]]:
    try:
        state = await gateway.perform(client, process_id, "end_for_case_event", ending, update_id, timeout)
    except HTTPException as error:
        closed = error.status_code in (status.HTTP_404_NOT_FOUND, status.HTTP_409_CONFLICT)
        text = "already_closed" if closed else "failing"
        return EndedProcessOut(process_id=process_id, type=process_type, outcome=None, status=text), {}
    out = EndedProcessOut(
        process_id=process_id, type=process_type or state.type, outcome=state.outcome, status="completed"
    )
    return out, dict(state.details)


async def _heal(session: Session, client: Client, process_id: str, now: datetime) -> None:
    row = repo.get_process(session, process_id)
    if row is not None:
        await abnormal_ends.heal(session, client, row, now)
    _release(session)


def _release(session: Session) -> None:
    """No transaction held while Temporal answers (``services.release_connection``)."""
    session.commit()
