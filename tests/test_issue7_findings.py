"""The tester's findings on the temporary extension and the homecoming (issue 7), each kind as a
test with its rule ID and the rule's dates, on scenario servers (workflow level: the processes'
own defence, without the API edge)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from readmodel import models
from tests.engine_support import order_input
from tests.support import (
    CASE_WORKER,
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
from tests.test_homecoming_process import (
    CARE,
    TEAM,
    act,
    begin,
    child_state,
    order_row,
    rejected,
    rows,
    tasks,
)
from tests.test_temporary_extension_process import ITEMS
from tests.test_temporary_extension_process import begin as begin_extension
from workflows.homecoming import HomecomingWorkflow
from workflows.io.homecoming import (
    AnnounceHandover,
    Dialogue,
    FollowUp,
    HandBack,
    HomecomingInput,
    MoveOrder,
    RequestTakeover,
    SendOrder,
    StartHomecoming,
)
from workflows.io.order import RegisterExecution
from workflows.io.temporary_extension import Decide, RegisterApplication, ReportLasting
from workflows.io.temporary_extension import FollowUp as ExtensionFollowUp
from workflows.order import OrderWorkflow


def _reverse_input(case_id: str, provider_orders: list[str]) -> HomecomingInput:
    return HomecomingInput(
        case_id=case_id,
        profile=profile(),
        started_by=PROVIDER,
        mode="reverse",
        origin="hospital_discharge",
        team_id="hemgangsteam",
        provider_id="hemtjanst-nord",
        decision_date=date(2027, 3, 8),
        case_worker_id="cw-anna",
        provider_orders=provider_orders,
    )


async def test_HT_5_the_providers_order_ends_while_the_team_holds_the_case_and_a_new_one_follows(
    sessions: sessionmaker[Session],
) -> None:
    """Asked Mon 2027-03-08 for 10-24 March: the move to the team is due by the end of Tue
    2027-03-09 (before the period, within COM-1); the provider's running order ends Wed 2027-03-10;
    a hand-back on or before 2027-03-10 is refused; back on 2027-03-24 the provider gets a new order
    (due by the end of 2027-03-23) and the team's ends: never two active orders."""
    async with scenario(sthlm(2027, 3, 8, 9), sessions) as (env, worker):
        case_id = f"hc5-{uuid.uuid4().hex[:8]}"
        add_case(sessions, case_id)
        provider_order = f"case-{case_id}/order/1"
        await start(
            env,
            worker,
            OrderWorkflow,
            order_input(case_id, sthlm(2027, 3, 8, 8), date(2027, 3, 8)),
            provider_order,
        )
        inp = _reverse_input(case_id, [provider_order])
        handle, _ = await start(env, worker, HomecomingWorkflow, inp, f"case-{case_id}/homecoming/1")
        request = RequestTakeover(
            actor=PROVIDER,
            reason="Fall, behöver mer stöd",
            period_start=date(2027, 3, 10),
            period_end=date(2027, 3, 24),
        )
        state = await act(handle, "request_takeover", request)
        assert tasks(state)["move_order"].due_at == end_of(date(2027, 3, 9))
        to_team = MoveOrder(actor=CASE_WORKER, start_date=date(2027, 3, 10), items=CARE)
        state = await act(handle, "move_order", to_team)
        await order_row(sessions, provider_order, status="ended", ended_on=date(2027, 3, 10))
        team_order = state.details["moved"][0]["order_id"]
        for too_early in (date(2027, 3, 9), date(2027, 3, 10)):
            cause = await rejected(handle, "hand_back", HandBack(actor=PROVIDER, back_on=too_early))
            assert cause.type == "Invalid" and "2027-03-10" in cause.message
        await advance_to(env, sthlm(2027, 3, 22, 9))
        state = await act(handle, "hand_back", HandBack(actor=PROVIDER, back_on=date(2027, 3, 24)))
        assert tasks(state)["move_order"].due_at == end_of(date(2027, 3, 23))
        back = MoveOrder(actor=CASE_WORKER, start_date=date(2027, 3, 24), items=CARE)
        state = await act(handle, "move_order", back)
        assert state.outcome == "handed_back"
        await order_row(sessions, team_order, status="ended", ended_on=date(2027, 3, 24))
        new_order = state.details["moved"][-1]["order_id"]
        assert (await order_row(sessions, new_order)).provider_id == "hemtjanst-nord"
        active = [o.id for o in rows(sessions, models.Order, case_id) if o.ended_on is None]
        assert active == [new_order]


