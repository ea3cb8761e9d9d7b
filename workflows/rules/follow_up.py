"""Follow-up scheduling and wording (FU-1..FU-4, FU-6, FU-8, FU-10) and the case-level ending rules
that the follow-up cycle and the case events use (END-4..END-6 with CAL-7).

Pure functions over local dates (Europe/Stockholm) and aware instants; the follow-up cycle, the
follow-up process, the case events and the API previews all use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from workflows import calendar
from workflows.model import FieldError
from workflows.profiles import Profile
from workflows.rules import plausibility
from workflows.rules.new_urgent_case import add_months

# -- scheduling (FU-1, FU-2, FU-3) -------------------------------------------------------------

# FU-3 interpretation: a follow-up held within this many days before a time-limited decision's end
# date is the follow-up "before its end date"; an older one does not count for the end date.
END_DATE_FOLLOW_UP_WINDOW_DAYS = 60
# When the plan task opens: this many days before the due date, so the case worker can plan the
# follow-up (and the provider send its report) before it is due. Our choice; the routines give none.
PLAN_LEAD_DAYS = 30

Reason = Literal["yearly", "new_case", "end_date"]
REASON_LABELS: dict[Reason, str] = {
    "yearly": "årlig uppföljning",  # FU-1
    "new_case": "nytt ärende, två månader efter beslutet",  # FU-2
    "end_date": "tidsbegränsat beslut, före slutdatum",  # FU-3
}


@dataclass
class DecisionTerm:
    """What of a decision the schedule needs: its dates and whether it is a new case's first one."""

    decision_id: str
    start_date: date
    end_date: date | None = None
    new_case: bool = False  # FU-2: the decision of a new case (NEW-7)
    services: list[str] = field(default_factory=list)
    # Ended (a service ended, END-1; a follow-up's outcome): it lives to ``end_date`` but is no
    # time-limited decision (FU-3) and is not followed up any more.
    ended: bool = False


@dataclass
class Due:
    """The next follow-up: the local date it is due (at the end of that day, CAL-2), and why."""

    on: date
    reason: Reason
    decision_id: str

    @property
    def at(self) -> datetime:
        return calendar.end_of_day(self.on)


def next_due(decisions: Sequence[DecisionTerm], last_follow_up: date | None, profile: Profile) -> Due | None:
    """FU-1/FU-2/FU-3: the earliest of, over the living decisions,

    - one year after the last follow-up, or after the decision when it has not been followed up
      since (FU-1);
    - two months after the decision of a new case not yet followed up since (FU-2);
    - the day before the end date of a time-limited decision not followed up within
      ``END_DATE_FOLLOW_UP_WINDOW_DAYS`` before it (FU-3; due at the end of that day).

    None when no decision lives. Examples: a new case decided 2026-11-23 → 2027-01-23; last
    followed up 2026-10-15 with a decision ending 2027-03-31 → 2027-03-30.
    """
    terms = [due for decision in decisions for due in _terms(decision, last_follow_up, profile)]
    return min(terms, key=lambda due: (due.on, due.decision_id), default=None)


def _terms(decision: DecisionTerm, last: date | None, profile: Profile) -> list[Due]:
    if decision.ended:  # an ended decision is not followed up (FU-3 is about time-limited ones)
        return []
    months = profile.deadlines
    followed_since = last is not None and last >= decision.start_date
    base = last if last is not None and followed_since else decision.start_date
    terms = [Due(add_months(base, months.follow_up_interval_months), "yearly", decision.decision_id)]
    if decision.new_case and not followed_since:
        terms.append(
            Due(
                add_months(decision.start_date, months.first_follow_up_months),
                "new_case",
                decision.decision_id,
            )
        )
    if decision.end_date is not None:
        window_opens = decision.end_date - timedelta(days=END_DATE_FOLLOW_UP_WINDOW_DAYS)
        if last is None or last < max(window_opens, decision.start_date):
            terms.append(Due(decision.end_date - timedelta(days=1), "end_date", decision.decision_id))
    return terms


def plan_opens_at(due_on: date) -> datetime:
    """When the plan task opens: 08:00 local ``PLAN_LEAD_DAYS`` before the due date (CAL-2)."""
    return calendar.at_local(due_on - timedelta(days=PLAN_LEAD_DAYS), calendar.OFFICE_OPENS)


# FU-4: the hour of the day the plan form proposes for the follow-up (our choice: mid-morning of a
# working day, when the provider's report, due at that moment, has been sent in office hours).
MEETING_HOUR = time(10, 0)


def proposed_meeting(due_on: date, now: datetime) -> datetime:
    """FU-4: the moment the plan form proposes: 10:00 on the last working day up to the due date,
    so the provider has the days before it for its report; never earlier than 10:00 on the next
    working day after ``now`` (the report needs a day), even when the due date has passed."""
    day = due_on
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return calendar.at_local(max(day, calendar.next_working_day(calendar.local_date(now))), MEETING_HOUR)


