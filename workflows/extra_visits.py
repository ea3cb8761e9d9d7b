"""Extra visits (extra insatser/besök) of one case and month, registered by the provider and
reviewed by the case worker (UC-5, Sundbyberg's Phoniro routine).

Steps: the provider registers extra visits (a visit outside the order, all its services extra, or
extra minutes on an ordinary visit), each with a note of type "Extra insatser" giving the reason,
until the end of the first working day of the next month; the case worker reviews pending visits
at least weekly (approve, reject, question); the provider answers a question within a week. An
approved lasting need starts a new order (a child ``order`` process that outlives this one). The
process ends once registration has closed and no visit waits for a review or an answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import calendar
    from workflows.effects import AUTHORITY_JOURNAL, PROVIDER_JOURNAL
    from workflows.model import (
        CASE_WORKER,
        PROVIDER,
        SENIOR_CASE_WORKER,
        SYSTEM,
        Action,
        Actor,
        ProcessState,
        StartContext,
        forbidden,
        invalid,
        not_open,
        rule_check,
    )
    from workflows.order import OrderInput, OrderWorkflow
    from workflows.process import ProcessWorkflow
    from workflows.profiles import Profile, provider_mailbox
    from workflows.rules import extra_visits as rules
    from workflows.rules.order import ItemKind, ServiceItem


@dataclass
class ExtraVisitsInput:
    case_id: str
    profile: Profile
    provider_id: str
    month: str  # "YYYY-MM"
    started_by: Actor
    case_worker_id: str | None = None


@dataclass
class StartExtraVisits:
    """The HTTP body of ``POST /processes`` with type ``extra-visits`` (besides type and case_id)."""

    month: str  # "YYYY-MM", e.g. "2026-11"


@dataclass(kw_only=True)
class RegisterVisit(Action):
    """UC-5: one extra visit, or extra services on an ordinary visit, with the reason."""

    visit_date: date
    kind: rules.VisitKind
    services: list[str]
    reason: str  # the note of type "Extra insatser"
    minutes: int | None = None  # required for extra_on_ordinary
    note_type: str = rules.NOTE_TYPE


@dataclass
class VisitDecision:
    """The case worker's decision on one pending visit."""

    visit_id: str
    decision: rules.ReviewDecision
    question: str = ""  # required for "question"
    lasting_need: bool = False  # only with "approve": the need lasts, a new order follows
    item_kind: ItemKind = "service"  # the kind of the order's items for a lasting need
    note: str = ""


@dataclass(kw_only=True)
class Review(Action):
    """UC-5: the weekly review of the extra visits pending review."""

    decisions: list[VisitDecision] = field(default_factory=list)
    note: str = ""


@dataclass(kw_only=True)
class AnswerQuestion(Action):
    """UC-5: the provider's answer to a questioned extra visit."""

    visit_id: str
    answer: str


@dataclass
class Visit:
    visit_id: str
    visit_date: date
    kind: rules.VisitKind
    services: list[str]
    minutes: int | None
    reason: str
    registered_at: datetime
    registered_by: str
    status: str = rules.REGISTERED
    question: str | None = None
    questioned_at: datetime | None = None
    answer_due: datetime | None = None
    answer: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    lasting_need: bool = False
    order_id: str | None = None

    def view(self) -> dict[str, Any]:
        return {
            "visit_id": self.visit_id,
            "visit_date": self.visit_date.isoformat(),
            "kind": self.kind,
            "services": list(self.services),
            "minutes": self.minutes,
            "note_type": rules.NOTE_TYPE,
            "reason": self.reason,
            "registered_at": self.registered_at.isoformat(),
            "registered_by": self.registered_by,
            "status": self.status,
            "question": self.question,
            "answer_due": self.answer_due.isoformat() if self.answer_due else None,
            "answer": self.answer,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "lasting_need": self.lasting_need,
            "order_id": self.order_id,
        }


