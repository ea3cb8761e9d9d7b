"""Rules of the homecoming-team handover: HT-1..HT-6 (N1, N2 5.8; B).

Pure functions over instants (aware datetimes, UTC in storage) and local Europe/Stockholm dates;
the homecoming workflow and the API's form proposals both use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from workflows import calendar
from workflows.model import FieldError
from workflows.profiles import Deadlines, Homecoming
from workflows.rules.order import ServiceItem

Mode = Literal["simplified", "regular", "reverse"]
SIMPLIFIED: Mode = "simplified"  # HT-2, HT-3: förenklat beslut
REGULAR: Mode = "regular"  # HT-4: vanlig handläggning
REVERSE: Mode = "reverse"  # HT-5: the provider asks the team to take over for a period
MODE_LABELS = {
    SIMPLIFIED: "förenklat beslut",
    REGULAR: "vanlig handläggning",
    REVERSE: "hemgångsteamet tar över en period",
}

Origin = Literal["hospital_discharge", "short_term_stay"]
ORIGIN_LABELS = {
    "hospital_discharge": "planering från sjukhus",
    "short_term_stay": "uppföljning på korttidsboende",
}

Need = Literal["unchanged", "increased"]
UNCHANGED: Need = "unchanged"
INCREASED: Need = "increased"
NEED_LABELS = {UNCHANGED: "oförändrat behov", INCREASED: "ökat behov"}

HOMECOMING_SERVICE = "Hemgångsteam"  # HT-2: the service the simplified decision is tied to
NIGHT_SERVICE = "Natthjälp"
ALARM_SERVICE = "Trygghetslarm"
MEALS_SERVICE = "Matdistribution"

MAX_AHEAD = timedelta(days=366)  # a handover, a period or a start date within a year is plausible


# -- HT-2: the simplified decision and its orders ------------------------------------------------


@dataclass
class PlannedDecision:
    """A decision the simplified handling records: its kind and services."""

    key: str  # home_care | safety_alarm | meals
    kind: str  # the read model's decision kind
    services: list[str]


@dataclass
class PlannedOrder:
    """An order the simplified handling sends: to which unit, with which items."""

    key: str  # team | alarm | night
    receiver: str
    items: list[ServiceItem] = field(default_factory=list)


def simplified_decisions(
    standard_minutes: int, night_minutes: int | None, safety_alarm: bool, meals: bool
) -> list[PlannedDecision]:
    """HT-2: one home-care decision tied to "Hemgångsteam" with the profile's standard time, night
    help added to the same decision with its own time; safety alarm and meal distribution as
    separate decisions."""
    home_care = [f"{HOMECOMING_SERVICE} ({standard_minutes} min/mån)"]
    if night_minutes:
        home_care.append(f"{NIGHT_SERVICE} ({night_minutes} min/mån)")
    decisions = [PlannedDecision("home_care", "care", home_care)]
    if safety_alarm:
        decisions.append(PlannedDecision("safety_alarm", "safety_alarm", [ALARM_SERVICE]))
    if meals:
        decisions.append(PlannedDecision("meals", "meals", [MEALS_SERVICE]))
    return decisions


def simplified_orders(
    units: Homecoming,
    team: str,
    night_district: str | None,
    standard_minutes: int,
    night_minutes: int | None,
    safety_alarm: bool,
    meals: bool,
) -> list[PlannedOrder]:
    """HT-2: the orders go to the homecoming team (the home care, and meal distribution, which the
    team delivers), the alarm team (safety alarm) and the night district (night help)."""
    team_items = [ServiceItem(HOMECOMING_SERVICE, "care", standard_minutes)]
    if meals:
        team_items.append(ServiceItem(MEALS_SERVICE, "service"))
    orders = [PlannedOrder("team", team, team_items)]
    if safety_alarm:
        orders.append(PlannedOrder("alarm", units.alarm_team, [ServiceItem(ALARM_SERVICE, "service")]))
    if night_minutes:
        night = night_district or units.night_district
        orders.append(PlannedOrder("night", night, [ServiceItem(NIGHT_SERVICE, "care", night_minutes)]))
    return orders


def check_simplified_start(night_minutes: int | None, standard_minutes: int) -> None:
    """HT-2: night help has its own time, a positive number of minutes per month."""
    if night_minutes is not None and not 0 < night_minutes <= 100_000:
        raise FieldError(
            "Natthjälpens tid (night_help_minutes) anges i minuter per månad, 1-100000.", "night_help_minutes"
        )
    if standard_minutes <= 0:
        raise ValueError("Kommunprofilens schablontid för hemgångsteam saknas.")


# -- HT-3: the simplified announcement, 2 working days before the handover date ------------------


def working_day_before(day: date, n: int) -> date:
    """The Nth working day strictly before a local date (CAL-1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    for _ in range(n):
        day -= timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
    return day


def simplified_announce_by(handover_date: date, rules: Deadlines) -> date:
    """HT-3: the latest on-time announcement date: the 2nd working day before the handover date.
    Example: handover Tue 2026-12-29 → Wed 2026-12-23 (24th-27th are no working days)."""
    return working_day_before(handover_date, rules.handover_notice_working_days)


def simplified_on_time(announced_at: datetime, handover_date: date, rules: Deadlines) -> bool:
    """HT-3: on time when the announcement's local date is no later than the 2nd working day before."""
    return calendar.local_date(announced_at) <= simplified_announce_by(handover_date, rules)


def proposed_handover_date(now: datetime, rules: Deadlines) -> date:
    """HT-3: the earliest working day a handover announced now is on time for (the form's proposal).
    Announced on a working day d → the 2nd working day after d; on another day → as from the next
    working day."""
    first = calendar.working_day_on_or_after(calendar.local_date(now))
    return calendar.nth_working_day_after(first, rules.handover_notice_working_days)


# -- HT-4: the regular announcement, 24 clock hours before the planned handover -------------------


def regular_announce_by(planned_at: datetime, rules: Deadlines) -> datetime:
    """HT-4: the latest on-time announcement: 24 clock hours (elapsed time, also across a DST
    change) before the planned handover. In UTC: arithmetic on a Stockholm-zoned datetime would
    count wall-clock hours."""
    return planned_at.astimezone(UTC) - timedelta(hours=rules.handover_notice_hours)


def regular_on_time(announced_at: datetime, planned_at: datetime, rules: Deadlines) -> bool:
    """HT-4: on time when made at least 24 clock hours before the planned handover."""
    return announced_at.astimezone(UTC) <= regular_announce_by(planned_at, rules)


def proposed_handover_at(now: datetime, rules: Deadlines) -> datetime:
    """HT-4: the earliest on-time planned handover for an announcement now, on the next full hour."""
    earliest = calendar.local(now.astimezone(UTC) + timedelta(hours=rules.handover_notice_hours))
    rounded = earliest.replace(minute=0, second=0, microsecond=0)
    return rounded if rounded == earliest else rounded + timedelta(hours=1)


def check_handover(
    mode: Mode,
    handover_date: date | None,
    planned_at: datetime | None,
    services: list[str],
    announced_at: datetime,
) -> date:
    """HT-3 / HT-4: an announcement names its handover (simplified: a date; regular: the planned
    moment and the services to hand over), not before the announcement and within a year.
    Returns the handover's local date. Raises ValueError in Swedish."""
    if mode == SIMPLIFIED:
        if handover_date is None:
            raise FieldError("Ange överlämningsdatum (handover_date).", "handover_date")
        if planned_at is not None:
            raise FieldError(
                "Vid förenklat beslut anges överlämningsdatum, inte tidpunkt (planned_at).", "planned_at"
            )
        day = handover_date
    else:
        if planned_at is None:
            raise FieldError("Ange planerad tidpunkt för överlämningen (planned_at).", "planned_at")
        if planned_at.tzinfo is None:
            raise FieldError("planned_at måste anges med tidszon.", "planned_at")
        if planned_at.astimezone(UTC) <= announced_at.astimezone(UTC):
            raise FieldError("Den planerade överlämningen måste ligga efter meddelandet.", "planned_at")
        if not [s for s in services if s.strip()]:
            raise FieldError("Ange de insatser som ska lämnas över (services), enligt mallen.", "services")
        day = calendar.local_date(planned_at)
    check_date_ahead(
        day, announced_at, "Överlämningsdatum", "handover_date" if mode == SIMPLIFIED else "planned_at"
    )
    return day


def check_date_ahead(day: date, now: datetime, what: str, at: str | None = None) -> None:
    """A date for something to come: not before today, within a year, in the calendar's years;
    ``at``: the input the date was given in."""
    today = calendar.local_date(now)
    if day < today:
        raise FieldError(f"{what} {day} ligger före i dag ({today}).", *((at,) if at else ()))
    if day > today + MAX_AHEAD:
        raise FieldError(f"{what} {day} ligger mer än ett år fram i tiden.", *((at,) if at else ()))
    calendar.is_holiday(day)  # outside the calendar's years: ValueError


# -- HT-5: the team takes over for a period ------------------------------------------------------


def check_period(start: date, end: date | None, now: datetime) -> None:
    """HT-5: the period the team takes over: from today at the earliest, ending after it starts."""
    check_date_ahead(start, now, "Periodens början", "period_start")
    if end is not None:
        if end < start:
            raise FieldError(f"Periodens slut {end} ligger före dess början {start}.", "period_end")
        check_date_ahead(end, now, "Periodens slut", "period_end")


# -- HT-6: discharge from hospital (Botkyrka) ---------------------------------------------------


def discharge_start_day(called_at: datetime, call_before: time) -> date:
    """HT-6: unchanged need: services start the same day when the hospital called the provider
    before 11:00 on a working day, otherwise on the next working day.
    Example: called Midsommarafton Fri 2027-06-25 09:00 → Mon 2027-06-28."""
    local = calendar.local(called_at)
    if calendar.is_working_day(local.date()) and local.time() < call_before:
        return local.date()
    return calendar.next_working_day(local.date())


def increased_need_due(contacted_at: datetime) -> datetime:
    """HT-6: increased need: the person is received within 24 hours on working days (CAL-5) after
    the contact with the case worker."""
    return calendar.working_hours_24(contacted_at)


def discharge_due(need: Need, called_at: datetime, call_before: time) -> datetime:
    """HT-6: when the services must have started: the end of the start day (unchanged need) or
    CAL-5 after the contact (increased need; ``called_at`` is then that contact)."""
    if need == UNCHANGED:
        return calendar.end_of_day(discharge_start_day(called_at, call_before))
    return increased_need_due(called_at)


def check_discharge(
    applies: bool, origin: Origin, need: Need | None, called_at: datetime | None, now: datetime
) -> None:
    """HT-6: in a profile where it applies, a hospital discharge names the need and when the
    hospital called (unchanged) or the case worker was contacted (increased); elsewhere neither."""
    if not applies or origin != "hospital_discharge":
        if need is not None or called_at is not None:
            raise FieldError(
                "Regeln om utskrivning från sjukhus (HT-6) gäller inte här.",
                *(
                    name
                    for name, value in (("discharge_need", need), ("called_at", called_at))
                    if value is not None
                ),
            )
        return
    if need is None or called_at is None:
        raise FieldError(
            "Ange behovet vid utskrivningen (discharge_need) och när sjukhuset ringde eller "
            "handläggaren kontaktades (called_at).",
            *(name for name, value in (("discharge_need", need), ("called_at", called_at)) if value is None),
        )
    if called_at.tzinfo is None:
        raise FieldError("called_at måste anges med tidszon.", "called_at")
    if called_at > now:
        raise FieldError("called_at ligger i framtiden.", "called_at")
    if called_at < now - MAX_AHEAD:
        raise FieldError("called_at ligger mer än ett år tillbaka.", "called_at")


# -- texts ----------------------------------------------------------------------------------------


def announcement_text(
    mode: Mode,
    handover_day: date,
    planned_at: datetime | None,
    services: list[str],
    on_time: bool,
    limit: str,
    note: str,
) -> str:
    """HT-3 / HT-4: the team's announcement for the mailboxes and the journal; ``limit`` is the
    latest on-time announcement as the reader sees it."""
    when = f"{calendar.local(planned_at):%Y-%m-%d %H:%M}" if planned_at else handover_day.isoformat()
    what = f" Insatser att lämna över: {', '.join(services)}." if services else ""
    timing = "i tid" if on_time else "för sent"
    return (
        f"Hemgångsteamet meddelar överlämning {when}.{what} "
        f"Meddelat {timing} (senast {limit}).{f' {note}' if note else ''}"
    )


# -- the case worker's steps -----------------------------------------------------------------------


def check_order_start(start_date: date, now: datetime) -> None:
    """HT-2 / HT-4: an order's start date within a year of today, either way (a late order may
    start on a day already passed, e.g. the HT-6 start day)."""
    today = calendar.local_date(now)
    if abs(start_date - today) > MAX_AHEAD:
        raise FieldError(f"Startdatum {start_date} ligger mer än ett år från i dag ({today}).", "start_date")
    calendar.is_holiday(start_date)  # outside the calendar's years: ValueError


def check_follow_up(
    new_decision: bool, services: list[str], decision_date: date | None, window: tuple[date, date]
) -> None:
    """HT-3 / HT-4: a new home-care decision names its services and its date, within ``window``
    (from the announcement to the handover date: it applies when the team's order ends);
    otherwise neither."""
    named = [s for s in services if s.strip()]
    if not new_decision:
        if named or decision_date is not None:
            raise FieldError(
                "Insatser och beslutsdatum anges bara vid ett nytt beslut (new_decision).", "new_decision"
            )
        return
    if not named:
        raise FieldError("Ange insatserna i det nya beslutet (services).", "services")
    if decision_date is None:
        raise FieldError("Ange beslutsdatum (decision_date), normalt överlämningsdatum.", "decision_date")
    earliest, latest = window
    if not earliest <= decision_date <= latest:
        raise FieldError(
            f"Det nya beslutet gäller från {earliest.isoformat()} till senast överlämningsdatumet "
            f"{latest.isoformat()}, inte {decision_date.isoformat()}.",
            "decision_date",
        )


def move_due(handover_day: date, planned_at: datetime | None, announced_at: datetime) -> datetime:
    """HT-3 / HT-4: the follow-up and the move are due before the handover: the planned moment
    (regular) or the end of the day before the handover date (simplified), but never before the
    end of the day the handover was announced (a late announcement leaves that day).
    **Interpretation**: the routines say only that the order is sent to the chosen provider; it
    must be there when the handover happens.
    Example: handover Tue 2026-12-29 announced Mon 2026-12-28 → 2026-12-28 23:59:59; announced
    on Tue 2026-12-29 itself → 2026-12-29 23:59:59."""
    if planned_at is not None:
        return planned_at
    day_before = handover_day - timedelta(days=1)
    return calendar.end_of_day(max(day_before, calendar.local_date(announced_at)))


def takeover_move_due(asked_at: datetime, moves_on: date, rules: Deadlines) -> datetime:
    """HT-5: the case worker moves the order (to the team, or back to the provider) within the
    feedback time of COM-1 (5 working days), and before the day it moves: by the end of the day
    before ``moves_on`` (the day the request was made, when that is later).
    Example: asked Mon 2027-03-08 for a period from Wed 2027-03-10 → Tue 2027-03-09 23:59:59."""
    feedback = calendar.working_days_after(asked_at, rules.feedback_working_days)
    before = calendar.end_of_day(max(moves_on - timedelta(days=1), calendar.local_date(asked_at)))
    return min(feedback, before)


def check_hand_back(back_on: date, team_from: date | None) -> None:
    """HT-5: the order moves back after the team took it over, not on or before that day."""
    if team_from is not None and back_on <= team_from:
        raise FieldError(
            f"Beställningen kan flyttas tillbaka tidigast dagen efter att hemgångsteamet tog över "
            f"({team_from.isoformat()}), inte {back_on.isoformat()}.",
            "back_on",
        )


def with_meals(items: list[ServiceItem]) -> list[ServiceItem]:
    """HT-2 / HT-3: the meal distribution the team delivered continues with the chosen provider:
    the moved order carries it unless the case worker named it already."""
    if any(item.name.strip().casefold() == MEALS_SERVICE.casefold() for item in items):
        return list(items)
    return [*items, ServiceItem(MEALS_SERVICE, "service")]


def check_move(
    named: str | None,
    proposed: str | None,
    team: str,
    fixed: bool,
    expected_start: date | None,
    start_date: date,
    items: list[ServiceItem],
) -> str:
    """HT-3 / HT-4 / HT-5: the order moves to the proposed receiver (the chosen provider; HT-5:
    the team, then back to the provider), starting on the handover date (HT-5: the period's start,
    the day the provider takes back). Returns the receiver; raises ValueError in Swedish."""
    receiver = named or proposed
    if not receiver:
        raise FieldError("Ange den valda hemtjänsten (provider_id).", "provider_id")
    if fixed and proposed is not None and receiver != proposed:
        raise FieldError(f"Beställningen flyttas till {proposed}, inte {receiver}.", "provider_id")
    if not fixed and receiver == team:
        raise FieldError(
            "Beställningen ska flyttas till den valda hemtjänsten, inte till hemgångsteamet.", "provider_id"
        )
    if expected_start is not None and start_date != expected_start:
        raise FieldError(
            f"Den flyttade beställningen startar {expected_start.isoformat()}, inte {start_date}.",
            "start_date",
        )
    if not items:
        raise FieldError("En beställning måste innehålla minst en insats.", "items")
    return receiver


def child_order_id(process_id: str, case_id: str, n: int) -> str:
    """The id of the process's n-th order: ``case-<id>/order/<process number><n, two digits>``,
    e.g. ``case-c1/order/101`` for the first order of ``case-c1/homecoming/1``: numeric, so the read
    model numbers it, and apart from the numbers the API gives (1, 2, ...) for up to 100 orders."""
    tail = process_id.rsplit("/", 1)[-1]
    return f"case-{case_id}/order/{tail if tail.isdigit() else 0}{n:02d}"