def living(decisions: Sequence[DecisionTerm], today: date) -> list[DecisionTerm]:
    """The decisions that still live on ``today``: a time-limited one lives to its end date."""
    return [d for d in decisions if d.end_date is None or d.end_date >= today]


# -- the pre-follow-up report (FU-4) -----------------------------------------------------------

REPORT_QUESTIONS = (
    "Motsvarar det faktiska behovet den nuvarande beställningen? Om inte, varför?",
    "Har stödet getts enligt beställningen? Om inte, varför?",
    "Är hela beställningen verkställd? Om inte, varför?",
    "Behöver utföraren delta vid uppföljningen, och i så fall varför?",
    "Finns det något annat som biståndshandläggaren bör känna till?",
)


# FU-4: the input that holds the reason of each question of the report, in the questions' order.
REASON_FIELDS = ("need_reason", "given_reason", "executed_reason", "attend_reason")


def check_report(
    need_matches: bool,
    need_reason: str,
    given_as_ordered: bool,
    given_reason: str,
    fully_executed: bool,
    executed_reason: str,
    provider_attends: bool,
    attend_reason: str,
) -> None:
    """FU-4: questions 1-3 need a reason when answered no, question 4 when answered yes.

    Raises ValueError naming the question in Swedish."""
    missing = [
        number
        for number, (answer, reason, needs_reason_when) in enumerate(
            (
                (need_matches, need_reason, False),
                (given_as_ordered, given_reason, False),
                (fully_executed, executed_reason, False),
                (provider_attends, attend_reason, True),
            ),
            start=1,
        )
        if answer == needs_reason_when and not reason.strip()
    ]
    if missing:
        which = ", ".join(str(n) for n in missing)
        raise FieldError(
            f"Fråga {which} i mallen inför uppföljning behöver en motivering "
            "(fråga 1-3 när svaret är nej, fråga 4 när svaret är ja).",
            *(REASON_FIELDS[number - 1] for number in missing),
        )


def report_template(planned_at: datetime, due_at: datetime) -> str:
    """FU-4: the template that goes to the provider's mailbox when a follow-up is planned."""
    questions = "\n".join(f"{n}. {q}" for n, q in enumerate(REPORT_QUESTIONS, start=1))
    return (
        f"En uppföljning är planerad {calendar.local(planned_at):%Y-%m-%d %H:%M}. "
        f"Skicka mallen inför uppföljning senast {calendar.local(due_at):%Y-%m-%d %H:%M}.\n{questions}"
    )


# -- the meeting form and the event wording (FU-6, FU-8, FU-10) --------------------------------

Form = Literal["home_visit", "phone", "digital"]
FORM_PHRASES: dict[Form, str] = {
    "home_visit": "ett hembesök",
    "phone": "ett telefonsamtal",
    "digital": "ett digitalt möte",
}
Outcome = Literal["unchanged", "new_decision", "services_ended"]
OUTCOME_LABELS: dict[Outcome, str] = {
    "unchanged": "behovet kvarstår",
    "new_decision": "nytt beslut",
    "services_ended": "insatser avslutas",
}


def check_form(form: Form, provider_attends: bool, person_told_other_way: bool) -> None:
    """FU-6: without the provider present the person must have been told that the provider's
    information is gathered another way. Raises ValueError in Swedish."""
    del form  # every form is allowed; the rule concerns only the provider's presence
    if not provider_attends and not person_told_other_way:
        raise FieldError(
            "Utföraren deltar inte: bekräfta att personen har informerats om att utförarens "
            "uppgifter inhämtas på annat sätt.",
            "person_told_other_way",
        )


def check_consent(needed: bool, asked: bool, given: bool | None) -> None:
    """FU-10: consent is asked for each occasion that needs it and recorded; no general consent."""
    if needed and (not asked or given is None):
        raise FieldError(
            "Samtycke behövs för detta tillfälle: ange att det har efterfrågats och svaret.",
            "consent_asked",
            "consent_given",
        )


def join_services(services: Sequence[str]) -> str:
    """Swedish enumeration in running text: "hemtjänst och ledsagning", "a, b och c"."""
    names = [_in_text(s.strip()) for s in services if s.strip()]
    if not names:
        return "de beviljade insatserna"
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} och {names[-1]}"


