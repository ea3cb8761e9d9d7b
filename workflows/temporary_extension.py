"""The 14-day temporary extension (S, Staffanstorp): EXT-1..EXT-6, COM-1, COM-2, COM-4, COM-7, CAL-7.

The provider's manager has met a temporary or acute increase of a person's care need without a new
assessment, from ``started_on`` (day 1). The notice goes to the reception mailbox and both journals
(EXT-2); the case worker confirms the start within 5 working days (COM-1). The provider tells the
responsible case worker within a week if the change is judged to last more than 14 days (EXT-3).
The case worker follows up with the provider by the end of day 14 (EXT-4): a transient need closes
the process with no payment for the extra support in the period, a notice billing reads (EXT-6);
a need that remains leads to the person's application and a decision, which when granted is
back-dated to ``started_on`` and followed by an updated order, a child ``order`` process (EXT-5).
Missed case-worker deadlines escalate to the senior case worker (COM-7).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import calendar, limits
    from workflows.effects import AUTHORITY_JOURNAL, PROVIDER_JOURNAL
    from workflows.io.temporary_extension import (
        ConfirmStart,
        Decide,
        FollowUp,
        RegisterApplication,
        ReportLasting,
        StartTemporaryExtension,
        TemporaryExtensionInput,
    )
    from workflows.model import PROVIDER, Action, FieldError, ProcessState, StartContext, invalid, rule_check
    from workflows.process import ProcessWorkflow
    from workflows.profiles import Deadlines, provider_mailbox
    from workflows.rules import temporary_extension as rules
    from workflows.steps import Step

CONFIRM_TITLE = "Bekräfta uppstart enligt 14-dagarsöverenskommelsen"
LASTING_TITLE = "Meddela om förändringen bedöms vara längre än 14 dagar"
FOLLOW_UP_TITLE = "Följ upp med utföraren: övergående eller kvarstående behov"
APPLICATION_TITLE = "Kontakta brukaren och ta emot ansökan om fortsatt stöd"
DECIDE_TITLE = "Fatta beslut om fortsatt stöd (bakåtdaterat till dag 1)"


def _at(action: Action) -> datetime:
    return action.occurred_at or workflow.now()


@workflow.defn(name="temporary-extension")
class TemporaryExtensionWorkflow(ProcessWorkflow):
    process_type = "temporary-extension"
    ONE_RUNNING_PER_CASE = True  # one 14-day agreement at a time per person (409 for a second)
    START_ROLES = (PROVIDER,)  # EXT-2: the provider's manager, for its own unit's case
    START_REQUEST = StartTemporaryExtension
    ACTIONS: ClassVar[dict[str, type[Action]]] = {
        "confirm_start": ConfirmStart,
        "report_lasting": ReportLasting,
        "follow_up": FollowUp,
        "register_application": RegisterApplication,
        "decide": Decide,
    }

    @classmethod
    def build_input(cls, request: StartTemporaryExtension, ctx: StartContext) -> TemporaryExtensionInput:
        assert ctx.case is not None
        provider = ctx.case.provider_id
        rules.check_eligible(ctx.case.decisions, provider, request.started_on)  # EXT-1
        assert provider is not None  # check_eligible insists on one
        if ctx.actor.org != provider:
            raise ValueError(f"Ärendet hör till utföraren {provider}, inte {ctx.actor.org}.")
        rules.check_started_on(request.started_on, ctx.now, ctx.profile.deadlines)
        if not request.inserted.strip():
            raise FieldError("Beskriv vilket stöd som satts in (inserted).", "inserted")
        if not request.reason.strip():
            raise FieldError("Beskriv varför stödet satts in (reason).", "reason")
        limits.check_text(request.inserted, "inserted")
        limits.check_text(request.reason, "reason")
        return TemporaryExtensionInput(
            case_id=ctx.case_id,
            profile=ctx.profile,
            provider_id=provider,
            reported_by=ctx.actor,
            reported_at=ctx.now,
            started_on=request.started_on,
            inserted=request.inserted.strip(),
            reason=request.reason.strip(),
            case_worker_id=ctx.case.case_worker_id,
        )

    @classmethod
    def check_input(cls, inp: TemporaryExtensionInput) -> None:
        """Besides the calendar's years: what was inserted and why, within the shared text limits,
        and day 1 not after the notice (EXT-2)."""
        super().check_input(inp)
        limits.check_text(inp.inserted, "inserted", required=True)
        limits.check_text(inp.reason, "reason", required=True)
        limits.check_id(inp.provider_id, "provider_id")
        if inp.started_on > calendar.local_date(inp.reported_at):
            raise FieldError(f"started_on {inp.started_on.isoformat()} ligger efter anmälan.", "started_on")

    @workflow.init
    def __init__(self, inp: TemporaryExtensionInput) -> None:
        self._setup(inp.case_id, inp.profile, inp.case_worker_id, inp.provider_id)
        self.inp = inp
        self.followed_up_at: datetime | None = None
        if not self.admit(inp):
            return
        self.last_day = rules.last_day(inp.started_on, self._rules)
        proposed = rules.proposed_decision_date(inp.started_on).isoformat()
        self.details = {
            "started_on": inp.started_on.isoformat(),
            "last_day": self.last_day.isoformat(),
            "inserted": inp.inserted,
            "reason": inp.reason,
            "reported_by": inp.reported_by.label,
            # EXT-5: the form proposes this date and the validator accepts no other.
            "proposed_decision_date": proposed,
            "proposals": {"decide": {"decision_date": proposed}},
        }

    @workflow.run
    async def run(self, inp: TemporaryExtensionInput) -> ProcessState:
        self.refuse()
        await self._report()
        while True:
            step = await self.steps.next()
            assert step is not None  # no ``until``: only a completed step ends the wait
            self._note_deadline(step)
            match step.action:
                case "confirm_start":
                    await self._confirmed(step.result)
                case "report_lasting":
                    await self._lasting(step.result)
                case "follow_up":
                    if step.result.outcome == rules.TRANSIENT:
                        return await self._transient(step.result)
                    await self._remains(step.result)
                case "register_application":
                    if step.result.declined:
                        return await self._no_application(step.result)
                    await self._applied(step.result)
                case "decide":
                    return await self._decided(step.result)

    # -- updates ----------------------------------------------------------------------------

    @workflow.update
    async def confirm_start(self, action: ConfirmStart) -> ProcessState:
        return await self.complete_step("confirm_start", action)

    @confirm_start.validator
    def _check_confirm_start(self, action: ConfirmStart) -> None:
        self.steps.check("confirm_start", action)  # not before the notice (not_before)
        _check_texts(note=action.note)

    @workflow.update
    async def report_lasting(self, action: ReportLasting) -> ProcessState:
        return await self.complete_step("report_lasting", action)

    @report_lasting.validator
    def _check_report_lasting(self, action: ReportLasting) -> None:
        self.steps.check("report_lasting", action)
        with rule_check():
            rules.check_established_on(action.established_on, self.inp.started_on, workflow.now())
        _check_texts(message=action.message)

    @workflow.update
    async def follow_up(self, action: FollowUp) -> ProcessState:
        return await self.complete_step("follow_up", action)

    @follow_up.validator
    def _check_follow_up(self, action: FollowUp) -> None:
        self.steps.check("follow_up", action)
        if not action.provider_contact.strip():
            raise invalid(
                "Ange vem hos utföraren uppföljningen gjordes med (provider_contact).", "provider_contact"
            )
        _check_texts(note=action.note)
        with rule_check():
            limits.check_name(action.provider_contact, "provider_contact")

    @workflow.update
    async def register_application(self, action: RegisterApplication) -> ProcessState:
        return await self.complete_step("register_application", action)

    @register_application.validator
    def _check_register_application(self, action: RegisterApplication) -> None:
        self.steps.check("register_application", action)
        with rule_check():
            rules.check_application(action.declined, action.received_on, self.inp.started_on, workflow.now())
        _check_texts(note=action.note)

    @workflow.update
    async def decide(self, action: Decide) -> ProcessState:
        return await self.complete_step("decide", action)

    @decide.validator
    def _check_decide(self, action: Decide) -> None:
        self.steps.check("decide", action)
        with rule_check():
            rules.check_decision(action.granted, action.decision_date, action.items, self.inp.started_on)
            for item in action.items:
                limits.check_name(item.name, "items.name")
        _check_texts(note=action.note, other=action.other)

    # -- reactions --------------------------------------------------------------------------

    @property
    def _rules(self) -> Deadlines:
        return self.profile.deadlines

    @property
    def _provider_mailbox(self) -> str:
        return provider_mailbox(self.inp.provider_id)

    def _note_deadline(self, step: Step) -> None:
        """The readable history says whether a step with a deadline was done in time."""
        if step.due_at is not None and step.done_at is not None and step.done_by is not None:
            text = rules.deadline_note(step.title, step.due_at, step.done_at)
            self.note(step.done_by, text, at=step.done_at)

    async def _answer(self, subject: str, text: str, action: Action, at: datetime) -> None:
        """The case worker's answer: in the authority journal and to the provider's mailbox (COM-2)."""
        await self.effects.journal(AUTHORITY_JOURNAL, text, action.actor, at)
        await self.effects.message(self._provider_mailbox, subject, text, action.actor)

    async def _report(self) -> None:
        """EXT-2: the notice to the reception mailbox, both journals, the case worker's steps."""
        inp = self.inp
        await self._start("reported", "Process startad: tillfällig utökning (14-dagarsöverenskommelsen).")
        self.note(
            inp.reported_by,
            f"Utökat stöd insatt från {inp.started_on.isoformat()}: {inp.inserted}. Orsak: {inp.reason}",
            at=inp.reported_at,
        )
        confirm_due = rules.confirm_start_due(inp.reported_at, self._rules)  # COM-1
        follow_up_due = rules.follow_up_due(inp.started_on, self._rules)  # EXT-4
        self.deadlines["confirm_start"] = confirm_due
        self.deadlines["follow_up"] = follow_up_due
        text = rules.notice_text(inp.started_on, self.last_day, inp.inserted, inp.reason, confirm_due)
        subject = "Tillfällig utökning enligt 14-dagarsöverenskommelsen"
        await self.effects.message(self.profile.mailboxes.reception, subject, text, inp.reported_by)
        await self.effects.journal(PROVIDER_JOURNAL, text, inp.reported_by, inp.reported_at)
        await self.effects.journal(
            AUTHORITY_JOURNAL, f"Inkommet via mottagningsfunktionen: {text}", inp.reported_by, inp.reported_at
        )
        # Each step's action can be dated (occurred_at), no earlier than the notice it answers.
        notice = inp.reported_at
        await self.case_worker_step("confirm_start", CONFIRM_TITLE, confirm_due, not_before=notice)
        await self.provider_step("report_lasting", LASTING_TITLE, not_before=notice)
        await self.case_worker_step("follow_up", FOLLOW_UP_TITLE, follow_up_due, not_before=notice)

    async def _confirmed(self, action: ConfirmStart) -> None:
        """EXT-2: the confirmation goes to the provider's mailbox and the authority journal."""
        at = _at(action)
        text = rules.confirmation_text(self.inp.started_on, self.last_day, action.note)
        await self._answer("Bekräftad uppstart: 14 dagar", text, action, at)
        self.details["confirmed_by"] = action.actor.label
        self.details["confirmed_at"] = calendar.local(at).isoformat()
        if self.stage == "reported":
            await self.set_stage("confirmed")

    async def _lasting(self, action: ReportLasting) -> None:
        """EXT-3: the responsible case worker is told via the case workers' mailbox (COM-2) within
        a week of the day the lasting change was established; later is a deviation."""
        at = _at(action)
        due = rules.report_lasting_due(action.established_on)
        self.deadlines["report_lasting"] = due
        text = rules.lasting_text(action.established_on, self.inp.started_on, action.message)
        await self.effects.message(
            self.profile.mailboxes.case_workers, "Utökat stöd bedöms vara varaktigt", text, action.actor
        )
        await self.effects.journal(PROVIDER_JOURNAL, text, action.actor, at)
        self.details["established_on"] = action.established_on.isoformat()
        self.note(action.actor, rules.deadline_note(LASTING_TITLE, due, at), at=at)
        if at > due:
            self.deviation(
                f"Varaktig förändring meddelad {calendar.local(at):%Y-%m-%d %H:%M}, mer än en vecka "
                f"efter att den konstaterades {action.established_on.isoformat()}."
            )

    async def _followed_up(self, action: FollowUp) -> datetime:
        at = _at(action)
        self.followed_up_at = at
        self.details["follow_up_outcome"] = action.outcome
        self.details["followed_up_at"] = calendar.local(at).isoformat()
        self.note(
            action.actor,
            f"Uppföljning med {action.provider_contact} hos utföraren: "
            f"{rules.FOLLOW_UP_LABELS[action.outcome]}.{f' {action.note}' if action.note else ''}",
            at=at,
        )
        for name in ("confirm_start", "report_lasting"):
            await self.cancel_if_open(name, "uppföljningen är gjord")
        return at

    async def _transient(self, action: FollowUp) -> ProcessState:
        """EXT-6: no payment for the extra support in the period; billing reads the notice."""
        at = await self._followed_up(action)
        text = rules.transient_text(self.inp.started_on, calendar.local_date(at), action.note)
        await self._answer("Uppföljning: övergående behov", text, action, at)
        await self.effects.billing_notice(self.inp.started_on, text)
        self.details["billing"] = "Ingen ersättning för det utökade stödet under perioden."
        return await self.close(rules.TRANSIENT, text, action.actor)

    async def _remains(self, action: FollowUp) -> None:
        """EXT-5: the need remains: the case worker contacts the person for an application."""
        at = await self._followed_up(action)
        text = f"Uppföljning: behovet kvarstår. Brukaren kontaktas för ansökan.{_tail(action.note)}"
        await self.effects.journal(AUTHORITY_JOURNAL, text, action.actor, at)
        await self.set_stage("application")
        await self.case_worker_step("register_application", APPLICATION_TITLE, not_before=at)

    async def _applied(self, action: RegisterApplication) -> None:
        assert action.received_on is not None  # the validator insists unless declined
        self.details["application_received_on"] = action.received_on.isoformat()
        text = f"Ansökan om fortsatt stöd mottagen {action.received_on.isoformat()}.{_tail(action.note)}"
        await self.effects.journal(AUTHORITY_JOURNAL, text, action.actor, _at(action))
        await self.set_stage("deciding")
        await self.case_worker_step("decide", DECIDE_TITLE, not_before=self.followed_up_at)

    async def _no_application(self, action: RegisterApplication) -> ProcessState:
        text = f"Brukaren avstår från att ansöka om fortsatt stöd.{_tail(action.note)}"
        await self._answer("Ingen ansökan om fortsatt stöd", text, action, _at(action))
        return await self.close("no_application", text, action.actor)

    async def _decided(self, action: Decide) -> ProcessState:
        at = _at(action)
        if not action.granted:
            text = f"Ansökan om fortsatt utökat stöd beviljas inte.{_tail(action.note)}"
            await self._answer("Beslut: fortsatt stöd beviljas inte", text, action, at)
            return await self.close("not_granted", text, action.actor)
        return await self._granted(action, at)

    async def _granted(self, action: Decide, at: datetime) -> ProcessState:
        """EXT-5: the decision is back-dated to day 1 and the updated order follows."""
        started_on = self.inp.started_on
        decision_id = f"{self.ref.process_id}/decision"
        services = [item.name for item in action.items]
        await self.record_decision(decision_id, "care", services, started_on)
        self.details.update(decision_id=decision_id, decision_date=started_on.isoformat())
        order_id = await self._send_order(action, decision_id, at)
        text = rules.granted_text(services, started_on, order_id, action.note)
        await self._answer("Beslut: fortsatt stöd beviljat", text, action, at)
        # CAL-7: a decision concerning month M registered after the 4th of M+1 goes to billing.
        if await self.effects.billing_notice_if_late(started_on, "Beslut om utökat stöd (14 dagar)"):
            self.deviation("Beslutet registrerades efter den 4:e följande månad.")
        return await self.close("granted", text, action.actor)

    async def _send_order(self, action: Decide, decision_id: str, at: datetime) -> str:
        """EXT-5: the updated order, back-dated to day 1, continues as its own ``order`` process."""
        seq = self.ref.process_id.rsplit("/", 1)[-1]
        order_id = f"case-{self.ref.case_id}/order/temporary-extension-{seq}"
        await self.start_order(
            order_id,
            "Uppdaterat uppdrag efter 14-dagarsöverenskommelsen",
            provider_id=self.inp.provider_id,
            sent_by=action.actor,
            start_date=self.inp.started_on,
            items=list(action.items),
            other=rules.order_other(self.inp.started_on, action.other),
            sent_at=at,
            decision_id=decision_id,
            executed_since=self.inp.started_on,  # ORD-2: the support is given since day 1
        )
        self.details["order_id"] = order_id
        self.note(action.actor, f"Uppdaterat uppdrag skickat ({order_id})", at=at)
        return order_id


def _check_texts(**texts: str) -> None:
    """In a validator: every free text of the action within the limits (422 otherwise)."""
    with rule_check():
        for field, value in texts.items():
            limits.check_text(value, field)


def _tail(note: str) -> str:
    return f" {note}" if note else ""
