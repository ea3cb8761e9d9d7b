"""The temporary-extension process on dated scenario servers (EXT-2..EXT-6, COM-1, COM-7, CAL-7).

Every test runs on its own server whose clock starts at the scenario's moment (Mon 2027-03-15, the
issue's 14-day period: day 14 = Easter Day, Sun 2027-03-28, the first day of summer time).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
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
    wait_closed,
)
from workflows.io.temporary_extension import (
    ConfirmStart,
    Decide,
    FollowUp,
    RegisterApplication,
    ReportLasting,
    StartTemporaryExtension,
)
from workflows.model import Action, Actor, CaseInfo, DecisionInfo, ProcessState, StartContext
from workflows.rules.order import ServiceItem
from workflows.temporary_extension import TemporaryExtensionWorkflow

STAFFANSTORP = profile("staffanstorp")
RECEPTION = "mottagningsfunktionen"  # profiles/staffanstorp.toml
CASE_WORKERS = "case-workers"
SENIOR_MAILBOX = "senior-case-worker"
PROVIDER_MAILBOX = "provider-hemtjanst-nord"
DAY_ONE = date(2027, 3, 15)
ITEMS = [ServiceItem(name="Tillsyn natt", kind="care", minutes_per_month=600)]

Handle = WorkflowHandle[Any, ProcessState]


async def begin(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session], started_on: date = DAY_ONE
) -> tuple[Handle, ProcessState, str]:
    """A provider's temporary extension for a fresh Staffanstorp case with a care decision."""
    case_id = f"ext-{uuid.uuid4().hex[:8]}"
    add_case(sessions, case_id, profile_name="staffanstorp")
    care = DecisionInfo(
        decision_id="d1", kind="care", services=["Personlig omvårdnad"], start_date=date(2027, 1, 4)
    )
    case = CaseInfo(
        case_id=case_id,
        municipality="staffanstorp",
        profile="staffanstorp",
        case_worker_id="cw-anna",
        provider_id="hemtjanst-nord",
        decisions=[care],
    )
    ctx = StartContext(
        case_id=case_id, case=case, profile=STAFFANSTORP, actor=PROVIDER, now=await env.get_current_time()
    )
    request = StartTemporaryExtension(
        started_on=started_on,
        inserted="Tillsyn två gånger per natt",
        reason="Urinvägsinfektion, orolig nattetid",
    )
    inp = TemporaryExtensionWorkflow.build_input(request, ctx)
    process_id = f"case-{case_id}/temporary-extension/1"
    handle, state = await start(env, worker, TemporaryExtensionWorkflow, inp, process_id)
    return handle, state, case_id


async def act(handle: Handle, name: str, action: Action) -> ProcessState:
    state: ProcessState = await handle.execute_update(name, action, result_type=ProcessState)
    return state


async def query(handle: Handle) -> ProcessState:
    state: ProcessState = await handle.query("state", result_type=ProcessState)
    return state


async def rejected(handle: Handle, name: str, action: Action) -> ApplicationError:
    """The action fails with an ApplicationError, and the state is exactly as before."""
    before = await query(handle)
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await act(handle, name, action)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError)
    assert await query(handle) == before
    return cause


def tasks(state: ProcessState) -> dict[str, Any]:
    return {task.action: task for task in state.open_tasks}


def rows(sessions: sessionmaker[Session], model: Any, **where: Any) -> list[Any]:
    with sessions() as session:
        query = select(model).filter_by(**where)
        return list(session.scalars(query))


def texts(state: ProcessState) -> list[str]:
    return [entry.text for entry in state.timeline]


