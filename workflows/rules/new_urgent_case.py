"""Deadline and validation rules of the new urgent case (person without home care): NEW-1..NEW-7.

Pure functions over instants and dates, and the texts of the process; the new-urgent-case
workflow and the API previews both use them.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from workflows import calendar
from workflows.model import FieldError
from workflows.profiles import Profile
from workflows.rules import plausibility

ReportedIn = Literal["office_hours", "on_call"]
OFFICE_HOURS: ReportedIn = "office_hours"
ON_CALL: ReportedIn = "on_call"
REPORTED_IN_LABELS = {OFFICE_HOURS: "kontorstid", ON_CALL: "jourtid"}

# NEW-3 says "as soon as" the case worker knows about a continued need, without a number. Our
# interpretation: the provider is phoned by the end of the working day after the take-over (CAL-4).
PHONE_PROVIDER_WORKING_DAYS = 1


def reported_in(at: datetime, profile: Profile) -> ReportedIn:
    """CAL-3: a report in office hours, or in on-call time (everything else)."""
    return OFFICE_HOURS if calendar.is_office_hours(at, profile.office_hours) else ON_CALL


def mandate_end(granted_at: datetime, profile: Profile) -> datetime:
    """NEW-2: the on-call supervisor's grant holds until 12:00 on the first working day whose
    08:00 (office hours open) is after the grant; then the case worker is responsible.

    Mon 20:00 -> Tue 12:00; Tue 02:00 -> Tue 12:00; Thu 2026-12-31 20:00 -> Mon 2027-01-04 12:00.
    """
    day = calendar.local_date(granted_at)
    opens = profile.office_hours.opens
    if not (calendar.is_working_day(day) and calendar.at_local(day, opens) > granted_at):
        day = calendar.next_working_day(day)
    return calendar.at_local(day, profile.deadlines.on_call_mandate_until)


def take_over_due(reported_at: datetime, profile: Profile) -> datetime:
    """NEW-1: reported in office hours -> the case worker takes over by the end of office hours
    that day (CAL-3); reported in on-call time -> by the mandate end of NEW-2."""
    if reported_in(reported_at, profile) == OFFICE_HOURS:
        return calendar.office_hours_end(calendar.local_date(reported_at), profile.office_hours)
    return mandate_end(reported_at, profile)


def phone_provider_due(taken_over_at: datetime) -> datetime:
    """NEW-3 (interpretation): phone the provider by the end of the next working day (CAL-4)."""
    return calendar.working_days_after(taken_over_at, PHONE_PROVIDER_WORKING_DAYS)


def order_due(called_at: datetime, profile: Profile) -> datetime:
    """NEW-3 / ORD-6: the decision and the order at the latest 3 working days after the call (CAL-4)."""
    return calendar.working_days_after(called_at, profile.orders.verbal_decision_order_working_days)


def proposed_decision_date(help_started_at: datetime) -> date:
    """NEW-4: a granted decision is dated from the (local) day help started."""
    return calendar.local_date(help_started_at)


def check_decision_date(
    decision_date: date, help_started_at: datetime | None, now: datetime, reported_at: datetime | None = None
) -> None:
    """NEW-4: the decision date must be the day help started; never in the future.

    When the start of help is not known to the process (e.g. an unknown person, NEW-5) the case
    worker states the day; it can then only be checked against the present and the report: a
    decision is not dated before the day the case was reported. Raises ValueError in Swedish.
    """
    if decision_date > calendar.local_date(now):
        raise FieldError(f"Beslutsdatum {decision_date} ligger i framtiden.", "decision_date")
    if help_started_at is None and reported_at is not None:
        reported_on = calendar.local_date(reported_at)
        if decision_date < reported_on:
            raise FieldError(
                f"Beslutsdatum {decision_date} är före dagen ärendet anmäldes ({reported_on}).",
                "decision_date",
            )
    if help_started_at is not None:
        proposed = proposed_decision_date(help_started_at)
        if decision_date != proposed:
            raise FieldError(
                f"Beslutet ska dateras från den dag hjälpen påbörjades ({proposed}), inte {decision_date}.",
                "decision_date",
            )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter
    (2026-12-31 + 2 months = 2027-02-28)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = month_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def first_follow_up_due(decision_date: date, profile: Profile) -> date:
    """NEW-7 / FU-2: a granted new case is followed up 2 months after the decision."""
    return add_months(decision_date, profile.deadlines.first_follow_up_months)


def check_order_start(start_date: date, decision_date: date | None, help_started_at: datetime | None) -> None:
    """An order for the new case starts no earlier than the day help started (the decision date)."""
    floor = decision_date or (proposed_decision_date(help_started_at) if help_started_at else None)
    if floor is not None and start_date < floor:
        raise FieldError(
            f"Beställningens startdatum {start_date} är före dagen hjälpen påbörjades {floor}.", "start_date"
        )


def stamp(instant: datetime) -> str:
    """An instant as the process's texts show it: local date and time."""
    return f"{calendar.local(instant):%Y-%m-%d %H:%M}"


