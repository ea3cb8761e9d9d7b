"""The new urgent case (person without ongoing home care): NEW-1..NEW-7, ORD-6, COM-2.

An urgent need is reported to the case worker in office hours, or the on-call supervisor grants
home care in on-call time. The process creates the case, then: the case worker takes over (NEW-1,
by the end of office hours, or NEW-2's mandate end, escalating to the senior case worker), phones
the provider when help is to continue (NEW-3) and confirms that verbal decision in writing and in
the journal (ORD-6), decides with the decision dated from the day help started (NEW-4, first
follow-up 2 months later, NEW-7) and sends the order within 3 working days of the call (NEW-3,
ORD-6) as a child ``order`` process. Without continued need the case closes (NEW-6). An unknown
person (NEW-5) is announced to the default provider at once, and the order waits for the decision.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.records import CaseRecord
    from workflows import calendar, search
    from workflows.effects import AUTHORITY_JOURNAL
    from workflows.io.new_urgent_case import (
        CloseCase,
        Decide,
        NewUrgentCaseInput,
        PhoneProvider,
        SendOrder,
        StartNewUrgentCase,
        TakeOver,
    )
    from workflows.model import (
        CASE_WORKER,
        ON_CALL_SUPERVISOR,
        Action,
        Actor,
        ProcessState,
        StartContext,
        invalid,
        rule_check,
    )
    from workflows.process import ProcessWorkflow
    from workflows.profiles import Profile, provider_mailbox
    from workflows.rules import new_urgent_case as rules
    from workflows.rules.order import PHONE_TARGET_LABELS


def _at(action: Action) -> datetime:
    return action.occurred_at or workflow.now()


@workflow.defn(name="new-urgent-case")
class NewUrgentCaseWorkflow(ProcessWorkflow):
    process_type = "new-urgent-case"
    START_ROLES = (CASE_WORKER, ON_CALL_SUPERVISOR)
    START_REQUEST = StartNewUrgentCase
    CREATES_CASE = True
    ACTIONS: ClassVar[dict[str, type[Action]]] = {
        "take_over": TakeOver,
        "phone_provider": PhoneProvider,
        "decide": Decide,
        "send_order": SendOrder,
        "close": CloseCase,
    }

    @classmethod
    def proposals(cls, details: dict[str, Any], profile: Profile, now: datetime) -> dict[str, dict[str, Any]]:
        """NEW-4: the decision's date (published); NEW-3: the order from the decision."""
        return {"send_order": rules.order_proposal(details, calendar.local_date(now))}

    @classmethod
    def build_input(cls, request: StartNewUrgentCase, ctx: StartContext) -> NewUrgentCaseInput:
        profile: Profile = ctx.profile
        reported_at = rules.check_start(  # NEW-2: the on-call supervisor's mandate, in on-call time only
            request.person_name,
            request.help_started_at,
            request.reported_at,
            request.granted_by_on_call,
            ctx.actor.role == ON_CALL_SUPERVISOR,
            profile,
            ctx.now,
        )
        case_worker = request.case_worker_id or (ctx.actor.user_id if ctx.actor.role == CASE_WORKER else None)
        return NewUrgentCaseInput(
            case_id=ctx.case_id,
            profile=profile,
            person_name=request.person_name.strip(),
            started_by=ctx.actor,
            provider_id=request.provider_id or profile.mailboxes.default_provider,
            reported_at=reported_at or ctx.now,
            help_started_at=request.help_started_at,
            granted_by_on_call=request.granted_by_on_call,
            unknown_person=request.unknown_person,
            case_worker_id=case_worker,
        )

    @workflow.init
    def __init__(self, inp: NewUrgentCaseInput) -> None:
        self._setup(inp.case_id, inp.profile, inp.case_worker_id, inp.provider_id)
        self.inp = inp
        self.reported_at = inp.reported_at or workflow.now()
        self.help_started_at = inp.help_started_at
        self.called_at: datetime | None = None
        self.decision_date: date | None = None
        self.decision_id: str | None = None
        self.order_id: str | None = None
        if not self.admit(inp):
            return
        self.details = rules.start_details(
            self.reported_at,
            inp.profile,
            inp.granted_by_on_call,
            inp.unknown_person,
            inp.provider_id,
            inp.help_started_at,
        )

    @workflow.run
    async def run(self, inp: NewUrgentCaseInput) -> ProcessState:
        self.refuse()
        await self._open_case()
        while True:
            step = await self.steps.next()
            if step is None:  # no ``until``: only a completed step ends the wait
                continue
            match step.action:
                case "take_over":
                    await self._taken_over(step.result)
                case "phone_provider":
                    await self._phoned(step.result)
                case "close":
                    return await self._close_without_need(step.result, "closed_no_need")
                case "decide":
                    if not step.result.granted:
                        return await self._close_without_need(step.result, "not_granted")
                    await self._granted(step.result)
                    if self.order_id is not None:
                        return await self._close_granted(step.result.actor)
                case "send_order":
                    await self._send_order(step.result)
                    if self.decision_date is not None:
                        return await self._close_granted(step.result.actor)

    # -- updates ----------------------------------------------------------------------------

    @workflow.update
    async def take_over(self, action: TakeOver) -> ProcessState:
        return await self.complete_step("take_over", action)

    @take_over.validator
    def _check_take_over(self, action: TakeOver) -> None:
        self.steps.check("take_over", action)

    @workflow.update
    async def phone_provider(self, action: PhoneProvider) -> ProcessState:
        return await self.complete_step("phone_provider", action)

    @phone_provider.validator
    def _check_phone_provider(self, action: PhoneProvider) -> None:
        self.steps.check("phone_provider", action)
        if not action.phoned_name.strip():
            raise invalid("Ange vem hos utföraren som kontaktades.", "phoned_name")

    @workflow.update
    async def decide(self, action: Decide) -> ProcessState:
        return await self.complete_step("decide", action)

    @decide.validator
    def _check_decide(self, action: Decide) -> None:
        self.steps.check("decide", action)
        stated, started = action.decision_date, self.help_started_at
        with rule_check():
            rules.check_decision(
                action.granted,
                self.order_id is not None,
                action.services,
                stated,
                started,
                workflow.now(),
                self.reported_at,
            )

    @workflow.update
    async def send_order(self, action: SendOrder) -> ProcessState:
        return await self.complete_step("send_order", action)

    @send_order.validator
    def _check_send_order(self, action: SendOrder) -> None:
        self.steps.check("send_order", action)
        if not action.items:
            raise invalid("En beställning måste innehålla minst en insats.", "items")
        with rule_check():
            rules.check_order_start(action.start_date, self.decision_date, self.help_started_at)

    # Named ``close`` for the API; the method name keeps the base class's ``close()``.
    @workflow.update(name="close")
    async def close_case(self, action: CloseCase) -> ProcessState:
        return await self.complete_step("close", action)

    @close_case.validator
    def _check_close(self, action: CloseCase) -> None:
        self.steps.check("close", action)

    # -- reactions --------------------------------------------------------------------------

    @property
    def _provider_mailbox(self) -> str:
        return provider_mailbox(self.inp.provider_id)

    async def _open_case(self) -> None:
        inp = self.inp
        await self.effects.record_case(
            CaseRecord(
                case_id=inp.case_id,
                person_name=inp.person_name,
                municipality=self.profile.name,
                profile=self.profile.name,
                created_at=workflow.now(),
                case_worker_id=inp.case_worker_id,
                provider_id=inp.provider_id,
            )
        )
        await self._start("reported", f"Nytt ärende utan hemtjänst, startat av {inp.started_by.label}")
        # who did what and when: the grant or the report, at the moment it happened
        what = rules.report_note(inp.granted_by_on_call, self.details["reported_in"], inp.provider_id)
        self.note(inp.started_by, what, at=self.reported_at)
        due = rules.take_over_due(self.reported_at, self.profile)  # NEW-1 / NEW-2
        self.deadlines["take_over"] = due
        if inp.granted_by_on_call:
            self.details["mandate_end"] = calendar.local(due).isoformat()
            text = rules.mandate_text(self.reported_at, due)
            await self.effects.journal(AUTHORITY_JOURNAL, text, inp.started_by, self.reported_at)
            await self.effects.message(
                self.profile.mailboxes.case_workers, "Hemtjänst beviljad under jourtid", text, inp.started_by
            )
        if inp.unknown_person:
            await self._tell_default_provider()
        title = "Ta över det nya ärendet och utred behovet omgående"
        await self.case_worker_step("take_over", title, due, not_before=self.reported_at)

    async def _tell_default_provider(self) -> None:
        """NEW-5: an unknown person's urgent help goes to the default provider at once, orally
        (by phone, by the one who starts the process) and in writing to its mailbox."""
        inp = self.inp
        text = rules.unknown_person_message(self.reported_at)
        await self.effects.message(
            self._provider_mailbox, "Akuta insatser för okänd person", text, inp.started_by
        )
        text = rules.unknown_person_journal(inp.provider_id)
        await self.effects.journal(AUTHORITY_JOURNAL, text, inp.started_by, self.reported_at)
        self.note(inp.started_by, f"Utföraren {inp.provider_id} underrättad muntligt och skriftligt")

    async def _taken_over(self, action: TakeOver) -> None:
        at = _at(action)
        if action.actor.role == CASE_WORKER:
            self.ref.case_worker_id = action.actor.user_id
            workflow.upsert_search_attributes([search.CASE_WORKER_ID.value_set(action.actor.user_id)])
            # NEW-1: the one who took over is now responsible; the case shows on their list.
            await self.effects.assign_case_worker(action.actor.user_id)
        self.details["taken_over_by"] = action.actor.label
        self.details["taken_over_at"] = calendar.local(at).isoformat()
        await self.set_stage("taken_over")
        due = rules.phone_provider_due(at)
        self.deadlines["phone_provider"] = due
        await self.case_worker_step(
            "phone_provider",
            "Ring utföraren om fortsatt hjälp så att insatserna kan planeras",
            due,
            not_before=self.reported_at,
        )
        await self.case_worker_step(
            "close", "Avsluta ärendet utan fortsatt behov", not_before=self.reported_at
        )

    async def _phoned(self, action: PhoneProvider) -> None:
        """NEW-3 / ORD-6: the verbal decision is confirmed in writing and journaled; the decision
        and the order are due 3 working days after the call."""
        self.called_at = _at(action)
        who = f"{action.phoned_name} ({PHONE_TARGET_LABELS[action.phoned_role]})"
        self.details["phoned"] = {
            "name": action.phoned_name,
            "role": action.phoned_role,
            "at": calendar.local(self.called_at).isoformat(),
            "by": action.actor.label,
        }
        self.note(action.actor, f"Ringde utföraren {self.inp.provider_id}: {who}", at=self.called_at)
        due = rules.order_due(self.called_at, self.profile)
        self.deadlines["decide"] = due
        self.deadlines["send_order"] = due
        text = rules.verbal_decision_message(who, self.called_at, due)
        await self.effects.message(
            self._provider_mailbox, "Bekräftelse av muntligt beslut", text, action.actor
        )
        text = rules.verbal_decision_journal(who)
        await self.effects.journal(AUTHORITY_JOURNAL, text, action.actor, self.called_at)
        await self.set_stage("phoned")
        await self.case_worker_step(
            "decide", "Fatta beslut, daterat från dagen hjälpen påbörjades", due, not_before=self.reported_at
        )
        if not self.inp.unknown_person:  # NEW-5: an unknown person's order comes after the follow-up
            await self._open_send_order()

    async def _open_send_order(self) -> None:
        await self.case_worker_step(
            "send_order",
            "Skicka beställning till utföraren",
            self.deadlines.get("send_order"),
            not_before=self.reported_at,
        )

    async def _granted(self, action: Decide) -> None:
        # the validator insists on a date (NEW-4); without one the day of the reaction stands
        decision_date = rules.decision_date_of(action.decision_date, self.help_started_at) or (
            calendar.local_date(_at(action))
        )
        self.decision_date = decision_date
        self.decision_id = f"{self.ref.process_id}/decision"
        follow_up = rules.first_follow_up_due(decision_date, self.profile)  # NEW-7
        self.details.update(
            decision_id=self.decision_id,
            decision_date=decision_date.isoformat(),
            services=list(action.services),
            decision_kind=action.kind,  # the order's proposed items are of this kind
            first_follow_up_due=follow_up.isoformat(),
        )
        await self.record_decision(  # FU-2 / NEW-7: a new case's decision
            self.decision_id, action.kind, action.services, decision_date, new_case=True
        )
        text = rules.decision_journal(action.services, decision_date, action.note)
        await self.effects.journal(AUTHORITY_JOURNAL, text, action.actor, _at(action))
        await self.effects.follow_up_event(
            f"Första uppföljning senast {follow_up}.", decision_id=self.decision_id, due_on=follow_up
        )
        await self.cancel_if_open("close", "hemtjänst är beviljad")
        await self.set_stage("decided")
        if self.order_id is None and self.steps.find_open("send_order") is None:
            await self._open_send_order()

    async def _send_order(self, action: SendOrder) -> None:
        """The order continues as its own process (ORD-*), which outlives this one."""
        sent_at = _at(action)
        order_id = f"case-{self.ref.case_id}/order/1"
        await self.start_order(
            order_id,
            "Beställning för nytt brådskande ärende",
            provider_id=self.inp.provider_id,
            sent_by=action.actor,
            start_date=action.start_date,
            items=list(action.items),
            other=action.other,
            sent_at=sent_at,
            decision_id=self.decision_id,
        )
        self.order_id = order_id
        self.details["order_id"] = order_id
        self.note(action.actor, f"Beställning skickad ({order_id})", at=sent_at)
        await self.cancel_if_open("close", "beställningen är skickad")
        await self.set_stage("ordered")

    async def _close_granted(self, actor: Actor) -> ProcessState:
        text = rules.granted_text(self.decision_date, self.details["first_follow_up_due"])
        return await self.close("granted", text, actor)

    async def _close_without_need(self, action: CloseCase | Decide, outcome: str) -> ProcessState:
        """NEW-6: no continued need; the help given during the mandate stands."""
        at = _at(action)
        text = rules.closing_text(outcome == "closed_no_need", at, self.help_started_at, action.note)
        self.details["help_given"] = rules.help_given(self.help_started_at, at)
        await self.effects.message(self._provider_mailbox, "Ärendet avslutas", text, action.actor)
        await self.effects.journal(AUTHORITY_JOURNAL, text, action.actor, at)
        return await self.close(outcome, text, action.actor)
