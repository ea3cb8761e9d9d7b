"""The base every process workflow extends: identity, stage, timeline, the state query, closing.

Subclasses are ``@workflow.defn`` classes with one main ``run`` coroutine that opens steps through
``self.steps`` and reacts to them; they never hand-roll timers.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.follow_up import cycle_id
    from activities.read_model import ReadModelActivities
    from activities.records import DecisionEnd, DecisionRecord, ProcessRecord
    from workflows import calendar, follow_up_effects, limits, search
    from workflows.effects import ACTIVITY_RETRY, ACTIVITY_TIMEOUT, Effects
    from workflows.follow_up_effects import decision_to_cycle
    from workflows.io.case_event import CaseEnding
    from workflows.io.follow_up import DecisionEnded, DecisionGranted
    from workflows.io.order import OrderInput
    from workflows.model import (
        BILLING,
        CASE_WORKER,
        INVALID,
        PROVIDER,
        SENIOR_CASE_WORKER,
        SUPERVISOR,
        SYSTEM,
        SYSTEM_ROLE,
        Action,
        Actor,
        ProcessRef,
        ProcessState,
        StartContext,
        TimelineEntry,
        forbidden,
        invalid,
        not_open,
    )
    from workflows.profiles import Profile
    from workflows.rules.case_event import death_ending
    from workflows.steps import ProcessEnding, Step, Steps

# END-2: the marker of the generic end by a case event (a new update; histories before it never
# reach this path, and the marker says where the commands of the ending begin).
CASE_EVENT_ENDING = "end-for-case-event"
# END-2: a process that starts on a case a death has closed ends itself (runs recorded before this
# change read nothing at their start).
CASE_CLOSED_AT_START = "case-closed-at-start"
# Roles that never end a process: they read, or are the process itself.
NOT_ENDING_ROLES = (SUPERVISOR, BILLING, SYSTEM_ROLE)

Run = Callable[..., Awaitable[ProcessState]]


def _ending_run(run: Run) -> Run:
    """The subclass's ``run`` wrapped: a ``ProcessEnding`` raised where it waits (a case event,
    END-2) ends the process through ``ProcessWorkflow._end_for_case_event`` instead."""

    @functools.wraps(run)
    async def wrapped(self: ProcessWorkflow, *args: Any) -> ProcessState:
        try:
            return await run(self, *args)
        except ProcessEnding:
            return await self._end_for_case_event()

    wrapped.__dict__["_ends_for_case_event"] = True
    return wrapped


class ProcessWorkflow:
    """Subclasses declare how the API starts them and which actions they accept:

    - ``process_type``: the type name of DESIGN.md, also the workflow type name;
    - ``START_ROLES``: roles that may start it over HTTP (403 for others);
    - ``START_REQUEST``: the dataclass of the HTTP body's fields besides ``type`` and ``case_id``;
    - ``build_input(request, ctx)``: the workflow input; raise ValueError (Swedish text) for 422;
    - ``check_input(inp)``: what the workflow itself refuses to run on (ValueError, Swedish); the
      API calls it before starting, and the workflow checks it again in its ``@workflow.init``;
    - ``CREATES_CASE``: the process creates its case (no ``case_id`` in the request);
    - ``ACTIONS``: action name -> the update's input dataclass (the update has the same name);
    - ``once_per_case(inp)``: what the type allows only once per case (e.g. UC-5: the month), or
      None; the read model holds it unique, so a second start is refused (409);
    - ``concerns_unit(inp)``: the provider unit the process works for (its ``provider_id``);
    - ``concerns_units(inp)``: every unit the process concerns at its start (who may see it, issue
      6 §5; by default the one of ``concerns_unit``); a unit that joins later (e.g. a homecoming's
      chosen provider) is added by the workflow with ``join_unit``;
    - ``one_running_per_case``: at most one running process of the type per case (409 for a
      second start while one runs).
    """

    process_type: ClassVar[str] = ""
    START_ROLES: ClassVar[tuple[str, ...]] = ()
    START_REQUEST: ClassVar[type[Any]]
    CREATES_CASE: ClassVar[bool] = False
    ONE_RUNNING_PER_CASE: ClassVar[bool] = False
    ACTIONS: ClassVar[dict[str, type[Action]]] = {}
    refusal: str | None  # why the workflow refused its input (see ``admit``), else None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every process's ``@workflow.run`` ends by a case event (END-2) the same way."""
        super().__init_subclass__(**kwargs)
        run = cls.__dict__.get("run")
        wraps = hasattr(run, "__temporal_workflow_run") and not hasattr(run, "_ends_for_case_event")
        if run is not None and wraps:
            cls.run = _ending_run(run)  # type: ignore[attr-defined]

    @classmethod
    def build_input(cls, request: Any, ctx: StartContext) -> Any:
        raise NotImplementedError

    @classmethod
    def proposals(cls, details: dict[str, Any], profile: Profile, now: datetime) -> dict[str, dict[str, Any]]:
        """The values the forms of open actions propose, by action and field, as form values
        (computed at the moment the form is shown, from the process's ``details`` and the rules):
        a text, a list of texts, a mapping for a nested dataclass, a list of mappings for rows.

        By default what the workflow itself published as ``details["proposals"]`` (e.g. EXT-5's
        back-dated decision date); a process whose proposals depend on the moment overrides this."""
        published = details.get("proposals")
        return published if isinstance(published, dict) else {}

    @classmethod
    def offered(cls, details: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
        """The items a field of an open action's form may name, by action and field (ids in the
        order offered), where the process knows better than the case: e.g. the visits pending
        review (UC-5). A field not listed offers the case's current items of its kind
        (``api.ui.choices``); by default nothing is narrowed."""
        return {}

    @classmethod
    def actions_without_task(cls, details: dict[str, Any]) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Actions open without a task of their own (action → its title and the roles that may
        perform it), e.g. the follow-up cycle's ``start_now`` (FU-1) while no follow-up runs; the
        pages offer them as optional actions. By default none."""
        return {}

    @classmethod
    def continues_at(cls, action: str, details: dict[str, Any]) -> str | None:
        """The process a person continues with after ``action`` (e.g. the follow-up the cycle's
        ``start_now`` started); None: this one."""
        return None

    @classmethod
    def hidden_fields(cls, details: dict[str, Any]) -> dict[str, frozenset[str]]:
        """The fields of an action's form to leave out for this process (by action), e.g. those
        its mode cannot submit; by default none: propose and show only what the form can submit."""
        return {}

    @classmethod
    def once_per_case(cls, inp: Any) -> str | None:
        return None

    @classmethod
    def concerns_unit(cls, inp: Any) -> str | None:
        provider: str | None = getattr(inp, "provider_id", None)
        return provider

    @classmethod
    def concerns_units(cls, inp: Any) -> frozenset[str]:
        unit = cls.concerns_unit(inp)
        return frozenset({unit} if unit else ())

    @classmethod
    def check_input(cls, inp: Any) -> None:
        """Raise ValueError (Swedish) when the process cannot run on ``inp``: by default a date or
        instant outside the calendar's years, or an instant without offset. Pure; subclasses add
        their own checks. A workflow started with such an input fails at once (``refuse``) instead
        of failing its workflow task forever on a deadline rule."""
        limits.check_dates(inp)

    def admit(self, inp: Any) -> bool:
        """In ``@workflow.init``, right after ``_setup``: whether ``inp`` passes ``check_input``.
        If not, the reason is kept and the rest of the init must be skipped (it may raise on the
        input); ``run`` then calls ``refuse`` before any effect, so nothing reaches the read model."""
        try:
            self.check_input(inp)
        except ValueError as error:
            self.refusal = str(error)
            return False
        return True

    def refuse(self) -> None:
        """First thing in ``run``: a refused input fails the workflow visibly (ApplicationError of
        kind Invalid, the API answers 422), never the workflow task."""
        if self.refusal is not None:
            raise ApplicationError(
                f"Processen startades inte: {self.refusal}", type=INVALID, non_retryable=True
            )

    def _setup(
        self,
        case_id: str,
        profile: Profile,
        case_worker_id: str | None = None,
        provider_id: str | None = None,
    ) -> None:
        self.profile = profile
        self.ref = ProcessRef(
            process_id=workflow.info().workflow_id,
            process_type=self.process_type,
            case_id=case_id,
            municipality=profile.name,
            case_worker_id=case_worker_id,
            provider_id=provider_id,
        )
        self.refusal = None
        self.timeline: list[TimelineEntry] = []
        self.effects = Effects(self.ref)
        self.effects.fault_mailbox = profile.mailboxes.senior_case_worker
        self.effects.on_fault = self.deviation
        self.steps = Steps(self.effects, self.timeline)
        self.steps.on_change = self._publish_next_due
        self.stage = "started"
        self.outcome: str | None = None
        self.deviations: list[str] = []
        self.deadlines: dict[str, datetime] = {}
        self.details: dict[str, Any] = {}
        self.provider_role = PROVIDER  # the role of the unit ``provider_step`` opens steps for
        self._started_at = workflow.now()
        self.closed = False  # the read model says completed
        self._case_ending: CaseEnding | None = None
        # The units the process concerns (who may see it); subclasses set their own in their init.
        self.units: set[str] = {provider_id} if provider_id else set()
        self._published_due: datetime | None = None  # NextDueAt as last upserted (issue 9)
        self._due_published = False

    @workflow.query
    def state(self) -> ProcessState:
        """The process as the HTTP contract shows it."""
        return ProcessState(
            process_id=self.ref.process_id,
            type=self.process_type,
            case_id=self.ref.case_id,
            stage=self.stage,
            open_tasks=[step.view() for step in self.steps.open_steps()],
            deadlines=dict(self.deadlines),
            deviations=list(self.deviations),
            outcome=self.outcome,
            details=calendar.localised(self.details),
            timeline=list(self.timeline),
        )

    @workflow.update
    async def ready(self) -> ProcessState:
        """Returns once the process has opened its first steps: the API answers a start with it."""
        await workflow.wait_condition(lambda: self.steps.idle)
        return self.state()

    @ready.validator
    def _check_ready(self) -> None:
        if self.refusal is not None:
            raise invalid(f"Processen startades inte: {self.refusal}")

    @workflow.update
    async def end_for_case_event(self, ending: CaseEnding) -> ProcessState:
        """END-2: a case event (e.g. a death) ends the process, whatever it waits for: open steps
        are cancelled, the outcome ``ended_by_<event>`` recorded, no deadline fires any more.
        Answers once the read model says completed. 409 when the process has already ended."""
        if self._case_ending is None:
            self._case_ending = ending
            self.steps.end(ending.reason or ending.outcome)
        await workflow.wait_condition(lambda: self.closed)
        return self.state()

    @end_for_case_event.validator
    def _check_end_for_case_event(self, ending: CaseEnding) -> None:
        if self.refusal is not None:
            raise invalid(f"Processen startades inte: {self.refusal}")
        if self.outcome is not None or self.closed:
            raise not_open("Processen är redan avslutad.")
        if ending.actor.role in NOT_ENDING_ROLES:
            raise forbidden("Rollen kan inte avsluta processer.")
        problem = limits.date_problem(ending)
        if problem is not None:
            raise invalid(problem)

    async def on_case_ending(self, ending: CaseEnding) -> None:
        """What a process records of its own when a case event ends it (e.g. an order ends on the
        event's date); by default nothing. Runs before the open steps are cancelled."""

    async def _end_for_case_event(self) -> ProcessState:
        ending = self._case_ending
        assert ending is not None  # ProcessEnding is raised only once it is set
        workflow.patched(CASE_EVENT_ENDING)
        await self.on_case_ending(ending)
        text = ending.reason or f"Processen avslutas: {ending.event} {ending.on.isoformat()}."
        return await self.close(ending.outcome, text, ending.actor)

    async def _start(self, stage: str, summary: str, at: datetime | None = None) -> None:
        """Publish identity and first stage: search attributes, read model, UI details.

        ``at`` is when the starting event really happened (e.g. an order sent earlier), so the
        timeline reads in the order things happened."""
        ref = self.ref
        workflow.upsert_search_attributes(
            [
                search.CASE_ID.value_set(ref.case_id),
                search.PROCESS_TYPE.value_set(ref.process_type),
                search.MUNICIPALITY.value_set(ref.municipality),
                *([search.PROVIDER_ID.value_set(ref.provider_id)] if ref.provider_id else []),
                *([search.CASE_WORKER_ID.value_set(ref.case_worker_id)] if ref.case_worker_id else []),
            ]
        )
        self.note(SYSTEM, summary, at=at)
        await self.set_stage(stage)
        await self._end_if_case_closed()

    def ends_with_closed_case(self) -> bool:
        """Whether the process ends itself when it starts on a case a death has closed (END-2);
        every process does but the death's own case event."""
        return True

    async def _end_if_case_closed(self) -> None:
        """END-2: a process that starts on a case a death has closed ends at once, as the death
        ended the others, its orders ending on the date of death. This catches what the death
        cannot: a process another process started just before the death (an order after extra
        visits, a follow-up of the cycle) whose row was not yet in the read model when the death
        listed the case's running processes. The process's own row is committed first and the
        case read after it; the death commits ``closed_at`` first and lists the rows after it, so
        whichever comes second sees the other (api/case_closing.py)."""
        if not self.ends_with_closed_case() or not workflow.patched(CASE_CLOSED_AT_START):
            return
        await self.effects.flush()
        closure = await workflow.execute_local_activity_method(
            ReadModelActivities.case_closure,
            self.ref.case_id,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
            summary="Är ärendet avslutat genom dödsfall (END-2)?",
        )
        if closure.died_on is None:
            return
        if self._case_ending is None:  # else the death's own end arrived meanwhile
            self._case_ending = death_ending(SYSTEM, closure.died_on, closure.death_process_id)
            self.steps.end(self._case_ending.reason)
        self.steps.interrupt()  # ProcessEnding: ``run`` ends through ``_end_for_case_event``

    async def set_stage(self, stage: str, status: str = "running") -> None:
        self.stage = stage
        workflow.upsert_search_attributes([search.STAGE.value_set(stage)])
        workflow.set_current_details(f"Läge: {stage}")
        await self.effects.record_process(
            ProcessRecord(
                process_id=self.ref.process_id,
                process_type=self.process_type,
                case_id=self.ref.case_id,
                stage=stage,
                status=status,
                started_at=self._started_at,
                outcome=self.outcome,
                closed_at=workflow.now() if status == "completed" else None,
                provider_id=self.ref.provider_id,
                units=sorted(self.units),
            )
        )

    async def join_unit(self, unit: str) -> None:
        """A unit joins the process (e.g. the chosen provider named later): from now on it sees
        the process, its tasks and its history (``process_units``)."""
        if unit in self.units:
            return
        self.units.add(unit)
        await self.set_stage(self.stage)

    async def close(self, outcome: str, text: str, actor: Actor = SYSTEM) -> ProcessState:
        """End the process: open steps are cancelled, the read model says completed."""
        self.outcome = outcome
        self.note(actor, text)
        await self.steps.finish(text)
        await self.set_stage("closed", status="completed")
        await self.effects.flush()  # everything written before the answers (issue 9)
        self.closed = True
        # Only now answer the action that closed the process, so its answer says "closed"; and
        # let every handler finish before the workflow completes.
        self.steps.release()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def complete_step(self, action_name: str, action: Action) -> ProcessState:
        """The body of an action's update: complete its step; answer with the state after the reaction."""
        await self.steps.complete(action_name, action)
        return self.state()

    async def cancel_if_open(self, action_name: str, reason: str) -> None:
        """Cancel the open step of the action, if there is one."""
        step = self.steps.find_open(action_name)
        if step is not None:
            await self.steps.cancel(step, reason)

    async def start_order(self, order_id: str, summary: str, **order: Any) -> str:
        """Start an order (ORD-*) for this process's case as a child process of its own, which
        outlives this one; ``order`` holds the OrderInput fields besides the case, the profile and
        the responsible case worker. ``summary`` is the Swedish line the Temporal UI shows."""
        inp = OrderInput(
            case_id=self.ref.case_id,
            profile=self.profile,
            case_worker_id=self.ref.case_worker_id,
            **order,
        )
        await workflow.start_child_workflow(
            "order",
            inp,
            id=order_id,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            static_summary=summary,
        )
        return order_id

    async def record_decision(
        self,
        decision_id: str,
        kind: str,
        services: list[str],
        start_date: date,
        *,
        end_date: date | None = None,
        new_case: bool = False,
    ) -> None:
        """Record the process's decision for its case in the read model, and (FU-1) hand it to
        the case's follow-up cycle, which starts with the case's first decision. ``new_case``:
        the decision of a new case, first followed up two months later (FU-2, NEW-7)."""
        await self.effects.record_decision(
            DecisionRecord(
                decision_id=decision_id,
                case_id=self.ref.case_id,
                kind=kind,
                services=list(services),
                start_date=start_date,
                end_date=end_date,
                process_id=self.ref.process_id,
            )
        )
        # Processes running since before the cycle existed replay without this activity.
        if workflow.patched("follow-up-cycle-on-decision"):
            granted = DecisionGranted(
                decision_id=decision_id,
                start_date=start_date,
                end_date=end_date,
                new_case=new_case,
                services=list(services),
                kind=kind,
            )
            await decision_to_cycle(self.ref, self.profile, granted)

    async def end_decision(self, decision_id: str, ended_on: date) -> None:
        """A decision of the process ends on ``ended_on`` (local date): in the read model, and in
        the case's follow-up cycle (FU-1: it lives to that date)."""
        await follow_up_effects.end_decision(DecisionEnd(decision_id, self.ref.case_id, ended_on))
        cycle = workflow.get_external_workflow_handle(cycle_id(self.ref.case_id))
        with contextlib.suppress(FailureError):  # the cycle has ended: no decision lives on
            await cycle.signal("decision_ended", DecisionEnded(decision_id, ended_on))

    async def provider_step(
        self, action: str, title: str, due_at: datetime | None = None, not_before: datetime | None = None
    ) -> Step:
        """Open a step for the process's provider (the unit ``ref.provider_id``, acting in
        ``provider_role``); a missed deadline reaches the case workers. ``not_before``: the earliest
        real moment of its action (see ``Steps.open``)."""
        return await self.steps.open(
            action,
            role=self.provider_role,
            org=self.ref.provider_id,
            title=title,
            due_at=due_at,
            escalate_to=CASE_WORKER if due_at else None,
            escalation_mailbox=self.profile.mailboxes.case_workers if due_at else None,
            not_before=not_before,
        )

    async def case_worker_step(
        self, action: str, title: str, due_at: datetime | None = None, not_before: datetime | None = None
    ) -> Step:
        """Open a step for the case worker; COM-7: a missed deadline escalates to the senior case
        worker. ``not_before``: the earliest real moment of its action (see ``Steps.open``)."""
        return await self.steps.open(
            action,
            role=CASE_WORKER,
            title=title,
            due_at=due_at,
            escalate_to=SENIOR_CASE_WORKER if due_at else None,
            escalation_mailbox=self.profile.mailboxes.senior_case_worker if due_at else None,
            not_before=not_before,
        )

    def note(self, actor: Actor, text: str, at: datetime | None = None) -> None:
        self.timeline.append(TimelineEntry(at=at or workflow.now(), actor=actor.label, text=text))

    def deviation(self, text: str) -> None:
        self.deviations.append(text)
        self.note(SYSTEM, f"Avvikelse: {text}")

    def _publish_next_due(self) -> None:
        due = self.steps.next_due()
        # Issue 9: runs that batch their writes upsert only a changed value (one command and one
        # visibility write less per recorded step); earlier histories upserted every time.
        if self.effects.batched:
            if self._due_published and self._published_due == due:
                return
            self._published_due, self._due_published = due, True
        workflow.upsert_search_attributes(
            [search.NEXT_DUE_AT.value_set(due) if due else search.NEXT_DUE_AT.value_unset()]
        )