def check_start(
    person_name: str,
    help_started_at: datetime | None,
    reported_at: datetime | None,
    granted_by_on_call: bool,
    by_on_call_supervisor: bool,
    profile: Profile,
    now: datetime,
) -> datetime | None:
    """Starting a new case: a name; instants with their offset, not in the future; NEW-2: only the
    on-call supervisor grants, in on-call time, stating when help started. Returns when the need was
    reported (for a grant by default when help started). Raises ValueError with the reason in Swedish."""
    if not person_name.strip():
        raise FieldError("Ange personens namn.", "person_name")
    for name, instant in (("help_started_at", help_started_at), ("reported_at", reported_at)):
        if instant is None:
            continue
        plausibility.check_reported_moment(name, instant, now)  # issue 6 §2
    if granted_by_on_call:
        if not by_on_call_supervisor:
            raise FieldError(
                "Endast jourhavande arbetsledare kan bevilja hemtjänst under jourtid.", "granted_by_on_call"
            )
        if help_started_at is None:
            raise FieldError("Ange när hjälpen påbörjades (help_started_at).", "help_started_at")
        reported_given = reported_at is not None
        reported_at = reported_at or help_started_at
        if reported_in(reported_at, profile) != ON_CALL:
            raise FieldError(
                f"{stamp(reported_at)} är kontorstid; "
                "jourhavande arbetsledare beviljar endast under jourtid.",
                *(("reported_at",) if reported_given else ("help_started_at",)),
            )
    return reported_at


def check_decision(
    granted: bool,
    order_sent: bool,
    services: list[str],
    stated_date: date | None,
    help_started_at: datetime | None,
    now: datetime,
    reported_at: datetime | None = None,
) -> None:
    """A refusal only before the order is sent; a grant names its services and is dated from the
    day help started (NEW-4): the stated date, else the proposed one; never before the report."""
    if not granted:
        if order_sent:
            raise ValueError("En beställning har redan skickats; avslag kan inte registreras här.")
        return
    if not services:
        raise FieldError("Ange minst en beviljad insats.", "services")
    decision_date = decision_date_of(stated_date, help_started_at)
    if decision_date is None:
        raise FieldError("Ange beslutsdatum: den dag hjälpen påbörjades.", "decision_date")
    check_decision_date(decision_date, help_started_at, now, reported_at)


def report_note(granted_by_on_call: bool, reported: ReportedIn, provider_id: str) -> str:
    """Who did what: the on-call grant (NEW-2) or the report (NEW-1)."""
    if granted_by_on_call:
        return f"Beviljade hemtjänst under jourtid; utförare {provider_id}"
    when = REPORTED_IN_LABELS[reported]
    return f"Anmälde brådskande behov i nytt ärende under {when}; utförare {provider_id}"


def mandate_text(granted_at: datetime, mandate_ends_at: datetime) -> str:
    """NEW-2: the on-call grant and how long the supervisor's mandate holds."""
    return (
        f"Jourhavande arbetsledare har beviljat hemtjänst under jourtid från "
        f"{stamp(granted_at)}. Mandatet gäller till {stamp(mandate_ends_at)}; därefter ansvarar "
        "biståndshandläggaren."
    )


def unknown_person_message(reported_at: datetime) -> str:
    """NEW-5: the written instructions to the default provider after the oral contact."""
    return (
        "Skriftliga instruktioner efter muntlig kontakt: en person som inte är känd sedan tidigare "
        f"behöver akuta insatser från {stamp(reported_at)}. Utför insatserna enligt de muntliga "
        "instruktionerna. En uppföljning sker skyndsamt och uppdraget skickas efter uppföljningen. "
        "Besöken registreras inte som extra insatser/besök."
    )


