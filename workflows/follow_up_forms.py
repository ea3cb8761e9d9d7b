"""What the follow-up's forms propose and offer (FU-4, FU-6, FU-7, FU-8), from the process's details
at the moment a form is shown. Pure; the pages call it through ``FollowUpWorkflow.proposals``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from workflows import calendar
from workflows.rules import follow_up as rules


def proposals(details: dict[str, Any], now: datetime) -> dict[str, dict[str, Any]]:
    """By action and field:

    - ``plan``: the meeting (FU-4, ``rules.proposed_meeting``) as Stockholm wall-clock time;
    - ``choose_form``: whether the provider attends, as its report said (FU-4 question 4, FU-6);
    - ``record``: whether the need matches the order, as the report said (question 1, FU-7), and
      a new decision like the current one from today, its order with the same services (FU-8),
      sent only when the case has a provider.
    """
    today = calendar.local_date(now)
    due_on = date.fromisoformat(str(details.get("due_on") or today.isoformat()))
    meeting = rules.proposed_meeting(due_on, now)
    services = [str(s) for s in details.get("services") or []]
    decision: dict[str, Any] = {"services": services, "start_date": today.isoformat()}
    if details.get("provider_id", True) and services:  # older follow-ups did not say: assume one
        decision["order_items"] = [{"name": name, "kind": "care"} for name in services]
        decision["order_start_date"] = today.isoformat()
    record: dict[str, Any] = {"new_decision": decision}
    choose: dict[str, Any] = {}
    answers = details.get("report_answers")
    if isinstance(answers, dict):
        record["need_matches_order"] = bool(answers.get("need_matches_order"))
        choose["provider_attends"] = bool(answers.get("provider_attends"))
    return {
        "plan": {"planned_at": f"{calendar.local(meeting):%Y-%m-%dT%H:%M}"},
        "choose_form": choose,
        "record": record,
    }


def offered(details: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """The decisions a follow-up may end: the living ones it follows up (FU-8, the validator's)."""
    known = details.get("decision_ids")
    return {"record": {"ended_decision_ids": [str(d) for d in known]}} if isinstance(known, list) else {}
