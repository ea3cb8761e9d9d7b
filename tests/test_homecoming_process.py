"""The homecoming process on scenario servers (HT-1..HT-6): each dated test gets its own server whose
clock starts at the test's moment, so the issue's dates hold on any day the suite runs."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from readmodel import models
from tests.support import (
    CASE_WORKER,
    OTHER_PROVIDER,
    PROVIDER,
    SENIOR,
    add_case,
    advance_to,
    end_of,
    profile,
    scenario,
    start,
    sthlm,
)
from workflows.homecoming import HomecomingWorkflow
from workflows.io.homecoming import (
    AnnounceHandover,
    Dialogue,
    FollowUp,
    HandBack,
    MoveOrder,
    RequestTakeover,
    SendOrder,
    SendTeamInfo,
    StartHomecoming,
)
from workflows.io.order import CarePlanDone, RegisterExecution
from workflows.model import Action, Actor, CaseInfo, ProcessState, StartContext
from workflows.rules.order import ServiceItem

Handle = WorkflowHandle[Any, ProcessState]
TEAM = Actor(user_id="hg-gun", role="homecoming_team", name="Gun Hemgång", org="hemgangsteam")
OTHER_TEAM = Actor(user_id="hg-ola", role="homecoming_team", name="Ola Hemgång", org="hemgangsteam-syd")
CARE = [ServiceItem(name="Personlig omvårdnad", kind="care", minutes_per_month=900)]


# -- helpers -------------------------------------------------------------------------------------


async def begin(
    env: WorkflowEnvironment,
    worker: Worker,
    sessions: sessionmaker[Session],
    request: StartHomecoming,
    actor: Actor = CASE_WORKER,
    profile_name: str = "default",
) -> tuple[str, Handle, ProcessState]:
    case_id = f"hc-{uuid.uuid4().hex[:8]}"
    add_case(sessions, case_id, profile_name=profile_name)
    case = CaseInfo(
        case_id=case_id,
        municipality=profile_name,
        profile=profile_name,
        case_worker_id="cw-anna",
        provider_id="hemtjanst-nord",
    )
    now = await env.get_current_time()
    ctx = StartContext(case_id=case_id, case=case, profile=profile(profile_name), actor=actor, now=now)
    inp = HomecomingWorkflow.build_input(request, ctx)
    handle, state = await start(env, worker, HomecomingWorkflow, inp, f"case-{case_id}/homecoming/1")
    return case_id, handle, state


async def act(handle: Handle, name: str, action: Action) -> ProcessState:
    state: ProcessState = await handle.execute_update(name, action, result_type=ProcessState)
    return state


async def rejected(handle: Handle, name: str, action: Action) -> ApplicationError:
    """The action fails with an ApplicationError and changes nothing."""
    before = await handle.query("state", result_type=ProcessState)
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await act(handle, name, action)
    assert await handle.query("state", result_type=ProcessState) == before
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


def tasks(state: ProcessState) -> dict[str, Any]:
    return {t.action: t for t in state.open_tasks}


def rows(sessions: sessionmaker[Session], model: Any, case_id: str) -> list[Any]:
    with sessions() as session:
        return list(session.scalars(select(model).where(model.case_id == case_id).order_by(model.id)))


def mailbox(sessions: sessionmaker[Session], name: str, case_id: str) -> list[models.Message]:
    """The mailbox's messages about the case from the homecoming process (not its orders')."""
    return [
        m
        for m in rows(sessions, models.Message, case_id)
        if m.mailbox == name and m.process_id == f"case-{case_id}/homecoming/1"
    ]


async def order_row(sessions: sessionmaker[Session], order_id: str, **expected: Any) -> models.Order:
    """The order's read-model row once it shows ``expected`` (child processes run on their own)."""
    for _ in range(200):
        with sessions() as session:
            row = session.get(models.Order, order_id)
        if row is not None and all(getattr(row, k) == v for k, v in expected.items()):
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"{order_id}: {expected} never seen")


async def child_state(env: WorkflowEnvironment, order_id: str) -> ProcessState:
    """A child order's state once it has opened its first steps."""
    handle = env.client.get_workflow_handle(order_id)
    state: ProcessState = await handle.execute_update("ready", result_type=ProcessState)
    return state


