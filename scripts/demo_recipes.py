"""The demo's processes, one function per process type, each in the stages the rules let a
client reach today through the API: back-dated real-world moments (an order's ``sent_at``, an
urgent change's ``started_at``, a decision's start date ...) put deadlines in the past, never a
faked row. Which stages a type can show is decided from the rules' own pure functions and "now".
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from scripts.demo_client import PROVIDER_UNIT, STAFF, Demo, DemoError, Shown, Stage
from workflows import calendar
from workflows.rules import follow_up as follow_up_rules
from workflows.rules import new_urgent_case as new_case_rules
from workflows.rules import order as order_rules

CLEANING = [{"name": "Städning", "kind": "service", "minutes_per_month": 120}]
CARE = [{"name": "Personlig omvårdnad", "kind": "care", "minutes_per_month": 900}]


async def orders(demo: Demo) -> list[Shown]:
    """ORD-1 confirmation (24 hours on working days), ORD-5 care plan (3 weeks), closed when done."""
    shown = []
    person = demo.person()
    case_id = await demo.case(person)
    state = await _order(demo, case_id, sent_days_ago=0, start_in=7)
    shown.append(Shown("order", ("on_time",), person, case_id, state["process_id"]))

    # ORD-5: the care plan is due at the end of the execution date + 3 weeks: today.
    person = demo.person()
    case_id = await demo.case(person)
    executed = demo.today - timedelta(days=demo.profile.orders.care_plan_days)
    assert calendar.local_date(order_rules.care_plan_due(executed, demo.profile.orders)) == demo.today
    state = await _order(demo, case_id, sent_days_ago=(demo.today - executed).days + 4, start_in=-25)
    await demo.act("provider", state["process_id"], "confirm", note="Mottagen.")
    await demo.act("provider", state["process_id"], "register_execution", execution_date=executed.isoformat())
    shown.append(Shown("order", ("due_today",), person, case_id, state["process_id"]))

    # ORD-1: sent a week ago and never confirmed: overdue, escalated to the case worker.
    person = demo.person()
    case_id = await demo.case(person)
    state = await _order(demo, case_id, sent_days_ago=7, start_in=-3)
    shown.append(Shown("order", ("overdue", "escalated"), person, case_id, state["process_id"]))

    person = demo.person()
    case_id = await demo.case(person)
    state = await _order(demo, case_id, sent_days_ago=20, start_in=-18)
    pid = state["process_id"]
    await demo.act("provider", pid, "confirm", note="Mottagen, uppstart enligt plan.")
    await demo.act("provider", pid, "register_execution", execution_date=demo.day(-15))
    await demo.act("provider", pid, "care_plan_done", done_on=demo.day(-2))
    shown.append(Shown("order", ("closed",), person, case_id, pid))
    return shown


async def _order(demo: Demo, case_id: str, sent_days_ago: int, start_in: int) -> dict[str, Any]:
    fields: dict[str, Any] = {"start_date": demo.day(start_in), "items": CLEANING}
    if sent_days_ago:
        fields["sent_at"] = demo.ago(days=sent_days_ago)
    fields["other"] = "Nyckel finns i nyckelgömma, kod lämnas per telefon."
    return await demo.start("case_worker", "order", case_id, **fields)


async def urgent_changes(demo: Demo) -> list[Shown]:
    """UC-1 (next working day), UC-2 (day 4), COM-7 (escalation by the provider), closed."""
    shown = []
    specs: list[tuple[tuple[Stage, ...], str, dict[str, float]]] = [
        (("on_time",), "lasting", {"hours": 1}),
        (("due_today",), "short", {}),  # UC-2: started 3 days ago, day 4 is today
        (("overdue", "escalated"), "lasting", {"days": 10}),  # UC-1 notification missed
    ]
    for stages, kind, ago in specs:
        person = demo.person()
        case_id = await demo.case(person)
        started = demo.ago(**ago) if ago else _morning(demo, demo.today - timedelta(days=3))
        state = await _urgent_change(demo, case_id, kind, started)
        shown.append(Shown("urgent-change", stages, person, case_id, state["process_id"]))

    person = demo.person()
    case_id = await demo.case(person)
    pid = (await _urgent_change(demo, case_id, "lasting", demo.ago(hours=3)))["process_id"]
    await demo.act("provider", pid, "notify_case_worker", message="Behöver hjälp vid alla toalettbesök.")
    await demo.act("provider", pid, "escalate", reason="Handläggaren är sjukskriven och behovet är akut.")
    shown.append(Shown("urgent-change", ("escalated",), person, case_id, pid))

    person = demo.person()
    case_id = await demo.case(person)
    pid = (await _urgent_change(demo, case_id, "short", demo.ago(days=1)))["process_id"]
    await demo.act("provider", pid, "need_ended", note="Magsjukan har gått över.")
    shown.append(Shown("urgent-change", ("closed",), person, case_id, pid))
    return shown


def _morning(demo: Demo, day: date) -> str:
    return calendar.at_local(day, calendar.OFFICE_OPENS).isoformat()


async def _urgent_change(demo: Demo, case_id: str, kind: str, started_at: str) -> dict[str, Any]:
    description = {
        "lasting": "Klarar inte längre toalettbesök på egen hand; extra besök insatta.",
        "short": "Magsjuk med feber; tillsyn tre gånger per dag.",
    }[kind]
    return await demo.start(
        "provider", "urgent-change", case_id, kind=kind, started_at=started_at, description=description
    )


async def temporary_extensions(demo: Demo) -> list[Shown]:
    """EXT-2 (confirmation, COM-1), EXT-4 (follow-up by the end of day 14), EXT-6 (transient).

    Overdue or escalated cannot be shown: day 14 must not have passed when the provider reports,
    and the confirmation counts from the report itself."""
    shown = []
    days_one: list[tuple[tuple[Stage, ...], int]] = [(("on_time",), 0), (("due_today",), -13)]
    for stages, day_one in days_one:
        person = demo.person()
        case_id = await demo.case(person)
        state = await _extension(demo, case_id, day_one)
        shown.append(Shown("temporary-extension", stages, person, case_id, state["process_id"]))
    person = demo.person()
    case_id = await demo.case(person)
    pid = (await _extension(demo, case_id, -5))["process_id"]
    await demo.act("case_worker", pid, "confirm_start", note="Bekräftat enligt 14-dagarsöverenskommelsen.")
    await demo.act(
        "case_worker", pid, "follow_up", outcome="transient", provider_contact=STAFF["provider"]["name"]
    )
    shown.append(Shown("temporary-extension", ("closed",), person, case_id, pid))
    return shown


async def _extension(demo: Demo, case_id: str, day_one: int) -> dict[str, Any]:
    return await demo.start(
        "provider",
        "temporary-extension",
        case_id,
        started_on=demo.day(day_one),
        inserted="Tillsyn två gånger per natt",
        reason="Urinvägsinfektion, orolig nattetid",
    )


async def homecomings(demo: Demo) -> list[Shown]:
    """HT-2/HT-3 simplified: the follow-up is due the day before the announced handover.

    Overdue cannot be shown: every deadline of the process counts from an announcement the team
    makes now (the order's own deadlines are the order process's)."""
    shown = []
    handovers: list[tuple[tuple[Stage, ...], int]] = [(("on_time",), 10), (("due_today",), 1)]
    for stages, handover_in in handovers:
        person = demo.person()
        case_id = await demo.case(person)
        pid = await _homecoming(demo, case_id, handover_in)
        shown.append(Shown("homecoming", stages, person, case_id, pid))
    person = demo.person()
    case_id = await demo.case(person)
    pid = await _homecoming(demo, case_id, 10)
    await demo.act("case_worker", pid, "follow_up", contacted_person=True, note="Hemma, trivs bra.")
    move = {"start_date": demo.day(10), "items": CARE, "other": "Ringer på två gånger."}
    await demo.act("case_worker", pid, "move_order", **move)
    shown.append(Shown("homecoming", ("closed",), person, case_id, pid))
    return shown


async def _homecoming(demo: Demo, case_id: str, handover_in: int) -> str:
    state = await demo.start("case_worker", "homecoming", case_id, mode="simplified", night_help_minutes=120)
    pid: str = state["process_id"]
    other = "Utskriven från sjukhuset i dag."
    await demo.act("case_worker", pid, "send_order", start_date=demo.day(0), other=other)
    await _wait_for_task(demo, "team", pid, "announce_handover")
    await demo.act("team", pid, "announce_handover", handover_date=demo.day(handover_in))
    return pid


async def follow_ups(demo: Demo) -> list[Shown]:
    """FU-1: a decision's yearly follow-up, started by the case's cycle 30 days ahead; its plan
    is due at the end of the due date (overdue: escalated to the senior case worker, COM-7)."""
    shown = []
    dues: list[tuple[tuple[Stage, ...], int]] = [
        (("on_time",), 20),
        (("due_today",), 0),
        (("overdue", "escalated"), -10),
    ]
    for stages, due_in in dues:
        person = demo.person()
        case_id, pid = await _follow_up(demo, person, due_in)
        shown.append(Shown("follow-up", stages, person, case_id, pid))
    person = demo.person()
    case_id, pid = await _follow_up(demo, person, 25)
    await demo.act("case_worker", pid, "plan", planned_at=demo.ago(hours=-2), note="Hembesök.")
    report = {"need_matches_order": True, "given_as_ordered": True, "fully_executed": True}
    await demo.act("provider", pid, "submit_report", **report, provider_attends=False)
    await demo.act("case_worker", pid, "choose_form", form="phone", provider_attends=True)
    quality = dict.fromkeys(
        ("gets_granted_help", "takes_part_when", "takes_part_how", "feels_good", "need_matches_order"), True
    )
    await demo.act("case_worker", pid, "record", **quality, care_plan_current=True, outcome="unchanged")
    shown.append(Shown("follow-up", ("closed",), person, case_id, pid))
    return shown


async def _follow_up(demo: Demo, person: str, due_in: int) -> tuple[str, str]:
    """A case whose care decision's yearly follow-up (FU-1) is due ``due_in`` days from today."""
    due_on = demo.today + timedelta(days=due_in)
    start = _start_for_yearly_due(demo, due_on)
    decisions = [{"kind": "care", "services": ["Personlig omvårdnad", "Städning"], "start_date": start}]
    case_id = await demo.case(person, decisions)
    for _ in range(200):  # the case's cycle starts the follow-up shortly after the registration
        case = await demo.get("case_worker", f"/cases/{case_id}")
        found = [p["id"] for p in case["processes"] if p["type"] == "follow-up"]
        if found:
            return case_id, found[0]
        await asyncio.sleep(0.05)
    raise DemoError(f"Ingen uppföljning startade för {person}.")


