"""Case-level events (END-1..END-6, CAL-7, COM-5): ``POST /cases/{case_id}/events``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from api import case_events
from api.auth import CurrentUser
from api.case_events import CaseEventOut
from api.deps import ClientDep, NowDep, ProfilesDep, SessionDep, SettingsDep
from api.idempotency import KeyHeader
from api.validation import PROCESS_WRITE_RESPONSES, READ_RESPONSES

router = APIRouter(prefix="/cases", tags=["cases"], responses=READ_RESPONSES)

EXAMPLES = [
    {"type": "service_ended", "ended_on": "2027-03-10", "services": ["Städning"]},
    {"type": "death", "died_on": "2027-03-12"},
    {"type": "pause", "scope": "case", "starts_on": "2027-03-01", "reason": "Sjukhusvistelse"},
    {
        "type": "time_adjustment",
        "service": "night_help",
        "month": "2027-03",
        "ordered_minutes": 600,
        "performed_minutes": 780,
    },
]


@router.post("/{case_id}/events", status_code=status.HTTP_201_CREATED, responses=PROCESS_WRITE_RESPONSES)
async def report_event(
    case_id: str,
    user: CurrentUser,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
    now: NowDep,
    response: Response,
    body: Annotated[dict[str, Any], Body(examples=EXAMPLES)],
    idempotency_key: KeyHeader = None,
) -> CaseEventOut:
    """Report a case event: `type` (service_ended, death, pause, time_adjustment) and its fields."""
    out, created = await case_events.report_event(
        session, client, settings, profiles, user, case_id, body, idempotency_key, now
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return out