async def test_HT_2_HT_3_meals_go_on_with_the_provider_and_the_hemgangsteam_decision_ends_at_handover(
    sessions: sessionmaker[Session],
) -> None:
    """Simplified with meal distribution, handover Tue 2026-12-29 (announced on time Wed
    2026-12-23): the moved order carries "Matdistribution", and the decision tied to
    "Hemgångsteam" ends 2026-12-29 while the meals decision lives on."""
    async with scenario(sthlm(2026, 12, 23, 10), sessions) as (env, worker):
        request = StartHomecoming(mode="simplified", meal_distribution=True)
        case_id, handle, _ = await begin(env, worker, sessions, request)
        await act(handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2026, 12, 23)))
        await act(handle, "announce_handover", AnnounceHandover(actor=TEAM, handover_date=date(2026, 12, 29)))
        await act(handle, "follow_up", FollowUp(actor=CASE_WORKER))
        move = MoveOrder(actor=CASE_WORKER, start_date=date(2026, 12, 29), items=CARE)
        state = await act(handle, "move_order", move)
        moved = await order_row(sessions, state.details["moved"][-1]["order_id"])
        assert [item["name"] for item in moved.items] == ["Personlig omvårdnad", "Matdistribution"]
        decisions = {d.id: d for d in rows(sessions, models.Decision, case_id)}
        home_care = decisions[state.details["decisions"]["home_care"]]
        assert (home_care.status, home_care.end_date) == ("ended", date(2026, 12, 29))
        meals = decisions[state.details["decisions"]["meals"]]
        assert (meals.status, meals.end_date) == ("active", None)
        # HT-2: the timeline says the decision kinds in Swedish, never the codes
        texts = [entry.text for entry in state.timeline]
        assert "Beslut om hemtjänst (omvårdnad) från 2026-12-23: Hemgångsteam (600 min/mån)." in texts
        assert not [t for t in texts if "(care)" in t or "(meals)" in t]


async def test_HT_3_an_announcement_dated_before_the_teams_order_existed_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    """Orders sent Mon 2026-12-21 10:00; an announcement dated Fri 2026-12-18, before the team's
    order existed (it would count as on time), is refused; one dated at the sending is accepted
    and on time for Tue 2026-12-29 (announce by Wed 2026-12-23)."""
    async with scenario(sthlm(2026, 12, 21, 10), sessions) as (env, worker):
        _, handle, _ = await begin(env, worker, sessions, StartHomecoming(mode="simplified"))
        await act(handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2026, 12, 21)))
        await advance_to(env, sthlm(2026, 12, 23, 11))
        back_dated = AnnounceHandover(
            actor=TEAM, handover_date=date(2026, 12, 29), occurred_at=sthlm(2026, 12, 18, 9)
        )
        cause = await rejected(handle, "announce_handover", back_dated)
        assert cause.type == "Invalid" and "2026-12-21 10:00" in cause.message
        phoned = AnnounceHandover(
            actor=TEAM, handover_date=date(2026, 12, 29), occurred_at=sthlm(2026, 12, 21, 10)
        )
        state = await act(handle, "announce_handover", phoned)
        assert (state.details["announcement_on_time"], state.deviations) == (True, [])


async def test_HT_3_an_announcement_on_the_handover_day_gives_a_later_due_and_a_plausible_decision(
    sessions: sessionmaker[Session],
) -> None:
    """Announced on the handover day Tue 2026-12-29 10:00: late (deviation, dialogue); the follow-up
    is due at the end of that day, not on the 28th, before the announcement. A new decision dated a
    year back (2025-12-29) or after the handover is refused; 2026-12-29 is accepted."""
    async with scenario(sthlm(2026, 12, 28, 9), sessions) as (env, worker):
        _, handle, _ = await begin(env, worker, sessions, StartHomecoming(mode="simplified"))
        await act(handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2026, 12, 28)))
        await advance_to(env, sthlm(2026, 12, 29, 10))
        state = await act(
            handle, "announce_handover", AnnounceHandover(actor=TEAM, handover_date=date(2026, 12, 29))
        )
        assert state.deviations == ["Överlämningen meddelades för sent, senast 2026-12-23 (HT-3)."]
        assert tasks(state)["follow_up"].due_at == end_of(date(2026, 12, 29))
        for wrong in (date(2025, 12, 29), date(2026, 12, 30)):
            decision = FollowUp(
                actor=CASE_WORKER, new_decision=True, services=["Hemtjänst"], decision_date=wrong
            )
            cause = await rejected(handle, "follow_up", decision)
            assert cause.type == "Invalid" and "2026-12-29" in cause.message
        decision = FollowUp(
            actor=CASE_WORKER, new_decision=True, services=["Hemtjänst"], decision_date=date(2026, 12, 29)
        )
        await act(handle, "follow_up", decision)
        await act(handle, "dialogue", Dialogue(actor=SENIOR, note="Sent besked."))


