"""One record/replay harness for every process type (issue 11 §3).

``tests/histories/<name>_v<N>.json`` are histories recorded with earlier versions of the code;
tests/test_replay.py replays every one of them with today's code. A change that makes one fail
with a nondeterminism error changed what a *running* process does on replay: put the new
behaviour behind ``workflow.patched("<change-id>")`` (later ``workflow.deprecate_patch``) instead
of changing the old path. Never just regenerate a file: processes started with the old code are
still running in production. A released file stays as it is; a new version goes next to it.

Each process type has a recorder here (``RECORDERS``): a dated scenario on its own time-skipping
server that runs the process through most of its steps. Record the histories that are missing,
or name recorders; an existing file is kept unless ``--overwrite`` is given::

    .venv/bin/python -m tests.replay list
    .venv/bin/python -m tests.replay record                    # every missing file
    .venv/bin/python -m tests.replay record urgent-change      # one recorder (if its file is missing)
    .venv/bin/python -m tests.replay record urgent-change --overwrite   # not for released files

Released, never regenerated: ``order_v1.json`` (the first released history) and
``follow_up_cycle_v1.json`` (it checks that version 1 of the cycle replays without the
``fu-cycle-journal-due`` patch).

``*_v2.json`` (the follow-up cycle, its continued run, the follow-up and the homecoming) were
recorded with the batched read-model writes of issue 9 (``read-model-batch``) but before the
follow-up board's writes joined the batch (``follow-up-board-batch``) and before the cycle waited
for its closed follow-up (``fu-cycle-waits-for-closed-follow-up``): they keep those paths replayed.
They have no recorder of their own (today's code records the newer version).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.worker import Replayer

from readmodel import models
from readmodel.database import make_engine, make_session_factory
from runtime import temporal, worker
from tests.support import (
    CASE_WORKER,
    ON_CALL,
    PROVIDER,
    SENIOR,
    add_case,
    advance_to,
    profile,
    scenario,
    start,
    sthlm,
)
from tests.test_follow_up_cycle import MONDAY, current_run, eventually, hold_follow_up, next_run, start_cycle
from workflows.case_event import CaseEventWorkflow
from workflows.extra_visits import ExtraVisitsWorkflow
from workflows.follow_up_cycle import cycle_id
from workflows.homecoming import HomecomingWorkflow
from workflows.io.case_event import CaseEventInput, HandleTimeAdjustment, TimeAdjustmentReport
from workflows.io.extra_visits import ExtraVisitsInput, RegisterVisit, Review, VisitDecision
from workflows.io.homecoming import AnnounceHandover, Dialogue, MoveOrder, SendOrder, StartHomecoming
from workflows.io.homecoming import FollowUp as HomecomingFollowUp
from workflows.io.new_urgent_case import Decide as DecideNewCase
from workflows.io.new_urgent_case import PhoneProvider, StartNewUrgentCase, TakeOver
from workflows.io.new_urgent_case import SendOrder as SendNewCaseOrder
from workflows.io.order import (
    CarePlanDone,
    ConfirmOrder,
    OrderInput,
    PhoneConfirmation,
    RegisterExecution,
    ReviewNotExecuted,
)
from workflows.io.temporary_extension import (
    ConfirmStart,
    Decide,
    FollowUp,
    RegisterApplication,
    ReportLasting,
    TemporaryExtensionInput,
)
from workflows.io.urgent_change import NotifyCaseWorker, Respond, StartUrgentChange
from workflows.model import Actor, CaseInfo, ProcessState, StartContext
from workflows.new_urgent_case import NewUrgentCaseWorkflow
from workflows.order import OrderWorkflow
from workflows.process import ProcessWorkflow
from workflows.registry import WORKFLOWS
from workflows.rules.order import ServiceItem
from workflows.temporary_extension import TemporaryExtensionWorkflow
from workflows.urgent_change import UrgentChangeWorkflow

HISTORIES = Path(__file__).resolve().parent / "histories"
# order_v1: the first released history; follow_up_cycle_v1: checks that version 1 of the cycle
# replays without the ``fu-cycle-journal-due`` patch.
RELEASED = frozenset({"order_v1.json", "follow_up_cycle_v1.json"})

Sessions = sessionmaker[Session]
Handle = WorkflowHandle[Any, ProcessState]
TEAM = Actor(user_id="hg-gun", role="homecoming_team", name="Gun Hemgång", org="hemgangsteam")


@dataclass(frozen=True)
class Recorder:
    """How one history is recorded, where it is kept and what every recording of it contains."""

    name: str  # the recorder's name on the command line
    process_type: str  # the workflow type the history belongs to (workflows/registry.py)
    file: str  # under tests/histories/
    record: Callable[[Sessions], Awaitable[WorkflowHistory]]
    events: frozenset[EventType.ValueType]  # kinds the recorded file and every fresh recording contain
    description: str

    @property
    def released(self) -> bool:
        """Released files are never rewritten, not even with ``--overwrite``: a new version goes
        next to them (a recorder of its own, e.g. ``order_v2.json``)."""
        return self.file in RELEASED

    @property
    def path(self) -> Path:
        return HISTORIES / self.file


# -- replaying -----------------------------------------------------------------------------------


def replayer(workflows: Sequence[type[ProcessWorkflow]] = WORKFLOWS) -> Replayer:
    """Replays with the worker's sandbox and the system's data converter, as production runs."""
    return Replayer(
        workflows=list(workflows),
        workflow_runner=worker.workflow_runner(),
        data_converter=temporal.data_converter,
    )


def load(path: Path) -> WorkflowHistory:
    """A history file as written by ``write``: ``{"workflow_id", "history"}``."""
    recorded = json.loads(path.read_text(encoding="utf-8"))
    return WorkflowHistory.from_json(recorded["workflow_id"], recorded["history"])


def workflow_type(history: WorkflowHistory) -> str:
    """The workflow type named by the history's first event (WorkflowExecutionStarted)."""
    first = history.events[0]
    assert first.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    return first.workflow_execution_started_event_attributes.workflow_type.name