async def test_EXT_2_EXT_4_EXT_6_a_period_from_monday_15_march_2027_with_both_deadlines_missed_and_escalated(
    sessions: sessionmaker[Session],
) -> None:
    """EXT-2: notice Mon 2027-03-15 10:00 to the reception mailbox and both journals; COM-1: confirm
    due end of Mon 2027-03-22, missed -> the senior case worker at 2027-03-23 00:00. EXT-4: follow-up
    due Easter Day 2027-03-28 23:59:59+02:00, missed -> escalated. EXT-6: transient -> closed, no
    payment for the period, a billing notice."""
    async with scenario(sthlm(2027, 3, 15, 10, 0), sessions) as (env, worker):
        handle, state, case_id = await begin(env, worker, sessions)
        pid = handle.id
        assert state.stage == "reported"
        assert state.deadlines == {
            "confirm_start": datetime(2027, 3, 22, 22, 59, 59, tzinfo=UTC),
            "follow_up": datetime(2027, 3, 28, 21, 59, 59, tzinfo=UTC),
        }
        assert (state.details["started_on"], state.details["last_day"]) == ("2027-03-15", "2027-03-28")
        open_tasks = tasks(state)
        assert set(open_tasks) == {"confirm_start", "report_lasting", "follow_up"}
        assert (open_tasks["confirm_start"].role, open_tasks["confirm_start"].due_at) == (
            "case_worker",
            end_of(date(2027, 3, 22)),
        )
        lasting = open_tasks["report_lasting"]
        assert (lasting.role, lasting.org, lasting.due_at) == ("provider", "hemtjanst-nord", None)
        assert open_tasks["follow_up"].due_at == end_of(date(2027, 3, 28))

        [notice] = rows(sessions, models.Message, mailbox=RECEPTION)
        assert notice.case_id == case_id
        assert "från 2027-03-15 (dag 1) till och med 2027-03-28 (dag 14)" in notice.body
        assert "Tillsyn två gånger per natt" in notice.body and "senast 2027-03-22 23:59" in notice.body
        journals = rows(sessions, models.JournalEntry, case_id=case_id)
        assert sorted(j.journal for j in journals) == ["authority", "provider"]

        await advance_to(env, sthlm(2027, 3, 22, 23, 59, 58))
        assert tasks(await query(handle))["confirm_start"].overdue is False
        await advance_to(env, sthlm(2027, 3, 23, 0, 0, 1))
        confirm = tasks(await query(handle))["confirm_start"]
        assert (confirm.overdue, confirm.escalated_to) == (True, "senior_case_worker")
        [alert] = rows(sessions, models.Message, mailbox=SENIOR_MAILBOX)
        assert "2027-03-22 23:59" in alert.body and case_id in alert.body

        await advance_to(env, sthlm(2027, 3, 23, 9, 0))
        confirmed = await act(
            handle, "confirm_start", ConfirmStart(actor=SENIOR, note="Bekräftat per telefon")
        )
        assert confirmed.stage == "confirmed"
        assert (
            "Bekräfta uppstart enligt 14-dagarsöverenskommelsen: gjort 2027-03-23 09:00, efter tidsgränsen "
            "(senast 2027-03-22 23:59)."
        ) in texts(confirmed)
        [confirmation] = rows(sessions, models.Message, mailbox=PROVIDER_MAILBOX)
        assert "till och med 2027-03-28" in confirmation.body

        await advance_to(env, sthlm(2027, 3, 28, 23, 59, 58))
        assert tasks(await query(handle))["follow_up"].overdue is False
        await advance_to(env, sthlm(2027, 3, 29, 0, 0, 1))
        follow_up = tasks(await query(handle))["follow_up"]
        assert (follow_up.overdue, follow_up.escalated_to) == (True, "senior_case_worker")
        alerts = rows(sessions, models.Message, mailbox=SENIOR_MAILBOX)
        assert any("2027-03-28 23:59" in m.body for m in alerts) and len(alerts) == 2

        await advance_to(env, sthlm(2027, 3, 29, 8, 0))
        done = await act(
            handle,
            "follow_up",
            FollowUp(actor=CASE_WORKER, outcome="transient", provider_contact="Carl Samordnare"),
        )
        assert (done.stage, done.outcome, done.open_tasks) == ("closed", "transient", [])
        assert done.details["billing"] == "Ingen ersättning för det utökade stödet under perioden."
        assert (
            "Följ upp med utföraren: övergående eller kvarstående behov: gjort 2027-03-29 08:00, "
            "efter tidsgränsen (senast 2027-03-28 23:59)."
        ) in texts(done)
        await wait_closed(env, pid)
        [notice_to_billing] = rows(sessions, models.BillingNotice, case_id=case_id)
        assert notice_to_billing.concerns == DAY_ONE
        assert notice_to_billing.deadline == end_of(date(2027, 4, 4))
        assert notice_to_billing.text.startswith(
            "Behovet var övergående. Ingen ersättning till utföraren för det utökade stödet under "
            "perioden 2027-03-15–2027-03-29."
        )
        [row] = rows(sessions, models.Process, id=pid)
        assert (row.status, row.outcome) == ("completed", "transient")
        assert rows(sessions, models.Task, process_id=pid, status="open") == []