async def test_HT_6_ORD_2_a_team_order_for_a_start_day_already_passed_registers_execution_from_that_day(
    sessions: sessionmaker[Session],
) -> None:
    """Botkyrka: the hospital called Midsommarafton Fri 2027-06-25 09:00, services start Mon
    2027-06-28; the orders are sent Tue 2027-06-29: the team registers execution from 2027-06-28."""
    async with scenario(sthlm(2027, 6, 29, 9), sessions) as (env, worker):
        request = StartHomecoming(
            mode="simplified",
            discharge_need="unchanged",
            called_at=sthlm(2027, 6, 25, 9),
            decision_date=date(2027, 6, 28),
        )
        _, handle, _ = await begin(env, worker, sessions, request, profile_name="botkyrka")
        state = await act(handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2027, 6, 28)))
        team_order = state.details["orders"]["team"]
        order = env.client.get_workflow_handle(team_order)
        await child_state(env, team_order)
        executed = RegisterExecution(actor=TEAM, execution_date=date(2027, 6, 28))
        done = await order.execute_update("register_execution", executed, result_type=type(state))
        assert done.details["execution_date"] == "2027-06-28"


async def test_EXT_5_ORD_2_the_updated_order_registers_execution_from_day_one(
    sessions: sessionmaker[Session],
) -> None:
    """Day 1 Mon 2027-03-15, granted Fri 2027-03-26: the updated order, which formalises support
    given since day 1, takes the execution date 2027-03-15 (not before: 2027-03-14 is refused)."""
    async with scenario(sthlm(2027, 3, 15, 10, 0), sessions) as (env, worker):
        handle, _, _ = await begin_extension(env, worker, sessions)
        await advance_to(env, sthlm(2027, 3, 26, 9, 0))
        await act(
            handle,
            "follow_up",
            ExtensionFollowUp(actor=CASE_WORKER, outcome="remains", provider_contact="Carl"),
        )
        await act(
            handle,
            "register_application",
            RegisterApplication(actor=CASE_WORKER, received_on=date(2027, 3, 26)),
        )
        state = await act(handle, "decide", Decide(actor=CASE_WORKER, granted=True, items=ITEMS))
        order_id = state.details["order_id"]
        await child_state(env, order_id)
        order = env.client.get_workflow_handle(order_id)
        cause = await rejected(
            order, "register_execution", RegisterExecution(actor=PROVIDER, execution_date=date(2027, 3, 14))
        )
        assert cause.message == "Verkställighetsdatum 2027-03-14 är före stödet började ges 2027-03-15."
        executed = RegisterExecution(actor=PROVIDER, execution_date=date(2027, 3, 15))
        done = await order.execute_update("register_execution", executed, result_type=type(state))
        assert done.details["execution_date"] == "2027-03-15"


async def test_EXT_3_the_timeline_shows_the_established_day_and_the_message(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(sthlm(2027, 3, 15, 10, 0), sessions) as (env, worker):
        handle, _, _ = await begin_extension(env, worker, sessions)
        await advance_to(env, sthlm(2027, 3, 19, 9, 0))
        lasting = ReportLasting(
            actor=PROVIDER, established_on=date(2027, 3, 18), message="Fortsatt orolig nattetid"
        )
        state = await act(handle, "report_lasting", lasting)
        done = [
            e.text
            for e in state.timeline
            if e.text.startswith("Meddela om förändringen") and "utfört" in e.text
        ]
        assert done == [
            "Meddela om förändringen bedöms vara längre än 14 dagar: utfört. "
            "Dag då förändringen konstaterades: 2027-03-18; Meddelande: Fortsatt orolig nattetid"
        ]


async def test_HT_2_free_texts_with_nul_and_unit_ids_over_64_characters_are_refused_by_the_process(
    sessions: sessionmaker[Session],
) -> None:
    """The shared limits (workflows/limits.py) in the process itself: a NUL in the team's note and a
    5000-character unit id are rejected (Invalid), nothing changes."""
    async with scenario(sthlm(2026, 12, 23, 10), sessions) as (env, worker):
        _, handle, _ = await begin(env, worker, sessions, StartHomecoming(mode="simplified"))
        cause = await rejected(
            handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2026, 12, 23), other="Kod\x00")
        )
        assert "NUL" in cause.message
        await act(handle, "send_order", SendOrder(actor=CASE_WORKER, start_date=date(2026, 12, 23)))
        await act(handle, "announce_handover", AnnounceHandover(actor=TEAM, handover_date=date(2026, 12, 29)))
        await act(handle, "follow_up", FollowUp(actor=CASE_WORKER))
        far = MoveOrder(actor=CASE_WORKER, provider_id="n" * 5000, start_date=date(2026, 12, 29), items=CARE)
        cause = await rejected(handle, "move_order", far)
        assert "högst 64 tecken" in cause.message
    long_district = HomecomingInput(
        case_id="c",
        profile=profile(),
        started_by=CASE_WORKER,
        mode="simplified",
        origin="hospital_discharge",
        team_id="hemgangsteam",
        provider_id="hemtjanst-nord",
        decision_date=date(2026, 12, 23),
        night_help_minutes=120,
        night_district_id="n" * 5000,
    )
    try:
        HomecomingWorkflow.check_input(long_district)
    except ValueError as error:
        assert "night_district_id får vara högst 64 tecken" in str(error)
    else:
        raise AssertionError("a 5000-character night district was accepted")