def event_kinds(history: WorkflowHistory) -> set[EventType.ValueType]:
    return {event.event_type for event in history.events}


async def replay_failure(
    history: WorkflowHistory, workflows: Sequence[type[ProcessWorkflow]] = WORKFLOWS
) -> Exception | None:
    """The replay's failure (e.g. a ``NondeterminismError``), or None when it replays cleanly."""
    result = await replayer(workflows).replay_workflow(history, raise_on_replay_failure=False)
    return result.replay_failure


def history_files() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


# -- recording helpers ---------------------------------------------------------------------------


async def complete_history(handle: Handle) -> WorkflowHistory:
    """The history once the workflow has completed (the last action's answer comes just before).

    Polls instead of ``handle.result()``, which would let the time-skipping server jump ahead.
    """
    for _ in range(400):
        history = await handle.fetch_history()
        if history.events[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            return history
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} did not complete")


def new_case_id() -> str:
    return f"replay-{uuid.uuid4().hex[:8]}"


async def act(handle: Handle, actions: Sequence[tuple[str, Any]]) -> None:
    for name, action in actions:
        await handle.execute_update(name, action, result_type=ProcessState)


# -- one recorder per process type -----------------------------------------------------------------


async def record_order(sessions: Sessions) -> WorkflowHistory:
    """An urgent order sent Fri 2026-11-20 14:30 for Monday: phone call, confirmation, the ORD-4
    review opened by its timer after Tue 24/11 (ORD-4 from the service start), the instruction to
    execute, the execution and the care plan."""
    case_id = new_case_id()
    add_case(sessions, case_id)
    inp = OrderInput(
        case_id=case_id,
        profile=profile("default"),
        provider_id="hemtjanst-nord",
        sent_by=CASE_WORKER,
        start_date=date(2026, 11, 23),
        items=[
            ServiceItem(name="Personlig omvårdnad", kind="care", minutes_per_month=900),
            ServiceItem(name="Städning", kind="service", minutes_per_month=120),
        ],
        other="Portkod 1234. Brukaren hör dåligt; ring på länge.",
        sent_at=sthlm(2026, 11, 20, 14, 30),
        case_worker_id="cw-anna",
    )
    async with scenario(sthlm(2026, 11, 20, 15, 5), sessions) as (env, running):
        handle, _ = await start(env, running, OrderWorkflow, inp, f"{case_id}/order/1")
        phoned = PhoneConfirmation(
            actor=CASE_WORKER,
            phoned="coordinator",
            phoned_name="Carl Samordnare",
            occurred_at=sthlm(2026, 11, 20, 14, 45),
        )
        confirmed = ConfirmOrder(actor=PROVIDER, occurred_at=sthlm(2026, 11, 20, 15, 0))
        await act(handle, [("phone_confirmation", phoned), ("confirm", confirmed)])
        await advance_to(
            env, sthlm(2026, 11, 25, 0, 0, 1)
        )  # ORD-4: care from Mon 23/11, review after Tue 24/11
        await act(
            handle,
            [
                ("review_not_executed", ReviewNotExecuted(actor=CASE_WORKER, decision="execute")),
                ("register_execution", RegisterExecution(actor=PROVIDER, execution_date=date(2026, 11, 23))),
                ("care_plan_done", CarePlanDone(actor=PROVIDER, done_on=date(2026, 11, 24))),
            ],
        )
        return await complete_history(handle)