def _start_for_yearly_due(demo: Demo, due_on: date) -> str:
    """The decision start date whose FU-1 follow-up is due on ``due_on`` (from the rule itself)."""
    for back in range(330, 400):
        start = due_on - timedelta(days=back)
        term = follow_up_rules.DecisionTerm(decision_id="d", start_date=start)
        due = follow_up_rules.next_due([term], None, demo.profile)
        if due is not None and due.on == due_on:
            return start.isoformat()
    raise DemoError(f"Inget beslutsdatum ger uppföljning {due_on}.")


async def new_urgent_cases(demo: Demo) -> list[Shown]:
    """NEW-1/NEW-2: the take-over is due at the end of office hours (reported in them) or at the
    end of the on-call mandate: "due today" only when that falls today after now (a report now,
    or one a little earlier); on time: taken over, the provider is to be phoned (NEW-3)."""
    shown = []
    person = demo.person()
    state = await _new_case(demo, person, None)
    await demo.act("case_worker", state["process_id"], "take_over", note="Tar över ärendet.")
    shown.append(Shown("new-urgent-case", ("on_time",), person, state["case_id"], state["process_id"]))
    Spec = tuple[tuple[Stage, ...], dict[str, float] | None]
    specs: list[Spec] = [(("overdue", "escalated"), {"days": 10})]
    earlier = _reported_due_today(demo)
    if earlier is not None:
        specs.append((("due_today",), {"minutes": earlier} if earlier else None))
    for stages, ago in specs:
        person = demo.person()
        state = await _new_case(demo, person, ago)
        shown.append(Shown("new-urgent-case", stages, person, state["case_id"], state["process_id"]))
    person = demo.person()
    state = await _new_case(demo, person, None)
    await demo.act("case_worker", state["process_id"], "take_over", note="Tar över ärendet.")
    note = "Dottern flyttar hem; inget fortsatt behov."
    await demo.act("case_worker", state["process_id"], "close", note=note)
    shown.append(Shown("new-urgent-case", ("closed",), person, state["case_id"], state["process_id"]))
    return shown


