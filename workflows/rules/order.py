"""Deadline and validation rules of the order (beställning) lifecycle: ORD-1..ORD-6, COM-3, COM-4
(ORD-7, oldest first, is the order lists' sort in readmodel/repository.py).

Pure functions over instants and dates; the order workflow and the API previews both use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from workflows import calendar
from workflows.model import FieldError
from workflows.profiles import OfficeHours, OrderRules
from workflows.rules import plausibility

CARE = "care"  # omvårdnadsinsats: personal care, executed immediately (ORD-4)
SERVICE = "service"  # serviceinsats: e.g. cleaning, within 2 weeks, at most 4 (ORD-4)
ItemKind = Literal["care", "service"]

PhoneTarget = Literal["coordinator", "on_call_supervisor"]
COORDINATOR: PhoneTarget = "coordinator"  # samordnare / enhetschef / gruppledare
ON_CALL_SUPERVISOR: PhoneTarget = "on_call_supervisor"  # jourhavande arbetsledare
PHONE_TARGET_LABELS = {
    COORDINATOR: "utförarens samordnare/enhetschef",
    ON_CALL_SUPERVISOR: "jourhavande arbetsledare",
}


@dataclass
class ServiceItem:
    """One granted service (insats) in an order."""

    name: str
    kind: ItemKind
    minutes_per_month: int | None = None


def is_urgent(sent_at: datetime, start_date: date, rules: OrderRules) -> bool:
    """COM-3: sent at or after 14:00 for services starting the same day or the next working day."""
    sent = calendar.local(sent_at)
    if sent.time() < rules.urgent_sent_from:
        return False
    return start_date <= calendar.next_working_day(sent.date())


def phone_target(at: datetime, hours: OfficeHours) -> PhoneTarget:
    """COM-3: in office hours the coordinator; later, or on a non-working day, the on-call supervisor."""
    return COORDINATOR if calendar.is_office_hours(at, hours) else ON_CALL_SUPERVISOR


def phone_due(sent_at: datetime, hours: OfficeHours, rules: OrderRules) -> datetime:
    """COM-3: by the end of office hours when the coordinator is the target, else within the
    profile's on-call window (the routines give no number for the on-call call)."""
    if phone_target(sent_at, hours) == COORDINATOR:
        return calendar.office_hours_end(calendar.local_date(sent_at), hours)
    return sent_at + timedelta(minutes=rules.on_call_phone_within_minutes)


def check_phone_call(
    called_at: datetime, sent_at: datetime, phoned: PhoneTarget, phoned_name: str, hours: OfficeHours
) -> None:
    """COM-3: the call makes sure the sent order was received, so it comes after the sending, and
    reaches the right person for the time of the call. Raises ValueError with the reason in Swedish."""
    if called_at < sent_at:
        raise FieldError("Samtalet kan inte ha skett innan beställningen skickades.", "occurred_at")
    expected = phone_target(called_at, hours)
    if phoned != expected:
        raise FieldError(
            f"Klockan {calendar.local(called_at):%H:%M} ska {PHONE_TARGET_LABELS[expected]} kontaktas, "
            f"inte {PHONE_TARGET_LABELS[phoned]}.",
            "phoned",
        )
    if not phoned_name.strip():
        raise FieldError("Ange vem som kontaktades.", "phoned_name")


def check_request(
    provider_id: str | None,
    items: list[ServiceItem],
    sent_at: datetime | None,
    now: datetime,
    start_date: date | None = None,
    case_since: datetime | None = None,
) -> None:
    """Starting an order: a provider, at least one item; ``sent_at`` plausible (not in the future,
    not before the case existed, not absurdly old) and ``start_date`` near the sending (issue 6 §2).
    Raises ValueError."""
    if not provider_id:
        raise FieldError("Ärendet har ingen utförare; ange provider_id.", "provider_id")
    if not items:
        raise FieldError("En beställning måste innehålla minst en insats.", "items")
    plausibility.check_reported_moment("sent_at", sent_at, now, case_since)
    if start_date is not None:
        plausibility.check_date_near("start_date", start_date, sent_at or now)


def order_text(items: list[ServiceItem], start_date: date, other: str) -> str:
    """The order's message to the provider; COM-4: with "övrigt", the start-up information."""
    other_text = f"\nÖvrigt: {other}" if other else ""
    return f"Insatser: {', '.join(item.name for item in items)}. Start {start_date.isoformat()}.{other_text}"