async def closed_child(env: WorkflowEnvironment, order_id: str) -> ProcessState:
    """A child order's state once it has closed."""
    handle = env.client.get_workflow_handle(order_id)
    for _ in range(200):
        state: ProcessState = await handle.query("state", result_type=ProcessState)
        if state.stage == "closed":
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"{order_id} did not close")


def simplified(**fields: Any) -> StartHomecoming:
    return StartHomecoming(mode="simplified", **fields)


# -- HT-2 / HT-3: simplified -------------------------------------------------------------------


async def test_HT_2_HT_3_simplified_handover_tue_2026_12_29_announced_wed_2026_12_23_is_on_time(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(sthlm(2026, 12, 21, 9), sessions) as (env, worker):
        request = simplified(night_help_minutes=300, safety_alarm=True, meal_distribution=True)
        case_id, handle, state = await begin(env, worker, sessions, request)
        assert (state.stage, set(tasks(state))) == ("decided", {"send_order"})
        # HT-2: one care decision with the standard time and night help; alarm and meals separate
        decisions = rows(sessions, models.Decision, case_id)
        assert [(d.kind, d.services, d.start_date) for d in decisions] == [
            ("care", ["Hemgångsteam (600 min/mån)", "Natthjälp (300 min/mån)"], date(2026, 12, 21)),
            ("safety_alarm", ["Trygghetslarm"], date(2026, 12, 21)),
            ("meals", ["Matdistribution"], date(2026, 12, 21)),
        ]
        assert await rejected(handle, "announce_handover", AnnounceHandover(actor=TEAM)) is not None

        send = SendOrder(
            actor=CASE_WORKER,
            start_date=date(2026, 12, 21),
            other="Nyckel i nyckelgömma, kod 1234.",
            alarm_other="Larmet installeras före hemgång.",
            night_other="Tillsyn 02:00.",
        )
        state = await act(handle, "send_order", send)
        orders = state.details["orders"]
        assert orders == {
            "team": f"case-{case_id}/order/101",
            "alarm": f"case-{case_id}/order/102",
            "night": f"case-{case_id}/order/103",
        }
        for order_id, unit, other in (
            (orders["team"], "hemgangsteam", send.other),
            (orders["alarm"], "larmteam", send.alarm_other),
            (orders["night"], "nattdistrikt", send.night_other),
        ):
            row = await order_row(sessions, order_id, status="sent")
            assert (row.provider_id, row.other) == (unit, other)  # COM-4: each with its övrigt
        team_task = tasks(state)["announce_handover"]
        assert (team_task.role, team_task.org, state.stage) == (
            "homecoming_team",
            "hemgangsteam",
            "with_team",
        )
        wrong_team = await rejected(handle, "announce_handover", AnnounceHandover(actor=OTHER_TEAM))
        assert wrong_team.type == "Forbidden"

        await advance_to(env, sthlm(2026, 12, 23, 10))
        state = await act(
            handle, "announce_handover", AnnounceHandover(actor=TEAM, handover_date=date(2026, 12, 29))
        )
        assert state.details["announcement_on_time"] is True
        assert state.details["announce_by"] == "2026-12-23"
        assert state.deviations == []
        assert set(tasks(state)) == {"follow_up"}
        # the follow-up (and the move) are due by the end of the day before the handover
        assert tasks(state)["follow_up"].due_at == end_of(date(2026, 12, 28))
        box = mailbox(sessions, "case-workers", case_id)
        assert [m.subject for m in box] == ["Överlämning från hemgångsteamet"]
        assert "2026-12-29" in box[0].body and "i tid" in box[0].body
        assert any("Gun Hemgång" in e.actor and "i tid" in e.text for e in state.timeline)

        state = await act(handle, "follow_up", FollowUp(actor=CASE_WORKER, note="Behovet kvarstår."))
        assert set(tasks(state)) == {"move_order"}
        events = rows(sessions, models.FollowUpEvent, case_id)
        assert [e.held_on for e in events] == [date(2026, 12, 23)]

        wrong_day = MoveOrder(actor=CASE_WORKER, start_date=date(2026, 12, 30), items=CARE)
        assert (await rejected(handle, "move_order", wrong_day)).type == "Invalid"
        state = await act(
            handle,
            "move_order",
            MoveOrder(
                actor=CASE_WORKER, start_date=date(2026, 12, 29), items=CARE, other="Tidigare hemgång."
            ),
        )
        assert (state.stage, state.outcome) == ("closed", "handed_over")
        moved = await order_row(sessions, f"case-{case_id}/order/104", status="sent")
        assert (moved.provider_id, moved.start_date) == ("hemtjanst-nord", date(2026, 12, 29))
        # the team's order ends on the handover date; the alarm and night orders go on
        await order_row(sessions, orders["team"], status="ended", ended_on=date(2026, 12, 29))
        assert (await order_row(sessions, orders["alarm"])).status == "sent"
        team_order = await closed_child(env, orders["team"])
        assert team_order.outcome == "ended" and team_order.open_tasks == []


async def test_HT_3_simplified_handover_tue_2026_12_29_announced_mon_2026_12_28_is_a_deviation_with_dialogue(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(sthlm(2026, 12, 28, 9), sessions) as (env, worker):
        case_id, handle, _ = await begin(env, worker, sessions, simplified())
        state = await act(handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2026, 12, 28)))
        assert set(state.details["orders"]) == {"team"}  # no night help, no alarm: one order
        state = await act(
            handle,
            "announce_handover",
            AnnounceHandover(actor=TEAM, handover_date=date(2026, 12, 29), note="Snabb återhämtning."),
        )
        # accepted, but late: the 2nd working day before was Wed 2026-12-23
        assert state.details["announcement_on_time"] is False
        assert state.deviations == ["Överlämningen meddelades för sent, senast 2026-12-23 (HT-3)."]
        dialogue = tasks(state)["dialogue"]
        assert dialogue.role == "senior_case_worker"
        assert any(e.text.startswith("Avvikelse: Överlämningen meddelades för sent") for e in state.timeline)
        assert "för sent" in mailbox(sessions, "case-workers", case_id)[0].body
        assert (await rejected(handle, "dialogue", Dialogue(actor=CASE_WORKER, note="x"))).type == "Forbidden"
        assert (await rejected(handle, "dialogue", Dialogue(actor=SENIOR, note=" "))).type == "Invalid"

        state = await act(
            handle,
            "follow_up",
            FollowUp(
                actor=CASE_WORKER,
                new_decision=True,
                services=["Personlig omvårdnad", "Städning"],
                decision_date=date(2026, 12, 29),
            ),
        )
        decision = rows(sessions, models.Decision, case_id)[-1]
        assert (decision.services, decision.start_date) == (
            ["Personlig omvårdnad", "Städning"],
            date(2026, 12, 29),
        )
        state = await act(
            handle, "move_order", MoveOrder(actor=CASE_WORKER, start_date=date(2026, 12, 29), items=CARE)
        )
        # moved, but the process waits for the senior case worker's dialogue
        assert (state.stage, set(tasks(state))) == ("handed_over", {"dialogue"})
        state = await act(
            handle, "dialogue", Dialogue(actor=SENIOR, note="Teamet meddelar i fortsättningen tidigare.")
        )
        assert state.outcome == "handed_over"
        journal = [j.text for j in rows(sessions, models.JournalEntry, case_id)]
        assert any(text.startswith("Dialog med hemgångsteamet") for text in journal)


