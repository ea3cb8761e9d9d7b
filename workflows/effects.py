"""The side effects a process has, as activity calls with explicit timeouts and stable keys.

Each effect's key is the process id plus a per-process counter, deterministic on replay, so a
retried activity rewrites its own read-model row.

Issue 9, one read-model write per reaction: the effects a process produces between two waits are
collected and written together, in order, in one transaction, by one local activity
(``ReadModelActivities.write_batch``) when the process next waits: ``flush()`` in ``Steps.next``
before it waits and before the waiting actions are answered, in ``close``, before the follow-up
activities, and, by a background coroutine, whenever the process awaits anything else with
effects pending (a child workflow's start, a signal to another workflow, a timer). Processes whose
histories were recorded before (``workflow.patched(BATCH_PATCH)`` is false) keep one activity per
effect, as they ran. The follow-up board's writes joined the batch later, behind their own change
id (``batches_since``, workflows/follow_up_effects.py). Why a local activity: it runs in the worker
within the workflow task, so a reaction costs no extra round trips through the server (scheduling,
dispatch, completion, a new workflow task); its inputs are not stored in the history. Measured in
bench/results/.

A write the read model refuses (a value too long for its column, a character the database does not
store, a conflicting row) cannot be fixed by retrying: the activity fails non-retryably with the
kind ``READ_MODEL_REFUSED``, and the process goes on without that write; the fault is shown in the
process's state (a deviation, through ``on_fault``) and reported to ``fault_mailbox`` (the senior
case worker's) so a person sees it. Every other activity failure is retried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.read_model import READ_MODEL_REFUSED, ReadModelActivities
    from activities.records import (
        BillingNoticeRecord,
        CaseAssignment,
        CaseRecord,
        DecisionRecord,
        FollowUpEventRecord,
        JournalRecord,
        MessageRecord,
        OrderEnding,
        OrderRecord,
        ProcessRecord,
        ReadModelBatch,
        ReadModelWrite,
        TaskRecord,
    )
    from workflows import calendar
    from workflows.model import SYSTEM, Actor, ProcessRef

ACTIVITY_TIMEOUT = timedelta(seconds=30)
ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))

# The change id of batched read-model writes (issue 9): the recorded histories before it replay
# with one activity per effect.
BATCH_PATCH = "read-model-batch"

AUTHORITY_JOURNAL = "authority"
PROVIDER_JOURNAL = "provider"


class Effects:
    def __init__(self, ref: ProcessRef) -> None:
        self.ref = ref
        self._counter = 0
        self.fault_mailbox: str | None = None  # who is told of a refused write
        self.on_fault: Callable[[str], None] = lambda text: None  # shows it in the process's state
        self._batched: bool | None = None  # decided at the first effect (BATCH_PATCH)
        self._pending: list[ReadModelWrite] = []
        self._flushing = False
        self._after_flush: list[Callable[[], None]] = []
        self._flusher: asyncio.Task[None] | None = None

    @property
    def counter(self) -> int:
        """How many keyed effects this process has had (carried over a continue-as-new)."""
        return self._counter

    @property
    def pending(self) -> bool:
        """Effects produced but not yet written (or being written right now)."""
        return bool(self._pending) or self._flushing

    @property
    def batched(self) -> bool:
        """Whether this run batches its writes (issue 9); False before its first effect."""
        return bool(self._batched)

    def resume(self, counter: int) -> None:
        """Continue numbering after a previous run's effects, so no key is used twice."""
        self._counter = max(self._counter, counter)

    def _key(self, kind: str) -> str:
        self._counter += 1
        return f"{self.ref.process_id}/{kind}/{self._counter}"

    def _batching(self) -> bool:
        """Whether this run batches its writes, decided once, at its first effect."""
        if self._batched is None:
            self._batched = workflow.patched(BATCH_PATCH)
            if self._batched:
                self._flusher = asyncio.create_task(self._flush_when_waiting())
        return self._batched

    def batches_since(self, change_id: str) -> bool:
        """Whether writes of a kind the batch took on with the change ``change_id`` (a
        ``workflow.patched`` id) go into this run's batches. Histories recorded before that
        change keep the activity they had (the change is asked first, so such a history's run
        decides BATCH_PATCH where it did)."""
        return workflow.patched(change_id) and self._batching()

    def collect(self, kind: str, record: Any, summary: str) -> None:
        """Add ``record`` (field ``kind`` of ReadModelWrite) to the next flush of a batching run."""
        self._pending.append(ReadModelWrite(summary=summary, **{kind: record}))

    async def _run(self, activity: Any, record: Any, summary: str, kind: str) -> None:
        """Write ``record`` (its field ``kind`` of ReadModelWrite): collected for the next flush,
        or (histories before BATCH_PATCH) by its own activity, a refusal reported at once."""
        if self._batching():
            self.collect(kind, record, summary)
            return
        try:
            await self._execute(activity, record, summary)
        except ActivityError as error:
            reason = _refusal(error)
            if reason is None:
                raise
            await self._report_fault(summary, reason)

    async def flush(self) -> None:
        """Write every collected effect, in order, one local activity per batch, and wait for it.

        A write the read model refused is left out (the others are written) and reported like
        ``_report_fault``: the message to ``fault_mailbox`` is written by the next batch of the
        same flush. Then the callbacks of ``after_flush`` run. Does not yield when nothing is
        pending, so histories before BATCH_PATCH keep their commands."""
        if not self.pending:
            self._run_after_flush()
            return
        while self._flushing:  # the background flush (or another caller's) finishes first
            await workflow.wait_condition(lambda: not self._flushing)
        self._flushing = True
        try:
            while self._pending:
                writes, self._pending = self._pending, []
                outcome = await workflow.execute_local_activity_method(
                    ReadModelActivities.write_batch,
                    ReadModelBatch(process_id=self.ref.process_id, writes=writes),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=ACTIVITY_RETRY,
                    summary=_batch_summary(writes),
                )
                for refusal in outcome.refused:
                    write = writes[refusal.index]
                    if not write.report:  # a refused report is not reported again
                        self._queue_fault_report(write.summary, refusal.reason)
        finally:
            self._flushing = False
        self._run_after_flush()

    def after_flush(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once every effect produced so far is written (at once if none waits)."""
        self._after_flush.append(callback)
        if not self.pending:
            self._run_after_flush()

    def _run_after_flush(self) -> None:
        callbacks, self._after_flush = self._after_flush, []
        for callback in callbacks:
            callback()

    async def _flush_when_waiting(self) -> None:
        """The background flush: whenever the process waits for anything with effects pending
        (the condition is only looked at while every coroutine of the workflow waits)."""
        while True:
            await workflow.wait_condition(lambda: bool(self._pending) and not self._flushing)
            await self.flush()

    async def _execute(self, activity: Any, record: Any, summary: str) -> None:
        await workflow.execute_activity_method(
            activity,
            record,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
            summary=summary,
        )

    def _fault_report(self, what: str, reason: str) -> MessageRecord | None:
        """A refused write reaches a person: the process's state now, and the message to the fault
        mailbox that the caller writes (None without a fault mailbox)."""
        text = f"Uppgiften '{what}' kunde inte sparas: {reason}"
        self.on_fault(text)
        if self.fault_mailbox is None:
            return None
        body = (
            f"{text}\nProcess {self.ref.process_id}, ärende {self.ref.case_id}. Processen fortsätter "
            "utan uppgiften; kontrollera och rätta uppgifterna i ärendet."
        )
        return MessageRecord(
            key=self._key("message"),
            mailbox=self.fault_mailbox,
            case_id=self.ref.case_id,
            subject="Tekniskt fel: en uppgift kunde inte sparas",
            body=body,
            sender=SYSTEM.label,
            sent_at=workflow.now(),
            process_id=self.ref.process_id,
        )

    def _queue_fault_report(self, what: str, reason: str) -> None:
        record = self._fault_report(what, reason)
        if record is not None:
            write = ReadModelWrite(summary=FAULT_SUMMARY, report=True, message=record)
            self._pending.append(write)

    async def _report_fault(self, what: str, reason: str) -> None:
        """The report of a refusal in histories before BATCH_PATCH: its own activity, at once."""
        record = self._fault_report(what, reason)
        if record is None:
            return
        try:
            await self._execute(ReadModelActivities.post_message, record, FAULT_SUMMARY)
        except ActivityError as error:
            if _refusal(error) is None:
                raise
            # Even the report was refused (e.g. its case is missing): the state still shows it.

    async def record_process(self, record: ProcessRecord) -> None:
        await self._run(ReadModelActivities.record_process, record, f"Läge: {record.stage}", "process")

    async def record_task(self, record: TaskRecord) -> None:
        await self._run(ReadModelActivities.record_task, record, f"Uppgift: {record.title}", "task")

    async def message(self, mailbox: str, subject: str, body: str, sender: Actor) -> None:
        """COM-2: to a function mailbox, about this process's one case only."""
        record = MessageRecord(
            key=self._key("message"),
            mailbox=mailbox,
            case_id=self.ref.case_id,
            subject=subject,
            body=body,
            sender=sender.label,
            sent_at=workflow.now(),
            process_id=self.ref.process_id,
        )
        await self._run(ReadModelActivities.post_message, record, f"Meddelande till {mailbox}", "message")

    async def journal(self, journal: str, text: str, author: Actor, at: datetime) -> None:
        record = JournalRecord(
            key=self._key(f"journal-{journal}"),
            case_id=self.ref.case_id,
            journal=journal,
            author=author.label,
            text=text,
            at=at,
            process_id=self.ref.process_id,
        )
        await self._run(ReadModelActivities.write_journal, record, f"Journal ({journal})", "journal")

    async def billing_notice_if_late(self, concerns: date, what: str) -> bool:
        """CAL-7 / END-4: a change of month M registered after the 4th of M+1 notifies billing."""
        now = workflow.now()
        if not calendar.is_late_for_billing(concerns, now):
            return False
        deadline = calendar.billing_deadline(concerns)
        text = (
            f"{what} gäller {concerns.isoformat()} men registrerades "
            f"{calendar.local(now):%Y-%m-%d %H:%M}, efter sista dag "
            f"{calendar.local(deadline):%Y-%m-%d}. Kontakta debiteringen."
        )
        await self.billing_notice(concerns, text)
        return True

    async def billing_notice(self, concerns: date, text: str) -> None:
        """A notice billing reads (``GET /billing/notices``) about a change concerning the local
        date ``concerns``, e.g. EXT-6's no payment for a period; due by CAL-7's deadline."""
        record = BillingNoticeRecord(
            key=self._key("billing"),
            case_id=self.ref.case_id,
            concerns=concerns,
            deadline=calendar.billing_deadline(concerns),
            registered_at=workflow.now(),
            text=text,
            process_id=self.ref.process_id,
        )
        await self._run(
            ReadModelActivities.raise_billing_notice, record, "Avisering till debiteringen", "billing"
        )

    async def record_order(self, record: OrderRecord) -> None:
        await self._run(ReadModelActivities.record_order, record, f"Beställning: {record.status}", "order")

    async def end_order(self, order_id: str, ended_on: date) -> None:
        """Mark an order whose own process has closed as ended on ``ended_on``."""
        record = OrderEnding(order_id=order_id, ended_on=ended_on)
        await self._run(ReadModelActivities.end_order, record, "Beställning upphör", "order_ending")

    async def record_decision(self, record: DecisionRecord) -> None:
        await self._run(ReadModelActivities.record_decision, record, f"Beslut: {record.kind}", "decision")

    async def record_case(self, record: CaseRecord) -> None:
        await self._run(ReadModelActivities.record_case, record, "Nytt ärende", "case")

    async def assign_case_worker(self, case_worker_id: str) -> None:
        record = CaseAssignment(case_id=self.ref.case_id, case_worker_id=case_worker_id)
        await self._run(ReadModelActivities.assign_case_worker, record, "Ansvarig handläggare", "assignment")

    async def follow_up_event(self, text: str, **fields: Any) -> None:
        record = FollowUpEventRecord(
            key=self._key("follow-up-event"),
            case_id=self.ref.case_id,
            text=text,
            process_id=self.ref.process_id,
            **fields,
        )
        await self._run(
            ReadModelActivities.record_follow_up_event, record, "Uppföljningshändelse", "follow_up_event"
        )


FAULT_SUMMARY = "Meddelande om tekniskt fel"


def current_effects() -> Effects | None:
    """The running workflow's Effects (``self.effects``), if it has them."""
    effects = getattr(workflow.instance(), "effects", None)
    return effects if isinstance(effects, Effects) else None


async def flush_pending() -> None:
    """Flush the running workflow's collected effects (if it has Effects as ``self.effects``):
    called before an activity of another kind, so the read model sees the effects in order."""
    effects = current_effects()
    if effects is not None:
        await effects.flush()


def _batch_summary(writes: list[ReadModelWrite]) -> str:
    """The batch as the Temporal UI shows it: how many writes, and the first few."""
    named = ", ".join(w.summary for w in writes[:3]) + (", ..." if len(writes) > 3 else "")
    return f"Läsmodellen: {len(writes)} ({named})"[:200]


def _refusal(error: ActivityError) -> str | None:
    """The reason when the read model refused the write (retrying cannot help), else None."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type == READ_MODEL_REFUSED:
        return cause.message
    return None