def not_executable_text(reason: str, contact_attempts: int, person_declined: bool) -> str:
    """ORD-3: the provider's reason, for the case worker and the provider's journal."""
    declined = " Brukaren har avböjt insatsen." if person_declined else ""
    return f"Beställningen kan inte verkställas: {reason}. Kontaktförsök: {contact_attempts}.{declined}"


def item_rows(items: list[ServiceItem]) -> list[dict[str, Any]]:
    """The order's items as the read model stores them."""
    return [{"name": i.name, "kind": i.kind, "minutes_per_month": i.minutes_per_month} for i in items]


def confirm_due(arrived_at: datetime) -> datetime:
    """ORD-1: the provider confirms within 24 hours on working days (CAL-5) of arrival."""
    return calendar.working_hours_24(arrived_at)


def has_care_items(items: list[ServiceItem]) -> bool:
    return any(item.kind == CARE for item in items)


def service_starts_at(arrived_at: datetime, start_date: date) -> datetime:
    """ORD-4: when the service can start: the later of the order's arrival and the start (00:00
    local) of its start date. Sent Sun 2026-11-29 for Tue 2026-12-01 -> 2026-12-01 00:00."""
    return max(arrived_at, calendar.at_local(start_date, time(0, 0)))


def execution_expected_by(starts_at: datetime, items: list[ServiceItem], rules: OrderRules) -> datetime:
    """ORD-4, counted from ``starts_at`` (``service_starts_at``): care items by the end of the next
    working day; service items within 2 weeks. Start Tue 2026-12-01 with care items -> Wed
    2026-12-02 23:59:59; with service items only -> 2026-12-15 23:59:59."""
    if has_care_items(items):
        return calendar.working_days_after(starts_at, 1)
    return calendar.end_of_day(calendar.local_date(starts_at) + timedelta(days=rules.service_expected_days))


def review_opens_at(starts_at: datetime, items: list[ServiceItem], rules: OrderRules) -> datetime:
    """ORD-4, counted from ``starts_at``: the not-executed review opens at 4 weeks for service
    items, at once for care items not executed by the next working day."""
    if has_care_items(items):
        return execution_expected_by(starts_at, items, rules)
    return calendar.end_of_day(calendar.local_date(starts_at) + timedelta(days=rules.service_max_days))


def review_again_at(instructed_at: datetime, rules: OrderRules) -> datetime:
    """ORD-4: after telling the provider to execute, a new review if it is still not executed."""
    return calendar.end_of_day(calendar.local_date(instructed_at) + timedelta(days=rules.review_repeat_days))


def check_execution_date(
    execution_date: date, arrived_at: datetime, now: datetime, executed_since: date | None = None
) -> None:
    """ORD-2: the date of the first visit actually performed: never before the order's arrival,
    never in the future. An order that formalises support already given (``executed_since``: e.g.
    EXT-5's day 1, an HT-6 start day already passed) is executed from that day at the earliest.
    Raises ValueError with the reason in Swedish."""
    arrived = calendar.local_date(arrived_at)
    earliest = min(arrived, executed_since) if executed_since is not None else arrived
    if execution_date < earliest:
        since = "stödet började ges" if earliest < arrived else "beställningens ankomst"
        raise FieldError(
            f"Verkställighetsdatum {execution_date} är före {since} {earliest}.", "execution_date"
        )
    if execution_date > calendar.local_date(now):
        raise FieldError(f"Verkställighetsdatum {execution_date} ligger i framtiden.", "execution_date")


def care_plan_due(execution_date: date, rules: OrderRules) -> datetime:
    """ORD-5: the care plan (genomförandeplan) within 3 weeks of the execution date."""
    return calendar.end_of_day(execution_date + timedelta(days=rules.care_plan_days))


def check_care_plan_date(done_on: date, execution_date: date, now: datetime) -> None:
    """ORD-5: a care plan is made after execution and not in the future."""
    if done_on < execution_date:
        raise FieldError(
            f"Genomförandeplanen {done_on} kan inte vara före verkställigheten {execution_date}.", "done_on"
        )
    if done_on > calendar.local_date(now):
        raise FieldError(f"Datumet {done_on} för genomförandeplanen ligger i framtiden.", "done_on")