async def test_EXT_3_a_lasting_change_told_within_a_week_is_on_time_and_later_is_a_deviation(
    sessions: sessionmaker[Session],
) -> None:
    """EXT-3: established Fri 2027-03-19 -> due end of Fri 2027-03-26 (Good Friday, calendar days):
    told 03-26 10:00 is on time, told Sat 03-27 10:00 is late (a deviation)."""
    async with scenario(sthlm(2027, 3, 15, 9, 0), sessions) as (env, worker):
        on_time, _, case_id = await begin(env, worker, sessions)
        late, _, _ = await begin(env, worker, sessions)
        await advance_to(env, sthlm(2027, 3, 26, 10, 0))

        lasting = ReportLasting(actor=PROVIDER, established_on=date(2027, 3, 19), message="Kvarstår troligen")
        assert (await rejected(on_time, "report_lasting", _lasting(CASE_WORKER, 19))).type == ("Forbidden")
        assert (await rejected(on_time, "report_lasting", _lasting(OTHER_PROVIDER, 19))).type == ("Forbidden")
        before_day_one = await rejected(on_time, "report_lasting", _lasting(PROVIDER, 14))
        assert (before_day_one.type, "före dag 1 (2027-03-15)" in before_day_one.message) == ("Invalid", True)
        assert (await rejected(on_time, "report_lasting", _lasting(PROVIDER, 27))).type == "Invalid"

        state = await act(on_time, "report_lasting", lasting)
        assert state.deadlines["report_lasting"] == end_of(date(2027, 3, 26))
        assert state.deviations == []
        assert state.details["established_on"] == "2027-03-19"
        assert (
            "Meddela om förändringen bedöms vara längre än 14 dagar: gjort 2027-03-26 10:00, i tid "
            "(senast 2027-03-26 23:59)."
        ) in texts(state)
        assert "report_lasting" not in tasks(state)
        [told] = rows(sessions, models.Message, mailbox=CASE_WORKERS, case_id=case_id)
        assert "Konstaterat 2027-03-19" in told.body and "Kvarstår troligen" in told.body
        assert (await rejected(on_time, "report_lasting", lasting)).type == "NotOpen"

        await advance_to(env, sthlm(2027, 3, 27, 10, 0))
        state = await act(late, "report_lasting", lasting)
        assert state.deviations == [
            "Varaktig förändring meddelad 2027-03-27 10:00, mer än en vecka efter att den "
            "konstaterades 2027-03-19."
        ]
        assert any("efter tidsgränsen (senast 2027-03-26 23:59)" in text for text in texts(state))


def _lasting(actor: Actor, day: int) -> ReportLasting:
    return ReportLasting(actor=actor, established_on=date(2027, 3, day))