async def record_new_urgent_case(sessions: Sessions) -> WorkflowHistory:
    """NEW-5 (Sundbyberg): an on-call grant Sun 2026-11-22 02:00 for an unknown person, taken
    over, the provider phoned, decided and the order sent (the order child starts)."""
    case_id = new_case_id()
    async with scenario(sthlm(2026, 11, 22, 9, 0), sessions) as (env, running):
        ctx = StartContext(
            case_id=case_id,
            case=None,
            profile=profile("sundbyberg"),
            actor=ON_CALL,
            now=await env.get_current_time(),
        )
        request = StartNewUrgentCase(
            person_name="Greta Testsson",
            help_started_at=sthlm(2026, 11, 22, 2, 0),
            granted_by_on_call=True,
            unknown_person=True,
        )
        inp = NewUrgentCaseWorkflow.build_input(request, ctx)
        handle, _ = await start(env, running, NewUrgentCaseWorkflow, inp, f"case-{case_id}/new-urgent-case/1")
        items = [ServiceItem(name="Omvårdnad", kind="care", minutes_per_month=600)]
        await act(
            handle,
            [
                ("take_over", TakeOver(actor=CASE_WORKER)),
                ("phone_provider", PhoneProvider(actor=CASE_WORKER, phoned_name="Sara Samordnare")),
                ("decide", DecideNewCase(actor=CASE_WORKER, granted=True, services=["Omvårdnad"])),
                (
                    "send_order",
                    SendNewCaseOrder(actor=CASE_WORKER, start_date=date(2026, 11, 22), items=items),
                ),
            ],
        )
        return await complete_history(handle)


async def record_urgent_change(sessions: Sessions) -> WorkflowHistory:
    """UC-1: a lasting change from Thu 2026-12-24 18:00, notified Mon 12-28; the answer is overdue
    after Thu 2027-01-07 and escalated (UC-4, COM-1); the senior case worker grants from 12-24."""
    case_id = new_case_id()
    add_case(sessions, case_id)
    async with scenario(sthlm(2026, 12, 25, 10, 5), sessions) as (env, running):
        case = CaseInfo(
            case_id=case_id,
            municipality="default",
            profile="default",
            case_worker_id="cw-anna",
            provider_id="hemtjanst-nord",
        )
        ctx = StartContext(
            case_id=case_id, case=case, profile=profile(), actor=PROVIDER, now=await env.get_current_time()
        )
        request = StartUrgentChange(
            kind="lasting",
            started_at=sthlm(2026, 12, 24, 18, 0),
            description="Behöver hjälp vid toalettbesök",
        )
        inp = UrgentChangeWorkflow.build_input(request, ctx)
        handle, _ = await start(env, running, UrgentChangeWorkflow, inp, f"case-{case_id}/urgent-change/1")
        await advance_to(env, sthlm(2026, 12, 28, 10, 0))
        await act(handle, [("notify_case_worker", NotifyCaseWorker(actor=PROVIDER))])
        await advance_to(env, sthlm(2027, 1, 8, 0, 0, 1))
        granted = Respond(
            actor=SENIOR, outcome="granted", decision_date=date(2026, 12, 24), services=["Toaletthjälp natt"]
        )
        await act(handle, [("respond", granted)])
        return await complete_history(handle)