async def test_HT_3_an_order_whose_process_has_closed_is_ended_in_the_read_model_on_the_handover_date(
    sessions: sessionmaker[Session],
) -> None:
    """The team executed its order and made the care plan, so the order process has closed; the
    move still ends it on the handover date."""
    async with scenario(sthlm(2027, 1, 11, 9), sessions) as (env, worker):
        _, handle, _ = await begin(env, worker, sessions, simplified())
        state = await act(handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2027, 1, 11)))
        team_order = env.client.get_workflow_handle(state.details["orders"]["team"])
        await child_state(env, team_order.id)
        await team_order.execute_update(
            "register_execution", RegisterExecution(actor=TEAM, execution_date=date(2027, 1, 11))
        )
        await team_order.execute_update("care_plan_done", CarePlanDone(actor=TEAM, done_on=date(2027, 1, 11)))
        await order_row(sessions, team_order.id, care_plan_on=date(2027, 1, 11))
        await act(handle, "announce_handover", AnnounceHandover(actor=TEAM, handover_date=date(2027, 1, 20)))
        await act(handle, "follow_up", FollowUp(actor=CASE_WORKER))
        state = await act(
            handle, "move_order", MoveOrder(actor=CASE_WORKER, start_date=date(2027, 1, 20), items=CARE)
        )
        assert state.outcome == "handed_over"
        row = await order_row(sessions, team_order.id, status="ended", ended_on=date(2027, 1, 20))
        assert row.execution_date == date(2027, 1, 11)  # what the order's own process wrote stays


