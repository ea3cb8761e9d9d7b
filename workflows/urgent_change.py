"""The urgent change of needs in an ongoing case (UC-1..UC-4, COM-1, COM-2, COM-6, COM-7).

The provider (or the deputy manager in on-call time, UC-3) has inserted extra support for a person
with ongoing home care, from ``started_at``. A lasting change (UC-1) is notified to the case worker
by the end of the next working day; a short change (UC-2) is notified only if the need remains on
day 4: the notification step opens at 00:00 of day 4, and a need that ends earlier closes the
process with no decision and no payment for the extra. The case worker responds within 5 working
days (UC-4, COM-1): granted (dated from the start day or day 4), not granted, or follow-up booked.
The provider may escalate to the senior case worker with a reason (COM-7); an overdue response
escalates there by itself.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import calendar
    from workflows.effects import AUTHORITY_JOURNAL, PROVIDER_JOURNAL
    from workflows.io.urgent_change import (
        Escalate,
        NeedEnded,
        NotifyCaseWorker,
        Respond,
        StartUrgentChange,
        UrgentChangeInput,
    )
    from workflows.model import (
        DEPUTY_MANAGER,
        PROVIDER,
        SENIOR_CASE_WORKER,
        SYSTEM,
        Action,
        FieldError,
        ProcessState,
        StartContext,
        invalid,
        not_open,
        rule_check,
    )
    from workflows.process import ProcessWorkflow
    from workflows.profiles import Deadlines, provider_mailbox
    from workflows.rules import communication, plausibility
    from workflows.rules import urgent_change as rules


@workflow.defn(name="urgent-change")
class UrgentChangeWorkflow(ProcessWorkflow):
    process_type = "urgent-change"
    START_ROLES = (PROVIDER, DEPUTY_MANAGER)  # UC-3
    START_REQUEST = StartUrgentChange
    ACTIONS: ClassVar[dict[str, type[Action]]] = {
        "notify_case_worker": NotifyCaseWorker,
        "need_ended": NeedEnded,
        "respond": Respond,
        "escalate": Escalate,
    }

    @classmethod
    def build_input(cls, request: StartUrgentChange, ctx: StartContext) -> UrgentChangeInput:
        assert ctx.case is not None
        provider = ctx.case.provider_id
        if not provider:  # like EXT-1: only persons with ongoing home care
            raise ValueError(
                "Personen har ingen pågående hemtjänst: använd processen new-urgent-case "
                "(nytt brådskande ärende)."
            )
        if ctx.actor.role in (PROVIDER, DEPUTY_MANAGER) and ctx.actor.org != provider:
            # Issue 6 §5: a unit (its coordinator or deputy manager) acts only on its own cases.
            raise PermissionError(f"Ärendet hör till utföraren {provider}, inte {ctx.actor.org}.")
        rules.check_start(request.started_at, ctx.now, plausibility.case_known_since(ctx.case))
        if not request.description.strip():
            raise FieldError("Beskriv förändringen och det stöd som satts in (description).", "description")
        communication.check_reported_for_person(
            request.person_can_contact, request.reported_for_person_reason, "reported_for_person_reason"
        )
        return UrgentChangeInput(
            case_id=ctx.case_id,
            profile=ctx.profile,
            provider_id=provider,
            reported_by=ctx.actor,
            kind=request.kind,
            started_at=request.started_at,
            description=request.description,
            person_can_contact=request.person_can_contact,
            reported_for_person_reason=request.reported_for_person_reason,
            case_worker_id=ctx.case.case_worker_id,
        )

    @workflow.init
    def __init__(self, inp: UrgentChangeInput) -> None:
        self._setup(inp.case_id, inp.profile, inp.case_worker_id, inp.provider_id)
        self.inp = inp
        self.escalation: Escalate | None = None
        self.notified_at: datetime | None = None
        if not self.admit(inp):
            return
        proposed = rules.proposed_decision_date(inp.kind, inp.started_at, self._rules)
        self.details = {
            "kind": inp.kind,
            "started_at": inp.started_at.isoformat(),
            "description": inp.description,
            "reported_by": inp.reported_by.label,
            "person_can_contact": inp.person_can_contact,
            "reported_for_person_reason": inp.reported_for_person_reason,
            # "the form proposes the date": the decision date a grant must carry (UC-1 / UC-2).
            "proposed_decision_date": proposed.isoformat(),
        }
        if inp.kind == rules.SHORT:
            self.details["day_four"] = rules.day_four(inp.started_at, self._rules).isoformat()

    @workflow.run
    async def run(self, inp: UrgentChangeInput) -> ProcessState:
        self.refuse()
        await self._report()
        notify_opens: datetime | None = None
        if inp.kind == rules.LASTING:
            await self._open_notify()
        else:
            notify_opens = rules.notify_opens_at(inp.started_at, self._rules)
            await self.provider_step(
                "need_ended", "Meddela om behovet upphört inom tre dagar", not_before=inp.started_at
            )
        while True:
            step = await self.steps.next(until=notify_opens)
            if step is None:  # UC-2: 00:00 of day 4, the need remains
                notify_opens = None
                need_ended = self.steps.find_open("need_ended")
                if need_ended is not None:
                    await self.steps.cancel(need_ended, "behovet kvarstår dag 4")
                await self._open_notify()
                continue
            match step.action:
                case "need_ended":
                    return await self._need_ended(step.result)
                case "escalate":
                    await self._escalated(step.result)
                case "notify_case_worker":
                    await self._notified(step.result)
                case "respond":
                    return await self._responded(step.result)

    # -- updates ----------------------------------------------------------------------------

    @workflow.update
    async def notify_case_worker(self, action: NotifyCaseWorker) -> ProcessState:
        return await self.complete_step("notify_case_worker", action)

    @notify_case_worker.validator
    def _check_notify_case_worker(self, action: NotifyCaseWorker) -> None:
        self.steps.check("notify_case_worker", action)
        if action.occurred_at is not None:
            with rule_check():
                rules.check_notified_at(action.occurred_at, self.inp.kind, self.inp.started_at, self._rules)

    @workflow.update
    async def need_ended(self, action: NeedEnded) -> ProcessState:
        return await self.complete_step("need_ended", action)

    @need_ended.validator
    def _check_need_ended(self, action: NeedEnded) -> None:
        self.steps.check("need_ended", action)
        with rule_check():
            rules.check_need_ended(action.occurred_at or workflow.now(), self.inp.started_at, self._rules)

    @workflow.update
    async def respond(self, action: Respond) -> ProcessState:
        return await self.complete_step("respond", action)

    @respond.validator
    def _check_respond(self, action: Respond) -> None:
        self.steps.check("respond", action)
        if self.notified_at is None:  # respond opens only after the notification
            raise not_open("Återkoppling ges efter att biståndshandläggaren meddelats.")
        with rule_check():
            rules.check_response(
                action.outcome,
                action.decision_date,
                action.follow_up_on,
                self.inp.kind,
                self.inp.started_at,
                self.notified_at,
                self._rules,
                action.services,
            )

    @workflow.update
    async def escalate(self, action: Escalate) -> ProcessState:
        return await self.complete_step("escalate", action)

    @escalate.validator
    def _check_escalate(self, action: Escalate) -> None:
        self.steps.check("escalate", action)
        if not action.reason.strip():  # COM-7
            raise invalid("Ange anledningen till den extra prioriteten (reason).", "reason")

    # -- reactions --------------------------------------------------------------------------

    @property
    def _rules(self) -> Deadlines:
        return self.profile.deadlines

    @property
    def _provider_mailbox(self) -> str:
        return provider_mailbox(self.inp.provider_id)

    async def _report(self) -> None:
        inp = self.inp
        started, kind = f"{calendar.local(inp.started_at):%Y-%m-%d %H:%M}", rules.KIND_LABELS[inp.kind]
        await self._start("support_started", f"Process startad: {kind}.")
        self.note(inp.reported_by, f"Rapporterade {kind}: utökat stöd sedan {started}. {inp.description}")
        if inp.reported_by.role == DEPUTY_MANAGER:
            # UC-3: support inserted in on-call time is reported to the responsible provider,
            # which then notifies the case worker; deadlines count from started_at all the same.
            await self.effects.message(
                self._provider_mailbox,
                "Utökat stöd insatt under jourtid",
                f"{inp.reported_by.label} har satt in utökat stöd sedan {started} "
                f"({kind}): {inp.description}. "
                "Ansvarig hemtjänst meddelar biståndshandläggaren.",
                inp.reported_by,
            )
        await self.effects.journal(
            PROVIDER_JOURNAL,
            f"Utökat stöd sedan {started} ({kind}): {inp.description}",
            inp.reported_by,
            inp.started_at,
        )
        self.deadlines["notify_case_worker"] = rules.notification_due(inp.kind, inp.started_at, self._rules)
        if inp.kind == rules.SHORT:
            self.deadlines["notify_opens"] = rules.notify_opens_at(inp.started_at, self._rules)
        # COM-7: open throughout for the provider, used when the responsible case worker is absent.
        await self.provider_step(
            "escalate",
            "Eskalera till förste biståndshandläggare (ansvarig handläggare frånvarande)",
            not_before=inp.started_at,
        )

    async def _open_notify(self) -> None:
        """UC-1 / UC-2: the provider notifies the case worker; lateness reaches the case workers."""
        await self.set_stage("notify")
        await self.provider_step(
            "notify_case_worker",
            "Meddela biståndshandläggaren om det utökade stödet",
            self.deadlines["notify_case_worker"],
            not_before=self.inp.started_at,  # e.g. phoned before it was registered
        )

    async def _need_ended(self, action: NeedEnded) -> ProcessState:
        """UC-2: the need ended within three days: no decision, no payment for the extra."""
        ended = action.occurred_at or workflow.now()
        text = rules.need_ended_text(ended, action.note)
        await self.effects.journal(PROVIDER_JOURNAL, text, action.actor, ended)
        return await self.close("need_ended", text, action.actor)

    async def _escalated(self, action: Escalate) -> None:
        """COM-7: the senior case worker is told why; from now on they may respond."""
        self.escalation = action
        inp = self.inp
        await self.effects.message(
            self.profile.mailboxes.senior_case_worker,
            "Eskalering: brådskande behovsförändring",
            rules.escalation_text(action.reason, inp.kind, inp.started_at, inp.description),
            action.actor,
        )
        self.details["escalated"] = {"reason": action.reason, "by": action.actor.label}
        respond = self.steps.find_open("respond")
        if respond is not None:
            await self.steps.escalate_now(respond, SENIOR_CASE_WORKER, action.actor, action.reason)

    async def _notified(self, action: NotifyCaseWorker) -> None:
        """The message to the case workers' mailbox (COM-2, one case); the response is due (COM-1)."""
        inp = self.inp
        self.notified_at = action.occurred_at or workflow.now()
        self.details["notified_at"] = self.notified_at.isoformat()
        reason = None if inp.person_can_contact else inp.reported_for_person_reason  # COM-6
        proposed = self.details["proposed_decision_date"]
        body = rules.notification_text(
            inp.kind, inp.started_at, inp.description, action.message, reason, proposed
        )
        subject = "Brådskande behovsförändring"
        await self.effects.message(self.profile.mailboxes.case_workers, subject, body, action.actor)
        if self.escalation is not None:
            await self.effects.message(self.profile.mailboxes.senior_case_worker, subject, body, action.actor)
        await self.effects.journal(
            PROVIDER_JOURNAL,
            "Biståndshandläggaren meddelad om det utökade stödet.",
            action.actor,
            self.notified_at,
        )
        await self.set_stage("notified")
        due = rules.respond_due(self.notified_at, self._rules)  # UC-4 / COM-1
        self.deadlines["respond"] = due
        step = await self.case_worker_step(
            "respond", "Återkoppla på den brådskande behovsförändringen", due, not_before=self.notified_at
        )
        if self.escalation is not None:
            await self.steps.escalate_now(step, SENIOR_CASE_WORKER, SYSTEM, self.escalation.reason)

    async def _responded(self, action: Respond) -> ProcessState:
        at = action.occurred_at or workflow.now()
        note = f" {action.note}" if action.note else ""
        label = rules.OUTCOME_LABELS[action.outcome]
        if action.outcome == rules.GRANTED:
            # the validator insists on the date (UC-1 / UC-2); the proposed one is the same
            decision_date = action.decision_date or rules.proposed_decision_date(
                self.inp.kind, self.inp.started_at, self._rules
            )
            return await self._granted(action, decision_date, at, note)
        if action.outcome == rules.FOLLOW_UP_BOOKED and action.follow_up_on is not None:
            # Recorded here; the follow-up process takes over once it exists.
            self.details["follow_up_on"] = action.follow_up_on.isoformat()
            text = f"Återkoppling: {label} {action.follow_up_on.isoformat()}.{note}"
        else:
            text = f"Återkoppling: {label}. Ingen ersättning för det utökade stödet utöver beslutet.{note}"
        await self.effects.journal(AUTHORITY_JOURNAL, text, action.actor, at)
        await self.effects.message(
            self._provider_mailbox, "Återkoppling: brådskande behovsförändring", text, action.actor
        )
        return await self.close(action.outcome, text, action.actor)

    async def _granted(self, action: Respond, decision_date: date, at: datetime, note: str) -> ProcessState:
        """UC-1 / UC-2: the decision is dated from the start day (lasting) or day 4 (short)."""
        decision_id = f"{self.ref.process_id}/decision"
        await self.record_decision(decision_id, "care", action.services, decision_date)
        self.details["decision_id"] = decision_id
        self.details["decision_date"] = decision_date.isoformat()
        services = f" ({', '.join(action.services)})" if action.services else ""
        text = f"Utökat stöd beviljat{services}, beslutet dateras från {decision_date.isoformat()}.{note}"
        await self.effects.journal(AUTHORITY_JOURNAL, text, action.actor, at)
        await self.effects.message(self._provider_mailbox, "Beslut: utökat stöd beviljat", text, action.actor)
        # CAL-7: a decision concerning month M registered after the 4th of M+1 goes to billing.
        if await self.effects.billing_notice_if_late(decision_date, "Beslut om utökat stöd"):
            self.deviation("Beslutet registrerades efter den 4:e följande månad.")
        return await self.close(rules.GRANTED, text, action.actor)