async def record_extra_visits(sessions: Sessions) -> WorkflowHistory:
    """UC-5 (Sundbyberg): November 2026, one extra visit registered, the weekly review overdue and
    escalated, the visit approved as a lasting need (the order child starts); registration closes
    at the end of Tue 2026-12-01 and the process ends with its summary."""
    case_id = new_case_id()
    add_case(sessions, case_id, profile_name="sundbyberg")
    inp = ExtraVisitsInput(
        case_id=case_id,
        profile=profile("sundbyberg"),
        provider_id="hemtjanst-nord",
        month="2026-11",
        started_by=PROVIDER,
        case_worker_id="cw-anna",
    )
    async with scenario(sthlm(2026, 11, 22, 9, 0), sessions) as (env, running):
        handle, _ = await start(env, running, ExtraVisitsWorkflow, inp, f"case-{case_id}/extra-visits/1")
        visit = RegisterVisit(
            actor=PROVIDER,
            visit_date=date(2026, 11, 21),
            kind="extra_visit",
            services=["Toalettbesök", "Måltid"],
            reason="Magsjuk under helgen, behövde hjälp till toaletten och med att äta.",
        )
        await act(handle, [("register_visit", visit)])
        await advance_to(env, sthlm(2026, 11, 30, 9, 0))  # the review was due end of Sun 11-29
        approve = VisitDecision(visit_id="v1", decision="approve", lasting_need=True, item_kind="care")
        await act(handle, [("review", Review(actor=CASE_WORKER, decisions=[approve]))])
        await advance_to(env, sthlm(2026, 12, 2, 0, 0, 1))  # registration closed
        return await complete_history(handle)


async def record_temporary_extension(sessions: Sessions) -> WorkflowHistory:
    """A 14-day period from Mon 2027-03-15 (Staffanstorp): the confirmation missed and escalated
    (COM-7), a lasting change reported (EXT-3), the follow-up (remains, EXT-4), the application and
    the grant back-dated to day 1 with its child order (EXT-5)."""
    async with scenario(sthlm(2027, 3, 15, 10, 0), sessions) as (env, running):
        case_id = new_case_id()
        add_case(sessions, case_id, profile_name="staffanstorp")
        inp = TemporaryExtensionInput(
            case_id=case_id,
            profile=profile("staffanstorp"),
            provider_id="hemtjanst-nord",
            reported_by=PROVIDER,
            reported_at=sthlm(2027, 3, 15, 10, 0),
            started_on=date(2027, 3, 15),
            inserted="Tillsyn två gånger per natt",
            reason="Urinvägsinfektion",
            case_worker_id="cw-anna",
        )
        process_id = f"case-{case_id}/temporary-extension/1"
        handle, _ = await start(env, running, TemporaryExtensionWorkflow, inp, process_id)
        await advance_to(env, sthlm(2027, 3, 23, 9, 0))  # the confirmation is overdue: escalated
        lasting = ReportLasting(actor=PROVIDER, established_on=date(2027, 3, 22))
        await act(handle, [("confirm_start", ConfirmStart(actor=SENIOR)), ("report_lasting", lasting)])
        await advance_to(env, sthlm(2027, 3, 26, 9, 0))
        items = [ServiceItem(name="Tillsyn natt", kind="care", minutes_per_month=600)]
        await act(
            handle,
            [
                (
                    "follow_up",
                    FollowUp(actor=CASE_WORKER, outcome="remains", provider_contact="Carl Samordnare"),
                ),
                (
                    "register_application",
                    RegisterApplication(actor=CASE_WORKER, received_on=date(2027, 3, 26)),
                ),
                ("decide", Decide(actor=CASE_WORKER, granted=True, items=items)),
            ],
        )
        return await complete_history(handle)


async def record_homecoming(sessions: Sessions) -> WorkflowHistory:
    """A simplified homecoming on Mon 2026-12-28 with a handover on Tue 2026-12-29 (late, HT-3):
    the senior case worker's dialogue, the follow-up with a new decision, the move to the chosen
    provider, which ends the team's order."""
    case_id = new_case_id()
    add_case(sessions, case_id)
    case = CaseInfo(case_id=case_id, municipality="default", profile="default", provider_id="hemtjanst-nord")
    at = sthlm(2026, 12, 28, 9)
    async with scenario(at, sessions) as (env, running):
        ctx = StartContext(case_id=case_id, case=case, profile=profile(), actor=CASE_WORKER, now=at)
        inp = HomecomingWorkflow.build_input(StartHomecoming(mode="simplified", night_help_minutes=120), ctx)
        handle, _ = await start(env, running, HomecomingWorkflow, inp, f"case-{case_id}/homecoming/1")
        care = [ServiceItem(name="Personlig omvårdnad", kind="care", minutes_per_month=900)]
        new_decision = HomecomingFollowUp(
            actor=CASE_WORKER,
            new_decision=True,
            services=["Personlig omvårdnad"],
            decision_date=date(2026, 12, 29),
        )
        await act(
            handle,
            [
                (
                    "send_order",
                    SendOrder(actor=CASE_WORKER, start_date=date(2026, 12, 28), other="Portkod 4711"),
                ),
                ("announce_handover", AnnounceHandover(actor=TEAM, handover_date=date(2026, 12, 29))),
                ("dialogue", Dialogue(actor=SENIOR, note="Sent besked; hemgången fungerar ändå.")),
                ("follow_up", new_decision),
                ("move_order", MoveOrder(actor=CASE_WORKER, start_date=date(2026, 12, 29), items=care)),
            ],
        )
        return await complete_history(handle)


