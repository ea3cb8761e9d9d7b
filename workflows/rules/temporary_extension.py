"""Deadline and validation rules of the 14-day temporary extension (S, Staffanstorp): EXT-1..EXT-6.

Pure functions over local dates and UTC instants, and the Swedish texts of the process; the
temporary-extension workflow, its start at the API edge and the forms' proposals use them. Day 1 of
the period is ``started_on``, the day the provider first inserted the extra support (CAL-6).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Literal

from workflows import calendar
from workflows.model import DecisionInfo, FieldError
from workflows.profiles import Deadlines
from workflows.rules.order import ServiceItem

FollowUpOutcome = Literal["remains", "transient"]
REMAINS: FollowUpOutcome = "remains"  # EXT-5: the need remains -> application and decision
TRANSIENT: FollowUpOutcome = "transient"  # EXT-6: the need was transient -> no payment
FOLLOW_UP_LABELS = {REMAINS: "behovet kvarstår", TRANSIENT: "behovet var övergående"}

# EXT-1: "pågående omvårdnadsbeslut". Night help is personal care given at night (a care decision
# of its own in some cases, HT-2); service, meals, safety alarm and HSL are not care decisions.
CARE_KINDS = frozenset({"care", "night"})
NOT_CARE_LABELS = {
    "service": "servicebeslut",
    "meals": "beslut om matdistribution",
    "safety_alarm": "trygghetslarm",
    "hsl": "uppdrag via hälso- och sjukvården (HSL)",
}
UNKNOWN_PERSON_HINT = (
    "Personen hanteras som okänd brukare: använd processen new-urgent-case (nytt akut ärende) "
    "eller hänvisa till mottagningsfunktionen för ansökan om stöd."
)


# -- EXT-1: who the agreement applies to ---------------------------------------------------------


def is_ongoing(decision: DecisionInfo, on: date) -> bool:
    """A decision in force on the local date ``on`` (started, not yet ended)."""
    started = decision.start_date is None or decision.start_date <= on
    return started and (decision.end_date is None or decision.end_date >= on)


def check_eligible(decisions: Sequence[DecisionInfo], provider_id: str | None, started_on: date) -> None:
    """EXT-1: only a person with an ongoing care decision and a provider; a person with only a
    service decision, a safety alarm or HSL assignments (or nothing) is an unknown person, pointed
    to the new-urgent-case process. Raises ValueError in Swedish."""
    ongoing = [d for d in decisions if is_ongoing(d, started_on)]
    if provider_id and any(d.kind in CARE_KINDS for d in ongoing):
        return
    held_kinds = {d.kind for d in ongoing}
    kinds = [label for kind, label in NOT_CARE_LABELS.items() if kind in held_kinds]
    kinds += sorted(held_kinds - CARE_KINDS - set(NOT_CARE_LABELS))
    if kinds:
        held = "endast " + " och ".join([", ".join(kinds[:-1]), kinds[-1]] if len(kinds) > 1 else kinds)
    elif ongoing:
        held = "ingen hemtjänstutförare"
    else:
        held = "inga pågående beslut"
    raise ValueError(
        "14-dagarsöverenskommelsen gäller bara brukare med pågående omvårdnadsbeslut och en "
        f"hemtjänstutförare. Personen har {held} den {started_on.isoformat()}. {UNKNOWN_PERSON_HINT}"
    )


# -- EXT-2 / EXT-4: the period and its deadlines -------------------------------------------------


def last_day(started_on: date, rules: Deadlines) -> date:
    """EXT-2 / CAL-6: day 14 of the period (day 1 = ``started_on``)."""
    return calendar.period_day(started_on, rules.extension_days)


def check_started_on(started_on: date, now: datetime, rules: Deadlines) -> None:
    """EXT-2: ``started_on`` is the day the support was inserted: not in the future, and not so
    long ago that day 14 has passed (the agreement no longer covers it). Raises ValueError."""
    today = calendar.local_date(now)
    if started_on > today:
        raise FieldError(f"started_on {started_on.isoformat()} ligger i framtiden.", "started_on")
    end = last_day(started_on, rules)
    if end < today:
        raise FieldError(
            f"Perioden på {rules.extension_days} dagar från {started_on.isoformat()} slutade "
            f"{end.isoformat()}: 14-dagarsöverenskommelsen gäller inte längre. Kontakta "
            "biståndshandläggaren via mottagningsfunktionen för en ny bedömning.",
            "started_on",
        )


def confirm_start_due(reported_at: datetime, rules: Deadlines) -> datetime:
    """EXT-2 / COM-1: the case worker confirms the start within 5 working days of the notice (CAL-4)."""
    return calendar.working_days_after(reported_at, rules.feedback_working_days)


def follow_up_due(started_on: date, rules: Deadlines) -> datetime:
    """EXT-4: the case worker follows up with the provider by the end of day 14 (CAL-2, CAL-6)."""
    return calendar.end_of_day(last_day(started_on, rules))


# -- EXT-3: a change judged to last more than 14 days --------------------------------------------

WEEK = timedelta(days=7)


def report_lasting_due(established_on: date) -> datetime:
    """EXT-3 / CAL-6: the responsible case worker is told within a week of the day the lasting
    change was established: at the end of that day + 7."""
    return calendar.end_of_day(established_on + WEEK)


def check_established_on(established_on: date, started_on: date, now: datetime) -> None:
    """EXT-3: the change is established on or after the start day and not in the future."""
    if established_on < started_on:
        raise FieldError(
            f"Förändringen kan inte ha konstaterats ({established_on.isoformat()}) före "
            f"dag 1 ({started_on.isoformat()}).",
            "established_on",
        )
    if established_on > calendar.local_date(now):
        raise FieldError(f"established_on {established_on.isoformat()} ligger i framtiden.", "established_on")


# -- EXT-5: application and decision -------------------------------------------------------------


def proposed_decision_date(started_on: date) -> date:
    """EXT-5: a granted decision is back-dated to the day the provider first inserted the support."""
    return started_on


def check_decision(
    granted: bool, decision_date: date | None, items: Sequence[ServiceItem], started_on: date
) -> None:
    """EXT-5: a grant is dated ``started_on`` and no other day (None: that day), and names the
    services of the updated order; a refusal names no services (the form's proposed date may come
    along and is ignored). Raises ValueError in Swedish."""
    proposed = proposed_decision_date(started_on)
    if not granted:
        if items:
            raise FieldError("Insatser anges bara när fortsatt stöd beviljas.", "items")
        return
    if decision_date is not None and decision_date != proposed:
        raise FieldError(
            f"Beslutet ska bakåtdateras till den dag utföraren satte in stödet: "
            f"{proposed.isoformat()}, inte {decision_date.isoformat()}.",
            "decision_date",
        )
    if not items:
        raise FieldError("Ange minst en insats för det uppdaterade uppdraget (items).", "items")
    if any(not item.name.strip() for item in items):
        raise FieldError("Varje insats behöver ett namn.", "items")


def check_application(declined: bool, received_on: date | None, started_on: date, now: datetime) -> None:
    """EXT-5: the person's application, received between day 1 and today; or the person declines."""
    if declined:
        if received_on is not None:
            raise FieldError(
                "Ange inget mottagningsdatum när brukaren avstår från att ansöka.", "received_on"
            )
        return
    if received_on is None:
        raise FieldError("Ange när ansökan togs emot (received_on).", "received_on")
    if received_on < started_on or received_on > calendar.local_date(now):
        raise FieldError(
            f"Ansökan ska vara mottagen mellan {started_on.isoformat()} och "
            f"{calendar.local_date(now).isoformat()}, inte {received_on.isoformat()}.",
            "received_on",
        )


