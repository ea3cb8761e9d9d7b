"""The pure rules of the urgent change (UC-1..UC-4, COM-1, COM-6), with the issue's dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.support import end_of, profile, sthlm
from workflows.rules import communication
from workflows.rules import urgent_change as rules

DEADLINES = profile().deadlines


def test_UC_1_lasting_change_started_on_christmas_eve_is_notified_by_end_of_monday_28_december() -> None:
    """UC-1: Thu 2026-12-24 (Julafton) → next working day after it is Mon 2026-12-28
    (25 Juldagen, 26 Annandag jul/Saturday, 27 Sunday are not working days)."""
    started = sthlm(2026, 12, 24, 18, 30)
    assert rules.notify_due(started) == end_of(date(2026, 12, 28))
    assert rules.notification_due(rules.LASTING, started, DEADLINES) == end_of(date(2026, 12, 28))


def test_UC_1_lasting_change_on_an_ordinary_weekday_is_due_the_next_working_day() -> None:
    """UC-1: CAL-4 N=1: Mon 2026-11-23 → end of Tue 2026-11-24; Fri 2026-11-27 → end of Mon 11-30."""
    assert rules.notify_due(sthlm(2026, 11, 23, 9)) == end_of(date(2026, 11, 24))
    assert rules.notify_due(sthlm(2026, 11, 27, 23, 50)) == end_of(date(2026, 11, 30))


def test_UC_2_short_change_from_tuesday_22_december_opens_on_friday_25_december_a_holiday() -> None:
    """UC-2 / CAL-6: day 1 = Tue 2026-12-22, day 4 = Fri 2026-12-25 (Juldagen): calendar days, so the
    notification step opens at 00:00 local that day and is due at its end."""
    started = sthlm(2026, 12, 22, 14, 0)
    assert rules.day_four(started, DEADLINES) == date(2026, 12, 25)
    assert rules.notify_opens_at(started, DEADLINES) == sthlm(2026, 12, 25, 0, 0)
    assert rules.short_notify_due(started, DEADLINES) == end_of(date(2026, 12, 25))
    assert rules.notification_due(rules.SHORT, started, DEADLINES) == end_of(date(2026, 12, 25))


def test_UC_2_day_four_counts_from_the_local_date_even_late_in_the_evening() -> None:
    """UC-2: started 23:30 local on Tue 2026-12-22 (22:30 UTC) is still day 1 = 12-22."""
    started = sthlm(2026, 12, 22, 23, 30)
    assert rules.day_four(started, DEADLINES) == date(2026, 12, 25)
    assert rules.notify_opens_at(started, DEADLINES) == sthlm(2026, 12, 25)


def test_UC_1_and_UC_2_propose_the_decision_date_start_day_or_day_four() -> None:
    """UC-1: lasting → the start day (2026-12-24); UC-2: short → day 4 (2026-12-25)."""
    lasting = rules.proposed_decision_date(rules.LASTING, sthlm(2026, 12, 24, 7), DEADLINES)
    short = rules.proposed_decision_date(rules.SHORT, sthlm(2026, 12, 22, 14), DEADLINES)
    assert (lasting, short) == (date(2026, 12, 24), date(2026, 12, 25))


def test_UC_1_UC_2_a_decision_date_other_than_the_proposed_one_is_rejected() -> None:
    rules.check_decision_date(date(2026, 12, 25), rules.SHORT, sthlm(2026, 12, 22, 14), DEADLINES)
    with pytest.raises(ValueError, match="2026-12-25"):
        rules.check_decision_date(date(2026, 12, 22), rules.SHORT, sthlm(2026, 12, 22, 14), DEADLINES)
    rules.check_decision_date(date(2026, 12, 24), rules.LASTING, sthlm(2026, 12, 24, 7), DEADLINES)
    with pytest.raises(ValueError, match="2026-12-24"):
        rules.check_decision_date(date(2026, 12, 28), rules.LASTING, sthlm(2026, 12, 24, 7), DEADLINES)


def test_UC_4_a_grant_names_at_least_one_service_dated_from_the_start_day_christmas_eve() -> None:
    """UC-4: more help granted is a decision of what is granted: a lasting change that started
    Thu 2026-12-24 (Julafton) is granted from 2026-12-24 with its services; without one (or only
    blanks) it is refused at the services, in Swedish. A refusal or a booked follow-up names none."""
    started, notified = sthlm(2026, 12, 24, 7), sthlm(2026, 12, 28, 10)
    granted = (rules.GRANTED, date(2026, 12, 24), None, rules.LASTING, started, notified, DEADLINES)
    rules.check_response(*granted, ["Toaletthjälp natt"])
    for services in ([], ["  "]):
        with pytest.raises(ValueError, match=r"^Insatser: ange minst en insats som beviljas\."):
            rules.check_response(*granted, services)
    rules.check_response(rules.NOT_GRANTED, None, None, rules.LASTING, started, notified, DEADLINES)
    booked = (rules.FOLLOW_UP_BOOKED, None, date(2026, 12, 29), rules.LASTING, started, notified, DEADLINES)
    rules.check_response(*booked)


def test_UC_4_COM_1_response_due_five_working_days_after_a_notification_on_monday_28_december() -> None:
    """UC-4 / COM-1: notified Mon 2026-12-28 10:00 → working days 29, 30 Dec, 4, 5 and 7 Jan
    (31 Nyårsafton, 1 Nyårsdagen, 2-3 weekend, 6 Trettondedag jul are not) → end of Thu 2027-01-07."""
    assert rules.respond_due(sthlm(2026, 12, 28, 10), DEADLINES) == end_of(date(2027, 1, 7))


def test_UC_4_COM_1_response_due_five_working_days_after_a_notification_on_christmas_day() -> None:
    """UC-4 / COM-1: notified Fri 2026-12-25 (holiday) → 28, 29, 30 Dec, 4, 5 Jan → end of Tue 2027-01-05."""
    assert rules.respond_due(sthlm(2026, 12, 25, 10), DEADLINES) == end_of(date(2027, 1, 5))


def test_UC_3_start_may_be_in_the_past_but_not_in_the_future_and_carries_its_offset() -> None:
    now = sthlm(2026, 12, 24, 3)
    rules.check_start(sthlm(2026, 12, 23, 22), now)
    rules.check_start(now, now)
    with pytest.raises(ValueError, match="framtiden"):
        rules.check_start(now + timedelta(minutes=1), now)
    with pytest.raises(ValueError, match="tidszon"):
        rules.check_start(datetime(2026, 12, 23, 22), now)


def test_COM_6_a_report_for_a_person_who_cannot_call_requires_the_reason() -> None:
    communication.check_reported_for_person(True, "", "reason")
    communication.check_reported_for_person(False, "Brukaren har demens och kan inte ringa.", "reason")
    with pytest.raises(ValueError, match="reported_for_person_reason"):
        communication.check_reported_for_person(False, "  ", "reported_for_person_reason")


def test_UC_2_need_ended_must_lie_between_the_start_and_00_00_of_day_four() -> None:
    started = sthlm(2026, 12, 22, 14)
    rules.check_need_ended(sthlm(2026, 12, 24, 23, 59), started, DEADLINES)
    with pytest.raises(ValueError, match="dag 4"):
        rules.check_need_ended(sthlm(2026, 12, 25, 0, 0), started, DEADLINES)
    with pytest.raises(ValueError, match="innan"):
        rules.check_need_ended(sthlm(2026, 12, 22, 13), started, DEADLINES)


def test_UC_1_UC_2_a_notification_is_not_earlier_than_the_start_or_day_four() -> None:
    """UC-1: not before started_at (a phone call before registering is fine); UC-2: not before
    00:00 of day 4 (2026-12-25 for a start on 2026-12-22)."""
    lasting = sthlm(2026, 12, 24, 18)
    rules.check_notified_at(lasting, rules.LASTING, lasting, DEADLINES)
    with pytest.raises(ValueError, match="2026-12-24 18:00"):
        rules.check_notified_at(lasting - timedelta(minutes=1), rules.LASTING, lasting, DEADLINES)
    short = sthlm(2026, 12, 22, 14)
    rules.check_notified_at(sthlm(2026, 12, 25, 0, 0), rules.SHORT, short, DEADLINES)
    with pytest.raises(ValueError, match="2026-12-25 00:00"):
        rules.check_notified_at(sthlm(2026, 12, 24, 23, 59), rules.SHORT, short, DEADLINES)