def _follow_up_of(sessions: Sessions, case_id: str) -> str | None:
    with sessions() as session:
        row = session.get(models.FollowUpSchedule, case_id)
        return row.follow_up_process_id if row is not None else None


async def _cycle(sessions: Sessions, want: str) -> WorkflowHistory:
    """A new case decided Mon 2026-11-23 (FU-2): the first follow-up held 2027-01-25 and the cycle
    continued as new; for ``continued`` also the second run's follow-up held 2028-01-20 and its
    continue-as-new. ``want``: ``first-run``, ``follow-up`` or ``continued``."""
    async with scenario(MONDAY, sessions) as (env, running):
        case_id = await start_cycle(env, running, sessions, date(2026, 11, 23))
        cycle = cycle_id(case_id)
        first_run = await current_run(env, cycle)
        await advance_to(env, sthlm(2027, 1, 10, 9, 0))
        follow_up = f"case-{case_id}/follow-up/1"
        await eventually(lambda: _follow_up_of(sessions, case_id) == follow_up, "the first follow-up started")
        await hold_follow_up(env, follow_up, sthlm(2027, 1, 25, 10, 0))
        if want == "follow-up":
            return await complete_history(env.client.get_workflow_handle(follow_up))
        second_run = await next_run(env, cycle, first_run)
        if want == "first-run":
            return await env.client.get_workflow_handle(cycle, run_id=first_run).fetch_history()
        await advance_to(env, sthlm(2027, 12, 28, 9, 0))  # FU-1: due 2028-01-25, opened 30 days ahead
        follow_up = f"case-{case_id}/follow-up/2"
        await eventually(
            lambda: _follow_up_of(sessions, case_id) == follow_up, "the second follow-up started"
        )
        await hold_follow_up(env, follow_up, sthlm(2028, 1, 20, 10, 0))
        await next_run(env, cycle, second_run)
        return await env.client.get_workflow_handle(cycle, run_id=second_run).fetch_history()


async def record_case_event(sessions: Sessions) -> WorkflowHistory:
    """END-6 / CAL-7: March's night help reported Mon 2027-04-05 (late: a billing notice); the
    case worker's task (due Mon 04-12) is overdue and escalated, then handled Tue 04-13."""
    case_id = new_case_id()
    add_case(sessions, case_id)
    async with scenario(sthlm(2027, 4, 5, 9, 0), sessions) as (env, running):
        report = TimeAdjustmentReport(
            service="night_help", month="2027-03", ordered_minutes=600, performed_minutes=780
        )
        inp = CaseEventInput(
            case_id=case_id,
            profile=profile(),
            event="time_adjustment",
            reported_by=PROVIDER,
            reported_at=sthlm(2027, 4, 5, 9, 0),
            case_worker_id="cw-anna",
            provider_id="hemtjanst-nord",
            time_adjustment=report,
            case_from=date(2027, 1, 4),
        )
        handle, _ = await start(env, running, CaseEventWorkflow, inp, f"case-{case_id}/case-event/1")
        await advance_to(env, sthlm(2027, 4, 13, 9, 0))
        await act(handle, [("handle_time_adjustment", HandleTimeAdjustment(actor=SENIOR, approved=True))])
        return await complete_history(handle)


async def record_follow_up_cycle(sessions: Sessions) -> WorkflowHistory:
    return await _cycle(sessions, "first-run")


async def record_follow_up_cycle_continued(sessions: Sessions) -> WorkflowHistory:
    return await _cycle(sessions, "continued")


async def record_follow_up(sessions: Sessions) -> WorkflowHistory:
    return await _cycle(sessions, "follow-up")


E = EventType
COMPLETED = E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
UPDATED = E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
CHILD = E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
TIMER = E.EVENT_TYPE_TIMER_FIRED
CONTINUED = E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW

