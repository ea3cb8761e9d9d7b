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

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar, Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.records import CaseRecord, DecisionRecord
    from workflows import calendar, search
    from workflows.effects import AUTHORITY_JOURNAL
    from workflows.model import (
        CASE_WORKER,
        ON_CALL_SUPERVISOR,
        SENIOR_CASE_WORKER,
        Action,
        Actor,
        ProcessState,
        StartContext,
        invalid,
        rule_check,
    )
    from workflows.order import OrderInput, OrderWorkflow
    from workflows.process import ProcessWorkflow
    from workflows.profiles import Profile, provider_mailbox
    from workflows.rules import new_urgent_case as rules
    from workflows.rules.order import PHONE_TARGET_LABELS, PhoneTarget, ServiceItem


@dataclass
class NewUrgentCaseInput:
    case_id: str
    profile: Profile
    # Personal data: passes through the history; the payload codec of DESIGN.md must encrypt it.
    person_name: str
    started_by: Actor
    provider_id: str  # the provider that performs the help (NEW-5: the default provider)
    reported_at: datetime | None = None  # when reported / granted; None: now
    help_started_at: datetime | None = None  # NEW-4: the decision is dated from this day
    granted_by_on_call: bool = False  # NEW-2
    unknown_person: bool = False  # NEW-5
    case_worker_id: str | None = None


@dataclass
class StartNewUrgentCase:
    """The HTTP body of ``POST /processes`` with type ``new-urgent-case`` (no case_id: it creates one)."""

    person_name: str
    help_started_at: datetime | None = None  # required for an on-call grant: help starts with it
    reported_at: datetime | None = None  # default: the grant (on-call) or now
    granted_by_on_call: bool = False  # NEW-2: only the on-call supervisor, only in on-call time
    unknown_person: bool = False  # NEW-5
    case_worker_id: str | None = None  # the responsible case worker; default the starting case worker
    provider_id: str | None = None  # default: the profile's default provider (ickevalsalternativ)


@dataclass(kw_only=True)
class TakeOver(Action):
    """NEW-1/NEW-2: the case worker takes responsibility for the new case."""

    note: str = ""


@dataclass(kw_only=True)
class PhoneProvider(Action):
    """NEW-3/ORD-6: the provider was phoned about continued help; ``occurred_at`` is when."""

    phoned_name: str
    phoned_role: PhoneTarget = "coordinator"


@dataclass(kw_only=True)
class Decide(Action):
    """NEW-4: granted help is dated from the day help started (the form proposes that date)."""

    granted: bool
    decision_date: date | None = None  # None: the proposed date (NEW-4)
    services: list[str] = field(default_factory=list)
    kind: Literal["care", "service"] = "care"
    note: str = ""


@dataclass(kw_only=True)
class SendOrder(Action):
    """NEW-3/ORD-6: the order for the decision; it continues as its own ``order`` process."""

    start_date: date
    items: list[ServiceItem]
    other: str = ""  # COM-4


@dataclass(kw_only=True)
class CloseCase(Action):
    """NEW-6: no continued need; the help given during the mandate stands."""

    note: str = ""


def _at(action: Action) -> datetime:
    return action.occurred_at or workflow.now()