async def test_EXT_5_remains_application_and_a_grant_back_dated_to_day_one_with_an_updated_order(
    sessions: sessionmaker[Session],
) -> None:
    """EXT-5: followed up Fri 2027-03-26 (the need remains), application the same day, granted Tue
    2027-03-30: the decision starts 2027-03-15 (another date is refused), and an updated order
    starts as a child ``order`` process, back-dated to 2027-03-15."""
    async with scenario(sthlm(2027, 3, 15, 10, 0), sessions) as (env, worker):
        handle, _, case_id = await begin(env, worker, sessions)
        await advance_to(env, sthlm(2027, 3, 16, 9, 0))
        early = ConfirmStart(actor=CASE_WORKER, occurred_at=sthlm(2027, 3, 15, 9, 0))
        assert "2027-03-15 10:00" in (await rejected(handle, "confirm_start", early)).message
        state = await act(handle, "confirm_start", ConfirmStart(actor=CASE_WORKER))
        assert any("gjort 2027-03-16 09:00, i tid (senast 2027-03-22 23:59)" in t for t in texts(state))
        assert (await rejected(handle, "decide", Decide(actor=CASE_WORKER, granted=False))).type == "NotOpen"

        await advance_to(env, sthlm(2027, 3, 26, 9, 0))
        no_contact = FollowUp(actor=CASE_WORKER, outcome="remains", provider_contact=" ")
        assert (await rejected(handle, "follow_up", no_contact)).type == "Invalid"
        remains = FollowUp(actor=CASE_WORKER, outcome="remains", provider_contact="Carl Samordnare")
        state = await act(handle, "follow_up", remains)
        assert state.stage == "application"
        assert set(tasks(state)) == {"register_application"}  # report_lasting is no longer needed

        application = RegisterApplication(actor=CASE_WORKER, received_on=date(2027, 3, 26))
        state = await act(handle, "register_application", application)
        assert (state.stage, set(tasks(state))) == ("deciding", {"decide"})
        assert state.details["proposals"] == {"decide": {"decision_date": "2027-03-15"}}

        await advance_to(env, sthlm(2027, 3, 30, 10, 0))
        wrong = Decide(actor=CASE_WORKER, granted=True, decision_date=date(2027, 3, 30), items=ITEMS)
        cause = await rejected(handle, "decide", wrong)
        assert (cause.type, cause.message) == (
            "Invalid",
            "Beslutet ska bakåtdateras till den dag utföraren satte in stödet: 2027-03-15, inte 2027-03-30.",
        )
        assert (await rejected(handle, "decide", Decide(actor=CASE_WORKER, granted=True))).type == "Invalid"
        granted = Decide(
            actor=CASE_WORKER, granted=True, decision_date=DAY_ONE, items=ITEMS, other="Nyckel i kodlåda"
        )
        done = await act(handle, "decide", granted)
        order_id = f"case-{case_id}/order/temporary-extension-1"
        assert (done.outcome, done.details["decision_date"], done.details["order_id"]) == (
            "granted",
            "2027-03-15",
            order_id,
        )
        [decision] = rows(sessions, models.Decision, case_id=case_id)
        assert (decision.kind, decision.start_date, decision.services) == ("care", DAY_ONE, ["Tillsyn natt"])

        order = await env.client.get_workflow_handle(order_id).query("state", result_type=ProcessState)
        assert (order.type, order.details["start_date"]) == ("order", "2027-03-15")
        assert order.details["other"].endswith("insatserna gäller från 2027-03-15. Nyckel i kodlåda")
        [order_row] = rows(sessions, models.Order, id=order_id)
        assert (order_row.start_date, order_row.provider_id, order_row.sent_at.replace(microsecond=0)) == (
            DAY_ONE,
            "hemtjanst-nord",
            sthlm(2027, 3, 30, 10, 0),
        )
        assert [p.type for p in rows(sessions, models.Process, case_id=case_id)].count("order") == 1
        # The order is a process of its own: its message follows its start shortly.
        subjects: list[str] = []
        for _ in range(100):
            subjects = [m.subject for m in rows(sessions, models.Message, mailbox=PROVIDER_MAILBOX)]
            if "Ny beställning" in subjects:
                break
            await asyncio.sleep(0.05)
        assert "Ny beställning" in subjects and "Beslut: fortsatt stöd beviljat" in subjects
        assert done.deviations == []  # March registered before 4 April (CAL-7)
        await wait_closed(env, handle.id)