# -- HT-4: regular ----------------------------------------------------------------------------------


async def regular_until_announced(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session], announced_at: datetime
) -> tuple[str, Handle, ProcessState]:
    request = StartHomecoming(mode="regular", origin="short_term_stay", items=CARE)
    case_id, handle, state = await begin(env, worker, sessions, request)
    assert set(tasks(state)) == {"send_team_info"}
    assert (
        await rejected(handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2027, 2, 26)))
    ).type == ("NotOpen")
    state = await act(
        handle,
        "send_team_info",
        SendTeamInfo(
            actor=CASE_WORKER, information="Diabetes, insulin morgon och kväll.", contacts="Dotter Eva"
        ),
    )
    team_box = mailbox(sessions, "provider-hemgangsteam", case_id)
    assert [m.subject for m in team_box] == ["Information inför hemgång"]
    assert "insulin" in team_box[0].body
    state = await act(
        handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2027, 2, 26), other="Portkod 4711")
    )
    assert set(state.details["orders"]) == {"team"}
    await advance_to(env, announced_at)
    state = await act(
        handle,
        "announce_handover",
        AnnounceHandover(actor=TEAM, planned_at=sthlm(2027, 3, 1, 10), services=["Personlig omvårdnad"]),
    )
    return case_id, handle, state