RECORDERS: dict[str, Recorder] = {
    recorder.name: recorder
    for recorder in [
        Recorder(
            "order",
            "order",
            "order_v1.json",
            record_order,
            frozenset({COMPLETED, UPDATED, TIMER}),
            record_order.__doc__ or "",
        ),
        Recorder(
            "new-urgent-case",
            "new-urgent-case",
            "new_urgent_case_v1.json",
            record_new_urgent_case,
            frozenset({COMPLETED, UPDATED, CHILD}),
            record_new_urgent_case.__doc__ or "",
        ),
        Recorder(
            "urgent-change",
            "urgent-change",
            "urgent_change_v1.json",
            record_urgent_change,
            frozenset({COMPLETED, UPDATED, TIMER}),
            record_urgent_change.__doc__ or "",
        ),
        Recorder(
            "extra-visits",
            "extra-visits",
            "extra_visits_v1.json",
            record_extra_visits,
            frozenset({COMPLETED, UPDATED, CHILD, TIMER}),
            record_extra_visits.__doc__ or "",
        ),
        Recorder(
            "temporary-extension",
            "temporary-extension",
            "temporary_extension_v1.json",
            record_temporary_extension,
            frozenset({COMPLETED, CHILD, TIMER}),
            record_temporary_extension.__doc__ or "",
        ),
        Recorder(
            "homecoming",
            "homecoming",
            "homecoming_v1.json",
            record_homecoming,
            frozenset({COMPLETED, CHILD, E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED}),
            record_homecoming.__doc__ or "",
        ),
        Recorder(
            "case-event",
            "case-event",
            "case_event_v1.json",
            record_case_event,
            frozenset({COMPLETED, UPDATED, TIMER}),
            record_case_event.__doc__ or "",
        ),
        Recorder(
            "follow-up",
            "follow-up",
            "follow_up_v1.json",
            record_follow_up,
            frozenset({COMPLETED, UPDATED}),
            "The first follow-up of the cycle below, planned, reported, its form chosen and recorded.",
        ),
        Recorder(
            "follow-up-cycle",
            "follow-up-cycle",
            "follow_up_cycle_v1.json",
            record_follow_up_cycle,
            frozenset({CONTINUED, CHILD}),
            "The first run of a cycle, from its start to its continue-as-new after the first follow-up.",
        ),
        Recorder(
            "follow-up-cycle-continued",
            "follow-up-cycle",
            "follow_up_cycle_continued_v1.json",
            record_follow_up_cycle_continued,
            frozenset({CONTINUED, CHILD, TIMER}),
            "The second run of a cycle (started by continue-as-new), through its follow-up to its own "
            "continue-as-new.",
        ),
    ]
}


# -- writing -------------------------------------------------------------------------------------


async def record_fresh(recorder: Recorder, folder: Path) -> WorkflowHistory:
    """Record with ``recorder`` on a throwaway SQLite read model under ``folder``."""
    engine = make_engine(f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}")
    try:
        return await recorder.record(make_session_factory(engine))
    finally:
        engine.dispose()


def write(history: WorkflowHistory, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"workflow_id": history.workflow_id, "history": history.to_json_dict()}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


async def record_files(names: Sequence[str], *, overwrite: bool) -> list[str]:
    """Record the named recorders' files (all when ``names`` is empty); keep existing files unless
    ``overwrite``. Returns one line per recorder saying what was done."""
    lines = []
    for name in names or list(RECORDERS):
        recorder = RECORDERS[name]
        if recorder.path.exists() and recorder.released:
            lines.append(f"kept    {recorder.file} (released: record a new version next to it)")
            continue
        if recorder.path.exists() and not overwrite:
            lines.append(f"kept    {recorder.file} (exists; --overwrite only for an incompatible change)")
            continue
        with tempfile.TemporaryDirectory() as folder:
            history = await record_fresh(recorder, Path(folder))
        write(history, recorder.path)
        lines.append(f"wrote   {recorder.file} ({len(history.events)} events)")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.replay", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the recorders and their files")
    record = commands.add_parser("record", help="record the missing history files")
    record.add_argument("names", nargs="*", metavar="name", help=", ".join(RECORDERS))
    record.add_argument(
        "--overwrite", action="store_true", help="rewrite existing files (incompatible change)"
    )
    args = parser.parse_args(argv)
    if args.command == "list":
        for recorder in RECORDERS.values():
            state = "recorded" if recorder.path.exists() else "MISSING"
            print(f"{recorder.name:28} {recorder.file:36} {state}")
        return 0
    unknown = [name for name in args.names if name not in RECORDERS]
    if unknown:
        parser.error(f"unknown recorder(s): {', '.join(unknown)}")
    for line in asyncio.run(record_files(args.names, overwrite=args.overwrite)):
        print(line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
