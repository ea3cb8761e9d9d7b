"""The follow-up cycle of a case (FU-1, FU-2, FU-3, FU-11): one living workflow per case with a
granted decision, ``case-<id>/follow-up-cycle``.

It is started (by signal-with-start) with the case's first recorded decision and holds the case's
living decisions and the date of the last follow-up. Its next due date is the earliest of FU-1,
FU-2 and FU-3 (``rules.follow_up.next_due``). ``PLAN_LEAD_DAYS`` before that date it starts a
``follow-up`` process (``case-<id>/follow-up/<n>``), whose ``plan`` task is due at the end of the
due date and escalates to the senior case worker when missed. New and ended decisions move the
due date, a closed follow-up schedules the next one (FU-11), and the case worker may start a
follow-up at once for a changed need or a complaint (``start_now``, FU-1). The cycle ends when no
decision lives any more.

Years of life: after each closed follow-up (or a long history) the cycle continues as new,
carrying its whole state (``CycleCarry``): decisions, last follow-up, the running follow-up, the
effect counter, the recent timeline and the idempotency keys of recent actions (update ids do not
deduplicate across runs). The cycle has no human steps of its own: its open tasks are those of the
running follow-up process, which lives on unchanged across the cycle's runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import FailureError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.follow_up import cycle_id
    from activities.records import ScheduleRecord
    from workflows import calendar, follow_up_effects
    from workflows.effects import AUTHORITY_JOURNAL
    from workflows.io.case_event import CaseEnding
    from workflows.io.follow_up import (
        CycleCarry,
        CycleInput,
        DecisionEnded,
        DecisionGranted,
        FollowUpClosed,
        FollowUpInput,
        NoHttpStart,
        StartNow,
    )
    from workflows.model import (
        CASE_WORKER,
        SENIOR_CASE_WORKER,
        SYSTEM,
        Action,
        ProcessState,
        StartContext,
        forbidden,
        invalid,
        not_open,
    )
    from workflows.process import ProcessWorkflow
    from workflows.rules import follow_up as rules
    from workflows.rules.follow_up import DecisionTerm, Due

# Issue 9: a run leaves (continues as new, or ends) only once the follow-up it started and that
# announced its close has completed; runs recorded before keep leaving at once.
FOLLOW_UP_DONE_PATCH = "fu-cycle-waits-for-closed-follow-up"
RECENT_KEYS = 200  # idempotency keys kept across runs: far more than retries of one action span
TIMELINE_CARRIED = 40  # the most recent timeline entries a new run starts with
FOLLOW_UP_TYPE = "follow-up"


@workflow.defn(name="follow-up-cycle")
class FollowUpCycleWorkflow(ProcessWorkflow):
    process_type = "follow-up-cycle"
    START_ROLES = ()  # started by the first decision, never over POST /processes
    START_REQUEST = NoHttpStart
    ACTIONS: ClassVar[dict[str, type[Action]]] = {"start_now": StartNow}

    @classmethod
    def build_input(cls, request: NoHttpStart, ctx: StartContext) -> CycleInput:
        raise ValueError("Uppföljningscykeln startar när ärendets första beslut registreras.")

    @classmethod
    def actions_without_task(cls, details: dict[str, Any]) -> dict[str, tuple[str, tuple[str, ...]]]:
        """FU-1: while no follow-up runs, the case worker may start one now (a changed need, a
        complaint); the pages offer it on the cycle's and the case's page."""
        if details.get("current_follow_up"):
            return {}
        title = "Starta en uppföljning nu (ändrat behov, klagomål)"
        return {"start_now": (title, (CASE_WORKER, SENIOR_CASE_WORKER))}

    @classmethod
    def hidden_fields(cls, details: dict[str, Any]) -> dict[str, frozenset[str]]:
        """start_now happens when it is asked for: no other moment to state."""
        return {"start_now": frozenset({"occurred_at"})}

    @classmethod
    def continues_at(cls, action: str, details: dict[str, Any]) -> str | None:
        """After ``start_now`` the case worker goes on with the follow-up it started (its plan)."""
        current = details.get("current_follow_up") if action == "start_now" else None
        return str(current) if current else None

    @classmethod
    def concerns_units(cls, inp: CycleInput) -> frozenset[str]:
        """The cycle is the case workers' (FU-9); its follow-ups concern the provider."""
        return frozenset()

    @workflow.init
    def __init__(self, inp: CycleInput) -> None:
        self._setup(inp.case_id, inp.profile, inp.case_worker_id, inp.provider_id)
        self.units = set()  # the case workers' alone: no unit sees the cycle
        carried = inp.carried or CycleCarry()
        self.inp = inp
        self.decisions: dict[str, DecisionTerm] = {d.decision_id: d for d in carried.decisions}
        self.last_follow_up = carried.last_follow_up
        self.follow_ups_started = carried.follow_ups_started
        self.current = carried.current
        self.current_due = carried.current_due
        self.current_reason = carried.current_reason
        self.applied_keys = list(carried.applied_keys)
        self.timeline.extend(carried.timeline)
        self.effects.resume(carried.effects_counter)
        self.runs = carried.runs
        self.journaled_due = carried.journaled_due
        if inp.carried is not None:
            self._started_at = carried.started_at or self._started_at
            self.stage = self._stage_now()  # as the previous run left it
        self._changed = False
        self._start_now: StartNow | None = None
        self._requests = 0  # start_now actions accepted in this run ...
        self._served = 0  # ... and those the main coroutine has reacted to
        self._closed_a_follow_up = False
        self._child: workflow.ChildWorkflowHandle[Any, Any] | None = None  # started in this run
        self._closing_child: workflow.ChildWorkflowHandle[Any, Any] | None = None  # announced its close

    @workflow.run
    async def run(self, inp: CycleInput) -> ProcessState:
        if inp.carried is None:
            await self._start("scheduled", "Uppföljningscykeln startar med ärendets första beslut.")
        else:
            self.note(SYSTEM, f"Cykeln fortsätter i en ny körning ({self.runs}) med samma läge.")
        while True:
            today = calendar.local_date(workflow.now())
            living = rules.living(list(self.decisions.values()), today)
            due = rules.next_due(living, self.last_follow_up, self.profile)
            await self._publish(due)
            if not living and self.current is None:
                return await self._end()
            if self._should_continue_as_new():
                await self._closed_follow_up_done()
                if not self._should_continue_as_new():  # an action or a case event came meanwhile
                    continue
                await self.effects.flush()  # a new run does not inherit unwritten effects
                self.steps.release()
                # END-2: a case ending that arrives now wins over the new run: its handler waits
                # for this run to close, so waiting for every handler would wait for ever.
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() or self.steps.ending is not None
                )
                self.steps.interrupt()
                workflow.continue_as_new(self._carry())
            wake = self._wake_at(due, living)
            if wake is not None and wake <= workflow.now():
                await self._start_follow_up(due, None)
                continue
            self.steps.release()  # the process has reacted: "ready" and waiting actions answer
            timeout = (wake - workflow.now()).total_seconds() if wake is not None else None
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._changed or self._start_now is not None or self.steps.ending is not None,
                    timeout=timeout,
                    timeout_summary="Väntar till nästa uppföljning ska planeras",
                )
            self.steps.interrupt()  # END-2: a case event ends the cycle
            self._changed = False
            if self._start_now is not None:
                action, self._start_now, taken = self._start_now, None, self._requests
                await self._start_follow_up(due, action)
                self._served = taken

    # -- signals and the one action ---------------------------------------------------------

    @workflow.signal
    def decision_granted(self, decision: DecisionGranted) -> None:
        """A recorded decision (idempotent: keyed by its id); FU-1/FU-2/FU-3 move the due date."""
        known = self.decisions.get(decision.decision_id)
        if known is not None and known.ended:
            return  # a late or repeated delivery does not bring an ended decision back
        term = DecisionTerm(
            decision_id=decision.decision_id,
            start_date=decision.start_date,
            end_date=decision.end_date,
            # FU-2 holds once said: a repeated delivery without the flag does not undo it
            new_case=decision.new_case or (known is not None and known.new_case),
            services=list(decision.services),
        )
        if known == term:
            return
        self.decisions[decision.decision_id] = term
        ends = f" till {decision.end_date}" if decision.end_date else ""
        self.note(SYSTEM, f"Beslut {decision.decision_id} från {decision.start_date}{ends}.")
        self._changed = True

    @workflow.signal
    def decision_ended(self, ended: DecisionEnded) -> None:
        """A decision ended on a date (services ended, END-1, END-2): it lives to that date."""
        term = self.decisions.get(ended.decision_id)
        if term is None:
            return
        # Cycles that received an end before version 3 replay with the end as a time-limit.
        if not term.ended and workflow.patched("fu-cycle-ended-is-not-time-limited"):
            # An ended decision is no time-limited one (FU-3): no follow-up before its end; it
            # lives to its end date, and the cycle ends when no decision lives (FU-11).
            term.ended = True
            term.end_date = min(term.end_date or ended.ended_on, ended.ended_on)
            self.note(SYSTEM, f"Beslut {ended.decision_id} har upphört {term.end_date}: följs inte upp mer.")
            self._changed = True
            return
        if term.end_date is not None and term.end_date <= ended.ended_on:
            return
        term.end_date = ended.ended_on
        self.note(SYSTEM, f"Beslut {ended.decision_id} upphör {ended.ended_on}.")
        self._changed = True

    @workflow.signal
    def follow_up_closed(self, closed: FollowUpClosed) -> None:
        """FU-11: the running follow-up closed; the next one is scheduled from the day it was held."""
        if closed.process_id != self.current:
            return
        if self._child is not None and self._child.id == closed.process_id:
            self._closing_child = self._child
        self.current = None
        self.current_due = None
        self.current_reason = None
        if closed.held_on is not None:
            self.last_follow_up = max(self.last_follow_up or closed.held_on, closed.held_on)
            self.note(SYSTEM, f"Uppföljning {closed.process_id} genomförd {closed.held_on}.")
        else:
            self.note(SYSTEM, f"Uppföljning {closed.process_id} avslutad utan att hållas.")
        self._closed_a_follow_up = True
        self._changed = True

    @workflow.update
    async def start_now(self, action: StartNow) -> ProcessState:
        """FU-1: start a follow-up at once (changed need, complaint); one per idempotency key."""
        key = workflow.current_update_info()
        if key is not None and key.id in self.applied_keys:
            return self.state()
        if key is not None:
            self.applied_keys = [*self.applied_keys, key.id][-RECENT_KEYS:]
        self._start_now = action
        self._requests += 1
        ticket = self._requests
        # END-2: a case ending accepted with it wins; the start is not carried out (409).
        await workflow.wait_condition(lambda: self._served >= ticket or self.steps.ending is not None)
        if self._served < ticket:
            raise not_open(f"Uppföljningen startades inte: {self.steps.ending}")
        return self.state()

    @start_now.validator
    def _check_start_now(self, action: StartNow) -> None:
        info = workflow.current_update_info()
        if info is not None and info.id in self.applied_keys:
            return  # a repeat of an action already applied (maybe in an earlier run): same answer
        if action.actor.role not in (CASE_WORKER, SENIOR_CASE_WORKER):
            raise forbidden("En uppföljning startas av biståndshandläggaren.")
        if self.steps.ending is not None or self.closed:
            raise not_open("Ärendet avslutas: uppföljningen startas inte.")
        if self.current is not None or self._start_now is not None:
            raise not_open(f"En uppföljning pågår redan ({self.current}).")
        if not action.reason.strip():
            raise invalid("Ange varför uppföljningen behövs nu (ändrat behov, klagomål, ...).", "reason")

    # -- reactions --------------------------------------------------------------------------

    def _wake_at(self, due: Due | None, living: list[DecisionTerm]) -> datetime | None:
        """When the cycle must act by itself: the plan opens, or a living decision ends."""
        moments = []
        if due is not None and self.current is None:
            moments.append(rules.plan_opens_at(due.on))
        moments.extend(calendar.end_of_day(d.end_date) + timedelta(seconds=1) for d in living if d.end_date)
        return min(moments, default=None)

    async def _start_follow_up(self, due: Due | None, action: StartNow | None) -> None:
        """Start the next follow-up process; unscheduled ones (FU-1) are due within the year's
        rule all the same, and at the latest today + the plan lead time."""
        today = calendar.local_date(workflow.now())
        if action is None and due is None:
            return
        due_on = due.on if due is not None else today + timedelta(days=rules.PLAN_LEAD_DAYS)
        if action is not None:
            due_on = min(due_on, today + timedelta(days=rules.PLAN_LEAD_DAYS))
        living = rules.living(list(self.decisions.values()), today)
        inp = FollowUpInput(
            case_id=self.ref.case_id,
            profile=self.profile,
            cycle_id=self.ref.process_id,
            due_on=due_on,
            reason="unscheduled" if action is not None else due.reason if due else "yearly",
            decisions=living,
            case_worker_id=self.ref.case_worker_id,
            provider_id=self.ref.provider_id,
            number=self.follow_ups_started + 1,
            unscheduled_reason=action.reason if action is not None else "",
        )
        process_id = await self._start_child(inp)
        self.current = process_id
        self.current_due = due_on
        self.current_reason = inp.reason
        if action is not None:
            self.note(action.actor, f"Uppföljning {process_id} startad utan schema: {action.reason}.")
        elif due is not None:
            self.note(
                SYSTEM,
                f"Uppföljning {process_id} startad, senast {due_on}: {rules.REASON_LABELS[due.reason]}.",
            )
        await self._publish(due, board_stage="to_plan")

    async def _start_child(self, inp: FollowUpInput) -> str:
        """Start the follow-up under the next free number: an earlier cycle of the case (one that
        ended when its decisions did) may have used the first numbers."""
        while True:
            self.follow_ups_started += 1
            inp.number = self.follow_ups_started
            process_id = f"case-{self.ref.case_id}/follow-up/{inp.number}"
            try:
                self._child = await workflow.start_child_workflow(
                    FOLLOW_UP_TYPE,
                    inp,
                    id=process_id,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                    static_summary=f"Uppföljning {inp.number} i ärende {self.ref.case_id}",
                )
            except WorkflowAlreadyStartedError:
                continue
            return process_id

    async def _publish(self, due: Due | None, board_stage: str | None = None) -> None:
        """The board row (FU-9), the state's details and the search attributes."""
        next_due = self.current_due if self.current is not None else (due.on if due else None)
        # FU-9: the board keeps why the case is due while its follow-up runs.
        reason = self.current_reason if self.current is not None else (due.reason if due else None)
        self.details.update(
            next_due=next_due.isoformat() if next_due else None,
            reason=reason,
            last_follow_up=self.last_follow_up.isoformat() if self.last_follow_up else None,
            current_follow_up=self.current,
            decisions=sorted(self.decisions),
            runs=self.runs,
        )
        self.deadlines = {"follow_up": calendar.end_of_day(next_due)} if next_due else {}
        if board_stage is None and self.current is None:
            board_stage = "scheduled"
        await follow_up_effects.record_schedule(
            ScheduleRecord(
                case_id=self.ref.case_id,
                cycle_id=self.ref.process_id,
                next_due=next_due,
                reason=reason,
                last_follow_up=self.last_follow_up,
                follow_up_process_id=self.current,
                stage=board_stage,
                status="running",
                updated_at=workflow.now(),
            )
        )
        if next_due is not None and next_due != self.journaled_due:
            await self._journal_due(next_due, reason)
        stage = self._stage_now()
        if stage != self.stage:
            await self.set_stage(stage)

    def _stage_now(self) -> str:
        return "scheduled" if self.current is None else "following_up"

    async def _journal_due(self, next_due: date, reason: str | None) -> None:
        """The new due date in the timeline and (version 2) in the authority journal, where the
        case worker reads why the case is due when it is."""
        self.journaled_due = next_due
        why = f" ({rules.REASON_LABELS[reason]})" if reason in rules.REASON_LABELS else ""
        text = f"Nästa uppföljning senast {next_due}{why}."
        self.note(SYSTEM, text)
        # Cycles recorded before version 2 (tests/histories/follow_up_cycle_v1.json) replay without it.
        if workflow.patched("fu-cycle-journal-due"):
            await self.effects.journal(AUTHORITY_JOURNAL, text, SYSTEM, workflow.now())

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        long = info.get_current_history_length() >= self.inp.max_history_events
        if not (self._closed_a_follow_up or long or info.is_continue_as_new_suggested()):
            return False
        return self._start_now is None and self.steps.ending is None

    def _carry(self) -> CycleInput:
        carry = CycleCarry(
            decisions=list(self.decisions.values()),
            last_follow_up=self.last_follow_up,
            follow_ups_started=self.follow_ups_started,
            current=self.current,
            current_due=self.current_due,
            applied_keys=list(self.applied_keys),
            timeline=self.timeline[-TIMELINE_CARRIED:],
            effects_counter=self.effects.counter,
            runs=self.runs + 1,
            started_at=self._started_at,
            journaled_due=self.journaled_due,
            current_reason=self.current_reason,
        )
        return CycleInput(
            case_id=self.ref.case_id,
            profile=self.profile,
            case_worker_id=self.ref.case_worker_id,
            provider_id=self.ref.provider_id,
            carried=carry,
            max_history_events=self.inp.max_history_events,
        )

    async def on_case_ending(self, ending: CaseEnding) -> None:
        """END-2: the case ended (e.g. a death): its board row ends with the cycle."""
        await self._record_ended()

    async def _closed_follow_up_done(self) -> None:
        """Wait (FOLLOW_UP_DONE_PATCH) until the follow-up that announced its close has completed,
        so this run's history records its end and the run never closes before its child (a case
        event, END-2, does not wait). A follow-up from an earlier run is not this run's child."""
        child, self._closing_child = self._closing_child, None
        if child is None or not workflow.patched(FOLLOW_UP_DONE_PATCH):
            return
        done = asyncio.create_task(_settled(child))
        await workflow.wait_condition(lambda: done.done() or self.steps.ending is not None)

    async def _end(self) -> ProcessState:
        """FU-11: the cycle continues while a decision lives; now none does."""
        await self._closed_follow_up_done()
        await self._record_ended()
        return await self.close(
            "no_living_decision", "Inget beslut gäller längre: uppföljningscykeln avslutas."
        )

    async def _record_ended(self) -> None:
        await follow_up_effects.record_schedule(
            ScheduleRecord(
                case_id=self.ref.case_id,
                cycle_id=self.ref.process_id,
                next_due=None,
                reason=None,
                last_follow_up=self.last_follow_up,
                follow_up_process_id=None,
                stage="ended",
                status="ended",
                updated_at=workflow.now(),
            )
        )


async def _settled(child: workflow.ChildWorkflowHandle[Any, Any]) -> None:
    """The child's end, however it ended (its failure is its own to report)."""
    with contextlib.suppress(FailureError):
        await child


__all__ = ["FollowUpCycleWorkflow", "cycle_id"]
