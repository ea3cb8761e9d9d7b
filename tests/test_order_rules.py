"""The pure rules of the order process (ORD-1..ORD-7, COM-3): exact instants, Stockholm time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.support import end_of, profile, sthlm
from workflows.rules import order as rules
from workflows.rules.order import ServiceItem

DEFAULT = profile("default")
NORRKOPING = profile("norrkoping")
CLEANING = [ServiceItem(name="Städning", kind="service", minutes_per_month=120)]
PERSONAL_CARE = [ServiceItem(name="Personlig omvårdnad", kind="care", minutes_per_month=600)]
MIXED = CLEANING + PERSONAL_CARE


# -- ORD-1: confirm within 24 hours on working days (CAL-5) ---------------------------------------


def test_ORD_1_an_order_sent_the_day_before_julafton_is_confirmed_by_monday_at_the_same_time() -> None:
    # Thu 24 (Julafton), Fri 25, Sat 26, Sun 27 are no working days.
    assert rules.confirm_due(sthlm(2026, 12, 23, 10, 0)) == sthlm(2026, 12, 28, 10, 0)


def test_ORD_1_an_order_sent_on_a_weekday_is_confirmed_at_the_same_time_the_next_working_day() -> None:
    assert rules.confirm_due(sthlm(2026, 12, 1, 15, 20)) == sthlm(2026, 12, 2, 15, 20)
    assert rules.confirm_due(sthlm(2026, 12, 4, 9, 0)) == sthlm(2026, 12, 7, 9, 0)  # Fri -> Mon


def test_ORD_1_an_order_sent_on_saturday_counts_from_monday_0800_and_is_due_tuesday_0800() -> None:
    assert rules.confirm_due(sthlm(2026, 12, 5, 13, 0)) == sthlm(2026, 12, 8, 8, 0)


def test_ORD_1_the_deadline_is_the_same_instant_whatever_zone_the_input_carries() -> None:
    sent = sthlm(2026, 12, 23, 10, 0).astimezone(UTC)
    assert rules.confirm_due(sent) == sthlm(2026, 12, 28, 10, 0)


# -- COM-3: urgent order sent at or after 14:00 -> phone the provider -----------------------------


def test_COM_3_an_order_sent_at_1359_is_not_urgent_even_if_it_starts_the_same_day() -> None:
    assert not rules.is_urgent(sthlm(2026, 12, 1, 13, 59), date(2026, 12, 1), DEFAULT.orders)


def test_COM_3_an_order_sent_at_1400_for_a_same_day_start_is_urgent() -> None:
    assert rules.is_urgent(sthlm(2026, 12, 1, 14, 0), date(2026, 12, 1), DEFAULT.orders)


def test_COM_3_an_order_sent_at_1400_for_the_next_working_day_is_urgent() -> None:
    assert rules.is_urgent(sthlm(2026, 12, 1, 14, 0), date(2026, 12, 2), DEFAULT.orders)


def test_COM_3_friday_afternoon_with_a_monday_start_is_urgent_the_weekend_is_skipped() -> None:
    assert rules.is_urgent(sthlm(2026, 12, 18, 15, 0), date(2026, 12, 21), DEFAULT.orders)


def test_COM_3_a_start_two_working_days_later_is_not_urgent() -> None:
    assert not rules.is_urgent(sthlm(2026, 12, 1, 15, 0), date(2026, 12, 3), DEFAULT.orders)
    assert not rules.is_urgent(sthlm(2026, 12, 18, 15, 0), date(2026, 12, 22), DEFAULT.orders)


def test_COM_3_the_day_before_julafton_the_next_working_day_is_monday_after_christmas() -> None:
    assert rules.is_urgent(sthlm(2026, 12, 23, 15, 0), date(2026, 12, 28), DEFAULT.orders)
    assert not rules.is_urgent(sthlm(2026, 12, 23, 15, 0), date(2026, 12, 29), DEFAULT.orders)


def test_COM_3_tuesday_1430_the_coordinator_is_phoned_before_1700() -> None:
    sent = sthlm(2026, 12, 1, 14, 30)
    assert rules.phone_target(sent, DEFAULT.office_hours) == rules.COORDINATOR
    assert rules.phone_due(sent, DEFAULT.office_hours, DEFAULT.orders) == sthlm(2026, 12, 1, 17, 0)


def test_COM_3_norrkoping_in_july_the_coordinator_is_phoned_before_1600() -> None:
    sent = sthlm(2027, 7, 13, 14, 30)  # a Tuesday
    assert rules.phone_target(sent, NORRKOPING.office_hours) == rules.COORDINATOR
    assert rules.phone_due(sent, NORRKOPING.office_hours, NORRKOPING.orders) == sthlm(2027, 7, 13, 16, 0)


def test_COM_3_norrkoping_in_july_at_1630_the_on_call_supervisor_is_phoned_within_an_hour() -> None:
    sent = sthlm(2027, 7, 13, 16, 30)
    assert rules.phone_target(sent, NORRKOPING.office_hours) == rules.ON_CALL_SUPERVISOR
    assert rules.phone_due(sent, NORRKOPING.office_hours, NORRKOPING.orders) == sthlm(2027, 7, 13, 17, 30)
    # The default profile keeps 17:00 in summer.
    assert rules.phone_target(sent, DEFAULT.office_hours) == rules.COORDINATOR


def test_COM_3_at_1730_the_on_call_supervisor_is_phoned_within_60_minutes() -> None:
    sent = sthlm(2026, 12, 1, 17, 30)
    assert rules.phone_target(sent, DEFAULT.office_hours) == rules.ON_CALL_SUPERVISOR
    assert rules.phone_due(sent, DEFAULT.office_hours, DEFAULT.orders) == sthlm(2026, 12, 1, 18, 30)


def test_COM_3_at_exactly_1700_office_hours_are_over() -> None:
    assert rules.phone_target(sthlm(2026, 12, 1, 17, 0), DEFAULT.office_hours) == rules.ON_CALL_SUPERVISOR
    assert rules.phone_target(sthlm(2026, 12, 1, 16, 59), DEFAULT.office_hours) == rules.COORDINATOR


def test_COM_3_on_saturday_the_on_call_supervisor_is_phoned() -> None:
    sent = sthlm(2026, 12, 5, 14, 30)
    assert rules.is_urgent(sent, date(2026, 12, 7), DEFAULT.orders)
    assert rules.phone_target(sent, DEFAULT.office_hours) == rules.ON_CALL_SUPERVISOR
    assert rules.phone_due(sent, DEFAULT.office_hours, DEFAULT.orders) == sthlm(2026, 12, 5, 15, 30)


def test_COM_3_on_julafton_at_1500_the_on_call_supervisor_is_phoned() -> None:
    sent = sthlm(2026, 12, 24, 15, 0)  # Thursday, a de facto holiday (CAL-1)
    assert rules.phone_target(sent, DEFAULT.office_hours) == rules.ON_CALL_SUPERVISOR
    assert rules.phone_due(sent, DEFAULT.office_hours, DEFAULT.orders) == sthlm(2026, 12, 24, 16, 0)


# -- ORD-2: the execution date is the first visit actually performed -------------------------------


def test_ORD_2_botkyrka_example_order_arrives_22_9_start_agreed_for_28_9() -> None:
    arrived = sthlm(2026, 9, 22, 10, 0)
    registered = sthlm(2026, 9, 28, 16, 0)
    rules.check_execution_date(date(2026, 9, 28), arrived, registered)  # accepted
    rules.check_execution_date(date(2026, 9, 22), arrived, registered)  # the arrival day itself
    with pytest.raises(ValueError, match="före beställningens ankomst 2026-09-22"):
        rules.check_execution_date(date(2026, 9, 21), arrived, registered)
    with pytest.raises(ValueError, match="framtiden"):
        rules.check_execution_date(date(2026, 9, 29), arrived, registered)


def test_ORD_2_the_dates_are_stockholm_dates_not_utc_dates() -> None:
    # 00:30 on 22/9 in Stockholm is still 21/9 in UTC: the arrival date is 22/9.
    arrived = sthlm(2026, 9, 22, 0, 30)
    with pytest.raises(ValueError):
        rules.check_execution_date(date(2026, 9, 21), arrived, sthlm(2026, 9, 28, 12, 0))
    # Registered at 00:30 local on 28/9 (27/9 in UTC): the 28th is today, not the future.
    rules.check_execution_date(date(2026, 9, 28), arrived, sthlm(2026, 9, 28, 0, 30).astimezone(UTC))


# -- ORD-4: not executed in time ---------------------------------------------------------------


def test_ORD_4_a_service_order_is_expected_within_2_weeks_and_reviewed_at_4_weeks() -> None:
    sent = sthlm(2026, 12, 1, 10, 0)  # Tuesday
    assert rules.execution_expected_by(sent, CLEANING, DEFAULT.orders) == end_of(date(2026, 12, 15))
    assert rules.review_opens_at(sent, CLEANING, DEFAULT.orders) == end_of(date(2026, 12, 29))


def test_ORD_4_a_care_order_is_expected_by_the_end_of_the_next_working_day_and_reviewed_then() -> None:
    sent = sthlm(2026, 12, 23, 10, 0)  # Wednesday before Julafton
    assert rules.execution_expected_by(sent, PERSONAL_CARE, DEFAULT.orders) == end_of(date(2026, 12, 28))
    assert rules.review_opens_at(sent, PERSONAL_CARE, DEFAULT.orders) == end_of(date(2026, 12, 28))


def test_ORD_4_an_order_with_any_care_item_follows_the_care_rule() -> None:
    sent = sthlm(2026, 12, 1, 10, 0)
    assert rules.execution_expected_by(sent, MIXED, DEFAULT.orders) == end_of(date(2026, 12, 2))
    assert rules.review_opens_at(sent, MIXED, DEFAULT.orders) == end_of(date(2026, 12, 2))


def test_ORD_4_after_an_instruction_to_execute_the_review_comes_again_after_14_days() -> None:
    assert rules.review_again_at(sthlm(2026, 12, 30, 9, 0), DEFAULT.orders) == end_of(date(2027, 1, 13))


def test_ORD_4_a_service_order_sent_late_in_the_evening_counts_from_its_stockholm_date() -> None:
    sent = sthlm(2026, 12, 1, 23, 30).astimezone(UTC)  # 22:30 UTC, still 1/12 in Stockholm
    assert rules.execution_expected_by(sent, CLEANING, DEFAULT.orders) == end_of(date(2026, 12, 15))


# -- ORD-5: the care plan within 3 weeks of execution ------------------------------------------


def test_ORD_5_execution_on_28_december_gives_a_care_plan_due_by_the_end_of_18_january() -> None:
    assert rules.care_plan_due(date(2026, 12, 28), DEFAULT.orders) == end_of(date(2027, 1, 18))


def test_ORD_5_across_the_spring_dst_change_the_deadline_is_still_2359_local() -> None:
    due = rules.care_plan_due(date(2027, 3, 15), DEFAULT.orders)
    assert due == end_of(date(2027, 4, 5))
    assert due.astimezone(UTC) == datetime(2027, 4, 5, 21, 59, 59, tzinfo=UTC)


def test_ORD_5_a_care_plan_is_not_dated_before_execution_nor_in_the_future() -> None:
    now = sthlm(2027, 1, 10, 12, 0)
    rules.check_care_plan_date(date(2026, 12, 28), date(2026, 12, 28), now)
    rules.check_care_plan_date(date(2027, 1, 10), date(2026, 12, 28), now)
    with pytest.raises(ValueError, match="före verkställigheten"):
        rules.check_care_plan_date(date(2026, 12, 27), date(2026, 12, 28), now)
    with pytest.raises(ValueError, match="framtiden"):
        rules.check_care_plan_date(date(2027, 1, 11), date(2026, 12, 28), now)


# -- ORD-7: oldest first -------------------------------------------------------------------------
