"""The ``case-event`` process (END-1..END-6, CAL-7, COM-1, COM-5): one reported case-level event,
``case-<id>/case-event/<n>``, started by ``POST /cases/{case_id}/events``.

- ``service_ended`` (END-1): the case worker confirms with the person and back-dates the end
  (``confirm_end``, due in 5 working days, COM-1; a missed one escalates to the senior case
  worker). The chosen decisions and orders end; the provider is told in its mailbox (COM-5); in
  profile ``botkyrka`` the order runs to day 5 after the provider was told, with the days of
  unplanned absence to register (END-5).
- ``death`` (END-2): the other side and billing are told, decisions and orders end that date, and
  the API ends every running process of the case (``ProcessWorkflow.end_for_case_event``); one
  that starts after the case was closed ends itself (``ProcessWorkflow._end_if_case_closed``).
- ``pause`` (END-3): of the whole case, registered by the provider alone; of single services, the
  case worker confirms the period with the person (``confirm_pause``) and the provider is told.
- ``time_adjustment`` (END-6): the case worker handles it within 5 working days
  (``handle_time_adjustment``); the provider is told the result (COM-5).

Every change is checked against the billing deadline (CAL-7, END-4): once at the report and again
when the case worker registers it; a late one raises one notice and a message to billing's mailbox.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.case_events import CaseEventActivities, DecisionsEnding, OrdersEnding
    from workflows import calendar
    from workflows.effects import ACTIVITY_TIMEOUT, AUTHORITY_JOURNAL, PROVIDER_JOURNAL
    from workflows.io.case_event import (
        DEATH,
        TIME_ADJUSTMENT,
        CaseEventInput,
        ConfirmEnd,
        ConfirmPause,
        DeathReport,
        HandleTimeAdjustment,
        NoHttpStart,
        PauseReport,
        ServiceEndedReport,
        TimeAdjustmentReport,
    )
    from workflows.model import (
        SYSTEM,
        Action,
        Actor,
        ProcessState,
        StartContext,
        invalid,
        rule_check,
    )
    from workflows.process import ProcessWorkflow
    from workflows.profiles import Profile, provider_mailbox
    from workflows.rules import case_event as rules
    from workflows.rules import follow_up as ending_rules
    from workflows.rules import plausibility


@workflow.defn(name="case-event")
class CaseEventWorkflow(ProcessWorkflow):
    process_type = "case-event"
    START_ROLES = ()  # started by POST /cases/{case_id}/events
    START_REQUEST = NoHttpStart
    ACTIONS: ClassVar[dict[str, type[Action]]] = {
        "confirm_end": ConfirmEnd,
        "confirm_pause": ConfirmPause,
        "handle_time_adjustment": HandleTimeAdjustment,
    }

    @classmethod
    def build_input(cls, request: NoHttpStart, ctx: StartContext) -> CaseEventInput:
        raise ValueError(f"Händelser i ärendet rapporteras med POST /cases/{ctx.case_id}/events.")

    @classmethod
    def for_report(
        cls, event: str, report: rules.Report, ctx: StartContext, open_orders: list[str]
    ) -> CaseEventInput:
        """The input of a reported event (PermissionError: 403, ValueError: 422, in Swedish)."""
        assert ctx.case is not None
        rules.check_reporter(event, report, ctx.actor, ctx.case.provider_id)
        case_from = plausibility.case_known_from(ctx.case)
        rules.check_report(report, ctx.now, case_from)  # CAL-7: late is noticed, not refused
        return CaseEventInput(
            case_id=ctx.case_id,
            profile=ctx.profile,
            event=event,
            reported_by=ctx.actor,
            reported_at=ctx.now,
            case_worker_id=ctx.case.case_worker_id,
            provider_id=ctx.case.provider_id,
            decisions=list(ctx.case.decisions),
            open_orders=list(open_orders),
            service_ended=report if isinstance(report, ServiceEndedReport) else None,
            death=report if isinstance(report, DeathReport) else None,
            pause=report if isinstance(report, PauseReport) else None,
            time_adjustment=report if isinstance(report, TimeAdjustmentReport) else None,
            case_from=case_from,
        )

    @classmethod
    def proposals(cls, details: dict[str, Any], profile: Profile, now: datetime) -> dict[str, dict[str, Any]]:
        """END-1 / END-3: what the workflow published (the end date, the period, what ends);
        END-6: the time that applies if adjusted, the performed time the provider reported."""
        proposed = dict(super().proposals(details, profile, now))
        if details.get("event") == TIME_ADJUSTMENT and details.get("performed_minutes") is not None:
            proposed["handle_time_adjustment"] = {"adjusted_minutes": str(details["performed_minutes"])}
        return proposed

    @classmethod
    def offered(cls, details: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
        """END-1: the decisions and orders an end may concern: those of the case when it was
        reported (the validator's); processes started before they were published offer the case's."""
        offered = {
            name: [str(item) for item in details[key]]
            for name, key in (("ended_decision_ids", "decision_ids"), ("ended_order_ids", "open_orders"))
            if isinstance(details.get(key), list)
        }
        return {"confirm_end": offered} if offered else {}

    @classmethod
    def once_per_case(cls, inp: CaseEventInput) -> str | None:
        return DEATH if inp.event == DEATH else None  # END-2: a person dies once

    @workflow.init
    def __init__(self, inp: CaseEventInput) -> None:
        self._setup(inp.case_id, inp.profile, inp.case_worker_id, inp.provider_id)
        self.inp = inp
        self._billed = False
        if not self.admit(inp):
            return
        self.details = {"event": inp.event, "reported_by": inp.reported_by.label}
        self.details.update(_report_details(self._report))
        if inp.service_ended is not None:
            # What confirm_end may end (its form offers them by name): the validator's lists.
            self.details["decision_ids"] = [d.decision_id for d in inp.decisions]
            self.details["open_orders"] = list(inp.open_orders)
            self.details["proposals"] = {
                "confirm_end": {
                    "ended_on": inp.service_ended.ended_on.isoformat(),
                    "ended_decision_ids": "\n".join(d.decision_id for d in inp.decisions),
                    "ended_order_ids": "\n".join(inp.open_orders),
                }
            }
        elif inp.pause is not None:
            period = {"starts_on": inp.pause.starts_on.isoformat()}
            if inp.pause.ends_on is not None:
                period["ends_on"] = inp.pause.ends_on.isoformat()
            self.details["proposals"] = {"confirm_pause": period}

    def ends_with_closed_case(self) -> bool:
        """A death is what closes the case (END-2): its own process does not end by it."""
        return self.inp.event != DEATH

    @property
    def _report(self) -> rules.Report:
        inp = self.inp
        report = inp.service_ended or inp.death or inp.pause or inp.time_adjustment
        assert report is not None  # for_report sets exactly one
        return report

    @workflow.run
    async def run(self, inp: CaseEventInput) -> ProcessState:
        self.refuse()
        label = rules.EVENT_LABELS[inp.event]
        await self._start("reported", f"Händelse i ärendet: {label}.", at=inp.reported_at)
        self.note(inp.reported_by, f"Rapporterade: {_describe(self._report)}")
        report = self._report
        if isinstance(report, DeathReport):
            return await self._death(report)
        if isinstance(report, PauseReport) and report.scope == "case":
            return await self._case_paused(report)
        await self._open_task(report)
        step = await self.steps.next()
        assert step is not None  # no ``until``: only a completed step ends the wait
        match step.action:
            case "confirm_end":
                return await self._end_confirmed(step.result)
            case "confirm_pause":
                return await self._pause_confirmed(step.result)
            case _:
                return await self._time_adjusted(step.result)

    # -- updates ----------------------------------------------------------------------------

    @workflow.update
    async def confirm_end(self, action: ConfirmEnd) -> ProcessState:
        return await self.complete_step("confirm_end", action)

    @confirm_end.validator
    def _check_confirm_end(self, action: ConfirmEnd) -> None:
        self.steps.check("confirm_end", action)
        if not action.confirmed_with_person:
            raise invalid(
                "END-1: bekräfta slutdatumet med personen (confirmed_with_person).", "confirmed_with_person"
            )
        unknown = set(action.ended_decision_ids) - {d.decision_id for d in self.inp.decisions}
        unknown |= set(action.ended_order_ids) - set(self.inp.open_orders)
        if unknown:
            raise invalid(
                f"Okända beslut eller beställningar i ärendet: {', '.join(sorted(unknown))}.",
                "ended_decision_ids",
                "ended_order_ids",
            )
        starts = [
            d.start_date
            for d in self.inp.decisions
            if d.decision_id in action.ended_decision_ids and d.start_date is not None
        ]
        with rule_check():  # END-1, CAL-7: back-dated within the case's life, not before a start
            rules.check_end(action.ended_on, starts, workflow.now(), self.inp.case_from)

    @workflow.update
    async def confirm_pause(self, action: ConfirmPause) -> ProcessState:
        return await self.complete_step("confirm_pause", action)

    @confirm_pause.validator
    def _check_confirm_pause(self, action: ConfirmPause) -> None:
        self.steps.check("confirm_pause", action)
        if not action.confirmed_with_person:
            raise invalid(
                "END-3: bekräfta perioden med personen (confirmed_with_person).", "confirmed_with_person"
            )
        with rule_check():
            rules.check_period(action.starts_on, action.ends_on, workflow.now(), self.inp.case_from)

    @workflow.update
    async def handle_time_adjustment(self, action: HandleTimeAdjustment) -> ProcessState:
        return await self.complete_step("handle_time_adjustment", action)

    @handle_time_adjustment.validator
    def _check_handle_time_adjustment(self, action: HandleTimeAdjustment) -> None:
        self.steps.check("handle_time_adjustment", action)
        minutes = action.adjusted_minutes
        if minutes is not None and not 0 <= minutes <= rules.MAX_MONTH_MINUTES:
            raise invalid(
                f"adjusted_minutes ska vara 0–{rules.MAX_MONTH_MINUTES} minuter.", "adjusted_minutes"
            )

    # -- reactions --------------------------------------------------------------------------

    @property
    def _from_provider(self) -> bool:
        return self.inp.reported_by.role in rules.PROVIDER_SIDE

    async def _tell_provider(self, subject: str, body: str, sender: Actor) -> None:
        """COM-5: a change to an ongoing decision without a new order goes to the provider's mailbox."""
        if self.inp.provider_id:
            await self.effects.message(provider_mailbox(self.inp.provider_id), subject, body, sender)

    async def _billing_check(self, concerns: date, what: str) -> None:
        """CAL-7 / END-4: a change of month M registered after the 4th of M+1: one notice, and a
        message in billing's mailbox, per event."""
        if self._billed or not await self.effects.billing_notice_if_late(concerns, what):
            return
        self._billed = True
        deadline = calendar.local_date(calendar.billing_deadline(concerns))
        text = (
            f"{what} gäller {concerns} men registrerades efter sista dag {deadline}. Kontakta debiteringen."
        )
        await self.effects.message(self.profile.mailboxes.billing, "Sen registrering", text, SYSTEM)
        self.deviation(text)
        self.details["billing_notice"] = True

    async def _reported(self, report: rules.Report) -> None:
        """The report in the reporter's journal, to the case workers when the provider reported it,
        and checked against the billing deadline."""
        inp = self.inp
        text = _describe(report)
        journal = PROVIDER_JOURNAL if self._from_provider else AUTHORITY_JOURNAL
        await self.effects.journal(journal, text, inp.reported_by, inp.reported_at)
        if self._from_provider:
            subject = rules.EVENT_LABELS[inp.event]
            await self.effects.message(self.profile.mailboxes.case_workers, subject, text, inp.reported_by)
        await self._billing_check(rules.billing_concerns(report), rules.EVENT_LABELS[inp.event])

    async def _open_task(self, report: rules.Report) -> None:
        await self._reported(report)
        reported_at = self.inp.reported_at
        if isinstance(report, ServiceEndedReport):  # END-1, COM-1
            action, title = "confirm_end", "Bekräfta med personen att insatsen upphört och ange slutdatum"
            due = rules.feedback_due(reported_at, self.profile)
        elif isinstance(report, PauseReport):  # END-3, COM-1
            action, title = "confirm_pause", "Bekräfta uppehållets period med personen"
            due = rules.feedback_due(reported_at, self.profile)
        else:  # END-6
            action, title = "handle_time_adjustment", "Hantera tidsjusteringen"
            due = ending_rules.time_adjustment_due(reported_at, self.profile)
        self.deadlines[action] = due
        await self.set_stage("awaiting_case_worker")
        await self.case_worker_step(action, title, due, not_before=reported_at)

    async def _death(self, report: DeathReport) -> ProcessState:
        """END-2: the other side and billing are told; decisions and orders end that date."""
        inp, on = self.inp, report.died_on
        text = f"Personen avled {on}." + (f" {report.note.strip()}" if report.note.strip() else "")
        await self.effects.journal(AUTHORITY_JOURNAL, text, inp.reported_by, inp.reported_at)
        await self.effects.journal(PROVIDER_JOURNAL, text, inp.reported_by, inp.reported_at)
        if self._from_provider:
            await self.effects.message(self.profile.mailboxes.case_workers, "Dödsfall", text, inp.reported_by)
        else:
            await self._tell_provider(
                "Dödsfall", f"{text} Insatserna och beställningarna upphör.", inp.reported_by
            )
        await self.effects.message(
            self.profile.mailboxes.billing,
            "Dödsfall: debiteringen upphör",
            f"{text} Beslut och beställningar i ärendet upphör {on}.",
            inp.reported_by,
        )
        living = [d.decision_id for d in inp.decisions if d.end_date is None or d.end_date > on]
        # The cycle itself ends by the case event: no signal to it.
        await self._end_decisions(living, on, tell_cycle=False)
        # Running orders end by the case event (their own outcome); the others here.
        await self._end_orders(inp.open_orders, on, "Dödsfall", inp.reported_by, signal=False)
        await self._billing_check(on, "Dödsfall")
        self.details.update(ended_decisions=living, ended_orders=list(inp.open_orders))
        return await self.close("death_registered", f"Dödsfallet den {on} är registrerat.", inp.reported_by)

    async def _case_paused(self, report: PauseReport) -> ProcessState:
        """END-3: the provider registers the pause of the whole case alone; the case workers are told."""
        await self._reported(report)
        period = rules.period_text(report.starts_on, report.ends_on)
        if not self._from_provider:  # registered by the case worker: the provider is told (COM-5)
            await self._tell_provider("Uppehåll", f"Uppehåll i hela ärendet {period}.", self.inp.reported_by)
        return await self.close(
            "pause_registered", f"Uppehåll i hela ärendet {period}.", self.inp.reported_by
        )

    async def _end_confirmed(self, action: ConfirmEnd) -> ProcessState:
        """END-1 (+ END-5, COM-5, END-4): the end back-dated and confirmed; the provider is told."""
        told_on = calendar.local_date(self.inp.reported_at if self._from_provider else workflow.now())
        end = ending_rules.botkyrka_end(told_on, action.ended_on, self.profile)
        await self._end_decisions(action.ended_decision_ids, action.ended_on, tell_cycle=True)
        await self._end_orders(
            action.ended_order_ids, end.order_ends_on, "Insatsen har upphört", action.actor
        )
        lines = [f"Insatserna upphör från {action.ended_on} ({', '.join(self._services)})."]
        if action.ended_order_ids:
            lines.append(f"Beställningen gäller till och med {end.order_ends_on}.")
        if end.absence_days:  # END-5
            days = ", ".join(d.isoformat() for d in end.absence_days)
            lines.append(f"Registrera oplanerad frånvaro för dagarna utan besök: {days}.")
        if action.note.strip():
            lines.append(action.note.strip())
        body = " ".join(lines)
        await self._tell_provider("Insatser avslutas", body, action.actor)
        await self.effects.journal(AUTHORITY_JOURNAL, body, action.actor, workflow.now())
        await self._billing_check(action.ended_on, "Avslutad insats")
        self.details.update(
            ended_on=action.ended_on.isoformat(),
            order_ends_on=end.order_ends_on.isoformat(),
            absence_days=[d.isoformat() for d in end.absence_days],
        )
        return await self.close("end_confirmed", body, action.actor)

    async def _pause_confirmed(self, action: ConfirmPause) -> ProcessState:
        """END-3 (COM-5, END-4): the period confirmed with the person; the provider is told."""
        period = rules.period_text(action.starts_on, action.ends_on)
        body = f"Uppehåll i insatserna ({', '.join(self._services)}) {period}."
        body += f" {action.note.strip()}" if action.note.strip() else ""
        await self._tell_provider("Uppehåll i insatser", body, action.actor)
        await self.effects.journal(AUTHORITY_JOURNAL, body, action.actor, workflow.now())
        await self._billing_check(action.starts_on, "Uppehåll")
        self.details.update(starts_on=action.starts_on.isoformat(), ends_on=_iso(action.ends_on))
        return await self.close("pause_confirmed", body, action.actor)

    async def _time_adjusted(self, action: HandleTimeAdjustment) -> ProcessState:
        """END-6 (COM-5, END-4): the handled adjustment; the provider is told the result."""
        report = self.inp.time_adjustment
        assert report is not None
        service = ending_rules.OUTSIDE_FRAME_TIME_LABELS[report.service]
        if action.approved:
            minutes = (
                action.adjusted_minutes if action.adjusted_minutes is not None else report.performed_minutes
            )
            body = f"Tiden för {service} i {report.month} justeras till {minutes} minuter."
            self.details["adjusted_minutes"] = minutes
        else:
            kept = report.ordered_minutes
            body = f"Tiden för {service} i {report.month} justeras inte ({kept} minuter gäller)."
        body += f" {action.note.strip()}" if action.note.strip() else ""
        await self._tell_provider("Tidsjustering", body, action.actor)
        await self.effects.journal(AUTHORITY_JOURNAL, body, action.actor, workflow.now())
        await self._billing_check(rules.month_start(report.month), "Tidsjustering")
        outcome = "adjusted" if action.approved else "not_adjusted"
        return await self.close(outcome, body, action.actor)

    @property
    def _services(self) -> list[str]:
        report = self._report
        services = getattr(report, "services", [])
        return [s for s in services if s.strip()] or ["alla"]

    async def _end_decisions(self, decision_ids: list[str], on: date, *, tell_cycle: bool) -> None:
        if not decision_ids:
            return
        await workflow.execute_activity_method(
            CaseEventActivities.end_decisions,
            DecisionsEnding(self.ref.case_id, list(decision_ids), on, tell_cycle),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            summary=f"Beslut upphör {on}",
        )

    async def _end_orders(
        self, order_ids: list[str], on: date, reason: str, actor: Actor, *, signal: bool = True
    ) -> None:
        if not order_ids:
            return
        await workflow.execute_activity_method(
            CaseEventActivities.end_orders,
            OrdersEnding(self.ref.case_id, list(order_ids), on, reason, actor, signal),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            summary=f"Beställningar upphör {on}",
        )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _describe(report: rules.Report) -> str:
    """A report in Swedish, as the timeline, the journal and the mailboxes read it."""
    if isinstance(report, ServiceEndedReport):
        text = f"Insatser upphört ({', '.join(report.services)}), senast utförda {report.ended_on}."
        note = report.note
    elif isinstance(report, DeathReport):
        text, note = f"Dödsfall den {report.died_on}.", report.note
    elif isinstance(report, PauseReport):
        what = "hela ärendet" if report.scope == "case" else f"insatserna ({', '.join(report.services)})"
        text = f"Uppehåll i {what} {rules.period_text(report.starts_on, report.ends_on)}."
        note = report.reason
    else:
        service = ending_rules.OUTSIDE_FRAME_TIME_LABELS[report.service]
        text = (
            f"Tidsjustering för {service} i {report.month}: beställd tid {report.ordered_minutes} "
            f"minuter, utförd tid {report.performed_minutes} minuter."
        )
        note = report.reason
    return f"{text} {note.strip()}" if note.strip() else text


def _report_details(report: rules.Report) -> dict[str, Any]:
    """The report's fields for the process's state (dates as ISO text)."""
    return {
        name: value.isoformat() if isinstance(value, date) else value for name, value in vars(report).items()
    }
