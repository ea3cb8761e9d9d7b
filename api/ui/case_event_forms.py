"""The case page's forms for reporting a case-level event (END-1..END-6), generated from the event
dataclasses (``workflows.io.case_event.REPORTS``) like every other form."""

from __future__ import annotations

from api.auth import Principal
from api.ui import forms
from api.ui.common import GeneratedForm
from workflows.io.case_event import REPORTS
from workflows.rules.case_event import EVENT_LABELS, REPORTERS


def event_url(case_id: str) -> str:
    return f"/ui/arenden/{case_id}/handelser"


def event_forms(user: Principal, case_id: str) -> list[GeneratedForm]:
    """One form per event the caller's role reports (the rules' finer checks answer on posting)."""
    return [
        GeneratedForm(
            form_id=f"handelse-{event}",
            title=f"Rapportera: {EVENT_LABELS[event].lower()}",
            action_url=event_url(case_id),
            fields=forms.describe(report),
            submit="Rapportera",
            hidden={"type": event},
        )
        for event, report in REPORTS.items()
        if user.role in REPORTERS[event]
    ]