def _stamp(instant: datetime) -> str:
    return f"{calendar.local(instant):%Y-%m-%d %H:%M}"


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
    def build_input(cls, request: StartNewUrgentCase, ctx: StartContext) -> NewUrgentCaseInput:
        profile: Profile = ctx.profile
        if not request.person_name.strip():
            raise ValueError("Ange personens namn.")
        for name, instant in (
            ("help_started_at", request.help_started_at),
            ("reported_at", request.reported_at),
        ):
            if instant is None:
                continue
            if instant.tzinfo is None:
                raise ValueError(f"{name} måste anges med tidszon.")
            if instant > ctx.now:
                raise ValueError(f"{name} ligger i framtiden.")
        reported_at = request.reported_at
        if request.granted_by_on_call:
            # NEW-2: the on-call supervisor's mandate, in on-call time only.
            if ctx.actor.role != ON_CALL_SUPERVISOR:
                raise ValueError("Endast jourhavande arbetsledare kan bevilja hemtjänst under jourtid.")
            if request.help_started_at is None:
                raise ValueError("Ange när hjälpen påbörjades (help_started_at).")
            reported_at = reported_at or request.help_started_at
            if rules.reported_in(reported_at, profile) != rules.ON_CALL:
                raise ValueError(
                    f"{_stamp(reported_at)} är kontorstid; jourhavande arbetsledare beviljar "
                    "endast under jourtid."
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
        self.details = {
            "reported_in": rules.reported_in(self.reported_at, inp.profile),
            "reported_at": calendar.local(self.reported_at).isoformat(),
            "granted_by_on_call": inp.granted_by_on_call,
            "unknown_person": inp.unknown_person,
            "provider_id": inp.provider_id,
        }
        if inp.help_started_at is not None:
            self.details["help_started_at"] = calendar.local(inp.help_started_at).isoformat()
            self.details["proposed_decision_date"] = rules.proposed_decision_date(
                inp.help_started_at
            ).isoformat()

    @workflow.run
    async def run(self, inp: NewUrgentCaseInput) -> ProcessState:
        await self._open_case()
        while True:
            step = await self.steps.next()
            assert step is not None  # no ``until``: only a completed step ends the wait
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
        await self.steps.complete("take_over", action)
        return self.state()

    @take_over.validator
    def _check_take_over(self, action: TakeOver) -> None:
        self.steps.check("take_over", action)

    @workflow.update
    async def phone_provider(self, action: PhoneProvider) -> ProcessState:
        await self.steps.complete("phone_provider", action)
        return self.state()

    @phone_provider.validator
    def _check_phone_provider(self, action: PhoneProvider) -> None:
        self.steps.check("phone_provider", action)
        if not action.phoned_name.strip():
            raise invalid("Ange vem hos utföraren som kontaktades.")

    @workflow.update
    async def decide(self, action: Decide) -> ProcessState:
        await self.steps.complete("decide", action)
        return self.state()

    @decide.validator
    def _check_decide(self, action: Decide) -> None:
        self.steps.check("decide", action)
        if not action.granted:
            if self.order_id is not None:
                raise invalid("En beställning har redan skickats; avslag kan inte registreras här.")
            return
        if not action.services:
            raise invalid("Ange minst en beviljad insats.")
        decision_date = self._decision_date_of(action)
        if decision_date is None:
            raise invalid("Ange beslutsdatum: den dag hjälpen påbörjades.")
        with rule_check():
            rules.check_decision_date(decision_date, self.help_started_at, workflow.now())  # NEW-4

    @workflow.update
    async def send_order(self, action: SendOrder) -> ProcessState:
        await self.steps.complete("send_order", action)
        return self.state()

    @send_order.validator
    def _check_send_order(self, action: SendOrder) -> None:
        self.steps.check("send_order", action)
        if not action.items:
            raise invalid("En beställning måste innehålla minst en insats.")
        with rule_check():
            rules.check_order_start(action.start_date, self.decision_date, self.help_started_at)

    # Named ``close`` for the API; the method name keeps the base class's ``close()``.
    @workflow.update(name="close")
    async def close_case(self, action: CloseCase) -> ProcessState:
        await self.steps.complete("close", action)
        return self.state()

    @close_case.validator
    def _check_close(self, action: CloseCase) -> None:
        self.steps.check("close", action)

    # -- reactions --------------------------------------------------------------------------

    @property
    def _provider_mailbox(self) -> str:
        return provider_mailbox(self.inp.provider_id)

    @property
    def _senior_mailbox(self) -> str:
        return self.profile.mailboxes.senior_case_worker

    def _decision_date_of(self, action: Decide) -> date | None:
        if action.decision_date is not None:
            return action.decision_date
        if self.help_started_at is not None:
            return rules.proposed_decision_date(self.help_started_at)
        return None

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
        if inp.granted_by_on_call:
            what = f"Beviljade hemtjänst under jourtid; utförare {inp.provider_id}"
        else:
            when = rules.REPORTED_IN_LABELS[self.details["reported_in"]]
            what = f"Anmälde brådskande behov i nytt ärende under {when}; utförare {inp.provider_id}"
        self.note(inp.started_by, what, at=self.reported_at)
        due = rules.take_over_due(self.reported_at, self.profile)  # NEW-1 / NEW-2
        self.deadlines["take_over"] = due
        if inp.granted_by_on_call:
            self.details["mandate_end"] = calendar.local(due).isoformat()
            text = (
                f"Jourhavande arbetsledare har beviljat hemtjänst under jourtid från "
                f"{_stamp(self.reported_at)}. Mandatet gäller till {_stamp(due)}; därefter ansvarar "
                "biståndshandläggaren."
            )
            await self.effects.journal(AUTHORITY_JOURNAL, text, inp.started_by, self.reported_at)
            await self.effects.message(
                self.profile.mailboxes.case_workers, "Hemtjänst beviljad under jourtid", text, inp.started_by
            )
        if inp.unknown_person:
            await self._tell_default_provider()
        await self.steps.open(
            "take_over",
            role=CASE_WORKER,
            title="Ta över det nya ärendet och utred behovet omgående",
            due_at=due,
            escalate_to=SENIOR_CASE_WORKER,
            escalation_mailbox=self._senior_mailbox,
        )

    async def _tell_default_provider(self) -> None:
        """NEW-5: an unknown person's urgent help goes to the default provider at once, orally
        (by phone, by the one who starts the process) and in writing to its mailbox."""
        inp = self.inp
        await self.effects.message(
            self._provider_mailbox,
            "Akuta insatser för okänd person",
            "Skriftliga instruktioner efter muntlig kontakt: en person som inte är känd sedan tidigare "
            f"behöver akuta insatser från {_stamp(self.reported_at)}. Utför insatserna enligt de muntliga "
            "instruktionerna. En uppföljning sker skyndsamt och uppdraget skickas efter uppföljningen. "
            "Besöken registreras inte som extra insatser/besök.",
            inp.started_by,
        )
        await self.effects.journal(
            AUTHORITY_JOURNAL,
            f"Okänd person med akut behov: utföraren {inp.provider_id} (ickevalsalternativ) underrättad "
            "muntligt och skriftligt via funktionsbrevlådan.",
            inp.started_by,
            self.reported_at,
        )
        self.note(inp.started_by, f"Utföraren {inp.provider_id} underrättad muntligt och skriftligt")

    async def _taken_over(self, action: TakeOver) -> None:
        at = _at(action)
        if action.actor.role == CASE_WORKER:
            self.ref.case_worker_id = action.actor.user_id
            workflow.upsert_search_attributes([search.CASE_WORKER_ID.value_set(action.actor.user_id)])
        self.details["taken_over_by"] = action.actor.label
        self.details["taken_over_at"] = calendar.local(at).isoformat()
        await self.set_stage("taken_over")
        due = rules.phone_provider_due(at)
        self.deadlines["phone_provider"] = due
        await self.steps.open(
            "phone_provider",
            role=CASE_WORKER,
            title="Ring utföraren om fortsatt hjälp så att insatserna kan planeras",
            due_at=due,
            escalate_to=SENIOR_CASE_WORKER,
            escalation_mailbox=self._senior_mailbox,
        )
        await self.steps.open(
            "close",
            role=CASE_WORKER,
            title="Avsluta ärendet utan fortsatt behov",
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
        await self.effects.message(
            self._provider_mailbox,
            "Bekräftelse av muntligt beslut",
            f"Bekräftar det muntliga beslutet om brådskande hemtjänst som lämnades per telefon till "
            f"{who} {_stamp(self.called_at)}. Beslut och beställning skickas senast "
            f"{calendar.local_date(due)}.",
            action.actor,
        )
        await self.effects.journal(
            AUTHORITY_JOURNAL,
            f"Muntligt beslut om brådskande hemtjänst lämnat per telefon till {who}; bekräftat "
            "skriftligt till utförarens funktionsbrevlåda.",
            action.actor,
            self.called_at,
        )
        await self.set_stage("phoned")
        await self.steps.open(
            "decide",
            role=CASE_WORKER,
            title="Fatta beslut, daterat från dagen hjälpen påbörjades",
            due_at=due,
            escalate_to=SENIOR_CASE_WORKER,
            escalation_mailbox=self._senior_mailbox,
        )
        if not self.inp.unknown_person:  # NEW-5: an unknown person's order comes after the follow-up
            await self._open_send_order()

    async def _open_send_order(self) -> None:
        assert self.called_at is not None
        await self.steps.open(
            "send_order",
            role=CASE_WORKER,
            title="Skicka beställning till utföraren",
            due_at=self.deadlines["send_order"],
            escalate_to=SENIOR_CASE_WORKER,
            escalation_mailbox=self._senior_mailbox,
        )

    async def _granted(self, action: Decide) -> None:
        decision_date = self._decision_date_of(action)
        assert decision_date is not None  # the validator insists on it
        self.decision_date = decision_date
        self.decision_id = f"{self.ref.process_id}/decision"
        follow_up = rules.first_follow_up_due(decision_date, self.profile)  # NEW-7
        self.details.update(
            decision_id=self.decision_id,
            decision_date=decision_date.isoformat(),
            services=list(action.services),
            first_follow_up_due=follow_up.isoformat(),
        )
        await self.effects.record_decision(
            DecisionRecord(
                decision_id=self.decision_id,
                case_id=self.ref.case_id,
                kind=action.kind,
                services=list(action.services),
                start_date=decision_date,
                process_id=self.ref.process_id,
            )
        )
        note = f" {action.note}" if action.note else ""
        await self.effects.journal(
            AUTHORITY_JOURNAL,
            f"Beslut om hemtjänst ({', '.join(action.services)}) daterat från {decision_date}, "
            f"den dag hjälpen påbörjades.{note}",
            action.actor,
            _at(action),
        )
        await self.effects.follow_up_event(
            f"Första uppföljning senast {follow_up}.",
            decision_id=self.decision_id,
            due_on=follow_up,
        )
        close = self.steps.find_open("close")
        if close is not None:
            await self.steps.cancel(close, "hemtjänst är beviljad")
        await self.set_stage("decided")
        if self.order_id is None and self.steps.find_open("send_order") is None:
            await self._open_send_order()

    async def _send_order(self, action: SendOrder) -> None:
        """The order continues as its own process (ORD-*), which outlives this one."""
        sent_at = _at(action)
        order_id = f"case-{self.ref.case_id}/order/1"
        await workflow.start_child_workflow(
            OrderWorkflow.run,
            OrderInput(
                case_id=self.ref.case_id,
                profile=self.profile,
                provider_id=self.inp.provider_id,
                sent_by=action.actor,
                start_date=action.start_date,
                items=list(action.items),
                other=action.other,
                sent_at=sent_at,
                case_worker_id=self.ref.case_worker_id,
                decision_id=self.decision_id,
            ),
            id=order_id,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            static_summary="Beställning för nytt brådskande ärende",
        )
        self.order_id = order_id
        self.details["order_id"] = order_id
        self.note(action.actor, f"Beställning skickad ({order_id})", at=sent_at)
        close = self.steps.find_open("close")
        if close is not None:
            await self.steps.cancel(close, "beställningen är skickad")
        await self.set_stage("ordered")

    async def _close_granted(self, actor: Actor) -> ProcessState:
        return await self.close(
            "granted",
            f"Beslut fattat från {self.decision_date} och beställning skickad; första uppföljning senast "
            f"{self.details['first_follow_up_due']}.",
            actor,
        )

    async def _close_without_need(self, action: CloseCase | Decide, outcome: str) -> ProcessState:
        """NEW-6: no continued need; the help given during the mandate stands."""
        at = _at(action)
        since = f" från {_stamp(self.help_started_at)}" if self.help_started_at else ""
        why = "Inget fortsatt behov" if outcome == "closed_no_need" else "Fortsatt hjälp beviljas inte"
        note = f" {action.note}" if action.note else ""
        text = (
            f"{why}; ärendet avslutas {_stamp(at)}. Hjälpen som gavs{since} till och med "
            f"{calendar.local_date(at)} kvarstår.{note}"
        )
        self.details["help_given"] = {
            "from": calendar.local(self.help_started_at).isoformat() if self.help_started_at else None,
            "to": calendar.local_date(at).isoformat(),
        }
        await self.effects.message(self._provider_mailbox, "Ärendet avslutas", text, action.actor)
        await self.effects.journal(AUTHORITY_JOURNAL, text, action.actor, at)
        return await self.close(outcome, text, action.actor)
