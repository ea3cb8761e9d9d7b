"""The order (beställning) process: from sending to execution and care plan (ORD-*, COM-3, COM-4).

Steps: the provider confirms (ORD-1), the case worker phones when an urgent order is sent late
(COM-3), the provider registers execution (ORD-2) or reports that it cannot execute (ORD-3), the
case worker reviews an order not executed in time (ORD-4), the provider makes the care plan
(ORD-5). The process ends when the care plan is done or the order ends as not executed.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.records import OrderRecord
    from workflows import calendar
    from workflows.effects import AUTHORITY_JOURNAL, PROVIDER_JOURNAL
    from workflows.io.case_event import CaseEnding
    from workflows.io.order import (
        CarePlanDone,
        ConfirmOrder,
        EndOrder,
        OrderInput,
        PhoneConfirmation,
        RegisterExecution,
        ReportNotExecutable,
        ReviewNotExecuted,
        StartOrder,
    )
    from workflows.model import (
        CASE_WORKER,
        Action,
        FieldError,
        ProcessState,
        StartContext,
        invalid,
        not_open,
        rule_check,
    )
    from workflows.process import ProcessWorkflow
    from workflows.profiles import OrderRules, provider_mailbox
    from workflows.rules import order as rules
    from workflows.rules import plausibility


# workflow.patched id: ORD-4 counts from when the service can start, not from the sending.
ORD_4_FROM_SERVICE_START = "ord-4-from-service-start"


@workflow.defn(name="order")
class OrderWorkflow(ProcessWorkflow):
    process_type = "order"
    START_ROLES = (CASE_WORKER,)
    START_REQUEST = StartOrder
    ACTIONS: ClassVar[dict[str, type[Action]]] = {
        "phone_confirmation": PhoneConfirmation,
        "confirm": ConfirmOrder,
        "register_execution": RegisterExecution,
        "report_not_executable": ReportNotExecutable,
        "review_not_executed": ReviewNotExecuted,
        "care_plan_done": CarePlanDone,
    }

    @classmethod
    def build_input(cls, request: StartOrder, ctx: StartContext) -> OrderInput:
        assert ctx.case is not None
        provider = request.provider_id or ctx.case.provider_id
        rules.check_request(
            provider,
            request.items,
            request.sent_at,
            ctx.now,
            request.start_date,
            plausibility.case_known_since(ctx.case),
        )
        known = {decision.decision_id for decision in ctx.case.decisions}
        if request.decision_id is not None and request.decision_id not in known:
            raise FieldError(
                "Beslutet som beställningen anger finns inte bland ärendets gällande beslut.", "decision_id"
            )
        assert provider is not None  # checked above
        return OrderInput(
            case_id=ctx.case_id,
            profile=ctx.profile,
            provider_id=provider,
            sent_by=ctx.actor,
            start_date=request.start_date,
            items=request.items,
            other=request.other,
            sent_at=request.sent_at,
            case_worker_id=ctx.case.case_worker_id,
            decision_id=request.decision_id,
        )

    @classmethod
    def check_input(cls, inp: OrderInput) -> None:
        super().check_input(inp)
        if not inp.provider_id.strip():
            raise FieldError("Beställningen saknar utförare (provider_id).", "provider_id")
        if not inp.items:
            raise FieldError("En beställning måste innehålla minst en insats.", "items")
        if inp.executed_since is not None and inp.executed_since > inp.start_date:
            raise FieldError(
                "Stödet kan inte ha börjat ges (executed_since) efter startdatumet.", "start_date"
            )

    @workflow.init
    def __init__(self, inp: OrderInput) -> None:
        self._setup(inp.case_id, inp.profile, inp.case_worker_id, inp.provider_id)
        self.provider_role = inp.receiver_role
        self.inp = inp
        self.sent_at = inp.sent_at or workflow.now()
        self.execution_date: date | None = None
        self._end: EndOrder | None = None
        self._order_fields: dict[str, object] = {}
        self.details = {"start_date": inp.start_date.isoformat(), "other": inp.other}
        self.counts_from = self.sent_at  # ORD-4 before ORD_4_FROM_SERVICE_START
        self.admit(inp)

    @workflow.run
    async def run(self, inp: OrderInput) -> ProcessState:
        self.refuse()
        # ORD-4: the execution step and the review count from when the service can start (the
        # later of the order's arrival and its start date); orders started before this change
        # counted from the sending and keep doing so on replay.
        if workflow.patched(ORD_4_FROM_SERVICE_START):
            self.counts_from = rules.service_starts_at(self.sent_at, inp.start_date)
        await self._send()
        review_at: datetime | None = rules.review_opens_at(self.counts_from, inp.items, self._rules)
        while True:
            step = await self.steps.next(until=review_at, wake=lambda: self._end is not None)
            if step is None and self._end is not None:
                return await self._ended(self._end)
            if step is None:
                review_at = None
                await self._open_review("Beställningen är inte verkställd i tid.")
                continue
            match step.action:
                case "phone_confirmation":
                    self._record_phone_call(step.result)
                case "confirm":
                    await self._confirmed(step.result)
                case "report_not_executable":
                    await self._not_executable(step.result)
                    review_at = None
                case "review_not_executed":
                    if step.result.decision == "end_not_executed":
                        return await self._end_not_executed(step.result)
                    review_at = await self._instruct_to_execute(step.result)
                case "register_execution":
                    review_at = None
                    await self._executed(step.result)
                case "care_plan_done":
                    return await self._care_plan_done(step.result)

    @workflow.signal(name="end_order")
    def end_order(self, end: EndOrder) -> None:
        """The sending process ends the order (HT-3/HT-4/HT-5: it moved to another unit)."""
        if self._end is None and self.outcome is None:
            self._end = end

    # -- updates ----------------------------------------------------------------------------

    @workflow.update
    async def phone_confirmation(self, action: PhoneConfirmation) -> ProcessState:
        return await self.complete_step("phone_confirmation", action)

    @phone_confirmation.validator
    def _check_phone_confirmation(self, action: PhoneConfirmation) -> None:
        self.steps.check("phone_confirmation", action)
        called_at = action.occurred_at or workflow.now()
        with rule_check():  # COM-3
            rules.check_phone_call(
                called_at, self.sent_at, action.phoned, action.phoned_name, self.profile.office_hours
            )

    @workflow.update
    async def confirm(self, action: ConfirmOrder) -> ProcessState:
        return await self.complete_step("confirm", action)

    @confirm.validator
    def _check_confirm(self, action: ConfirmOrder) -> None:
        self.steps.check("confirm", action)

    @workflow.update
    async def register_execution(self, action: RegisterExecution) -> ProcessState:
        return await self.complete_step("register_execution", action)

    @register_execution.validator
    def _check_register_execution(self, action: RegisterExecution) -> None:
        self.steps.check("register_execution", action)
        with rule_check():
            rules.check_execution_date(
                action.execution_date, self.sent_at, workflow.now(), self.inp.executed_since
            )

    @workflow.update
    async def report_not_executable(self, action: ReportNotExecutable) -> ProcessState:
        return await self.complete_step("report_not_executable", action)

    @report_not_executable.validator
    def _check_report_not_executable(self, action: ReportNotExecutable) -> None:
        self.steps.check("report_not_executable", action)
        if not action.reason.strip():
            raise invalid("Ange orsaken till att beställningen inte kan verkställas.", "reason")

    @workflow.update
    async def review_not_executed(self, action: ReviewNotExecuted) -> ProcessState:
        return await self.complete_step("review_not_executed", action)

    @review_not_executed.validator
    def _check_review_not_executed(self, action: ReviewNotExecuted) -> None:
        self.steps.check("review_not_executed", action)

    @workflow.update
    async def care_plan_done(self, action: CarePlanDone) -> ProcessState:
        return await self.complete_step("care_plan_done", action)

    @care_plan_done.validator
    def _check_care_plan_done(self, action: CarePlanDone) -> None:
        self.steps.check("care_plan_done", action)
        if self.execution_date is None:  # the step opens only after execution
            raise not_open("Genomförandeplanen registreras efter verkställigheten.")
        with rule_check():
            rules.check_care_plan_date(action.done_on, self.execution_date, workflow.now())

    # -- reactions --------------------------------------------------------------------------

    @property
    def _rules(self) -> OrderRules:
        return self.profile.orders

    @property
    def _case_workers(self) -> str:
        return self.profile.mailboxes.case_workers

    async def _send(self) -> None:
        inp = self.inp
        await self._start(
            "sent", f"Beställning skickad till {inp.provider_id} av {inp.sent_by.label}", at=self.sent_at
        )
        await self._record_order("sent")
        text = rules.order_text(inp.items, inp.start_date, inp.other)  # COM-4
        await self.effects.message(provider_mailbox(inp.provider_id), "Ny beställning", text, inp.sent_by)
        hours = self.profile.office_hours
        if rules.is_urgent(self.sent_at, inp.start_date, self._rules):  # COM-3
            target = rules.phone_target(self.sent_at, hours)
            due = rules.phone_due(self.sent_at, hours, self._rules)
            self.deadlines["phone_confirmation"] = due
            self.details["phone_target"] = target
            await self.case_worker_step(
                "phone_confirmation",
                f"Ring {rules.PHONE_TARGET_LABELS[target]} och säkerställ att beställningen mottagits",
                due,
                not_before=self.sent_at,
            )
        self.deadlines["confirm"] = rules.confirm_due(self.sent_at)  # ORD-1
        await self.provider_step(
            "confirm", "Bekräfta mottagen beställning", self.deadlines["confirm"], not_before=self.sent_at
        )
        # ORD-4: the 2-week reminder to the case worker is this step's escalation.
        self.deadlines["execution"] = inp.execution_due or rules.execution_expected_by(
            self.counts_from, inp.items, self._rules
        )
        await self.provider_step(
            "register_execution",
            "Registrera verkställighetsdatum (första utförda besöket)",
            self.deadlines["execution"],
            not_before=self.sent_at,
        )
        await self._open_not_executable()

    async def _open_not_executable(self) -> None:
        await self.provider_step(
            "report_not_executable",
            "Rapportera om beställningen inte kan verkställas",
            not_before=self.sent_at,
        )

    def _record_phone_call(self, action: PhoneConfirmation) -> None:
        self.details["phoned"] = {
            "target": action.phoned,
            "name": action.phoned_name,
            "at": (action.occurred_at or workflow.now()).isoformat(),
            "by": action.actor.label,
        }
        self.note(action.actor, f"Ringde {rules.PHONE_TARGET_LABELS[action.phoned]} ({action.phoned_name})")

    async def _confirmed(self, action: ConfirmOrder) -> None:
        await self._record_order("confirmed", confirmed_at=action.occurred_at or workflow.now())
        if self.stage == "sent":
            await self.set_stage("confirmed")

    async def _not_executable(self, action: ReportNotExecutable) -> None:
        """ORD-3: the reason goes to the case worker and into the provider's journal."""
        text = rules.not_executable_text(action.reason, action.contact_attempts, action.person_declined)
        at = action.occurred_at or workflow.now()
        await self.effects.journal(PROVIDER_JOURNAL, text, action.actor, at)
        await self.effects.message(self._case_workers, "Beställning kan inte verkställas", text, action.actor)
        await self._open_review(text)

    async def _open_review(self, why: str) -> None:
        """ORD-4: the case worker ends the order as not executed or tells the provider to execute."""
        if self.steps.find_open("review_not_executed") is not None:
            return
        self.deviation(why)
        await self.set_stage("not_executed_review")
        due = calendar.working_days_after(workflow.now(), self.profile.deadlines.feedback_working_days)
        self.deadlines["review_not_executed"] = due
        await self.case_worker_step(
            "review_not_executed",
            "Ej verkställd beställning: avsluta som ej verkställd eller be utföraren verkställa",
            due,
        )

    async def _instruct_to_execute(self, action: ReviewNotExecuted) -> datetime:
        note = f" {action.note}" if action.note else ""
        await self.effects.message(
            provider_mailbox(self.inp.provider_id),
            "Beställningen ska verkställas",
            f"Biståndshandläggaren har bedömt att beställningen ska verkställas.{note}",
            action.actor,
        )
        if self.steps.find_open("report_not_executable") is None:
            await self._open_not_executable()
        await self.set_stage("confirmed" if self.steps.find_open("confirm") is None else "sent")
        return rules.review_again_at(workflow.now(), self._rules)

    async def on_case_ending(self, ending: CaseEnding) -> None:
        """END-2: the order ends on the date of the case event (e.g. the date of death)."""
        await self._record_order("ended", ended_on=ending.on)

    async def _ended(self, end: EndOrder) -> ProcessState:
        """The order ends on ``ended_on`` because the sending process says so (it moved on)."""
        await self._record_order("ended", ended_on=end.ended_on)
        text = f"Beställningen upphör {end.ended_on.isoformat()}: {end.reason}"
        await self.effects.message(
            provider_mailbox(self.inp.provider_id), "Beställning upphör", text, end.actor
        )
        return await self.close("ended", text, end.actor)

    async def _end_not_executed(self, action: ReviewNotExecuted) -> ProcessState:
        today = calendar.local_date(workflow.now())
        await self._record_order("not_executed", ended_on=today)
        text = f"Beställningen avslutas som ej verkställd.{' ' + action.note if action.note else ''}"
        await self.effects.journal(
            AUTHORITY_JOURNAL, text, action.actor, action.occurred_at or workflow.now()
        )
        await self.effects.message(
            provider_mailbox(self.inp.provider_id), "Beställning avslutad", text, action.actor
        )
        return await self.close("not_executed", text, action.actor)

    async def _executed(self, action: RegisterExecution) -> None:
        self.execution_date = action.execution_date
        self.details["execution_date"] = action.execution_date.isoformat()
        # Executed: the order was evidently received (ORD-1, COM-3) and is no longer unexecuted (ORD-4).
        for name in ("confirm", "phone_confirmation", "review_not_executed", "report_not_executable"):
            await self.cancel_if_open(name, "beställningen är verkställd")
        await self._record_order("executed", execution_date=action.execution_date)
        await self.set_stage("executed")
        # CAL-7: an execution date of month M registered after the 4th of M+1 goes to billing.
        if await self.effects.billing_notice_if_late(action.execution_date, "Verkställighetsdatum"):
            self.deviation("Verkställigheten registrerades efter den 4:e följande månad.")
        self.deadlines["care_plan_done"] = rules.care_plan_due(action.execution_date, self._rules)
        await self.provider_step(
            "care_plan_done",
            "Upprätta genomförandeplan tillsammans med brukaren",
            self.deadlines["care_plan_done"],
            not_before=calendar.at_local(action.execution_date, time(0, 0)),
        )

    async def _care_plan_done(self, action: CarePlanDone) -> ProcessState:
        await self._record_order("executed", care_plan_on=action.done_on)
        await self.effects.journal(
            PROVIDER_JOURNAL,
            f"Genomförandeplan upprättad {action.done_on}.",
            action.actor,
            action.occurred_at or workflow.now(),
        )
        return await self.close(
            "executed", "Beställningen är verkställd och genomförandeplanen klar.", action.actor
        )

    async def _record_order(self, status: str, **changes: object) -> None:
        self._order_fields.update(status=status, **changes)
        inp = self.inp
        await self.effects.record_order(
            OrderRecord(
                order_id=self.ref.process_id,
                case_id=inp.case_id,
                provider_id=inp.provider_id,
                sent_at=self.sent_at,
                start_date=inp.start_date,
                items=rules.item_rows(inp.items),
                other=inp.other,
                **self._order_fields,  # type: ignore[arg-type]
            )
        )
