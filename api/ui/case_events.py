"""The case page's event form posted: ``api.case_events.report_event``, as the JSON route does."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response

from api import case_events
from api.deps import ClientDep, NowDep, ProfilesDep, SessionDep, SettingsDep
from api.ui import forms
from api.ui.common import Problem, UiUser, form_key, form_values, ui_router
from workflows.io.case_event import REPORTS

router = ui_router()


@router.post("/arenden/{case_id}/handelser", response_model=None)
async def report_event(
    case_id: str,
    request: Request,
    user: UiUser,
    session: SessionDep,
    client: ClientDep,
    settings: SettingsDep,
    profiles: ProfilesDep,
    now: NowDep,
) -> Response:
    """An event form of the case page → the event's process page (or the case page with the error)."""
    values = form_values(await request.form())
    event = values.get("type", "")
    body: dict[str, Any] = {"type": event}
    if event in REPORTS:
        body |= forms.body_of(REPORTS[event], values)
    key = form_key(session, user, case_events.target(case_id), values, now)
    try:
        out, _created = await case_events.report_event(
            session, client, settings, profiles, user, case_id, body, key, now
        )
    except HTTPException as error:
        fields = forms.describe(REPORTS[event]) if event in REPORTS else []
        problem = Problem.of(error, f"handelse-{event}", values, fields, "case-event")
        return problem.redirect(request, f"/ui/arenden/{quote(case_id)}")
    return RedirectResponse(f"/ui/processer/{out.event.process_id}?startad=1", status.HTTP_303_SEE_OTHER)