async def test_HT_4_regular_handover_mon_10_00_announced_sat_09_00_is_on_time_and_moves_without_follow_up(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(sthlm(2027, 2, 26, 10), sessions) as (env, worker):
        case_id, handle, state = await regular_until_announced(env, worker, sessions, sthlm(2027, 2, 27, 9))
        assert state.details["announcement_on_time"] is True
        assert state.details["announce_by"] == "2027-02-28 10:00"
        assert state.deviations == []
        # HT-4: to the case workers' mailbox and the chosen provider
        for box in ("case-workers", "provider-hemtjanst-nord"):
            [message] = mailbox(sessions, box, case_id)
            assert "Personlig omvårdnad" in message.body and "2027-03-01 10:00" in message.body
        # the case worker chooses: follow up with the person, or move the order without
        assert set(tasks(state)) == {"follow_up", "move_order"}
        assert tasks(state)["move_order"].due_at == sthlm(2027, 3, 1, 10)
        state = await act(
            handle, "move_order", MoveOrder(actor=CASE_WORKER, start_date=date(2027, 3, 1), items=CARE)
        )
        assert state.outcome == "handed_over"
        assert any("utan uppföljning" in e.text for e in state.timeline)
        await order_row(sessions, state.details["orders"]["team"], status="ended", ended_on=date(2027, 3, 1))


async def test_HT_4_regular_handover_mon_2027_03_01_10_00_announced_sun_10_30_is_a_deviation(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(sthlm(2027, 2, 26, 10), sessions) as (env, worker):
        _, handle, state = await regular_until_announced(env, worker, sessions, sthlm(2027, 2, 28, 10, 30))
        assert state.details["announcement_on_time"] is False
        assert state.deviations == ["Överlämningen meddelades för sent, senast 2027-02-28 10:00 (HT-4)."]
        assert "dialogue" not in tasks(state)  # HT-4 flags the deviation only
        state = await act(handle, "follow_up", FollowUp(actor=CASE_WORKER, contacted_person=True))
        assert set(tasks(state)) == {"move_order"}


# -- HT-5: reverse ---------------------------------------------------------------------------------


async def test_HT_5_the_provider_asks_the_team_to_take_over_and_the_order_moves_there_and_back(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(sthlm(2027, 3, 8, 9), sessions) as (env, worker):
        request = StartHomecoming(mode="reverse")
        case_id, handle, state = await begin(env, worker, sessions, request, actor=PROVIDER)
        assert tasks(state)["request_takeover"].org == "hemtjanst-nord"
        other = RequestTakeover(actor=OTHER_PROVIDER, reason="x", period_start=date(2027, 3, 10))
        assert (await rejected(handle, "request_takeover", other)).type == "Forbidden"
        state = await act(
            handle,
            "request_takeover",
            RequestTakeover(
                actor=PROVIDER,
                reason="Behöver extra stöd efter fall",
                period_start=date(2027, 3, 10),
                period_end=date(2027, 3, 24),
            ),
        )
        # HT-5: within COM-1's 5 working days (Mon 2027-03-15), and before the period starts on
        # Wed 2027-03-10: by the end of Tue 2027-03-09.
        assert tasks(state)["move_order"].due_at == end_of(date(2027, 3, 9))
        assert "extra stöd" in mailbox(sessions, "case-workers", case_id)[0].body
        to_other = MoveOrder(
            actor=CASE_WORKER, provider_id="hemtjanst-syd", start_date=date(2027, 3, 10), items=CARE
        )
        assert (await rejected(handle, "move_order", to_other)).type == "Invalid"
        state = await act(
            handle, "move_order", MoveOrder(actor=CASE_WORKER, start_date=date(2027, 3, 10), items=CARE)
        )
        team_order = state.details["moved"][0]["order_id"]
        assert (await order_row(sessions, team_order)).provider_id == "hemgangsteam"
        assert set(tasks(state)) == {"hand_back"}
        state = await act(handle, "hand_back", HandBack(actor=PROVIDER, back_on=date(2027, 3, 24)))
        assert state.details["move_start_date"] == "2027-03-24"
        state = await act(
            handle, "move_order", MoveOrder(actor=CASE_WORKER, start_date=date(2027, 3, 24), items=CARE)
        )
        assert state.outcome == "handed_back"
        back = await order_row(sessions, state.details["moved"][1]["order_id"])
        assert (back.provider_id, back.start_date) == ("hemtjanst-nord", date(2027, 3, 24))
        await order_row(sessions, team_order, status="ended", ended_on=date(2027, 3, 24))


# -- HT-6: discharge timing (Botkyrka) -------------------------------------------------------------


async def test_HT_6_discharge_called_on_midsommarafton_09_00_the_team_order_is_due_executed_mon_2027_06_28(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(sthlm(2027, 6, 25, 9, 30), sessions) as (env, worker):
        request = simplified(discharge_need="unchanged", called_at=sthlm(2027, 6, 25, 9))
        _, handle, state = await begin(env, worker, sessions, request, profile_name="botkyrka")
        assert state.deadlines["services_start"] == end_of(date(2027, 6, 28))
        assert state.details["services_start_on"] == "2027-06-28"
        state = await act(handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2027, 6, 28)))
        order = await child_state(env, state.details["orders"]["team"])
        assert order.deadlines["execution"] == end_of(date(2027, 6, 28))
        assert order.details["start_date"] == "2027-06-28"


async def test_HT_6_increased_need_after_contact_thu_2027_06_24_14_00_is_due_mon_2027_06_28_14_00(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(sthlm(2027, 6, 24, 15), sessions) as (env, worker):
        request = simplified(discharge_need="increased", called_at=sthlm(2027, 6, 24, 14))
        _, _, state = await begin(env, worker, sessions, request, profile_name="botkyrka")
        assert state.deadlines["services_start"] == sthlm(2027, 6, 28, 14)


def test_HT_6_does_not_apply_outside_botkyrka_and_a_provider_starts_only_the_reverse_mode() -> None:
    now = sthlm(2027, 6, 25, 9, 30)
    case = CaseInfo(case_id="c1", municipality="default", profile="default", provider_id="hemtjanst-nord")
    ctx = StartContext(case_id="c1", case=case, profile=profile("default"), actor=CASE_WORKER, now=now)
    with pytest.raises(ValueError, match="HT-6"):
        HomecomingWorkflow.build_input(
            simplified(discharge_need="unchanged", called_at=sthlm(2027, 6, 25, 9)), ctx
        )
    with pytest.raises(ValueError, match="items"):
        HomecomingWorkflow.build_input(StartHomecoming(mode="regular"), ctx)
    provider_ctx = StartContext(case_id="c1", case=case, profile=profile("default"), actor=PROVIDER, now=now)
    with pytest.raises(PermissionError):
        HomecomingWorkflow.build_input(simplified(), provider_ctx)
    other_ctx = StartContext(
        case_id="c1", case=case, profile=profile("default"), actor=OTHER_PROVIDER, now=now
    )
    with pytest.raises(PermissionError):
        HomecomingWorkflow.build_input(StartHomecoming(mode="reverse"), other_ctx)
