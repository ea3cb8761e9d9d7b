"""What people wrote stays readable (issue 6 §7), and ORD-4 counts from when the service can start
(issue 6 §6).

The timeline entry of every action shows what the person wrote or registered (one glossary,
workflows/glossary.py, used by the step engine); every instant in a process's ``details`` carries
the Europe/Stockholm offset.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone
from pathlib import Path

from tests.engine_support import (
    CARE,
    CLEANING,
    act,
    extra_visits_input,
    new_case,
    order_input,
    read_model,
    urgent_change_input,
)
from tests.support import CASE_WORKER, PROVIDER, advance_to, end_of, profile, scenario, start, sthlm
from workflows.extra_visits import ExtraVisitsWorkflow
from workflows.io.extra_visits import RegisterVisit
from workflows.io.order import ConfirmOrder, RegisterExecution, ReportNotExecutable, ReviewNotExecuted
from workflows.io.urgent_change import Escalate, NotifyCaseWorker
from workflows.model import ProcessState
from workflows.order import OrderWorkflow
from workflows.rules import order as rules
from workflows.urgent_change import UrgentChangeWorkflow

CET = timezone(timedelta(hours=1))


def _texts(state: ProcessState) -> list[str]:
    return [entry.text for entry in state.timeline]


# -- ORD-4 -----------------------------------------------------------------------------------------


def test_ORD_4_care_items_sent_sunday_for_tuesday_are_expected_by_the_end_of_wednesday() -> None:
    sent = sthlm(2026, 11, 29, 12, 0)  # Sun
    starts = rules.service_starts_at(sent, date(2026, 12, 1))
    assert starts == sthlm(2026, 12, 1, 0, 0)
    orders = profile().orders
    assert rules.execution_expected_by(starts, CARE, orders) == end_of(date(2026, 12, 2))
    assert rules.review_opens_at(starts, CARE, orders) == end_of(date(2026, 12, 2))


def test_ORD_4_service_items_count_2_and_4_weeks_from_the_start_date() -> None:
    starts = rules.service_starts_at(sthlm(2026, 11, 29, 12, 0), date(2026, 12, 1))
    orders = profile().orders
    assert rules.execution_expected_by(starts, CLEANING, orders) == end_of(date(2026, 12, 15))
    assert rules.review_opens_at(starts, CLEANING, orders) == end_of(date(2026, 12, 29))


def test_ORD_4_an_order_arriving_after_its_start_date_counts_from_its_arrival() -> None:
    sent = sthlm(2026, 12, 3, 15, 0)  # Thu, for a start on Tue 1/12
    assert rules.service_starts_at(sent, date(2026, 12, 1)) == sent
    assert rules.execution_expected_by(sent, CARE, profile().orders) == end_of(date(2026, 12, 4))


async def test_ORD_4_the_order_sent_sunday_for_tuesday_expects_execution_wednesday_and_reviews_then(
    tmp_path: Path,
) -> None:
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(sthlm(2026, 11, 29, 12, 0), sessions) as (env, worker):
            case_id = new_case(sessions, "ord4-start")
            inp = order_input(case_id, sthlm(2026, 11, 29, 12, 0), date(2026, 12, 1), items=CARE)
            handle, state = await start(env, worker, OrderWorkflow, inp, f"case-{case_id}/order/1")
            assert state.deadlines["execution"] == end_of(date(2026, 12, 2))  # not Mon 30/11
            register = next(t for t in state.open_tasks if t.action == "register_execution")
            assert register.due_at == end_of(date(2026, 12, 2))
            await advance_to(env, end_of(date(2026, 12, 2)) - timedelta(seconds=1))
            state = await handle.query("state", result_type=ProcessState)
            assert "review_not_executed" not in {t.action for t in state.open_tasks}
            await advance_to(env, end_of(date(2026, 12, 2)) + timedelta(seconds=1))
            state = await handle.query("state", result_type=ProcessState)
            assert "review_not_executed" in {t.action for t in state.open_tasks}
            await handle.terminate("test finished")


# -- §7: the timeline says what was written ---------------------------------------------------------


async def test_the_order_timeline_shows_the_confirm_note_the_instruction_and_the_execution_date(
    tmp_path: Path,
) -> None:
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(sthlm(2026, 11, 23, 10, 0), sessions) as (env, worker):
            case_id = new_case(sessions, "readable-order")
            inp = order_input(case_id, sthlm(2026, 11, 23, 9, 0), date(2026, 11, 23), items=CLEANING)
            handle, _ = await start(env, worker, OrderWorkflow, inp, f"case-{case_id}/order/1")
            await act(handle, "confirm", ConfirmOrder(actor=PROVIDER, note="Planering startad med dottern"))
            reason = ReportNotExecutable(actor=PROVIDER, reason="Ingen öppnar", contact_attempts=3)
            await act(handle, "report_not_executable", reason)
            review = ReviewNotExecuted(actor=CASE_WORKER, decision="execute", note="Ring dottern först")
            await act(handle, "review_not_executed", review)
            state = await act(
                handle,
                "register_execution",
                RegisterExecution(actor=PROVIDER, execution_date=date(2026, 11, 23)),
            )
            await handle.terminate("test finished")
        texts = _texts(state)
        assert "Bekräfta mottagen beställning: utfört. Anteckning: Planering startad med dottern" in texts
        assert (
            "Rapportera om beställningen inte kan verkställas: utfört. Orsak: Ingen öppnar; "
            "Antal kontaktförsök: 3; Brukaren har avböjt insatsen: nej"
        ) in texts
        assert (
            "Ej verkställd beställning: avsluta som ej verkställd eller be utföraren verkställa: utfört. "
            "Beslut: Utföraren ska verkställa; Anteckning: Ring dottern först"
        ) in texts
        assert (
            "Registrera verkställighetsdatum (första utförda besöket): utfört. "
            "Verkställighetsdatum (första utförda besöket): 2026-11-23"
        ) in texts


async def test_the_urgent_change_timeline_shows_the_escalation_reason_and_the_notification_text(
    tmp_path: Path,
) -> None:
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(sthlm(2026, 11, 23, 10, 0), sessions) as (env, worker):
            case_id = new_case(sessions, "readable-uc")
            inp = urgent_change_input(case_id, sthlm(2026, 11, 23, 7, 0))
            handle, _ = await start(env, worker, UrgentChangeWorkflow, inp, f"case-{case_id}/urgent-change/1")
            await act(handle, "escalate", Escalate(actor=PROVIDER, reason="Handläggaren är sjuk"))
            notify = NotifyCaseWorker(actor=PROVIDER, message="Behöver tillsyn varannan timme")
            state = await act(handle, "notify_case_worker", notify)
            await handle.terminate("test finished")
        texts = _texts(state)
        assert (
            "Eskalera till förste biståndshandläggare (ansvarig handläggare frånvarande): utfört. "
            "Orsak: Handläggaren är sjuk"
        ) in texts
        assert (
            "Meddela biståndshandläggaren om det utökade stödet: utfört. "
            "Meddelande: Behöver tillsyn varannan timme"
        ) in texts


# -- §7: every time in details carries the Stockholm offset ----------------------------------------


async def test_UC_5_extra_visits_details_show_their_instants_with_the_stockholm_offset(
    tmp_path: Path,
) -> None:
    with read_model("sqlite", tmp_path) as sessions:
        async with scenario(sthlm(2026, 11, 23, 10, 0), sessions) as (env, worker):
            case_id = new_case(sessions, "offsets")
            inp = extra_visits_input(case_id, "2026-11")
            handle, state = await start(
                env, worker, ExtraVisitsWorkflow, inp, f"case-{case_id}/extra-visits/1"
            )
            assert state.details["registration_closes_at"] == "2026-12-01T23:59:59+01:00"
            visit = RegisterVisit(
                actor=PROVIDER,
                visit_date=date(2026, 11, 22),
                kind="extra_visit",
                services=["Dusch"],
                reason="Kräkts",
            )
            state = await act(handle, "register_visit", visit)
            await handle.terminate("test finished")
        [registered] = state.details["visits"]
        assert registered["registered_at"].startswith("2026-11-23T10:00:")  # not 09:00 UTC
        assert registered["registered_at"].endswith("+01:00")
