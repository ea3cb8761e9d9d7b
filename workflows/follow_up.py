"""The follow-up process (FU-4..FU-8, FU-10), ``case-<id>/follow-up/<n>``, started by the case's
follow-up cycle when a follow-up is due (or at once for a changed need).

Steps: the case worker plans date and time (``plan``, due at the end of the due date; a missed
one escalates to the senior case worker, COM-7). Planning sends the pre-follow-up report template
to the provider's mailbox and opens ``submit_report`` for the provider, due at the planned time
(a missing report then reaches the case workers, FU-4). The report's arrival is journaled on both
sides (FU-5). The case worker chooses the form (``choose_form``, FU-6) and records the follow-up
(``record``, FU-7, FU-10), due at the end of the planned day or the due date, whichever is later.
The follow-up event is registered in the routine's wording whatever the outcome (FU-8); a new
decision is recorded and its order starts as a child ``order`` process; ended decisions end
in the cycle and the provider is told (COM-5). The cycle then schedules the next one (FU-11).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.case_events import CaseEventActivities, ServicesEnding
    from activities.records import DecisionEnd
    from workflows import calendar, follow_up_effects, follow_up_forms
    from workflows.effects import ACTIVITY_TIMEOUT, AUTHORITY_JOURNAL, PROVIDER_JOURNAL
    from workflows.io.follow_up import (
        ChooseForm,
        DecisionEnded,
        FollowUpClosed,
        FollowUpInput,
        NewDecision,
        NoHttpStart,
        Plan,
        Record,
        SubmitReport,
    )
    from workflows.model import Action, ProcessState, StartContext, invalid, rule_check
    from workflows.process import ProcessWorkflow
    from workflows.profiles import Profile, provider_mailbox
    from workflows.rules import follow_up as rules
    from workflows.rules.follow_up import join_services


# Stages as the board shows them (FU-9).
TO_PLAN, REPORT_AWAITED, REPORT_IN, PLANNED = "to_plan", "report_awaited", "report_in", "planned"
QUALITY_QUESTIONS = (
    ("gets_granted_help", "Får du den hjälp du har beviljats?"),
    ("takes_part_when", "Är du delaktig i planeringen av när hjälpen ges?"),
    ("takes_part_how", "Är du delaktig i planeringen av hur hjälpen ges?"),
    ("feels_good", "Ges hjälpen på ett sätt som känns bra?"),
)


def _yes(answer: bool) -> str:
    return "ja" if answer else "nej"


@workflow.defn(name="follow-up")
class FollowUpWorkflow(ProcessWorkflow):
    process_type = "follow-up"
    START_ROLES = ()  # the cycle starts it; the case worker uses the cycle's start_now (FU-1)
    START_REQUEST = NoHttpStart
    ACTIONS: ClassVar[dict[str, type[Action]]] = {
        "plan": Plan,
        "submit_report": SubmitReport,
        "choose_form": ChooseForm,
        "record": Record,
    }

    @classmethod
    def proposals(cls, details: dict[str, Any], profile: Profile, now: datetime) -> dict[str, dict[str, Any]]:
        return follow_up_forms.proposals(details, now)

    @classmethod
    def offered(cls, details: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
        return follow_up_forms.offered(details)

    @classmethod
    def build_input(cls, request: NoHttpStart, ctx: StartContext) -> FollowUpInput:
        raise ValueError(
            "En uppföljning startas av ärendets uppföljningscykel: använd åtgärden start_now "
            f"på case-{ctx.case_id}/follow-up-cycle."
        )

    @workflow.init
    def __init__(self, inp: FollowUpInput) -> None:
        self._setup(inp.case_id, inp.profile, inp.case_worker_id, inp.provider_id)
        self.inp = inp
        self.planned_at: datetime | None = None
        self.form: ChooseForm | None = None
        self.details = {
            "due_on": inp.due_on.isoformat(),
            "reason": inp.reason,
            "unscheduled_reason": inp.unscheduled_reason,
            "services": self._services_of([d.decision_id for d in inp.decisions]),
            "decision_ids": [d.decision_id for d in inp.decisions],
            "report_questions": list(rules.REPORT_QUESTIONS),
            "provider_id": inp.provider_id,  # the forms propose an order only to a provider
        }

    @workflow.run
    async def run(self, inp: FollowUpInput) -> ProcessState:
        await self._start(TO_PLAN, f"Uppföljning {inp.number} ska hållas senast {inp.due_on}.")
        await follow_up_effects.record_stage(self.ref, TO_PLAN)
        due = calendar.end_of_day(inp.due_on)
        self.deadlines["plan"] = due
        await self.case_worker_step("plan", "Planera uppföljningen (datum och tid)", due)
        while True:
            step = await self.steps.next()
            assert step is not None  # no ``until``: only a completed step ends the wait
            match step.action:
                case "plan":
                    await self._planned(step.result)
                case "submit_report":
                    await self._report_in(step.result)
                case "choose_form":
                    await self._form_chosen(step.result)
                case "record":
                    return await self._recorded(step.result)

    # -- updates ----------------------------------------------------------------------------

    @workflow.update
    async def plan(self, action: Plan) -> ProcessState:
        return await self.complete_step("plan", action)

    @plan.validator
    def _check_plan(self, action: Plan) -> None:
        self.steps.check("plan", action)
        if action.planned_at.tzinfo is None:
            raise invalid("Tiden för uppföljningen måste anges med tidszon.", "planned_at")
        if action.planned_at < workflow.now():
            raise invalid("Uppföljningen kan inte planeras till en tid som redan har passerat.", "planned_at")
        if action.planned_at.year not in calendar.YEARS or (action.planned_at - workflow.now()).days > 366:
            raise invalid("Uppföljningen planeras inom ett år.", "planned_at")

    @workflow.update
    async def submit_report(self, action: SubmitReport) -> ProcessState:
        return await self.complete_step("submit_report", action)

    @submit_report.validator
    def _check_submit_report(self, action: SubmitReport) -> None:
        self.steps.check("submit_report", action)
        with rule_check():  # FU-4
            rules.check_report(
                action.need_matches_order,
                action.need_reason,
                action.given_as_ordered,
                action.given_reason,
                action.fully_executed,
                action.executed_reason,
                action.provider_attends,
                action.attend_reason,
            )

    @workflow.update
    async def choose_form(self, action: ChooseForm) -> ProcessState:
        return await self.complete_step("choose_form", action)

    @choose_form.validator
    def _check_choose_form(self, action: ChooseForm) -> None:
        self.steps.check("choose_form", action)
        with rule_check():  # FU-6
            rules.check_form(action.form, action.provider_attends, action.person_told_other_way)

    @workflow.update
    async def record(self, action: Record) -> ProcessState:
        return await self.complete_step("record", action)

    @record.validator
    def _check_record(self, action: Record) -> None:
        self.steps.check("record", action)
        with rule_check():  # FU-10
            rules.check_consent(action.consent_needed, action.consent_asked, action.consent_given)
        if action.outcome == "new_decision":
            decision = action.new_decision
            if decision is None or not decision.services:
                raise invalid(
                    "Ett nytt beslut behöver minst en insats (new_decision.services).",
                    "new_decision.services",
                )
            if decision.order_items and not self.inp.provider_id:
                raise invalid("Ärendet har ingen utförare att skicka beställningen till.")
            with rule_check():  # the limits of an order started over POST /processes
                rules.check_new_decision(
                    decision.start_date, decision.end_date, decision.order_start_date, workflow.now()
                )
        if action.outcome == "services_ended":
            known = [d.decision_id for d in self.inp.decisions]
            if not action.ended_decision_ids or set(action.ended_decision_ids) - set(known):
                raise invalid(
                    f"Ange vilka av ärendets beslut som upphör ({', '.join(known)}).", "ended_decision_ids"
                )
            starts = [d.start_date for d in self.inp.decisions if d.decision_id in action.ended_decision_ids]
            with rule_check():  # END-1: a plausible end, not before the decisions started
                rules.check_services_end(self._ended_on(action), starts, workflow.now())

    # -- reactions --------------------------------------------------------------------------

    async def _stage(self, stage: str) -> None:
        await self.set_stage(stage)
        await follow_up_effects.record_stage(self.ref, stage)

    async def _planned(self, action: Plan) -> None:
        """FU-4: the report template to the provider's mailbox; its report is due at the planned time."""
        self.planned_at = action.planned_at
        self.details["planned_at"] = calendar.local(action.planned_at).isoformat()
        self.deadlines["follow_up"] = action.planned_at
        if calendar.local_date(action.planned_at) > self.inp.due_on:
            self.deviation(f"Uppföljningen planeras efter sista dag {self.inp.due_on}.")
        self.note(action.actor, f"Uppföljningen planerad {calendar.local(action.planned_at):%Y-%m-%d %H:%M}.")
        if self.inp.provider_id:
            template = rules.report_template(action.planned_at, action.planned_at)
            await self.effects.message(
                provider_mailbox(self.inp.provider_id), "Mall inför uppföljning", template, action.actor
            )
            self.deadlines["submit_report"] = action.planned_at
            await self.provider_step("submit_report", "Skicka mallen inför uppföljning", action.planned_at)
            await self._stage(REPORT_AWAITED)
        else:
            await self._stage(PLANNED)
        await self.case_worker_step("choose_form", "Välj form för uppföljningen")

    async def _report_in(self, action: SubmitReport) -> None:
        """FU-5: the provider's journal says it was sent, the authority journal that it arrived."""
        at = action.occurred_at or workflow.now()
        answers = [
            (action.need_matches_order, action.need_reason),
            (action.given_as_ordered, action.given_reason),
            (action.fully_executed, action.executed_reason),
            (action.provider_attends, action.attend_reason),
        ]
        lines = [
            f"{n}. {q} {_yes(a)}{'. ' + r.strip() if r.strip() else ''}"
            for n, (q, (a, r)) in enumerate(zip(rules.REPORT_QUESTIONS, answers, strict=False), start=1)
        ]
        lines.append(f"5. {rules.REPORT_QUESTIONS[4]} {action.other.strip() or '-'}")
        text = "\n".join(lines)
        self.details["report"] = text
        # The record's and the form's proposals (FU-6, FU-7) read the provider's answers.
        self.details["report_answers"] = {
            "need_matches_order": action.need_matches_order,
            "provider_attends": action.provider_attends,
        }
        await self.effects.journal(PROVIDER_JOURNAL, "Mall inför uppföljning skickad.", action.actor, at)
        await self.effects.journal(AUTHORITY_JOURNAL, "Mall inför uppföljning inkommen.", action.actor, at)
        await self.effects.message(
            self.profile.mailboxes.case_workers, "Mall inför uppföljning inkommen", text, action.actor
        )
        if self.form is None:
            await self._stage(REPORT_IN)

    async def _form_chosen(self, action: ChooseForm) -> None:
        self.form = action
        self.details["form"] = action.form
        self.details["provider_attends"] = action.provider_attends
        if not action.provider_attends:
            self.note(action.actor, "Personen informerad om att utförarens uppgifter inhämtas på annat sätt.")
        assert self.planned_at is not None  # choose_form opens after plan
        planned_day = calendar.local_date(self.planned_at)
        due = calendar.end_of_day(max(planned_day, self.inp.due_on))
        self.deadlines["record"] = due
        await self._stage(PLANNED)
        await self.case_worker_step("record", "Genomför och registrera uppföljningen", due)

    async def _recorded(self, action: Record) -> ProcessState:
        """FU-7, FU-10, FU-8: the answers and the event; a new decision and its order; ended
        decisions; then the cycle schedules the next follow-up (FU-11)."""
        assert self.form is not None  # record opens after choose_form
        at = action.occurred_at or workflow.now()
        held_on = calendar.local_date(at)
        ended = action.ended_decision_ids if action.outcome == "services_ended" else None
        services = self._services_of(ended or [d.decision_id for d in self.inp.decisions])
        text = rules.event_text(held_on, self.form.form, action.outcome, services)
        self.details.update(held_on=held_on.isoformat(), event=text, outcome=action.outcome)
        await self.effects.follow_up_event(text, held_on=held_on, due_on=self.inp.due_on)
        await self.effects.journal(AUTHORITY_JOURNAL, self._answers_text(action), action.actor, at)
        if action.outcome == "new_decision":
            assert action.new_decision is not None  # the validator insists
            await self._new_decision(action.new_decision, action)
        if action.outcome == "services_ended":
            await self._end_decisions(action)
        cycle = workflow.get_external_workflow_handle(self.inp.cycle_id)
        await cycle.signal("follow_up_closed", FollowUpClosed(self.ref.process_id, held_on, action.outcome))
        return await self.close(action.outcome, text, action.actor)

    def _services_of(self, decision_ids: list[str]) -> list[str]:
        """The granted services of the decisions, each once, in the order granted (FU-8)."""
        services = [s for d in self.inp.decisions if d.decision_id in decision_ids for s in d.services]
        return list(dict.fromkeys(services))

    @staticmethod
    def _answers_text(action: Record) -> str:
        """FU-7 and FU-10 as the authority journal keeps them."""
        lines = [f"{q} {_yes(getattr(action, name))}" for name, q in QUALITY_QUESTIONS]
        lines.append(
            f"Motsvarar behovet i beställningen det faktiska behovet? {_yes(action.need_matches_order)}"
        )
        lines.append(f"Är genomförandeplanen aktuell? {_yes(action.care_plan_current)}")
        if action.consent_needed:  # FU-10: asked and given, each as it was, for this occasion
            lines.append(f"Samtycke för detta tillfälle efterfrågat: {_yes(action.consent_asked)}.")
            given = "ej angivet" if action.consent_given is None else _yes(action.consent_given)
            lines.append(f"Samtycke för detta tillfälle lämnat: {given}.")
        if action.note.strip():
            lines.append(action.note.strip())
        return "\n".join(lines)

    async def _new_decision(self, decision: NewDecision, action: Record) -> None:
        decision_id = f"{self.ref.process_id}/decision"
        await self.record_decision(
            decision_id, decision.kind, decision.services, decision.start_date, end_date=decision.end_date
        )
        self.details["decision_id"] = decision_id
        if not decision.order_items or not self.inp.provider_id:
            return
        order_id = f"case-{self.ref.case_id}/order/follow-up-{self.inp.number}"
        await self.start_order(
            order_id,
            "Beställning efter uppföljning",
            provider_id=self.inp.provider_id,
            sent_by=action.actor,
            start_date=decision.order_start_date or decision.start_date,
            items=list(decision.order_items),
            other=decision.order_other,
            sent_at=workflow.now(),
            decision_id=decision_id,
        )
        self.details["order_id"] = order_id
        self.note(action.actor, f"Beställning skickad ({order_id}).")

    @staticmethod
    def _ended_on(action: Record) -> date:
        """The date the ended services end: as given, else the day the follow-up was held."""
        return action.ended_on or calendar.local_date(action.occurred_at or workflow.now())

    async def _end_decisions(self, action: Record) -> None:
        """Ended services: the decisions end, the provider is told (COM-5), billing if late (END-4)."""
        ended_on = self._ended_on(action)
        cycle = workflow.get_external_workflow_handle(self.inp.cycle_id)
        for decision_id in action.ended_decision_ids:
            await follow_up_effects.end_decision(DecisionEnd(decision_id, self.ref.case_id, ended_on))
            await cycle.signal("decision_ended", DecisionEnded(decision_id, ended_on))
        # Follow-ups recorded before version 2 replay with the bare message below.
        if workflow.patched("fu-services-ended-as-case-events"):
            await self._services_ended(action, ended_on)
            return
        if self.inp.provider_id:
            await self.effects.message(
                provider_mailbox(self.inp.provider_id),
                "Insatser avslutas",
                f"Efter uppföljning avslutas insatserna ({', '.join(action.ended_decision_ids)}) "
                f"från {ended_on}.",
                action.actor,
            )
        if await self.effects.billing_notice_if_late(ended_on, "Avslutade insatser"):
            self.deviation("Avslutet registrerades efter den 4:e följande månad.")

    async def _services_ended(self, action: Record, ended_on: date) -> None:
        """END-1 / END-5 / COM-5 / END-4, as for a confirmed ``service_ended`` event: the orders of
        the ended services end (in profile ``botkyrka`` on day 5 after the provider is told, with
        the days of unplanned absence), the provider's message names the services."""
        services = self._services_of(action.ended_decision_ids)
        told_on = calendar.local_date(workflow.now())
        end = rules.botkyrka_end(told_on, ended_on, self.profile)
        orders = await workflow.execute_activity_method(
            CaseEventActivities.end_orders_of_services,
            ServicesEnding(
                self.ref.case_id, services, end.order_ends_on, "Insatsen har upphört", action.actor
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            summary=f"Beställningar upphör {end.order_ends_on}",
        )
        lines = [f"Efter uppföljning upphör insatserna ({join_services(services)}) från {ended_on}."]
        if orders:
            lines.append(f"Beställningen gäller till och med {end.order_ends_on}.")
        if end.absence_days:  # END-5
            days = ", ".join(d.isoformat() for d in end.absence_days)
            lines.append(f"Registrera oplanerad frånvaro för dagarna utan besök: {days}.")
        body = " ".join(lines)
        self.details.update(
            ended_on=ended_on.isoformat(),
            order_ends_on=end.order_ends_on.isoformat(),
            ended_orders=list(orders),
            absence_days=[d.isoformat() for d in end.absence_days],
        )
        if self.inp.provider_id:
            await self.effects.message(
                provider_mailbox(self.inp.provider_id), "Insatser avslutas", body, action.actor
            )
        await self.effects.journal(AUTHORITY_JOURNAL, body, action.actor, workflow.now())
        if await self.effects.billing_notice_if_late(ended_on, "Avslutade insatser"):
            self.deviation("Avslutet registrerades efter den 4:e följande månad.")