def _in_text(name: str) -> str:
    # "Personlig omvårdnad" reads "personlig omvårdnad" mid-sentence; an abbreviation (HSL) stays.
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def event_text(held_on: date, form: Form, outcome: Outcome, services: Sequence[str]) -> str:
    """FU-8: the follow-up event in the routine's standard wording, e.g. "En uppföljning har
    genomförts den 2027-01-25 genom ett telefonsamtal. Bedömningen är att behovet kvarstår och att
    biståndet för hemtjänst och ledsagning är skäligt."

    Services ended: "... Bedömningen är att behovet av <services> har upphört och att insatserna
    avslutas." (our wording in the routine's style; the routine gives only the first two)."""
    opening = f"En uppföljning har genomförts den {held_on.isoformat()} genom {FORM_PHRASES[form]}."
    if outcome == "unchanged":
        return (
            f"{opening} Bedömningen är att behovet kvarstår och att biståndet för "
            f"{join_services(services)} är skäligt."
        )
    if outcome == "new_decision":
        return f"{opening} Behovet har utretts och ett nytt beslut har fattats."
    ended = join_services(services)
    return f"{opening} Bedömningen är att behovet av {ended} har upphört och att insatserna avslutas."


def check_new_decision(start: date, end: date | None, order_start: date | None, now: datetime) -> None:
    """A follow-up's new decision (FU-8) and its order, with the limits of an order started over
    ``POST /processes``: a start near now (two months back, a year ahead), an end after the start
    and in the calendar's years. Raises ValueError in Swedish."""
    plausibility.check_date_near("new_decision.start_date", start, now)
    if end is not None:
        if end < start:
            raise FieldError(
                f"Beslutets slutdatum ({end}) ligger före startdatum ({start}).", "new_decision.end_date"
            )
        if end.year not in calendar.YEARS:
            raise FieldError(
                f"Beslutets slutdatum ({end}) ligger utanför kalenderns år.", "new_decision.end_date"
            )
    if order_start is not None:
        plausibility.check_date_near("new_decision.order_start_date", order_start, now)


def check_services_end(ended_on: date, starts: Sequence[date], now: datetime) -> None:
    """END-1 for a follow-up's ended services: in the calendar's years, not before the ended
    decisions started, at most a year ahead. Raises ValueError in Swedish."""
    latest = max(starts, default=None)
    plausibility.check_date_in_case("ended_on", ended_on, now, None)
    if latest is not None and ended_on < latest:
        raise FieldError(f"Slutdatumet ({ended_on}) ligger före beslutets start ({latest}).", "ended_on")


# -- ending and changes: END-4 (CAL-7), END-5, END-6 -------------------------------------------


def is_late_for_billing(concerns: date, registered_at: datetime) -> bool:
    """END-4 / CAL-7: a change of month M registered after the 4th of M+1 raises the notice."""
    return calendar.is_late_for_billing(concerns, registered_at)


@dataclass
class EndDate:
    """END-5: when the order ends, and the days the provider registers as unplanned absence."""

    order_ends_on: date
    absence_days: list[date]


def botkyrka_end(told_on: date, need_ends_on: date, profile: Profile) -> EndDate:
    """END-5 (profile ``botkyrka``): day 1 is the day after the provider was told. A need ending 5
    or more calendar days ahead ends the order that date; a nearer one keeps the order to day 5,
    and the days after the need ended up to day 5 are unplanned absence.

    Told Thu 2027-04-29, need ending Sat 2027-05-01 → order to Tue 2027-05-04, absence 2-4 May.
    Without the rule (other profiles) the order ends when the need ends."""
    if not profile.ending.notice_days_rule:
        return EndDate(order_ends_on=need_ends_on, absence_days=[])
    last_day = calendar.period_day(told_on + timedelta(days=1), profile.ending.notice_days)
    if need_ends_on >= last_day:
        return EndDate(order_ends_on=need_ends_on, absence_days=[])
    first_absent = max(need_ends_on + timedelta(days=1), told_on + timedelta(days=1))
    days = (last_day - first_absent).days + 1
    return EndDate(
        order_ends_on=last_day, absence_days=[first_absent + timedelta(days=n) for n in range(days)]
    )


# END-6: the services outside the frame time whose ordered and performed time may be adjusted.
OUTSIDE_FRAME_TIME = (
    "night_help",
    "digital_supervision",
    "self_care",
    "escort",
    "relief",
    "meal_distribution",
)
OUTSIDE_FRAME_TIME_LABELS = {
    "night_help": "nattinsatser",
    "digital_supervision": "digital tillsyn",
    "self_care": "egenvård",
    "escort": "ledsagning",
    "relief": "avlösning",
    "meal_distribution": "matdistribution",
}


def time_adjustment_due(reported_at: datetime, profile: Profile) -> datetime:
    """END-6: the case worker handles a time adjustment within 5 working days of the provider's
    report (CAL-4: the end of the 5th working day after the report's local date)."""
    return calendar.working_days_after(reported_at, profile.deadlines.feedback_working_days)