def unknown_person_journal(provider_id: str) -> str:
    """NEW-5: the journal note that the default provider was told."""
    return (
        f"Okänd person med akut behov: utföraren {provider_id} (ickevalsalternativ) underrättad "
        "muntligt och skriftligt via funktionsbrevlådan."
    )


def verbal_decision_message(who: str, called_at: datetime, due: datetime) -> str:
    """NEW-3 / ORD-6: the written confirmation of the verbal decision given by phone."""
    return (
        f"Bekräftar det muntliga beslutet om brådskande hemtjänst som lämnades per telefon till "
        f"{who} {stamp(called_at)}. Beslut och beställning skickas senast "
        f"{calendar.local_date(due)}."
    )


def verbal_decision_journal(who: str) -> str:
    """ORD-6: the verbal decision in the journal."""
    return (
        f"Muntligt beslut om brådskande hemtjänst lämnat per telefon till {who}; bekräftat "
        "skriftligt till utförarens funktionsbrevlåda."
    )


def decision_journal(services: list[str], decision_date: date, note: str) -> str:
    """NEW-4: the decision, dated from the day help started."""
    note = f" {note}" if note else ""
    return (
        f"Beslut om hemtjänst ({', '.join(services)}) daterat från {decision_date}, "
        f"den dag hjälpen påbörjades.{note}"
    )


def closing_text(no_need: bool, at: datetime, help_started_at: datetime | None, note: str) -> str:
    """NEW-6: no continued need (or help not granted); the help given meanwhile stands."""
    since = f" från {stamp(help_started_at)}" if help_started_at else ""
    why = "Inget fortsatt behov" if no_need else "Fortsatt hjälp beviljas inte"
    note = f" {note}" if note else ""
    return (
        f"{why}; ärendet avslutas {stamp(at)}. Hjälpen som gavs{since} till och med "
        f"{calendar.local_date(at)} kvarstår.{note}"
    )


def start_details(
    reported_at: datetime,
    profile: Profile,
    granted_by_on_call: bool,
    unknown_person: bool,
    provider_id: str,
    help_started_at: datetime | None,
) -> dict[str, Any]:
    """What the process shows from its start, with the decision date the form proposes (NEW-4)."""
    details: dict[str, Any] = {
        "reported_in": reported_in(reported_at, profile),
        "reported_at": calendar.local(reported_at).isoformat(),
        "granted_by_on_call": granted_by_on_call,
        "unknown_person": unknown_person,
        "provider_id": provider_id,
    }
    if help_started_at is not None:
        details["help_started_at"] = calendar.local(help_started_at).isoformat()
        details["proposed_decision_date"] = proposed_decision_date(help_started_at).isoformat()
    return details


def order_proposal(details: Mapping[str, Any], today: date) -> dict[str, Any]:
    """NEW-3 / NEW-4: the order the send form proposes: starting the day the decision is dated from
    (the day help started; before the decision the proposed date, else today) with the decision's
    services as items of the decision's kind, once it is decided."""
    start = details.get("decision_date") or details.get("proposed_decision_date") or today.isoformat()
    kind = "service" if details.get("decision_kind") == "service" else "care"
    items = [{"name": str(name), "kind": kind} for name in details.get("services") or []]
    return {"start_date": str(start), **({"items": items} if items else {})}


def decision_date_of(decision_date: date | None, help_started_at: datetime | None) -> date | None:
    """NEW-4: the stated decision date, else the proposed one when the start of help is known."""
    if decision_date is not None:
        return decision_date
    if help_started_at is not None:
        return proposed_decision_date(help_started_at)
    return None


def help_given(help_started_at: datetime | None, closed_at: datetime) -> dict[str, str | None]:
    """NEW-6: the help given until the case closed, which stands."""
    return {
        "from": calendar.local(help_started_at).isoformat() if help_started_at else None,
        "to": calendar.local_date(closed_at).isoformat(),
    }


def granted_text(decision_date: date | None, first_follow_up_due: str) -> str:
    """NEW-4 / NEW-7: the process's end once decided and ordered."""
    return (
        f"Beslut fattat från {decision_date} och beställning skickad; första uppföljning senast "
        f"{first_follow_up_due}."
    )