# -- shared checks and texts ---------------------------------------------------------------------


def deadline_note(title: str, due: datetime, done_at: datetime) -> str:
    """For the readable history: whether the step was done by its deadline or after it."""
    verdict = "i tid" if done_at <= due else "efter tidsgränsen"
    return (
        f"{title}: gjort {calendar.local(done_at):%Y-%m-%d %H:%M}, {verdict} "
        f"(senast {calendar.local(due):%Y-%m-%d %H:%M})."
    )


def notice_text(started_on: date, end: date, inserted: str, reason: str, due: datetime) -> str:
    """EXT-2: the provider's notice to the reception mailbox."""
    return (
        f"Tillfälligt utökat stöd enligt 14-dagarsöverenskommelsen från {started_on.isoformat()} "
        f"(dag 1) till och med {end.isoformat()} (dag 14).\nInsatt stöd: {inserted}\nOrsak: {reason}\n"
        f"Biståndshandläggaren bekräftar uppstarten senast {calendar.local(due):%Y-%m-%d %H:%M}."
    )


def confirmation_text(started_on: date, end: date, note: str) -> str:
    """EXT-2: the case worker's confirmation to the provider, and the authority journal's note."""
    extra = f" {note}" if note else ""
    return (
        f"Uppstart bekräftad enligt 14-dagarsöverenskommelsen: utökat stöd från "
        f"{started_on.isoformat()} till och med {end.isoformat()}. Uppföljning med utföraren "
        f"senast {end.isoformat()}.{extra}"
    )


def lasting_text(established_on: date, started_on: date, message: str) -> str:
    """EXT-3: the provider's message to the responsible case worker."""
    extra = f"\n{message}" if message else ""
    return (
        f"Det utökade stödet sedan {started_on.isoformat()} bedöms vara varaktigt (längre än 14 "
        f"dagar). Konstaterat {established_on.isoformat()}.{extra}"
    )


def transient_text(started_on: date, followed_up_on: date, note: str) -> str:
    """EXT-6: the need was transient: no payment to the provider for the extra support in the period."""
    extra = f" {note}" if note else ""
    return (
        f"Behovet var övergående. Ingen ersättning till utföraren för det utökade stödet under "
        f"perioden {started_on.isoformat()}–{followed_up_on.isoformat()}.{extra}"
    )


def granted_text(services: Sequence[str], started_on: date, order_id: str, note: str) -> str:
    """EXT-5: the granted decision, back-dated, and the updated order."""
    extra = f" {note}" if note else ""
    return (
        f"Fortsatt utökat stöd beviljat ({', '.join(services)}). Beslutet är bakåtdaterat till "
        f"{started_on.isoformat()}; uppdaterat uppdrag skickat ({order_id}).{extra}"
    )


def order_other(started_on: date, other: str) -> str:
    """COM-4: the updated order's "övrigt" says it continues the support inserted on day 1."""
    base = (
        "Uppdaterat uppdrag efter 14-dagarsöverenskommelsen; insatserna gäller från "
        f"{started_on.isoformat()}."
    )
    return f"{base} {other}" if other else base
