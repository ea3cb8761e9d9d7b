"""The homecoming-team handover (HT-1..HT-6; N1, N2 5.8; B).

From hospital discharge planning or a short-term-stay follow-up (HT-1) the case worker starts:

- ``simplified`` (HT-2, HT-3): the simplified decisions are recorded at the start (home care tied to
  "Hemgångsteam" with the profile's standard time, night help in the same decision, safety alarm
  and meal distribution as separate decisions); ``send_order`` sends the orders to the team, the
  alarm team and the night district, each with its "övrigt"; the team's ``announce_handover`` is on
  time no later than the 2nd working day before the handover date, a later one is a deviation and
  opens the senior case worker's ``dialogue``; the case worker's ``follow_up`` (a new decision if
  needed) and ``move_order`` to the chosen provider end the team's order on the handover date.
- ``regular`` (HT-4): the decision is recorded at the start; ``send_team_info`` (the template),
  then ``send_order`` to the team; the team's ``announce_handover`` (the services to hand over) goes
  to the case workers' and the chosen provider's mailboxes and is on time at least 24 clock hours
  before the planned handover; the case worker follows up with the person or moves the order
  without a follow-up.
- ``reverse`` (HT-5): the provider's ``request_takeover`` (reason, period); the case worker moves
  the order to the team; the provider's ``hand_back``; the case worker moves it back.

HT-6 (profiles with ``homecoming.discharge_rule``): the team's order must be executed by the end of
the discharge start day (unchanged need) or within 24 hours on working days of the contact
(increased need); that is the order's execution deadline.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from workflows import calendar, homecoming_start, limits
    from workflows.effects import AUTHORITY_JOURNAL, PROVIDER_JOURNAL
    from workflows.glossary import decision_kind_label
    from workflows.io.homecoming import (
        AnnounceHandover,
        Dialogue,
        FollowUp,
        HandBack,
        HomecomingInput,
        MoveOrder,
        RequestTakeover,
        SendOrder,
        SendTeamInfo,
        StartHomecoming,
    )
    from workflows.io.order import EndOrder
    from workflows.model import (
        CASE_WORKER,
        HOMECOMING_TEAM,
        PROVIDER,
        SENIOR_CASE_WORKER,
        Action,
        Actor,
        FieldError,
        ProcessState,
        StartContext,
        rule_check,
    )
    from workflows.process import ProcessWorkflow
    from workflows.profiles import Deadlines, Profile, provider_mailbox
    from workflows.rules import homecoming as rules
    from workflows.rules.order import ServiceItem


@workflow.defn(name="homecoming")
class HomecomingWorkflow(ProcessWorkflow):
    process_type = "homecoming"
    ONE_RUNNING_PER_CASE = True  # one handover at a time per person (409 for a second)
    START_ROLES = (CASE_WORKER, PROVIDER)  # the provider only for HT-5 (reverse)
    START_REQUEST = StartHomecoming
    ACTIONS: ClassVar[dict[str, type[Action]]] = {
        "send_team_info": SendTeamInfo,
        "send_order": SendOrder,
        "announce_handover": AnnounceHandover,
        "dialogue": Dialogue,
        "follow_up": FollowUp,
        "move_order": MoveOrder,
        "request_takeover": RequestTakeover,
        "hand_back": HandBack,
    }

    @classmethod
    def build_input(cls, request: StartHomecoming, ctx: StartContext) -> HomecomingInput:
        return homecoming_start.build_input(request, ctx)

    @classmethod
    def proposals(cls, details: dict[str, Any], profile: Profile, now: datetime) -> dict[str, dict[str, Any]]:
        return homecoming_start.proposals(details, profile, now)

    @classmethod
    def hidden_fields(cls, details: dict[str, Any]) -> dict[str, frozenset[str]]:
        return homecoming_start.hidden_fields(details)

    @classmethod
    def concerns_units(cls, inp: HomecomingInput) -> frozenset[str]:
        """Who sees the process: the homecoming team and the chosen provider (HT-5: the case's
        provider); never the alarm team or the night district, which see only their orders."""
        return frozenset(unit for unit in (inp.team_id, inp.provider_id) if unit)

    @classmethod
    def check_input(cls, inp: HomecomingInput) -> None:
        """Besides the calendar's years: the units' ids and the services' names within the
        shared limits; night help a positive time (HT-2)."""
        super().check_input(inp)
        limits.check_id(inp.team_id, "team_id")
        limits.check_id(inp.provider_id, "chosen_provider_id")
        limits.check_id(inp.night_district_id, "night_district_id")
        for order_id in inp.provider_orders:
            limits.check_text(order_id, "provider_orders", 200)
        for item in inp.items:
            limits.check_name(item.name, "insatsen", required=True)
        if inp.night_help_minutes is not None and not 0 < inp.night_help_minutes <= 100_000:
            raise FieldError(
                "Natthjälpens tid (night_help_minutes) anges i minuter per månad, 1-100000.",
                "night_help_minutes",
            )

    @workflow.init
    def __init__(self, inp: HomecomingInput) -> None:
        self._setup(inp.case_id, inp.profile, inp.case_worker_id, inp.team_id)
        self.inp = inp
        self.units = set(self.concerns_units(inp))
        self.handover_day: date | None = None
        self.planned_at: datetime | None = None
        self.receiver: str | None = None  # who the next move_order sends to
        self.acted_at = workflow.now()  # when the action being reacted to was performed
        self.moved = False
        self.team_orders: list[str] = []  # the team's orders this process sent (ended on a move)
        self.orders_sent = 0
        self.orders_sent_at = workflow.now()  # when the team's orders were sent (HT-3's origin)
        self.announced_at: datetime | None = None
        self.moved_to_team_on: date | None = None  # HT-5: the day the team took over
        if not self.admit(inp):
            return
        self.details = {
            "mode": inp.mode,
            "origin": inp.origin,
            "team_id": inp.team_id,
            "chosen_provider_id": inp.provider_id,
            "decision_date": inp.decision_date.isoformat(),
        }

    @workflow.run
    async def run(self, inp: HomecomingInput) -> ProcessState:
        self.refuse()
        await self._begin()
        while True:
            step = await self.steps.next()
            assert step is not None  # no ``until``: only a completed step ends the wait
            self.acted_at = step.done_at or workflow.now()
            match step.action:
                case "send_team_info":
                    await self._team_informed(step.result)
                case "send_order":
                    await self._send_orders(step.result)
                case "announce_handover":
                    await self._announced(step.result)
                case "dialogue":
                    await self._dialogue_held(step.result)
                case "follow_up":
                    await self._followed_up(step.result)
                case "move_order":
                    await self._move(step.result)
                case "request_takeover":
                    await self._takeover_requested(step.result)
                case "hand_back":
                    await self._handed_back(step.result)
            if self._finished():
                return await self._close_handed_over(step.result.actor)

    # -- updates ----------------------------------------------------------------------------

    @workflow.update
    async def send_team_info(self, action: SendTeamInfo) -> ProcessState:
        return await self.complete_step("send_team_info", action)

    @send_team_info.validator
    def _check_send_team_info(self, action: SendTeamInfo) -> None:
        self.steps.check("send_team_info", action)
        with rule_check():
            limits.check_text(
                action.information, "informationen till hemgångsteamet", required=True, at="information"
            )
            limits.check_text(action.contacts, "kontaktuppgifterna", at="contacts")

    @workflow.update
    async def send_order(self, action: SendOrder) -> ProcessState:
        return await self.complete_step("send_order", action)

    @send_order.validator
    def _check_send_order(self, action: SendOrder) -> None:
        self.steps.check("send_order", action)
        with rule_check():
            rules.check_order_start(action.start_date, workflow.now())
            for name in ("other", "alarm_other", "night_other"):
                limits.check_text(getattr(action, name), "övrigt", at=name)
            if self.inp.mode != rules.SIMPLIFIED and (action.alarm_other or action.night_other):
                raise FieldError(
                    "Larmteamet och nattdistriktet får beställningar bara vid förenklat beslut.",
                    *(name for name in ("alarm_other", "night_other") if getattr(action, name)),
                )

    @workflow.update
    async def announce_handover(self, action: AnnounceHandover) -> ProcessState:
        return await self.complete_step("announce_handover", action)

    @announce_handover.validator
    def _check_announce_handover(self, action: AnnounceHandover) -> None:
        self.steps.check("announce_handover", action)
        with rule_check():
            rules.check_handover(
                self.inp.mode, action.handover_date, action.planned_at, action.services, self._when(action)
            )
            limits.check_text(action.note, "anteckningen", at="note")
            for service in action.services:
                limits.check_name(service, "insatsen", at="services")

    @workflow.update
    async def dialogue(self, action: Dialogue) -> ProcessState:
        return await self.complete_step("dialogue", action)

    @dialogue.validator
    def _check_dialogue(self, action: Dialogue) -> None:
        self.steps.check("dialogue", action)
        with rule_check():
            limits.check_text(
                action.note, "vad dialogen med hemgångsteamet kom fram till", required=True, at="note"
            )

    @workflow.update
    async def follow_up(self, action: FollowUp) -> ProcessState:
        return await self.complete_step("follow_up", action)

    @follow_up.validator
    def _check_follow_up(self, action: FollowUp) -> None:
        self.steps.check("follow_up", action)
        with rule_check():
            rules.check_follow_up(
                action.new_decision, action.services, action.decision_date, self._decision_window()
            )
            limits.check_text(action.note, "anteckningen", at="note")
            for service in action.services:
                limits.check_name(service, "insatsen", at="services")

    @workflow.update
    async def move_order(self, action: MoveOrder) -> ProcessState:
        return await self.complete_step("move_order", action)

    @move_order.validator
    def _check_move_order(self, action: MoveOrder) -> None:
        self.steps.check("move_order", action)
        with rule_check():
            rules.check_move(
                action.provider_id,
                self.receiver,
                self.inp.team_id,
                self.inp.mode == rules.REVERSE,
                self.handover_day,
                action.start_date,
                action.items,
            )
            limits.check_id(action.provider_id, "provider_id")
            limits.check_text(action.other, "övrigt", at="other")
            for item in action.items:
                limits.check_name(item.name, "insatsen", required=True, at="items")

    @workflow.update
    async def request_takeover(self, action: RequestTakeover) -> ProcessState:
        return await self.complete_step("request_takeover", action)

    @request_takeover.validator
    def _check_request_takeover(self, action: RequestTakeover) -> None:
        self.steps.check("request_takeover", action)
        with rule_check():
            limits.check_text(
                action.reason, "skälet till att hemgångsteamet ska ta över", required=True, at="reason"
            )
            rules.check_period(action.period_start, action.period_end, self._when(action))

    @workflow.update
    async def hand_back(self, action: HandBack) -> ProcessState:
        return await self.complete_step("hand_back", action)

    @hand_back.validator
    def _check_hand_back(self, action: HandBack) -> None:
        self.steps.check("hand_back", action)
        with rule_check():
            rules.check_date_ahead(action.back_on, self._when(action), "Datum för återlämning", "back_on")
            rules.check_hand_back(action.back_on, self.moved_to_team_on)  # HT-5
            limits.check_text(action.note, "anteckningen", at="note")

    # -- reactions --------------------------------------------------------------------------

    def _decision_window(self) -> tuple[date, date]:
        """HT-3 / HT-4: a new home-care decision after the follow-up applies from the handover at
        the latest, and is not dated before the announcement (nor before the homecoming decision)."""
        assert self.handover_day is not None  # the follow-up opens after the announcement
        announced = calendar.local_date(self.announced_at or workflow.now())
        return max(announced, self.inp.decision_date), self.handover_day

    @staticmethod
    def _when(action: Action) -> datetime:
        """In a validator: the moment the action refers to."""
        return action.occurred_at or workflow.now()

    def _expect_move(self, day: date, receiver: str | None) -> None:
        """The next move_order: to whom, starting which day (also the forms' proposals)."""
        self.handover_day, self.receiver = day, receiver
        self.details.update(move_start_date=day.isoformat(), receiver=receiver)

    @property
    def _rules(self) -> Deadlines:
        return self.profile.deadlines

    @property
    def _case_workers(self) -> str:
        return self.profile.mailboxes.case_workers

    async def _begin(self) -> None:
        inp = self.inp
        mode = rules.MODE_LABELS[inp.mode]
        origin = "" if inp.mode == rules.REVERSE else f", efter {rules.ORIGIN_LABELS[inp.origin]}"
        await self._start("started", f"Hemgång med hemgångsteam: {mode}{origin} (HT-1)")
        self.note(inp.started_by, f"Startade processen ({mode}), hemgångsteam {inp.team_id}")
        if inp.discharge_need is not None and inp.called_at is not None:
            await self._discharge_timing()
        if inp.mode == rules.REVERSE:
            await self.set_stage("takeover_requested")
            await self.steps.open(
                "request_takeover",
                role=PROVIDER,
                org=inp.provider_id,
                title="Begär att hemgångsteamet tar över ärendet under en period",
                not_before=self._started_at,
            )
            return
        await self._record_decisions()
        decided = calendar.at_local(inp.decision_date, time(0, 0))  # the origin of the first step
        if inp.mode == rules.REGULAR:
            await self.case_worker_step(
                "send_team_info",
                "Skicka information till hemgångsteamet enligt mallen (så snart som möjligt)",
                not_before=decided,
            )
        else:
            await self._open_send_order(decided)

    async def _discharge_timing(self) -> None:
        """HT-6: when the services must have started after the hospital discharge."""
        inp = self.inp
        assert inp.discharge_need is not None and inp.called_at is not None
        hours = self.profile.homecoming.discharge_call_before
        due = rules.discharge_due(inp.discharge_need, inp.called_at, hours)
        self.deadlines["services_start"] = due
        self.details.update(
            discharge_need=inp.discharge_need,
            called_at=calendar.local(inp.called_at).isoformat(),
            services_start_on=calendar.local_date(due).isoformat(),
        )
        self.note(
            inp.started_by,
            f"Utskrivning från sjukhus, {rules.NEED_LABELS[inp.discharge_need]}: insatserna ska ha "
            f"startat senast {calendar.local(due):%Y-%m-%d %H:%M} (HT-6)",
            at=inp.called_at,
        )

    async def _record_decisions(self) -> None:
        """HT-2 (simplified) / HT-4 (regular): the decisions of the start, in the read model and
        the authority journal."""
        inp, decided = self.inp, self.inp.decision_date
        if inp.mode == rules.SIMPLIFIED:
            planned = rules.simplified_decisions(
                self.profile.homecoming_standard_minutes,
                inp.night_help_minutes,
                inp.safety_alarm,
                inp.meal_distribution,
            )
        else:
            planned = [rules.PlannedDecision("home_care", "care", [item.name for item in inp.items])]
        decisions: dict[str, str] = {}
        for number, decision in enumerate(planned, start=1):
            decision_id = f"{self.ref.process_id}/decision/{number}"
            decisions[decision.key] = decision_id
            await self.record_decision(decision_id, decision.kind, decision.services, decided)
            kind = decision_kind_label(decision.kind)
            text = f"Beslut om {kind} från {decided.isoformat()}: {', '.join(decision.services)}."
            await self.effects.journal(AUTHORITY_JOURNAL, text, inp.started_by, workflow.now())
            self.note(inp.started_by, text)
        self.details["decisions"] = decisions

    async def _open_send_order(self, since: datetime) -> None:
        await self.set_stage("decided")
        if self.inp.mode == rules.SIMPLIFIED:  # which "övrigt" the form asks for
            self.details["planned_orders"] = [
                order.key
                for order in rules.simplified_orders(
                    self.profile.homecoming,
                    self.inp.team_id,
                    self.inp.night_district_id,
                    self.profile.homecoming_standard_minutes,
                    self.inp.night_help_minutes,
                    self.inp.safety_alarm,
                    self.inp.meal_distribution,
                )
            ]
        await self.case_worker_step(
            "send_order", "Skicka beställningarna (med övrigt för uppstarten)", not_before=since
        )

    async def _team_informed(self, action: SendTeamInfo) -> None:
        """HT-4: the template information to the team's mailbox, then the order."""
        contacts = f"\nKontakter: {action.contacts}" if action.contacts else ""
        body = f"{action.information}{contacts}"
        await self.effects.message(
            provider_mailbox(self.inp.team_id), "Information inför hemgång", body, action.actor
        )
        self.note(
            action.actor, f"Information skickad till hemgångsteamet {self.inp.team_id}", at=self.acted_at
        )
        await self._open_send_order(self.acted_at)

    async def _send_orders(self, action: SendOrder) -> None:
        """HT-2 / HT-4: one order per receiver, each with its own "övrigt" (COM-4)."""
        inp = self.inp
        if inp.mode == rules.SIMPLIFIED:
            planned = rules.simplified_orders(
                self.profile.homecoming,
                inp.team_id,
                inp.night_district_id,
                self.profile.homecoming_standard_minutes,
                inp.night_help_minutes,
                inp.safety_alarm,
                inp.meal_distribution,
            )
        else:
            planned = [rules.PlannedOrder("team", inp.team_id, list(inp.items))]
        others = {"team": action.other, "alarm": action.alarm_other, "night": action.night_other}
        orders: dict[str, str] = {}
        for order in planned:
            due = self.deadlines.get("services_start") if order.key == "team" else None
            orders[order.key] = await self._start_order(
                order.receiver, action.start_date, order.items, others[order.key], action, due
            )
        self.team_orders.append(orders["team"])
        self.details["orders"] = orders
        self.orders_sent_at = self.acted_at
        await self.set_stage("with_team")
        await self.steps.open(
            "announce_handover",
            role=HOMECOMING_TEAM,
            org=inp.team_id,
            title="Meddela datum för överlämning till vald hemtjänst",
            # HT-3: an announcement cannot predate the team's order (nor count as on time then).
            not_before=self.orders_sent_at,
        )

    async def _announced(self, action: AnnounceHandover) -> None:
        """HT-3 / HT-4: who announced what and when, and whether it was on time."""
        at, mode, planned = self.acted_at, self.inp.mode, action.planned_at
        day = calendar.local_date(planned) if planned is not None else action.handover_date
        assert day is not None  # the validator insists on a date (simplified) or a moment (regular)
        if planned is None:
            on_time = rules.simplified_on_time(at, day, self._rules)
            limit = rules.simplified_announce_by(day, self._rules).isoformat()
        else:
            by = rules.regular_announce_by(planned, self._rules)
            on_time = rules.regular_on_time(at, planned, self._rules)
            limit = f"{calendar.local(by):%Y-%m-%d %H:%M}"
            self.planned_at = planned
            self.details["planned_handover_at"] = calendar.local(planned).isoformat()
        self._expect_move(day, self.inp.provider_id)
        self.announced_at = at
        text = rules.announcement_text(mode, day, planned, action.services, on_time, limit, action.note)
        self.details.update(
            handover_date=day.isoformat(),
            announced_at=calendar.local(at).isoformat(),
            announced_by=action.actor.label,
            announce_by=limit,
            announcement_on_time=on_time,
        )
        if action.services:
            self.details["services_to_hand_over"] = list(action.services)
        self.note(action.actor, text, at=at)
        subject = "Överlämning från hemgångsteamet"
        await self.effects.message(self._case_workers, subject, text, action.actor)
        if mode == rules.REGULAR and self.receiver is not None:  # HT-4: also to the chosen provider
            await self.effects.message(provider_mailbox(self.receiver), subject, text, action.actor)
        await self.effects.journal(PROVIDER_JOURNAL, text, action.actor, at)
        if not on_time:
            await self._late(mode, limit)
        await self._open_follow_up_and_move()

    async def _late(self, mode: str, limit: str) -> None:
        rule = "HT-3" if mode == rules.SIMPLIFIED else "HT-4"
        self.deviation(f"Överlämningen meddelades för sent, senast {limit} ({rule}).")
        if mode == rules.SIMPLIFIED:  # HT-3: the senior case worker's dialogue with the team
            await self.steps.open(
                "dialogue",
                role=SENIOR_CASE_WORKER,
                title="För sent meddelad överlämning: för dialog med hemgångsteamet",
                not_before=self.announced_at,
            )

    async def _open_follow_up_and_move(self) -> None:
        """HT-3: the case worker follows up, then moves the order; HT-4: follows up with the person
        or moves the order without a follow-up. Both due before the handover."""
        assert self.handover_day is not None and self.announced_at is not None
        due = rules.move_due(self.handover_day, self.planned_at, self.announced_at)
        self.deadlines["move_order"] = due
        await self.set_stage("handover_announced")
        await self.case_worker_step(
            "follow_up",
            "Följ upp inför överlämningen (beslut vid behov)",
            due,
            not_before=self.announced_at,
        )
        if self.inp.mode == rules.REGULAR:
            await self._open_move("Flytta beställningen till vald hemtjänst (med eller utan uppföljning)")

    async def _open_move(self, title: str) -> None:
        """The move is answered to the event that asked for it (the announcement, the provider's
        request or hand-back): its action is not dated before that (``acted_at``)."""
        await self.case_worker_step(
            "move_order", title, self.deadlines.get("move_order"), not_before=self.acted_at
        )

    async def _dialogue_held(self, action: Dialogue) -> None:
        deviate = " Anledning finns att frångå ordinarie uppdrag." if action.deviate_from_order else ""
        text = f"Dialog med hemgångsteamet om den sena överlämningen: {action.note}{deviate}"
        self.details["dialogue"] = {"by": action.actor.label, "note": action.note}
        await self.effects.journal(AUTHORITY_JOURNAL, text, action.actor, self.acted_at)
        self.note(action.actor, text, at=self.acted_at)

    async def _followed_up(self, action: FollowUp) -> None:
        """HT-3 / HT-4: the follow-up, a new home-care decision when needed, then the move."""
        at = self.acted_at
        held = calendar.local_date(at)
        contact = "med brukaren" if action.contacted_person else "utan kontakt med brukaren"
        text = f"Uppföljning inför överlämning från hemgångsteamet {held.isoformat()} ({contact})."
        decision_id = None
        if action.new_decision:
            assert action.decision_date is not None  # the validator insists on it
            decision_id = f"{self.ref.process_id}/decision/follow-up"
            await self.record_decision(decision_id, "care", action.services, action.decision_date)
            services = ", ".join(action.services)
            text += f" Nytt beslut om hemtjänst från {action.decision_date.isoformat()}: {services}."
        else:
            text += " Behovet kvarstår; inget nytt beslut."
        text += f" {action.note}" if action.note else ""
        self.details["followed_up"] = {
            "on": held.isoformat(),
            "by": action.actor.label,
            "new_decision": action.new_decision,
            # the move's proposed items (HT-3 / HT-4): the new decision's services
            "services": list(action.services) if action.new_decision else [],
        }
        await self.effects.journal(AUTHORITY_JOURNAL, text, action.actor, at)
        await self.effects.follow_up_event(text, decision_id=decision_id, held_on=held)
        self.note(action.actor, text, at=at)
        if self.steps.find_open("move_order") is None:
            await self._open_move("Flytta beställningen till vald hemtjänst")

    async def _move(self, action: MoveOrder) -> None:
        receiver = action.provider_id or self.receiver
        assert receiver is not None  # the validator insists on one
        await self.cancel_if_open("follow_up", "beställningen flyttas utan uppföljning")
        to_team = receiver == self.inp.team_id
        if not to_team:
            await self.join_unit(receiver)  # the chosen provider sees the process from now on
        # HT-5: while the team holds the case the provider's own orders end; back, the team's end.
        ending = list(self.inp.provider_orders) if to_team else list(self.team_orders)
        items = list(action.items)
        if self.inp.mode == rules.SIMPLIFIED and self.inp.meal_distribution:
            items = rules.with_meals(items)  # HT-2: meals came with the team's order; they go on
        order_id = await self._start_order(receiver, action.start_date, items, action.other, action)
        if to_team:
            self.team_orders.append(order_id)
            self.moved_to_team_on = action.start_date
        for previous in ending:
            await self._end_order(previous, action.start_date, f"flyttad till {receiver}", action.actor)
        home_care = self.details.get("decisions", {}).get("home_care")
        if self.inp.mode == rules.SIMPLIFIED and home_care:
            # HT-2 / HT-3: the decision tied to "Hemgångsteam" ends on the handover date.
            await self.end_decision(home_care, action.start_date)
            self.note(action.actor, f"Beslutet om hemgångsteam upphör {action.start_date.isoformat()}")
        self.details.setdefault("moved", []).append(
            {"to": receiver, "order_id": order_id, "start_date": action.start_date.isoformat()}
        )
        self.note(
            action.actor, f"Beställningen flyttad till {receiver} från {action.start_date}", at=self.acted_at
        )
        if self.inp.mode == rules.REVERSE and to_team:
            self.team_orders = [order_id]
            await self.set_stage("with_team")
            await self.steps.open(
                "hand_back",
                role=PROVIDER,
                org=self.inp.provider_id,
                title="Meddela när beställningen ska flyttas tillbaka från hemgångsteamet",
                not_before=self.acted_at,
            )
            return
        self.moved = True
        await self.set_stage("handed_over")

    async def _takeover_requested(self, action: RequestTakeover) -> None:
        """HT-5: the provider's request reaches the case workers; the answer is due per COM-1."""
        at = self.acted_at
        until = f" till {action.period_end.isoformat()}" if action.period_end else ""
        text = (
            f"Utföraren {self.inp.provider_id} begär att hemgångsteamet tar över från "
            f"{action.period_start.isoformat()}{until}. Skäl: {action.reason}"
        )
        self._expect_move(action.period_start, self.inp.team_id)
        self.details.update(period_start=action.period_start.isoformat(), reason=action.reason)
        if action.period_end:
            self.details["period_end"] = action.period_end.isoformat()
        await self.effects.message(
            self._case_workers, "Hemgångsteamet tar över en period", text, action.actor
        )
        await self.effects.journal(PROVIDER_JOURNAL, text, action.actor, at)
        self.note(action.actor, text, at=at)
        # COM-1, and before the period starts (HT-5)
        self.deadlines["move_order"] = rules.takeover_move_due(at, action.period_start, self._rules)
        await self._open_move("Flytta beställningen till hemgångsteamet")

    async def _handed_back(self, action: HandBack) -> None:
        """HT-5: the provider says it is time; the case worker moves the order back."""
        at = self.acted_at
        text = f"Utföraren tar tillbaka beställningen från {action.back_on.isoformat()}."
        text += f" {action.note}" if action.note else ""
        self._expect_move(action.back_on, self.inp.provider_id)
        self.details["back_on"] = action.back_on.isoformat()
        await self.effects.message(self._case_workers, "Beställningen flyttas tillbaka", text, action.actor)
        self.note(action.actor, text, at=at)
        self.deadlines["move_order"] = rules.takeover_move_due(at, action.back_on, self._rules)
        await self.set_stage("handing_back")
        await self._open_move("Flytta tillbaka beställningen till utföraren")

    # -- orders -----------------------------------------------------------------------------

    async def _start_order(
        self,
        receiver: str,
        start_date: date,
        items: list[ServiceItem],
        other: str,
        action: Action,
        execution_due: datetime | None = None,
    ) -> str:
        """A child ``order`` process that outlives this one (ORD-*)."""
        self.orders_sent += 1
        order_id = rules.child_order_id(self.ref.process_id, self.ref.case_id, self.orders_sent)
        # ORD-2: an order starting before it is sent (e.g. the HT-6 start day) formalises support
        # already given: its execution date may be from its start date.
        sent_on = calendar.local_date(self.acted_at)
        await self.start_order(
            order_id,
            f"Beställning till {receiver} (hemgång)",
            provider_id=receiver,
            sent_by=action.actor,
            start_date=start_date,
            items=list(items),
            other=other,
            sent_at=self.acted_at,
            decision_id=self.details.get("decisions", {}).get("home_care"),
            execution_due=execution_due,
            receiver_role=HOMECOMING_TEAM if receiver == self.inp.team_id else PROVIDER,
            executed_since=start_date if start_date < sent_on else None,
        )
        self.note(action.actor, f"Beställning skickad till {receiver} ({order_id})", at=self.acted_at)
        return order_id

    async def _end_order(self, order_id: str, ended_on: date, reason: str, actor: Actor) -> None:
        """The previous receiver's order ends the day the moved order starts (HT-3/HT-4/HT-5)."""
        handle = workflow.get_external_workflow_handle(order_id)
        try:
            await handle.signal("end_order", EndOrder(ended_on=ended_on, reason=reason, actor=actor))
        except FailureError:
            # The order's own process has closed (e.g. executed with its care plan): end its row.
            await self.effects.end_order(order_id, ended_on)
        self.note(actor, f"Beställningen {order_id} upphör {ended_on.isoformat()}")

    # -- closing ----------------------------------------------------------------------------

    def _finished(self) -> bool:
        """Moved to the provider, and a late announcement's dialogue held."""
        return self.moved and self.steps.find_open("dialogue") is None

    async def _close_handed_over(self, actor: Actor) -> ProcessState:
        back = self.inp.mode == rules.REVERSE
        moved = self.details["moved"][-1]
        text = (
            f"Beställningen är flyttad {'tillbaka ' if back else ''}till {moved['to']} "
            f"från {moved['start_date']}."
        )
        return await self.close("handed_back" if back else "handed_over", text, actor)