def _reported_due_today(demo: Demo) -> int | None:
    """Minutes back (0: now) to a report whose take-over is due today, later than now; None when
    no report of the last day has one (e.g. on a Sunday the mandate ends on Monday)."""
    for minutes in range(0, 24 * 60, 15):
        due = new_case_rules.take_over_due(demo.now - timedelta(minutes=minutes), demo.profile)
        if calendar.local_date(due) == demo.today and due > demo.now + timedelta(minutes=30):
            return minutes
    return None


async def _new_case(demo: Demo, person: str, ago: dict[str, float] | None) -> dict[str, Any]:
    fields: dict[str, Any] = {"person_name": person, "provider_id": PROVIDER_UNIT}
    if ago is not None:
        fields["reported_at"] = demo.ago(**ago)
    return await demo.start("case_worker", "new-urgent-case", None, **fields)


async def extra_visits(demo: Demo) -> list[Shown]:
    """UC-5: this month's extra visits, reviewed within a week of the first registration.

    Only "on time" can be shown: the review counts from a registration made now, a past month's
    process cannot be started once its registration has closed, and this month's process closes
    only after the first working day of next month."""
    shown = []
    person = demo.person()
    case_id = await demo.case(person)
    month = f"{demo.today:%Y-%m}"
    pid = (await demo.start("provider", "extra-visits", case_id, month=month))["process_id"]
    visit = {"visit_date": demo.day(0), "kind": "extra_visit", "services": ["Tillsyn"]}
    await demo.act("provider", pid, "register_visit", **visit, reason="Larmade vid fall, ingen skada.")
    shown.append(Shown("extra-visits", ("on_time",), person, case_id, pid))
    return shown


