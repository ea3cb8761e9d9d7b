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

from datetime import datetime, time
from typing import Any, ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows import calendar
    from workflows.effects import AUTHORITY_JOURNAL, PROVIDER_JOURNAL
    from workflows.io.extra_visits import (
        AnswerQuestion,
        ExtraVisitsInput,
        RegisterVisit,
        Review,
        StartExtraVisits,
        VisitDecision,
    )
    from workflows.model import (
        PROVIDER,
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
    from workflows.process import ProcessWorkflow
    from workflows.profiles import Profile, provider_mailbox
    from workflows.rules import extra_visits as rules
    from workflows.rules.order import ServiceItem


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

    @classmethod
    def offered(cls, details: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
        """UC-5: a review decides on the visits pending review; the provider answers the
        questioned ones."""
        visits = [v for v in details.get("visits") or [] if isinstance(v, dict)]
        return {
            "review": {"visit_id": rules.pending_review(visits)},
            "answer_question": {"visit_id": rules.questioned(visits)},
        }

    @classmethod
    def proposals(cls, details: dict[str, Any], profile: Profile, now: datetime) -> dict[str, dict[str, Any]]:
        """UC-5: the answer concerns the question due first."""
        open_ = cls.offered(details)["answer_question"]["visit_id"]
        return {"answer_question": {"visit_id": open_[0]}} if open_ else {}

    @classmethod
    def once_per_case(cls, inp: ExtraVisitsInput) -> str | None:
        """UC-5: one extra-visits process per case and month."""
        return inp.month

    @workflow.init
    def __init__(self, inp: ExtraVisitsInput) -> None:
        self._setup(inp.case_id, inp.profile, inp.case_worker_id, inp.provider_id)
        self.inp = inp
        self.visits: list[rules.Visit] = []
        self.registration_open = True
        if not self.admit(inp):
            return
        self.closes_at = rules.registration_closes_at(inp.month)
        self.deadlines["register_visit"] = self.closes_at
        self.details = {
            "month": inp.month,
            "registration_closes_at": self.closes_at.isoformat(),
            "visits": [],
        }

    @classmethod
    def check_input(cls, inp: ExtraVisitsInput) -> None:
        super().check_input(inp)
        rules.parse_month(inp.month)  # UC-5: a month of the calendar's years, "YYYY-MM"

    @workflow.run
    async def run(self, inp: ExtraVisitsInput) -> ProcessState:
        self.refuse()
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
        return await self.complete_step("register_visit", action)

    @register_visit.validator
    def _check_register_visit(self, action: RegisterVisit) -> None:
        now = workflow.now()
        try:  # UC-5: the clear answer to a late registration, before any other check
            rules.check_registration_open(self.inp.month, now)
        except ValueError as error:
            raise not_open(str(error)) from error
        self.steps.check("register_visit", action)
        if action.note_type != rules.NOTE_TYPE:
            raise invalid(f"Anteckningen ska vara av typen [{rules.NOTE_TYPE}].", "note_type")
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
        return await self.complete_step("review", action)

    @review.validator
    def _check_review(self, action: Review) -> None:
        self.steps.check("review", action)
        with rule_check():
            rules.check_review(action.decisions, self.visits)

    @workflow.update
    async def answer_question(self, action: AnswerQuestion) -> ProcessState:
        return await self.complete_step("answer_question", action)

    @answer_question.validator
    def _check_answer_question(self, action: AnswerQuestion) -> None:
        self.steps.check("answer_question", action)
        if action.actor.role != PROVIDER:  # the escalation tells the case worker; the provider answers
            raise forbidden("Frågan besvaras av utföraren.")
        with rule_check():
            rules.check_answer(self.visits, action.visit_id, action.answer)

    # -- reactions --------------------------------------------------------------------------

    def _with_status(self, *statuses: str) -> list[rules.Visit]:
        return [v for v in self.visits if v.status in statuses]

    def _unresolved(self) -> bool:
        return bool(self._with_status(*rules.PENDING_REVIEW, rules.QUESTIONED))

    def _publish_visits(self) -> None:
        self.details["visits"] = [visit.view() for visit in self.visits]

    async def _open_registration(self) -> None:
        await self.provider_step(
            "register_visit",
            f"Registrera extra insatser för {rules.month_label(self.inp.month)}",
            # a visit of the month may be registered with the moment it happened
            not_before=calendar.at_local(rules.parse_month(self.inp.month), time(0, 0)),
        )

    async def _ensure_review(self) -> None:
        """UC-5: a review step is open while the month is open or visits wait for review."""
        if self.steps.find_open("review") is not None:
            return
        if not self.registration_open and not self._with_status(*rules.PENDING_REVIEW):
            return
        due = rules.review_due(workflow.now())
        self.deadlines["review"] = due
        await self.case_worker_step(
            "review",
            f"Granska extra insatser för {rules.month_label(self.inp.month)} (minst en gång i veckan)",
            due,
        )

    async def _ensure_answer_step(self) -> None:
        """UC-5: the provider answers questions within a week; one step covers all open questions,
        due when the oldest is."""
        if self.steps.find_open("answer_question") is not None:
            return
        questioned = self._with_status(rules.QUESTIONED)
        due = min((v.answer_due for v in questioned if v.answer_due is not None), default=None)
        if due is None:
            self.deadlines.pop("answer_question", None)
            return
        self.deadlines["answer_question"] = due
        await self.provider_step("answer_question", "Besvara handläggarens fråga om extra insats", due)

    async def _registered(self, action: RegisterVisit) -> None:
        visit = rules.Visit(
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
        what = rules.visit_text(visit)
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
        closed = (
            f"{rules.month_label(self.inp.month)} stängde {calendar.local(self.closes_at):%Y-%m-%d %H:%M}"
        )
        await self.cancel_if_open("register_visit", f"registreringen för {closed}")
        await self.set_stage("reviewing")
        review = self.steps.find_open("review")
        if review is not None and not self._with_status(*rules.PENDING_REVIEW):
            await self.steps.cancel(review, "inga extra insatser väntar på granskning")
            self.deadlines.pop("review", None)

    async def _reviewed(self, action: Review) -> None:
        at = action.occurred_at or workflow.now()
        lines: list[str] = []
        for decision in action.decisions:
            visit = rules.find_visit(self.visits, decision.visit_id)
            if visit is None:  # checked by the validator
                continue
            line = rules.decide(visit, decision.decision, decision.question, action.actor.label, at)
            if decision.decision == "approve" and decision.lasting_need:
                visit.lasting_need = True
                visit.order_id = await self._start_order(visit, decision, action.actor)
                line += f". Varaktigt behov: ny beställning {visit.order_id}"
            if decision.note.strip():
                line += f". {decision.note.strip()}"
            lines.append(line + ".")
        self._publish_visits()
        self.details["last_review_at"] = at.isoformat()
        summary = rules.review_text(lines, action.note)
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
        visit = rules.find_visit(self.visits, action.visit_id)
        if visit is None:  # checked by the validator
            return
        at = action.occurred_at or workflow.now()
        visit.status = rules.ANSWERED  # back to pending review
        visit.answer = action.answer.strip()
        self._publish_visits()
        text = f"Svar om extra insats {visit.visit_id} ({visit.visit_date}): {visit.answer}"
        self.note(action.actor, text)
        await self.effects.journal(PROVIDER_JOURNAL, text, action.actor, at)
        await self._ensure_answer_step()
        await self._ensure_review()

    async def _start_order(self, visit: rules.Visit, decision: VisitDecision, actor: Actor) -> str:
        """UC-5: an approved lasting need leads to a new order, which outlives this process."""
        seq = self.ref.process_id.rsplit("/", 1)[-1]
        order_id = f"case-{self.inp.case_id}/order/x-{seq}-{visit.visit_id}"
        await self.start_order(
            order_id,
            "Beställning efter godkänd extra insats med varaktigt behov",
            provider_id=self.inp.provider_id,
            sent_by=actor,
            start_date=calendar.local_date(workflow.now()),
            items=[ServiceItem(name=name, kind=decision.item_kind) for name in visit.services],
            other=f"Utökat behov efter extra insatser: {visit.reason}",
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
        summary = rules.summary(self.visits)
        self.details["summary"] = summary
        text = rules.summary_text(self.inp.month, summary)
        await self.effects.journal(AUTHORITY_JOURNAL, text, SYSTEM, workflow.now())
        return await self.close("reviewed", text)
