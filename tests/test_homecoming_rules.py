"""The homecoming rules as pure functions (HT-2..HT-6), on real dates around Christmas, Easter,
Midsummer and a DST change."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.support import end_of, profile, sthlm
from workflows.profiles import Deadlines, Homecoming
from workflows.rules import homecoming as rules
from workflows.rules.order import ServiceItem

NOTICE = Deadlines()
ELEVEN = profile("botkyrka").homecoming.discharge_call_before


def test_HT_2_the_simplified_decision_ties_home_care_to_the_team_with_the_standard_time_and_night_help() -> (
    None
):
    decisions = rules.simplified_decisions(600, 300, safety_alarm=True, meals=True)
    assert [(d.key, d.kind, d.services) for d in decisions] == [
        ("home_care", "care", ["Hemgångsteam (600 min/mån)", "Natthjälp (300 min/mån)"]),
        ("safety_alarm", "safety_alarm", ["Trygghetslarm"]),
        ("meals", "meals", ["Matdistribution"]),
    ]
    only_team = rules.simplified_decisions(600, None, safety_alarm=False, meals=False)
    assert [(d.kind, d.services) for d in only_team] == [("care", ["Hemgångsteam (600 min/mån)"])]


def test_HT_2_orders_go_to_the_team_the_alarm_team_and_the_night_district() -> None:
    orders = rules.simplified_orders(Homecoming(), "hemgangsteam", None, 600, 300, True, True)
    assert [(o.key, o.receiver) for o in orders] == [
        ("team", "hemgangsteam"),
        ("alarm", "larmteam"),
        ("night", "nattdistrikt"),
    ]
    assert orders[0].items == [
        ServiceItem("Hemgångsteam", "care", 600),
        ServiceItem("Matdistribution", "service"),
    ]
    assert orders[2].items == [ServiceItem("Natthjälp", "care", 300)]
    district = rules.simplified_orders(Homecoming(), "hemgangsteam", "natt-syd", 600, 120, False, False)
    assert [(o.key, o.receiver) for o in district] == [("team", "hemgangsteam"), ("night", "natt-syd")]


def test_HT_2_night_help_needs_a_positive_time() -> None:
    rules.check_simplified_start(None, 600)
    rules.check_simplified_start(1, 600)
    for minutes in (0, -5, 100_001):
        with pytest.raises(ValueError, match="minuter per månad"):
            rules.check_simplified_start(minutes, 600)


def test_HT_3_handover_tue_2026_12_29_is_announced_on_time_by_wed_2026_12_23_over_christmas() -> None:
    """The 24th-27th are no working days (Julafton, Juldagen, Annandag jul, Sunday), the 28th is
    the 1st working day before and the 23rd the 2nd."""
    handover = date(2026, 12, 29)
    assert rules.simplified_announce_by(handover, NOTICE) == date(2026, 12, 23)
    assert rules.simplified_on_time(sthlm(2026, 12, 23, 23, 59), handover, NOTICE)
    assert not rules.simplified_on_time(sthlm(2026, 12, 24, 0, 0), handover, NOTICE)
    assert not rules.simplified_on_time(sthlm(2026, 12, 28, 9, 0), handover, NOTICE)


def test_HT_3_around_easter_2027_a_tuesday_handover_is_announced_by_the_wednesday_before() -> None:
    """Easter Monday 2027-03-29 and Good Friday 2027-03-26 are no working days."""
    assert rules.simplified_announce_by(date(2027, 3, 30), NOTICE) == date(2027, 3, 24)
    assert rules.working_day_before(date(2027, 3, 30), 1) == date(2027, 3, 25)


def test_HT_3_the_form_proposes_the_earliest_handover_date_that_is_on_time() -> None:
    assert rules.proposed_handover_date(sthlm(2026, 12, 23, 10), NOTICE) == date(2026, 12, 29)
    # on Saturday 26 December, as from Monday 28: Wednesday 30 (Tuesday 29 would be late)
    proposed = rules.proposed_handover_date(sthlm(2026, 12, 26, 10), NOTICE)
    assert proposed == date(2026, 12, 30)
    assert rules.simplified_on_time(sthlm(2026, 12, 26, 10), proposed, NOTICE)
    assert not rules.simplified_on_time(sthlm(2026, 12, 26, 10), date(2026, 12, 29), NOTICE)


def test_HT_4_handover_mon_2027_03_01_10_00_is_on_time_from_sat_09_00_and_late_from_sun_10_30() -> None:
    planned = sthlm(2027, 3, 1, 10)
    assert rules.regular_announce_by(planned, NOTICE) == sthlm(2027, 2, 28, 10)
    assert rules.regular_on_time(sthlm(2027, 2, 27, 9), planned, NOTICE)
    assert rules.regular_on_time(sthlm(2027, 2, 28, 10), planned, NOTICE)  # exactly 24 h
    assert not rules.regular_on_time(sthlm(2027, 2, 28, 10, 30), planned, NOTICE)


def test_HT_4_twenty_four_clock_hours_are_elapsed_hours_across_the_spring_dst_change() -> None:
    """Sun 2027-03-28 02:00 CET becomes 03:00 CEST: from Sat 10:30 to Sun 11:00 is 24.5 hours on
    the wall clock but 23.5 elapsed hours, so late; the limit is Sat 10:00."""
    planned = sthlm(2027, 3, 28, 11)
    assert rules.regular_announce_by(planned, NOTICE) == sthlm(2027, 3, 27, 10)
    assert rules.regular_announce_by(planned, NOTICE) == datetime(2027, 3, 27, 9, tzinfo=UTC)
    assert not rules.regular_on_time(sthlm(2027, 3, 27, 10, 30), planned, NOTICE)
    assert rules.regular_on_time(sthlm(2027, 3, 27, 10, 0), planned, NOTICE)


def test_HT_4_the_form_proposes_the_earliest_on_time_handover_on_a_full_hour() -> None:
    assert rules.proposed_handover_at(sthlm(2027, 2, 27, 9), NOTICE) == sthlm(2027, 2, 28, 9)
    assert rules.proposed_handover_at(sthlm(2027, 2, 27, 9, 10), NOTICE) == sthlm(2027, 2, 28, 10)


def test_HT_3_HT_4_an_announcement_names_a_plausible_handover() -> None:
    now = sthlm(2027, 2, 27, 9)
    assert rules.check_handover("simplified", date(2027, 3, 2), None, [], now) == date(2027, 3, 2)
    planned = sthlm(2027, 3, 1, 10)
    assert rules.check_handover("regular", None, planned, ["Städning"], now) == date(2027, 3, 1)
    bad = [
        ("simplified", None, None, [], "överlämningsdatum"),
        ("simplified", date(2027, 2, 26), None, [], "före i dag"),
        ("simplified", date(2028, 3, 1), None, [], "mer än ett år"),
        ("simplified", date(2027, 3, 2), planned, [], "inte tidpunkt"),
        ("regular", None, None, ["Städning"], "planerad tidpunkt"),
        ("regular", None, planned, [], "insatser som ska lämnas över"),
        ("regular", None, sthlm(2027, 2, 27, 8), ["Städning"], "efter meddelandet"),
    ]
    for mode, day, at, services, message in bad:
        with pytest.raises(ValueError, match=message):
            rules.check_handover(mode, day, at, services, now)  # type: ignore[arg-type]


def test_HT_3_the_move_is_due_by_the_end_of_the_day_before_the_handover_HT_4_by_the_planned_moment() -> None:
    announced = sthlm(2026, 12, 23, 10)
    assert rules.move_due(date(2026, 12, 29), None, announced) == end_of(date(2026, 12, 28))
    planned = sthlm(2027, 3, 1, 10)
    assert rules.move_due(date(2027, 3, 1), planned, sthlm(2027, 2, 27, 9)) == planned


def test_HT_3_HT_5_a_moved_order_goes_to_the_proposed_receiver_from_the_expected_day() -> None:
    items = [ServiceItem("Personlig omvårdnad", "care")]
    day = date(2026, 12, 29)
    assert (
        rules.check_move(None, "hemtjanst-nord", "hemgangsteam", False, day, day, items) == "hemtjanst-nord"
    )
    assert rules.check_move("hemtjanst-syd", "hemtjanst-nord", "hemgangsteam", False, day, day, items) == (
        "hemtjanst-syd"
    )
    bad = [
        (None, None, False, day, items, "valda hemtjänsten"),
        ("hemgangsteam", "hemtjanst-nord", False, day, items, "inte till hemgångsteamet"),
        ("hemtjanst-syd", "hemgangsteam", True, day, items, "flyttas till hemgangsteam"),
        (None, "hemtjanst-nord", False, date(2026, 12, 30), items, "startar 2026-12-29"),
        (None, "hemtjanst-nord", False, day, [], "minst en insats"),
    ]
    for named, proposed, fixed, start, order_items, message in bad:
        with pytest.raises(ValueError, match=message):
            rules.check_move(named, proposed, "hemgangsteam", fixed, day, start, order_items)


def test_HT_5_the_period_starts_today_at_the_earliest_and_ends_after_it_starts() -> None:
    now = sthlm(2027, 3, 8, 9)
    rules.check_period(date(2027, 3, 8), date(2027, 3, 24), now)
    rules.check_period(date(2027, 3, 10), None, now)
    with pytest.raises(ValueError, match="före i dag"):
        rules.check_period(date(2027, 3, 5), None, now)
    with pytest.raises(ValueError, match="före dess början"):
        rules.check_period(date(2027, 3, 10), date(2027, 3, 9), now)


def test_HT_6_discharge_called_on_midsommarafton_fri_2027_06_25_at_09_00_starts_mon_2027_06_28() -> None:
    called = sthlm(2027, 6, 25, 9)
    assert rules.discharge_start_day(called, ELEVEN) == date(2027, 6, 28)
    assert rules.discharge_due("unchanged", called, ELEVEN) == end_of(date(2027, 6, 28))


def test_HT_6_before_11_00_on_a_working_day_the_same_day_at_11_00_the_next_working_day() -> None:
    assert rules.discharge_start_day(sthlm(2027, 6, 22, 10, 59), ELEVEN) == date(2027, 6, 22)
    assert rules.discharge_start_day(sthlm(2027, 6, 22, 11, 0), ELEVEN) == date(2027, 6, 23)
    # Thursday 11:00: Friday is Midsommarafton, so Monday
    assert rules.discharge_start_day(sthlm(2027, 6, 24, 11, 0), ELEVEN) == date(2027, 6, 28)


def test_HT_6_increased_need_is_received_within_24_hours_on_working_days_CAL_5() -> None:
    assert rules.increased_need_due(sthlm(2027, 6, 24, 14)) == sthlm(2027, 6, 28, 14)
    # Saturday counts as Monday 08:00, so Tuesday 08:00
    assert rules.increased_need_due(sthlm(2027, 6, 26, 10)) == sthlm(2027, 6, 29, 8)
    assert rules.discharge_due("increased", sthlm(2027, 6, 24, 14), ELEVEN) == sthlm(2027, 6, 28, 14)


def test_HT_6_applies_only_where_the_profile_says_and_then_needs_the_need_and_the_call() -> None:
    now = sthlm(2027, 6, 25, 9, 30)
    rules.check_discharge(True, "hospital_discharge", "unchanged", sthlm(2027, 6, 25, 9), now)
    rules.check_discharge(False, "hospital_discharge", None, None, now)
    rules.check_discharge(True, "short_term_stay", None, None, now)
    with pytest.raises(ValueError, match="gäller inte"):
        rules.check_discharge(False, "hospital_discharge", "unchanged", sthlm(2027, 6, 25, 9), now)
    with pytest.raises(ValueError, match="discharge_need"):
        rules.check_discharge(True, "hospital_discharge", None, None, now)
    with pytest.raises(ValueError, match="framtiden"):
        rules.check_discharge(True, "hospital_discharge", "increased", sthlm(2027, 6, 25, 10), now)


def test_child_orders_get_numeric_ids_apart_from_the_api_numbers() -> None:
    assert rules.child_order_id("case-c1/homecoming/1", "c1", 1) == "case-c1/order/101"
    assert rules.child_order_id("case-c1/homecoming/12", "c1", 4) == "case-c1/order/1204"