async def case_events(demo: Demo) -> list[Shown]:
    """END-1 (confirm an ended service within 5 working days, COM-1) and END-2 (a death closes
    the case's running processes and is itself registered at once)."""
    shown = []
    person = demo.person()
    case_id = await demo.case(person)
    body = {"type": "service_ended", "ended_on": demo.day(-1), "services": ["Personlig omvårdnad"]}
    answer = await demo.post("provider", f"/cases/{case_id}/events", body)
    shown.append(Shown("case-event", ("on_time",), person, case_id, answer["event"]["process_id"]))
    person = demo.person()
    case_id = await demo.case(person)
    death = {"type": "death", "died_on": demo.day(0)}
    answer = await demo.post("provider", f"/cases/{case_id}/events", death)
    shown.append(Shown("case-event", ("closed",), person, case_id, answer["event"]["process_id"]))
    return shown


async def _wait_for_task(demo: Demo, who: str, process_id: str, action: str) -> None:
    for _ in range(200):
        state = await demo.get(who, f"/processes/{process_id}")
        if any(t["action"] == action for t in state["open_tasks"]):
            return
        await asyncio.sleep(0.05)
    raise DemoError(f"Steget {action} öppnades inte i {process_id}.")


RECIPES = (
    orders,
    urgent_changes,
    temporary_extensions,
    homecomings,
    follow_ups,
    new_urgent_cases,
    extra_visits,
    case_events,
)
