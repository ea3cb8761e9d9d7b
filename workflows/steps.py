"""The task-with-deadline engine every process uses for its human steps.

A process opens a step (action, role, org, due time from a rule). The step is recorded in the
read model, shown by the `state` query, and completed by a workflow update of the same name. The
process's single main coroutine calls ``next()`` to wait for whichever open step is completed
first; while it waits, a step whose deadline passes is marked overdue and escalated (a message to
the escalation target's mailbox), and the process keeps waiting for the action.

Update handlers call ``complete()``, which returns only once the main coroutine has reacted to the
action (reached its next wait or finished), so the HTTP answer shows the new state. An action that
was accepted but that the process no longer carries out (it ended first, or the reaction to another
action made the step unnecessary) is answered 409 and its task closed: no ghost tasks, and the
timeline records an action only when it is carried out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.records import TaskRecord
    from workflows import calendar, limits
    from workflows.effects import Effects
    from workflows.glossary import what_was_registered
    from workflows.model import (
        ROLE_LABELS,
        SYSTEM,
        Action,
        Actor,
        OpenTask,
        TimelineEntry,
        forbidden,
        invalid,
        not_open,
    )

# Clients' clocks differ a little from the server's; an action a few minutes "ahead" is not wrong.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class Step:
    task_id: str
    action: str
    role: str
    org: str | None
    title: str
    due_at: datetime | None
    escalate_to: str | None
    escalation_mailbox: str | None
    opened_at: datetime
    status: str = "open"  # open | done | cancelled
    overdue: bool = False
    escalated_to: str | None = None
    result: Any = None
    done_by: Actor | None = None
    done_at: datetime | None = None
    done_seq: int = 0
    taken: bool = False
    handled: bool = False
    # The earliest real-world moment the step's action can have happened (e.g. an order's sending).
    not_before: datetime | None = None
    dropped: str | None = None  # why an accepted action is not carried out (answered 409)

    def view(self) -> OpenTask:
        return OpenTask(
            task_id=self.task_id,
            action=self.action,
            role=self.role,
            org=self.org,
            title=self.title,
            due_at=self.due_at,
            overdue=self.overdue,
            escalated_to=self.escalated_to,
        )


class ProcessEnding(Exception):
    """Raised in the main coroutine where it waits (``Steps.next``, ``Steps.interrupt``) once a
    case event ends the process (END-2); ``ProcessWorkflow`` catches it around ``run`` and closes."""


class Steps:
    def __init__(self, effects: Effects, timeline: list[TimelineEntry]) -> None:
        self._effects = effects
        self._timeline = timeline
        self._steps: list[Step] = []
        self._done_seq = 0
        self.idle = False  # the main coroutine has reached its first wait (or ended)
        self.on_change: Callable[[], None] = lambda: None
        self.ending: str | None = None  # why a case event ends the process (END-2), once asked

    # -- what the state query and validators read ------------------------------------------

    def open_steps(self) -> list[Step]:
        return [s for s in self._steps if s.status == "open"]

    def find_open(self, action: str) -> Step | None:
        return next((s for s in self.open_steps() if s.action == action), None)

    def next_due(self) -> datetime | None:
        dues = [s.due_at for s in self.open_steps() if s.due_at is not None and not s.overdue]
        return min(dues, default=None)

    def check(self, action: str, payload: Action) -> Step:
        """Validator part shared by every action: is it open, may this actor perform it, are its
        dates in the calendar's years, and is its ``occurred_at`` a real past moment no earlier
        than the step could happen (``not_before``)? Raises the ApplicationError of the kind."""
        actor = payload.actor
        step = self.find_open(action)
        if step is None:
            raise not_open(f"Åtgärden '{action}' är inte öppen i processens nuvarande läge.")
        roles = {step.role} | ({step.escalated_to} if step.escalated_to else set())
        if actor.role not in roles:
            raise forbidden(
                f"Åtgärden '{action}' utförs av {ROLE_LABELS.get(step.role, step.role)}, "
                f"inte av {ROLE_LABELS.get(actor.role, actor.role)}."
            )
        if actor.role == step.role and step.org is not None and actor.org != step.org:
            raise forbidden(f"Åtgärden '{action}' hör till enheten {step.org}.")
        problem = limits.date_problem(payload)
        if problem is not None:
            raise invalid(problem)
        occurred = payload.occurred_at
        if occurred is not None:
            if occurred > workflow.now() + CLOCK_SKEW:
                raise invalid("occurred_at ligger i framtiden.", "occurred_at")
            earliest = step.not_before or step.opened_at
            if occurred < earliest - CLOCK_SKEW:
                raise invalid(
                    f"occurred_at {_stamp(occurred)} ligger före {_stamp(earliest)}: "
                    f"steget '{step.title}' kan inte ha utförts tidigare.",
                    "occurred_at",
                )
        return step

    # -- the process's main coroutine ------------------------------------------------------

    async def open(
        self,
        action: str,
        *,
        role: str,
        title: str,
        due_at: datetime | None = None,
        org: str | None = None,
        escalate_to: str | None = None,
        escalation_mailbox: str | None = None,
        not_before: datetime | None = None,
    ) -> Step:
        """Open a human step; one open step per action at a time (opening it again returns the
        open one). ``not_before``: the earliest moment its action can have happened in the real
        world (default: now, the opening); an ``occurred_at`` before it is rejected."""
        already = self.find_open(action)
        if already is not None:
            return already
        step = Step(
            task_id=f"{self._effects.ref.process_id}/{action}/{len(self._steps) + 1}",
            action=action,
            role=role,
            org=org,
            title=title,
            due_at=due_at,
            escalate_to=escalate_to,
            escalation_mailbox=escalation_mailbox,
            opened_at=workflow.now(),
            not_before=not_before,
        )
        self._steps.append(step)
        due = f", senast {calendar.local(due_at):%Y-%m-%d %H:%M}" if due_at else ""
        self._note(SYSTEM, f"Nytt steg för {ROLE_LABELS.get(role, role)}: {title}{due}")
        await self._record(step)
        return step

    async def cancel(self, step: Step, reason: str) -> None:
        """Close a step that is no longer needed, e.g. a review once execution is registered.

        An action already accepted for the step but not yet carried out is not carried out: its
        caller gets 409 with ``reason``."""
        if step.status == "done" and not step.taken:
            step.dropped = reason
            actor = step.done_by.label if step.done_by else ""
            self._note(SYSTEM, f"Ej utfört: {step.title} ({actor}). {reason}")
        elif step.status != "open":
            return
        else:
            self._note(SYSTEM, f"Steget '{step.title}' behövs inte längre: {reason}")
        step.status = "cancelled"
        await self._record(step, closed_at=workflow.now())

    async def next(
        self, until: datetime | None = None, wake: Callable[[], bool] | None = None
    ) -> Step | None:
        """Wait for the first completed step; None once ``until`` has passed, or once ``wake()``
        is true (e.g. a signal from another process arrived; the caller knows which).

        Deadlines that pass meanwhile mark their step overdue and escalate it; waiting goes on.
        """
        while True:
            self.interrupt()
            ready = self._first_done()
            if ready is not None:
                ready.taken = True
                # Carried out from here on: only now does the timeline say so, with what was written.
                assert ready.done_by is not None  # set with the status "done"
                self._note(ready.done_by, _done_text(ready), at=ready.done_at)
                await self._record(ready, closed_at=ready.done_at, closed_by=ready.done_by)
                return ready
            now = workflow.now()
            if (until is not None and now >= until) or (wake is not None and wake()):
                return None
            for step in self.open_steps():
                if step.due_at is not None and not step.overdue and step.due_at <= now:
                    await self._escalate(step)
            # Only now has the process reacted to everything so far (also to an ``until`` that had
            # already passed, and to overdue steps): its effects are written (issue 9), then the
            # waiting updates and ``ready`` are released, so an answer and the inbox agree.
            await self._effects.flush()
            self._settle()
            self.idle = True
            wake_at = [d for d in (self.next_due(), until) if d is not None]
            timeout = (min(wake_at) - now).total_seconds() if wake_at else None
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: (
                        self._first_done() is not None
                        or (wake is not None and wake())
                        or self.ending is not None
                    ),
                    timeout=timeout,
                    timeout_summary="Väntar på nästa tidsgräns",
                )

    def end(self, reason: str) -> None:
        """END-2: a case event ends the process; the main coroutine stops at its next wait."""
        if self.ending is None:
            self.ending = reason

    def interrupt(self) -> None:
        """Raise ``ProcessEnding`` once the process is to end (for a process's own waits)."""
        if self.ending is not None:
            raise ProcessEnding(self.ending)

    async def escalate_now(self, step: Step, to_role: str, actor: Actor, reason: str) -> None:
        """Escalate an open step before its deadline (e.g. COM-7): ``to_role`` may perform it from
        now on. The caller sends whatever message the rule requires."""
        if step.status != "open":
            return
        step.escalated_to = to_role
        target = ROLE_LABELS.get(to_role, to_role)
        self._note(actor, f"Eskalerat till {target}: {step.title}. Orsak: {reason}")
        await self._record(step)

    async def finish(self, reason: str) -> None:
        """Cancel what is still open, and every accepted action not yet carried out (answered
        409): the process ends (``release`` answers the waiting actions)."""
        for step in [s for s in self._steps if s.status == "open" or (s.status == "done" and not s.taken)]:
            await self.cancel(step, reason)

    def release(self) -> None:
        """Let every waiting update handler answer: the process has reacted to everything. With
        effects still being collected, they answer once those are written (the next flush, at the
        latest when the process waits)."""
        self._effects.after_flush(self._release_now)

    def _release_now(self) -> None:
        self._settle(everything=True)
        self.idle = True

    # -- update handlers --------------------------------------------------------------------

    async def complete(self, action: str, payload: Action) -> Step:
        """Hand an accepted action to the main coroutine and wait until it has reacted."""
        step = self.check(action, payload)
        self._done_seq += 1
        step.status = "done"
        step.result = payload
        step.done_by = payload.actor
        step.done_at = payload.occurred_at or workflow.now()
        step.done_seq = self._done_seq
        await workflow.wait_condition(lambda: step.handled)
        if not step.taken:
            raise not_open(f"Åtgärden '{step.title}' utfördes inte: {step.dropped or 'processen avslutades'}")
        return step

    # -- internals --------------------------------------------------------------------------

    def _first_done(self) -> Step | None:
        waiting = [s for s in self._steps if s.status == "done" and not s.taken]
        return min(waiting, key=lambda s: s.done_seq, default=None)

    def _settle(self, everything: bool = False) -> None:
        for step in self._steps:
            if step.taken or step.dropped is not None or (everything and step.status == "done"):
                step.handled = True

    async def _escalate(self, step: Step) -> None:
        step.overdue = True
        step.escalated_to = step.escalate_to
        target = ROLE_LABELS.get(step.escalate_to or "", "ingen")
        self._note(SYSTEM, f"Försenat: {step.title}. Eskalerat till {target}.")
        await self._record(step)
        if step.escalation_mailbox is not None and step.due_at is not None:
            await self._effects.message(
                step.escalation_mailbox,
                f"Försenat steg: {step.title}",
                f"Steget '{step.title}' skulle vara utfört senast "
                f"{calendar.local(step.due_at):%Y-%m-%d %H:%M}. Ärende {self._effects.ref.case_id}.",
                SYSTEM,
            )

    async def _record(
        self, step: Step, closed_at: datetime | None = None, closed_by: Actor | None = None
    ) -> None:
        ref = self._effects.ref
        await self._effects.record_task(
            TaskRecord(
                task_id=step.task_id,
                process_id=ref.process_id,
                case_id=ref.case_id,
                action=step.action,
                role=step.role,
                org=step.org,
                title=step.title,
                due_at=step.due_at,
                status=step.status,
                opened_at=step.opened_at,
                overdue=step.overdue,
                escalated_to=step.escalated_to,
                closed_at=closed_at,
                closed_by=closed_by.label if closed_by else None,
            )
        )
        self.on_change()

    def _note(self, actor: Actor, text: str, at: datetime | None = None) -> None:
        self._timeline.append(TimelineEntry(at=at or workflow.now(), actor=actor.label, text=text))


def _stamp(instant: datetime) -> str:
    return f"{calendar.local(instant):%Y-%m-%d %H:%M}"


def _done_text(step: Step) -> str:
    """The timeline entry of a carried-out action: the step and what the person registered."""
    registered = what_was_registered(step.result) if step.result is not None else ""
    return f"{step.title}: utfört" + (f". {registered}" if registered else "")