async def test_EXT_5_CAL_7_a_grant_for_march_registered_on_5_april_2027_notifies_billing(
    sessions: sessionmaker[Session],
) -> None:
    """CAL-7: a decision back-dated to Mon 2027-03-22 and registered Mon 2027-04-05 (after the 4th)
    raises the late-registration notice and a deviation."""
    async with scenario(sthlm(2027, 3, 22, 10, 0), sessions) as (env, worker):
        handle, _, case_id = await begin(env, worker, sessions, started_on=date(2027, 3, 22))
        await advance_to(env, sthlm(2027, 4, 1, 10, 0))
        remains = FollowUp(actor=CASE_WORKER, outcome="remains", provider_contact="Carl")
        await act(handle, "follow_up", remains)
        await act(
            handle,
            "register_application",
            RegisterApplication(actor=CASE_WORKER, received_on=date(2027, 4, 1)),
        )
        await advance_to(env, sthlm(2027, 4, 5, 10, 0))
        done = await act(handle, "decide", Decide(actor=CASE_WORKER, granted=True, items=ITEMS))
        assert done.details["decision_date"] == "2027-03-22"  # None means the proposed day 1
        assert done.deviations == ["Beslutet registrerades efter den 4:e följande månad."]
        [notice] = rows(sessions, models.BillingNotice, case_id=case_id)
        assert (notice.concerns, notice.deadline) == (date(2027, 3, 22), end_of(date(2027, 4, 4)))


async def test_EXT_5_a_refusal_and_a_declined_application_are_recorded_and_close(
    sessions: sessionmaker[Session],
) -> None:
    async with scenario(sthlm(2027, 3, 15, 10, 0), sessions) as (env, worker):
        refused, _, refused_case = await begin(env, worker, sessions)
        declined, _, declined_case = await begin(env, worker, sessions)
        await advance_to(env, sthlm(2027, 3, 25, 10, 0))
        for handle in (refused, declined):
            await act(
                handle, "follow_up", FollowUp(actor=CASE_WORKER, outcome="remains", provider_contact="Carl")
            )

        await act(
            refused,
            "register_application",
            RegisterApplication(actor=CASE_WORKER, received_on=date(2027, 3, 25)),
        )
        with_items = Decide(actor=CASE_WORKER, granted=False, items=ITEMS)
        assert (await rejected(refused, "decide", with_items)).type == "Invalid"
        # the form's proposed date comes along with a refusal: ignored
        state = await act(
            refused,
            "decide",
            Decide(actor=CASE_WORKER, granted=False, decision_date=DAY_ONE, note="Behovet täcks"),
        )
        assert (state.outcome, state.stage) == ("not_granted", "closed")
        assert rows(sessions, models.Decision, case_id=refused_case) == []
        [journal] = [
            j for j in rows(sessions, models.JournalEntry, case_id=refused_case) if "beviljas inte" in j.text
        ]
        assert journal.journal == "authority" and journal.text.endswith("Behovet täcks")

        state = await act(
            declined, "register_application", RegisterApplication(actor=CASE_WORKER, declined=True)
        )
        assert (state.outcome, state.stage) == ("no_application", "closed")
        [told] = rows(sessions, models.Message, mailbox=PROVIDER_MAILBOX, case_id=declined_case)
        assert told.subject == "Ingen ansökan om fortsatt stöd"
        await wait_closed(env, refused.id)
        await wait_closed(env, declined.id)
