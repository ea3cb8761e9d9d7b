"""The side effects a process has, as activity calls with explicit timeouts and stable keys.

Each effect's key is the process id plus a per-process counter, deterministic on replay, so a
retried activity rewrites its own read-model row.

A write the read model refuses (a value too long for its column, a character the database does not
store, a conflicting row) cannot be fixed by retrying: the activity fails non-retryably with the
kind ``READ_MODEL_REFUSED``, and the process goes on without that write; the fault is shown in the
process's state (a deviation, through ``on_fault``) and reported to ``fault_mailbox`` (the senior
case worker's) so a person sees it. Every other activity failure is retried.
"""

from __future__ import annotations

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
        TaskRecord,
    )
    from workflows import calendar
    from workflows.model import SYSTEM, Actor, ProcessRef

_TIMEOUT = timedelta(seconds=30)
_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))

AUTHORITY_JOURNAL = "authority"
PROVIDER_JOURNAL = "provider"


class Effects:
    def __init__(self, ref: ProcessRef) -> None:
        self.ref = ref
        self._counter = 0
        self.fault_mailbox: str | None = None  # who is told of a refused write
        self.on_fault: Callable[[str], None] = lambda text: None  # shows it in the process's state

    @property
    def counter(self) -> int:
        """How many keyed effects this process has had (carried over a continue-as-new)."""
        return self._counter

    def resume(self, counter: int) -> None:
        """Continue numbering after a previous run's effects, so no key is used twice."""
        self._counter = max(self._counter, counter)

    def _key(self, kind: str) -> str:
        self._counter += 1
        return f"{self.ref.process_id}/{kind}/{self._counter}"

    async def _run(self, activity: Any, record: Any, summary: str) -> bool:
        """Run the activity; False when the read model refused the write (reported, not raised)."""
        try:
            await self._execute(activity, record, summary)
        except ActivityError as error:
            reason = _refusal(error)
            if reason is None:
                raise
            await self._report_fault(summary, reason)
            return False
        return True

    async def _execute(self, activity: Any, record: Any, summary: str) -> None:
        await workflow.execute_activity_method(
            activity,
            record,
            start_to_close_timeout=_TIMEOUT,
            retry_policy=_RETRY,
            summary=summary,
        )

    async def _report_fault(self, what: str, reason: str) -> None:
        """A refused write reaches a person: the process's state, and the fault mailbox."""
        text = f"Uppgiften '{what}' kunde inte sparas: {reason}"
        self.on_fault(text)
        if self.fault_mailbox is None:
            return
        body = (
            f"{text}\nProcess {self.ref.process_id}, ärende {self.ref.case_id}. Processen fortsätter "
            "utan uppgiften; kontrollera och rätta uppgifterna i ärendet."
        )
        record = MessageRecord(
            key=self._key("message"),
            mailbox=self.fault_mailbox,
            case_id=self.ref.case_id,
            subject="Tekniskt fel: en uppgift kunde inte sparas",
            body=body,
            sender=SYSTEM.label,
            sent_at=workflow.now(),
            process_id=self.ref.process_id,
        )
        try:
            await self._execute(ReadModelActivities.post_message, record, "Meddelande om tekniskt fel")
        except ActivityError as error:
            if _refusal(error) is None:
                raise
            # Even the report was refused (e.g. its case is missing): the state still shows it.

    async def record_process(self, record: ProcessRecord) -> None:
        await self._run(ReadModelActivities.record_process, record, f"Läge: {record.stage}")

    async def record_task(self, record: TaskRecord) -> None:
        await self._run(ReadModelActivities.record_task, record, f"Uppgift: {record.title}")

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
        await self._run(ReadModelActivities.post_message, record, f"Meddelande till {mailbox}")

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
        await self._run(ReadModelActivities.write_journal, record, f"Journal ({journal})")

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
        await self._run(ReadModelActivities.raise_billing_notice, record, "Avisering till debiteringen")

    async def record_order(self, record: OrderRecord) -> None:
        await self._run(ReadModelActivities.record_order, record, f"Beställning: {record.status}")

    async def end_order(self, order_id: str, ended_on: date) -> None:
        """Mark an order whose own process has closed as ended on ``ended_on``."""
        record = OrderEnding(order_id=order_id, ended_on=ended_on)
        await self._run(ReadModelActivities.end_order, record, "Beställning upphör")

    async def record_decision(self, record: DecisionRecord) -> None:
        await self._run(ReadModelActivities.record_decision, record, f"Beslut: {record.kind}")

    async def record_case(self, record: CaseRecord) -> None:
        await self._run(ReadModelActivities.record_case, record, "Nytt ärende")

    async def assign_case_worker(self, case_worker_id: str) -> None:
        record = CaseAssignment(case_id=self.ref.case_id, case_worker_id=case_worker_id)
        await self._run(ReadModelActivities.assign_case_worker, record, "Ansvarig handläggare")

    async def follow_up_event(self, text: str, **fields: Any) -> None:
        record = FollowUpEventRecord(
            key=self._key("follow-up-event"),
            case_id=self.ref.case_id,
            text=text,
            process_id=self.ref.process_id,
            **fields,
        )
        await self._run(ReadModelActivities.record_follow_up_event, record, "Uppföljningshändelse")


def _refusal(error: ActivityError) -> str | None:
    """The reason when the read model refused the write (retrying cannot help), else None."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type == READ_MODEL_REFUSED:
        return cause.message
    return None