@workflow.defn(name="extra-visits")
class ExtraVisitsWorkflow(ProcessWorkflow):
    process_type = "extra-visits"
    START_ROLES = (PROVIDER,)
    START_REQUEST = StartExtraVisits
    ACTIONS: ClassVar[dict[str, type[Action]]] = {
        "register_visit": RegisterVisit,
        "review": Review,
        "answer_question": AnswerQuestion,
    }

    @classmethod
    def build_input(cls, request: StartExtraVisits, ctx: StartContext) -> ExtraVisitsInput:
        assert ctx.case is not None
        provider = ctx.case.provider_id
        if not provider:
            raise ValueError("Ärendet har ingen utförare; extra insatser registreras av ärendets utförare.")
        if ctx.actor.org != provider:
            raise ValueError("Extra insatser registreras av ärendets egen utförare.")
        rules.check_start(request.month, ctx.now)  # UC-5
        return ExtraVisitsInput(
            case_id=ctx.case_id,
            profile=ctx.profile,
            provider_id=provider,
            month=rules.parse_month(request.month).strftime("%Y-%m"),
            started_by=ctx.actor,
            case_worker_id=ctx.case.case_worker_id,
        )

    @workflow.init
    def __init__(self, inp: ExtraVisitsInput) -> None:
        self._setup(inp.case_id, inp.profile, inp.case_worker_id, inp.provider_id)
        self.inp = inp
        self.visits: list[Visit] = []
        self.registration_open = True
        self.closes_at = rules.registration_closes_at(inp.month)
        self.deadlines["register_visit"] = self.closes_at
        self.details = {
            "month": inp.month,
            "registration_closes_at": self.closes_at.isoformat(),
            "visits": [],
        }

    @workflow.run
    async def run(self, inp: ExtraVisitsInput) -> ProcessState:
        label = rules.month_label(inp.month)
        await self._start(
            "registration_open",
            f"Registrering av extra insatser för {label} startad av {inp.started_by.label}",
        )
        if not rules.is_registration_open(inp.month, workflow.now()):
            return await self._close_registration_late()
        await self._open_registration()
        await self._ensure_review()
        ends_at = rules.registration_ends_at(inp.month)
        while True:
            step = await self.steps.next(until=ends_at if self.registration_open else None)
            if step is None:
                await self._registration_closed()
            else:
                match step.action:
                    case "register_visit":
                        await self._registered(step.result)
                    case "review":
                        await self._reviewed(step.result)
                    case "answer_question":
                        await self._answered(step.result)
            if not self.registration_open and not self._unresolved():
                return await self._summarise()

    # -- updates ----------------------------------------------------------------------------

    @workflow.update
    async def register_visit(self, action: RegisterVisit) -> ProcessState:
        await self.steps.complete("register_visit", action)
        return self.state()

    @register_visit.validator
    def _check_register_visit(self, action: RegisterVisit) -> None:
        now = workflow.now()
        try:  # UC-5: the clear answer to a late registration, before any other check
            rules.check_registration_open(self.inp.month, now)
        except ValueError as error:
            raise not_open(str(error)) from error
        self.steps.check("register_visit", action)
        if action.note_type != rules.NOTE_TYPE:
            raise invalid(f"Anteckningen ska vara av typen [{rules.NOTE_TYPE}].")
        with rule_check():
            rules.check_visit(
                month=self.inp.month,
                visit_date=action.visit_date,
                kind=action.kind,
                services=action.services,
                minutes=action.minutes,
                reason=action.reason,
                now=now,
            )

    @workflow.update
    async def review(self, action: Review) -> ProcessState:
        await self.steps.complete("review", action)
        return self.state()

    @review.validator
    def _check_review(self, action: Review) -> None:
        self.steps.check("review", action)
        seen: set[str] = set()
        for decision in action.decisions:
            visit = self._visit(decision.visit_id)
            if visit is None:
                raise invalid(f"Det finns inget extra besök {decision.visit_id}.")
            if decision.visit_id in seen:
                raise invalid(f"Besöket {decision.visit_id} förekommer flera gånger i granskningen.")
            seen.add(decision.visit_id)
            if visit.status not in rules.PENDING_REVIEW:
                raise invalid(
                    f"Besöket {visit.visit_id} väntar inte på granskning "
                    f"(status: {rules.STATUS_LABELS[visit.status]})."
                )
            if decision.decision == "question" and not decision.question.strip():
                raise invalid(f"Skriv frågan till utföraren om besöket {visit.visit_id}.")
            if decision.lasting_need and decision.decision != "approve":
                raise invalid("Ett varaktigt behov kan bara anges när den extra insatsen godkänns.")

    @workflow.update
    async def answer_question(self, action: AnswerQuestion) -> ProcessState:
        await self.steps.complete("answer_question", action)
        return self.state()

    @answer_question.validator
    def _check_answer_question(self, action: AnswerQuestion) -> None:
        self.steps.check("answer_question", action)
        if action.actor.role != PROVIDER:  # the escalation tells the case worker; the provider answers
            raise forbidden("Frågan besvaras av utföraren.")
        visit = self._visit(action.visit_id)
        if visit is None:
            raise invalid(f"Det finns inget extra besök {action.visit_id}.")
        if visit.status != rules.QUESTIONED:
            raise invalid(f"Besöket {visit.visit_id} har ingen obesvarad fråga.")
        if not action.answer.strip():
            raise invalid("Skriv ett svar på frågan.")

    # -- reactions --------------------------------------------------------------------------

    def _visit(self, visit_id: str) -> Visit | None:
        return next((v for v in self.visits if v.visit_id == visit_id), None)

    def _with_status(self, *statuses: str) -> list[Visit]:
        return [v for v in self.visits if v.status in statuses]

    def _unresolved(self) -> bool:
        return bool(self._with_status(*rules.PENDING_REVIEW, rules.QUESTIONED))

    def _publish_visits(self) -> None:
        self.details["visits"] = [visit.view() for visit in self.visits]

    async def _open_registration(self) -> None:
        await self.steps.open(
            "register_visit",
            role=PROVIDER,
            org=self.inp.provider_id,
            title=f"Registrera extra insatser för {rules.month_label(self.inp.month)}",
        )

    async def _ensure_review(self) -> None:
        """UC-5: a review step is open while the month is open or visits wait for review."""
        if self.steps.find_open("review") is not None:
            return
        if not self.registration_open and not self._with_status(*rules.PENDING_REVIEW):
            return
        due = rules.review_due(workflow.now())
        self.deadlines["review"] = due
        await self.steps.open(
            "review",
            role=CASE_WORKER,
            title=f"Granska extra insatser för {rules.month_label(self.inp.month)} (minst en gång i veckan)",
            due_at=due,
            escalate_to=SENIOR_CASE_WORKER,
            escalation_mailbox=self.profile.mailboxes.senior_case_worker,
        )

    async def _ensure_answer_step(self) -> None:
        """UC-5: the provider answers questions within a week; one step covers all open questions,
        due when the oldest is."""
        if self.steps.find_open("answer_question") is not None:
            return
        questioned = self._with_status(rules.QUESTIONED)
        dues = [v.answer_due for v in questioned if v.answer_due is not None]
        if not dues:
            self.deadlines.pop("answer_question", None)
            return
        due = min(dues)
        self.deadlines["answer_question"] = due
        await self.steps.open(
            "answer_question",
            role=PROVIDER,
            org=self.inp.provider_id,
            title="Besvara handläggarens fråga om extra insats",
            due_at=due,
            escalate_to=CASE_WORKER,
            escalation_mailbox=self.profile.mailboxes.case_workers,
        )

    async def _registered(self, action: RegisterVisit) -> None:
        visit = Visit(
            visit_id=f"v{len(self.visits) + 1}",
            visit_date=action.visit_date,
            kind=action.kind,
            services=[name.strip() for name in action.services if name.strip()],
            minutes=action.minutes,
            reason=action.reason.strip(),
            registered_at=workflow.now(),
            registered_by=action.actor.label,
        )
        self.visits.append(visit)
        self._publish_visits()
        minutes = f", {visit.minutes} min extra" if visit.minutes else ""
        what = (
            f"{rules.VISIT_KIND_LABELS[action.kind]} {visit.visit_date} ({visit.visit_id}): "
            f"{', '.join(visit.services)}{minutes}"
        )
        self.note(action.actor, f"Registrerade {what}")
        # UC-5: a note of type "Extra insatser" with the reason, in the provider's journal.
        await self.effects.journal(
            PROVIDER_JOURNAL,
            f"[{rules.NOTE_TYPE}] {what}. Orsak: {visit.reason}",
            action.actor,
            action.occurred_at or workflow.now(),
        )
        if self.registration_open:
            await self._open_registration()
        await self._ensure_review()

    async def _registration_closed(self) -> None:
        self.registration_open = False
        step = self.steps.find_open("register_visit")
        if step is not None:
            await self.steps.cancel(
                step,
                f"registreringen för {rules.month_label(self.inp.month)} stängde "
                f"{calendar.local(self.closes_at):%Y-%m-%d %H:%M}",
            )
        await self.set_stage("reviewing")
        review = self.steps.find_open("review")
        if review is not None and not self._with_status(*rules.PENDING_REVIEW):
            await self.steps.cancel(review, "inga extra insatser väntar på granskning")
            self.deadlines.pop("review", None)

    async def _reviewed(self, action: Review) -> None:
        at = action.occurred_at or workflow.now()
        lines: list[str] = []
        for decision in action.decisions:
            visit = self._visit(decision.visit_id)
            assert visit is not None  # checked by the validator
            visit.decided_by = action.actor.label
            visit.decided_at = at
            line = (
                f"Extra insats {visit.visit_id} ({rules.VISIT_KIND_LABELS[visit.kind]}, {visit.visit_date}): "
                f"{rules.DECISION_LABELS[decision.decision]}"
            )
            match decision.decision:
                case "approve":
                    visit.status = rules.APPROVED
                    if decision.lasting_need:
                        visit.lasting_need = True
                        visit.order_id = await self._start_order(visit, decision, action.actor)
                        line += f". Varaktigt behov: ny beställning {visit.order_id}"
                case "reject":
                    visit.status = rules.REJECTED
                case "question":
                    visit.status = rules.QUESTIONED
                    visit.question = decision.question.strip()
                    visit.questioned_at = at
                    visit.answer_due = rules.answer_due(at)  # UC-5, CAL-6
                    visit.answer = None
                    line += f": {visit.question} Svar senast {calendar.local(visit.answer_due):%Y-%m-%d}"
            if decision.note.strip():
                line += f". {decision.note.strip()}"
            lines.append(line + ".")
        self._publish_visits()
        self.details["last_review_at"] = at.isoformat()
        summary = "\n".join(lines) if lines else "Inga extra insatser att besluta om."
        if action.note.strip():
            summary += f"\n{action.note.strip()}"
        self.note(action.actor, f"Granskade extra insatser. {summary}")
        if lines:
            await self.effects.journal(AUTHORITY_JOURNAL, summary, action.actor, at)
            await self.effects.message(
                provider_mailbox(self.inp.provider_id),
                f"Granskning av extra insatser {rules.month_label(self.inp.month)}",
                summary,
                action.actor,
            )
        self.deadlines.pop("review", None)
        await self._ensure_review()
        await self._ensure_answer_step()

    async def _answered(self, action: AnswerQuestion) -> None:
        visit = self._visit(action.visit_id)
        assert visit is not None  # checked by the validator
        at = action.occurred_at or workflow.now()
        visit.status = rules.ANSWERED  # back to pending review
        visit.answer = action.answer.strip()
        self._publish_visits()
        text = f"Svar om extra insats {visit.visit_id} ({visit.visit_date}): {visit.answer}"
        self.note(action.actor, text)
        await self.effects.journal(PROVIDER_JOURNAL, text, action.actor, at)
        await self._ensure_answer_step()
        await self._ensure_review()

    async def _start_order(self, visit: Visit, decision: VisitDecision, actor: Actor) -> str:
        """UC-5: an approved lasting need leads to a new order, which outlives this process."""
        seq = self.ref.process_id.rsplit("/", 1)[-1]
        order_id = f"case-{self.inp.case_id}/order/x-{seq}-{visit.visit_id}"
        await workflow.start_child_workflow(
            OrderWorkflow.run,
            OrderInput(
                case_id=self.inp.case_id,
                profile=self.profile,
                provider_id=self.inp.provider_id,
                sent_by=actor,
                start_date=calendar.local_date(workflow.now()),
                items=[ServiceItem(name=name, kind=decision.item_kind) for name in visit.services],
                other=f"Utökat behov efter extra insatser: {visit.reason}",
                case_worker_id=self.inp.case_worker_id,
            ),
            id=order_id,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            static_summary="Beställning efter godkänd extra insats med varaktigt behov",
        )
        self.details.setdefault("orders", []).append(order_id)
        return order_id

    async def _close_registration_late(self) -> ProcessState:
        self.registration_open = False
        return await self.close(
            "registration_closed",
            f"Registreringen för {rules.month_label(self.inp.month)} stängde "
            f"{calendar.local(self.closes_at):%Y-%m-%d %H:%M}; inga extra insatser kan registreras.",
        )

    async def _summarise(self) -> ProcessState:
        approved = self._with_status(rules.APPROVED)
        rejected = self._with_status(rules.REJECTED)
        approved_minutes = sum(v.minutes or 0 for v in approved)
        orders = [v.order_id for v in approved if v.order_id]
        summary: dict[str, Any] = {
            "registered": len(self.visits),
            "approved": len(approved),
            "rejected": len(rejected),
            "approved_extra_minutes": approved_minutes,
            "rejected_extra_minutes": sum(v.minutes or 0 for v in rejected),
            "orders": orders,
        }
        self.details["summary"] = summary
        text = (
            f"Extra insatser {rules.month_label(self.inp.month)}: {summary['registered']} registrerade, "
            f"{summary['approved']} godkända ({approved_minutes} min extra), "
            f"{summary['rejected']} avslagna, {len(orders)} nya beställningar."
        )
        await self.effects.journal(AUTHORITY_JOURNAL, text, SYSTEM, workflow.now())
        return await self.close("reviewed", text)
