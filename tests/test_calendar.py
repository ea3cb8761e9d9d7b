"""The Swedish working-day calendar, CAL-1..CAL-7, checked with real 2026/2027 dates.

Every instant is written as Stockholm wall-clock time with its offset (``sthlm``) or as UTC, and
every deadline is compared as an exact instant, so a wrong offset or a shifted day fails.
"""

from __future__ import annotations

import importlib.metadata
from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest

from workflows.calendar import (
    STOCKHOLM,
    billing_deadline,
    end_of_day,
    first_working_day_of_next_month,
    is_holiday,
    is_late_for_billing,
    is_office_hours,
    is_working_day,
    local,
    nth_working_day_after,
    office_closes,
    office_hours_end,
    period_day,
    within_a_week,
    working_days_after,
    working_hours_24,
)
from workflows.profiles import OfficeHours, Profile, load_profile

CET = timedelta(hours=1)  # winter time, +01:00
CEST = timedelta(hours=2)  # summer time, +02:00


def sthlm(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A Stockholm wall-clock instant (aware, Europe/Stockholm)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=STOCKHOLM)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture(scope="module")
def default_profile() -> Profile:
    return load_profile("default")


@pytest.fixture(scope="module")
def norrkoping_profile() -> Profile:
    return load_profile("norrkoping")


# --- CAL-1: working days ------------------------------------------------------------------------


def test_CAL_1_the_holiday_table_is_the_pinned_version() -> None:
    """CAL-1: the holidays package is exactly the pinned 0.109.

    Running workflows recompute their deadlines on replay; a different holiday table could move
    a deadline and make the replayed history diverge, so upgrading it is a versioned change.
    """
    assert holidays.__version__ == "0.109"  # type: ignore[attr-defined]
    assert importlib.metadata.version("holidays") == "0.109"


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "Nyårsdagen (Thu)"),
        (date(2026, 1, 6), "Trettondedag jul (Tue)"),
        (date(2026, 4, 3), "Långfredagen (Good Friday)"),
        (date(2026, 4, 6), "Annandag påsk (Easter Monday)"),
        (date(2026, 5, 1), "Första maj (Fri)"),
        (date(2026, 5, 14), "Kristi himmelsfärdsdag (Thu)"),
        (date(2026, 6, 19), "Midsommarafton (Fri, de facto)"),
        (date(2026, 12, 24), "Julafton (Thu, de facto)"),
        (date(2026, 12, 25), "Juldagen (Fri)"),
        (date(2026, 12, 31), "Nyårsafton (Thu, de facto)"),
        (date(2027, 1, 1), "Nyårsdagen 2027 (Fri)"),
        (date(2027, 1, 6), "Trettondedag jul 2027 (Wed)"),
    ],
)
def test_CAL_1_a_weekday_holiday_is_not_a_working_day(day: date, name: str) -> None:
    """CAL-1: public holidays and the de facto ones (Midsommar-, Jul-, Nyårsafton) on weekdays."""
    assert day.weekday() < 5, name
    assert is_holiday(day), name
    assert not is_working_day(day), name


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 2),  # Skärtorsdagen: an ordinary working day
        date(2026, 4, 7),  # the Tuesday after Easter
        date(2026, 5, 13),  # the day before Ascension
        date(2026, 5, 15),  # the Friday after Ascension ("klämdag", still a working day)
        date(2026, 6, 18),  # the day before Midsommarafton
        date(2026, 12, 23),  # the day before Julafton
        date(2026, 12, 28),  # the Monday after Christmas
        date(2026, 12, 30),  # the day before Nyårsafton
        date(2027, 1, 5),  # Trettondedagsafton: a working day
        date(2027, 1, 7),  # the day after Trettondedag jul
    ],
)
def test_CAL_1_an_ordinary_weekday_is_a_working_day(day: date) -> None:
    """CAL-1: Monday-Friday that is no holiday is a working day."""
    assert is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 3, 28),  # Saturday
        date(2026, 3, 29),  # Sunday (DST starts)
        date(2026, 4, 5),  # Påskdagen, a Sunday
        date(2026, 6, 6),  # Nationaldagen on a Saturday
        date(2026, 6, 20),  # Midsommardagen, a Saturday
        date(2026, 12, 26),  # Annandag jul, a Saturday
        date(2026, 10, 31),  # Alla helgons dag, a Saturday
    ],
)
def test_CAL_1_saturdays_and_sundays_are_never_working_days(day: date) -> None:
    """CAL-1: weekends are not working days, holiday or not."""
    assert day.weekday() >= 5
    assert not is_working_day(day)


def test_CAL_1_the_holidays_around_christmas_2026_are_julafton_to_annandag_jul() -> None:
    """CAL-1: Julafton Thu 24 Dec .. Annandag jul Sat 26 Dec 2026 are all holidays."""
    assert [is_holiday(date(2026, 12, d)) for d in range(23, 29)] == [
        False,  # Wed 23
        True,  # Thu 24 Julafton
        True,  # Fri 25 Juldagen
        True,  # Sat 26 Annandag jul
        False,  # Sun 27
        False,  # Mon 28
    ]
    assert [is_working_day(date(2026, 12, d)) for d in range(23, 29)] == [
        True,
        False,
        False,
        False,
        False,
        True,
    ]


def test_CAL_1_from_nyarsafton_to_7_january_only_4_5_and_7_january_are_working_days() -> None:
    """CAL-1: Thu 2026-12-31 .. Thu 2027-01-07: Nyårsafton, Nyårsdagen, Trettondedag jul skipped."""
    days = [date(2026, 12, 31) + timedelta(days=i) for i in range(8)]
    assert [d for d in days if is_working_day(d)] == [
        date(2027, 1, 4),
        date(2027, 1, 5),
        date(2027, 1, 7),
    ]


def test_CAL_1_first_working_day_of_next_month_skips_holidays_and_weekends() -> None:
    """CAL-1 / UC-5: the first working day of the following month."""
    assert first_working_day_of_next_month(date(2026, 3, 15)) == date(2026, 4, 1)  # Wed
    # 1 May 2026 is a Friday holiday, 2-3 May a weekend.
    assert first_working_day_of_next_month(date(2026, 4, 30)) == date(2026, 5, 4)
    # December -> January of the next year: Fri 1 Jan 2027 is Nyårsdagen.
    assert first_working_day_of_next_month(date(2026, 12, 1)) == date(2027, 1, 4)
    # 1 Aug 2026 is a Saturday.
    assert first_working_day_of_next_month(date(2026, 7, 31)) == date(2026, 8, 3)


# --- CAL-2: time zone and day-granular deadlines -----------------------------------------------


def test_CAL_2_a_naive_datetime_is_refused() -> None:
    """CAL-2: every instant must carry its offset."""
    with pytest.raises(ValueError, match="naive"):
        local(datetime(2026, 3, 2, 10, 0))
    with pytest.raises(ValueError, match="naive"):
        working_days_after(datetime(2026, 3, 2, 10, 0), 1)


def test_CAL_2_end_of_day_is_235959_local_in_winter_and_summer() -> None:
    """CAL-2: a date deadline is 23:59:59 local; +01:00 in winter, +02:00 in summer."""
    winter = end_of_day(date(2026, 2, 4))
    assert winter == utc(2026, 2, 4, 22, 59, 59)
    assert local(winter).utcoffset() == CET
    assert local(winter).time() == time(23, 59, 59)

    summer = end_of_day(date(2026, 7, 1))
    assert summer == utc(2026, 7, 1, 21, 59, 59)
    assert local(summer).utcoffset() == CEST
    assert end_of_day(date(2026, 7, 1)).tzinfo == UTC


def test_CAL_2_the_spring_dst_day_29_march_2026_keeps_a_day_deadline_at_235959_local() -> None:
    """CAL-2: Sun 2026-03-29 (DST starts at 02:00): the day ends 23:59:59+02:00."""
    saturday = end_of_day(date(2026, 3, 28))
    sunday = end_of_day(date(2026, 3, 29))
    assert saturday == utc(2026, 3, 28, 22, 59, 59)
    assert local(saturday).utcoffset() == CET
    assert sunday == utc(2026, 3, 29, 21, 59, 59)
    assert local(sunday).utcoffset() == CEST
    assert local(sunday).time() == time(23, 59, 59)
    # The DST day has only 23 hours.
    assert sunday - saturday == timedelta(hours=23)


def test_CAL_2_the_autumn_dst_day_25_october_2026_keeps_a_day_deadline_at_235959_local() -> None:
    """CAL-2: Sun 2026-10-25 (DST ends at 03:00): the day ends 23:59:59+01:00."""
    saturday = end_of_day(date(2026, 10, 24))
    sunday = end_of_day(date(2026, 10, 25))
    assert saturday == utc(2026, 10, 24, 21, 59, 59)
    assert local(saturday).utcoffset() == CEST
    assert sunday == utc(2026, 10, 25, 22, 59, 59)
    assert local(sunday).utcoffset() == CET
    assert local(sunday).time() == time(23, 59, 59)
    # The DST day has 25 hours.
    assert sunday - saturday == timedelta(hours=25)


def test_CAL_2_a_utc_instant_late_in_the_evening_counts_on_the_next_local_date() -> None:
    """CAL-2: 2026-03-02 23:30 UTC is Tue 3 March 00:30 local, so counting starts on Tuesday."""
    assert working_days_after(utc(2026, 3, 2, 23, 30), 1) == end_of_day(date(2026, 3, 4))
    assert working_days_after(utc(2026, 3, 2, 22, 30), 1) == end_of_day(date(2026, 3, 3))


# --- CAL-3: office hours -------------------------------------------------------------------------


def test_CAL_3_default_profile_office_hours_are_0800_to_1700_on_working_days(
    default_profile: Profile,
) -> None:
    """CAL-3: default profile: working days 08:00-17:00; 07:59 and 17:00 are on-call time."""
    hours = default_profile.office_hours
    assert hours.opens == time(8, 0)
    assert hours.closes == time(17, 0)
    assert hours.summer_closes is None
    monday = (2026, 3, 2)
    assert not is_office_hours(sthlm(*monday, 7, 59), hours)
    assert not is_office_hours(sthlm(*monday, 7, 59, 59), hours)
    assert is_office_hours(sthlm(*monday, 8, 0), hours)
    assert is_office_hours(sthlm(*monday, 12, 0), hours)
    assert is_office_hours(sthlm(*monday, 16, 59, 59), hours)
    assert not is_office_hours(sthlm(*monday, 17, 0), hours)
    assert not is_office_hours(sthlm(*monday, 22, 0), hours)
    # In summer the default profile still closes at 17:00.
    assert office_closes(date(2026, 7, 15), hours) == time(17, 0)
    assert is_office_hours(sthlm(2026, 7, 15, 16, 30), hours)
    assert office_hours_end(date(2026, 1, 15), hours) == utc(2026, 1, 15, 16, 0)
    assert office_hours_end(date(2026, 7, 15), hours) == utc(2026, 7, 15, 15, 0)


def test_CAL_3_office_hours_are_judged_in_stockholm_time_not_utc(default_profile: Profile) -> None:
    """CAL-3 / CAL-2: 15:30 UTC in July is 17:30 local (on-call); 06:30 UTC in July is 08:30."""
    hours = default_profile.office_hours
    assert not is_office_hours(utc(2026, 7, 15, 15, 30), hours)
    assert is_office_hours(utc(2026, 7, 15, 6, 30), hours)
    # In January 06:30 UTC is 07:30 local: not yet open.
    assert not is_office_hours(utc(2026, 1, 15, 6, 30), hours)


@pytest.mark.parametrize(
    "instant",
    [
        sthlm(2026, 3, 7, 10, 0),  # Saturday
        sthlm(2026, 3, 8, 10, 0),  # Sunday
        sthlm(2026, 4, 3, 10, 0),  # Good Friday
        sthlm(2026, 4, 6, 10, 0),  # Easter Monday
        sthlm(2026, 5, 14, 10, 0),  # Ascension
        sthlm(2026, 6, 19, 10, 0),  # Midsommarafton
        sthlm(2026, 12, 24, 10, 0),  # Julafton
        sthlm(2026, 12, 31, 10, 0),  # Nyårsafton
    ],
)
def test_CAL_3_weekends_and_holidays_are_on_call_time_all_day(
    instant: datetime, default_profile: Profile, norrkoping_profile: Profile
) -> None:
    """CAL-3: outside working days everything is on-call time, in every profile."""
    assert not is_office_hours(instant, default_profile.office_hours)
    assert not is_office_hours(instant, norrkoping_profile.office_hours)


def test_CAL_3_norrkoping_closes_at_1600_in_june_to_august(norrkoping_profile: Profile) -> None:
    """CAL-3 (N2 1.2): norrkoping closes 16:00 in June-August, 17:00 in May and September."""
    hours = norrkoping_profile.office_hours
    assert office_closes(date(2026, 5, 29), hours) == time(17, 0)  # Fri, last working day of May
    assert office_closes(date(2026, 6, 1), hours) == time(16, 0)
    assert office_closes(date(2026, 7, 15), hours) == time(16, 0)
    assert office_closes(date(2026, 8, 31), hours) == time(16, 0)
    assert office_closes(date(2026, 9, 1), hours) == time(17, 0)
    assert office_closes(date(2026, 1, 15), hours) == time(17, 0)

    # Mon 15 June 2026: 15:59 is office hours, 16:00 is on-call time.
    assert is_office_hours(sthlm(2026, 6, 15, 15, 59), hours)
    assert not is_office_hours(sthlm(2026, 6, 15, 16, 0), hours)
    assert not is_office_hours(sthlm(2026, 6, 15, 16, 30), hours)
    # Fri 29 May and Tue 1 September: 16:30 is still office hours.
    assert is_office_hours(sthlm(2026, 5, 29, 16, 30), hours)
    assert is_office_hours(sthlm(2026, 9, 1, 16, 30), hours)
    assert not is_office_hours(sthlm(2026, 9, 1, 17, 0), hours)
    assert not is_office_hours(sthlm(2026, 6, 15, 7, 59), hours)

    # The end of office hours as an instant: 16:00+02:00 in June, 17:00+02:00 in May.
    assert office_hours_end(date(2026, 6, 15), hours) == utc(2026, 6, 15, 14, 0)
    assert office_hours_end(date(2026, 5, 29), hours) == utc(2026, 5, 29, 15, 0)


def test_CAL_3_a_custom_summer_rule_uses_its_own_months() -> None:
    """CAL-3: summer_months is taken from the profile, not hard-coded."""
    hours = OfficeHours(closes=time(16, 30), summer_closes=time(15, 0), summer_months=(7,))
    assert office_closes(date(2026, 6, 30), hours) == time(16, 30)
    assert office_closes(date(2026, 7, 1), hours) == time(15, 0)
    assert office_closes(date(2026, 8, 3), hours) == time(16, 30)


# --- CAL-4: N working days after t ---------------------------------------------------------------


def test_CAL_4_one_working_day_after_a_monday_is_the_end_of_tuesday() -> None:
    """CAL-4: Mon 2026-03-02 10:00 + 1 working day -> Tue 3 March 23:59:59+01:00."""
    due = working_days_after(sthlm(2026, 3, 2, 10, 0), 1)
    assert due == utc(2026, 3, 3, 22, 59, 59)
    assert local(due) == sthlm(2026, 3, 3, 23, 59, 59)


def test_CAL_4_counting_starts_strictly_after_the_local_date_even_at_0001() -> None:
    """CAL-4: the day of t never counts, however early t is."""
    assert working_days_after(sthlm(2026, 3, 2, 0, 1), 1) == end_of_day(date(2026, 3, 3))
    assert working_days_after(sthlm(2026, 3, 2, 23, 59), 1) == end_of_day(date(2026, 3, 3))


def test_CAL_4_a_friday_plus_one_working_day_is_monday() -> None:
    """CAL-4: Fri 2026-03-06 + 1 -> Mon 9 March."""
    assert working_days_after(sthlm(2026, 3, 6, 15, 0), 1) == utc(2026, 3, 9, 22, 59, 59)


def test_CAL_4_a_weekend_start_counts_from_the_next_working_day() -> None:
    """CAL-4: Sat 2026-03-07 + 1 -> Mon 9 March; + 2 -> Tue 10 March."""
    assert working_days_after(sthlm(2026, 3, 7, 12, 0), 1) == end_of_day(date(2026, 3, 9))
    assert working_days_after(sthlm(2026, 3, 7, 12, 0), 2) == end_of_day(date(2026, 3, 10))


def test_CAL_4_easter_2026_skips_good_friday_and_easter_monday() -> None:
    """CAL-4: Thu 2026-04-02 + 1 -> Tue 7 April (Good Friday 3, Easter Monday 6 April)."""
    due = working_days_after(sthlm(2026, 4, 2, 9, 0), 1)
    assert due == utc(2026, 4, 7, 21, 59, 59)
    assert local(due).utcoffset() == CEST
    assert working_days_after(sthlm(2026, 4, 2, 9, 0), 2) == end_of_day(date(2026, 4, 8))


def test_CAL_4_five_working_days_across_easter() -> None:
    """CAL-4 (COM-1: 5 working days): Mon 2026-03-30 + 5 -> Wed 8 April."""
    # Tue 31, Wed 1, Thu 2, (Fri 3, Sat, Sun, Mon 6 skipped) Tue 7, Wed 8.
    assert working_days_after(sthlm(2026, 3, 30, 11, 0), 5) == utc(2026, 4, 8, 21, 59, 59)


def test_CAL_4_ascension_day_2026_is_skipped() -> None:
    """CAL-4: Wed 2026-05-13 + 1 -> Fri 15 May (Thu 14 May is Kristi himmelsfärd)."""
    assert working_days_after(sthlm(2026, 5, 13, 14, 0), 1) == utc(2026, 5, 15, 21, 59, 59)


def test_CAL_4_midsommarafton_2026_is_skipped() -> None:
    """CAL-4: Thu 2026-06-18 + 1 -> Mon 22 June (Midsommarafton Fri 19 June)."""
    assert working_days_after(sthlm(2026, 6, 18, 10, 0), 1) == utc(2026, 6, 22, 21, 59, 59)


def test_CAL_4_christmas_2026_julafton_to_annandag_jul_is_skipped() -> None:
    """CAL-4: Wed 2026-12-23 + 1 -> Mon 28 December; + 3 -> Mon 4 January 2027."""
    assert working_days_after(sthlm(2026, 12, 23, 10, 0), 1) == utc(2026, 12, 28, 22, 59, 59)
    # Mon 28, Tue 29, Wed 30 December: + 3 is Wed 30 December.
    assert working_days_after(sthlm(2026, 12, 23, 10, 0), 3) == end_of_day(date(2026, 12, 30))
    # + 4: Nyårsafton Thu 31 Dec and Nyårsdagen Fri 1 Jan are skipped -> Mon 4 January 2027.
    assert working_days_after(sthlm(2026, 12, 23, 10, 0), 4) == utc(2027, 1, 4, 22, 59, 59)


def test_CAL_4_nyarsafton_to_trettondedag_jul_across_the_year_end() -> None:
    """CAL-4: Wed 2026-12-30 + 3 -> Thu 2027-01-07 (31 Dec, 1 Jan and 6 Jan are holidays)."""
    start = sthlm(2026, 12, 30, 10, 0)
    assert working_days_after(start, 1) == end_of_day(date(2027, 1, 4))
    assert working_days_after(start, 2) == end_of_day(date(2027, 1, 5))
    assert working_days_after(start, 3) == utc(2027, 1, 7, 22, 59, 59)


def test_CAL_4_across_the_spring_dst_change_the_deadline_is_235959_summer_time() -> None:
    """CAL-4 / CAL-2: Fri 2026-03-27 (+01:00) + 1 -> Mon 30 March 23:59:59+02:00."""
    start = sthlm(2026, 3, 27, 10, 0)
    assert start.utcoffset() == CET
    due = working_days_after(start, 1)
    assert due == utc(2026, 3, 30, 21, 59, 59)
    assert local(due).utcoffset() == CEST
    assert local(due).time() == time(23, 59, 59)


def test_CAL_4_across_the_autumn_dst_change_the_deadline_is_235959_winter_time() -> None:
    """CAL-4 / CAL-2: Fri 2026-10-23 (+02:00) + 1 -> Mon 26 October 23:59:59+01:00."""
    start = sthlm(2026, 10, 23, 10, 0)
    assert start.utcoffset() == CEST
    due = working_days_after(start, 1)
    assert due == utc(2026, 10, 26, 22, 59, 59)
    assert local(due).utcoffset() == CET
    assert local(due).time() == time(23, 59, 59)


def test_CAL_4_n_below_one_is_refused() -> None:
    """CAL-4: N counts from 1."""
    with pytest.raises(ValueError):
        nth_working_day_after(date(2026, 3, 2), 0)
    with pytest.raises(ValueError):
        working_days_after(sthlm(2026, 3, 2, 10, 0), 0)


# --- CAL-5: 24 hours on working days -------------------------------------------------------------


def test_CAL_5_an_ordinary_weekday_is_due_at_the_same_time_the_next_day() -> None:
    """CAL-5: Tue 2026-03-03 09:15 -> Wed 4 March 09:15."""
    assert working_hours_24(sthlm(2026, 3, 3, 9, 15)) == sthlm(2026, 3, 4, 9, 15)
    assert working_hours_24(sthlm(2026, 3, 3, 9, 15)) == utc(2026, 3, 4, 8, 15)


def test_CAL_5_friday_1530_is_due_monday_1530() -> None:
    """CAL-5: Fri 2026-03-06 15:30 -> Mon 9 March 15:30 (the weekend does not count)."""
    due = working_hours_24(sthlm(2026, 3, 6, 15, 30))
    assert due == utc(2026, 3, 9, 14, 30)
    assert local(due) == sthlm(2026, 3, 9, 15, 30)
    assert due.tzinfo == UTC


def test_CAL_5_the_day_before_julafton_is_due_after_christmas() -> None:
    """CAL-5: Wed 2026-12-23 10:00 -> Mon 28 December 10:00 (24-27 December do not count)."""
    assert working_hours_24(sthlm(2026, 12, 23, 10, 0)) == utc(2026, 12, 28, 9, 0)


def test_CAL_5_maundy_thursday_is_due_the_tuesday_after_easter() -> None:
    """CAL-5: Thu 2026-04-02 16:45 -> Tue 7 April 16:45."""
    assert working_hours_24(sthlm(2026, 4, 2, 16, 45)) == utc(2026, 4, 7, 14, 45)


def test_CAL_5_a_saturday_counts_as_0800_monday_so_it_is_due_0800_tuesday() -> None:
    """CAL-5: Sat 2026-03-07 13:00 counts as Mon 9 March 08:00 -> due Tue 10 March 08:00."""
    assert working_hours_24(sthlm(2026, 3, 7, 13, 0)) == utc(2026, 3, 10, 7, 0)
    # The time on the non-working day does not matter: 00:01 and 23:59 give the same deadline.
    assert working_hours_24(sthlm(2026, 3, 7, 0, 1)) == utc(2026, 3, 10, 7, 0)
    assert working_hours_24(sthlm(2026, 3, 8, 23, 59)) == utc(2026, 3, 10, 7, 0)


def test_CAL_5_good_friday_counts_as_0800_tuesday_so_it_is_due_0800_wednesday() -> None:
    """CAL-5: Good Friday 2026-04-03 11:00 -> counts as Tue 7 April 08:00 -> Wed 8 April 08:00."""
    assert working_hours_24(sthlm(2026, 4, 3, 11, 0)) == sthlm(2026, 4, 8, 8, 0)
    assert working_hours_24(sthlm(2026, 4, 3, 11, 0)) == utc(2026, 4, 8, 6, 0)


def test_CAL_5_julafton_counts_as_0800_monday_28_december_so_it_is_due_tuesday_29() -> None:
    """CAL-5: Thu 2026-12-24 10:00 -> counts as Mon 28 Dec 08:00 -> due Tue 29 Dec 08:00."""
    assert working_hours_24(sthlm(2026, 12, 24, 10, 0)) == utc(2026, 12, 29, 7, 0)


def test_CAL_5_nyarsafton_counts_as_0800_4_january_so_it_is_due_0800_5_january_2027() -> None:
    """CAL-5: Thu 2026-12-31 09:00 -> counts as Mon 2027-01-04 08:00 -> due Tue 5 Jan 08:00."""
    assert working_hours_24(sthlm(2026, 12, 31, 9, 0)) == utc(2027, 1, 5, 7, 0)


def test_CAL_5_tuesday_5_january_2027_is_due_thursday_because_of_trettondedag_jul() -> None:
    """CAL-5: Tue 2027-01-05 14:20 -> Thu 7 January 14:20 (Wed 6 January is a holiday)."""
    assert working_hours_24(sthlm(2027, 1, 5, 14, 20)) == utc(2027, 1, 7, 13, 20)


def test_CAL_5_a_utc_instant_on_good_friday_local_time_counts_as_a_holiday() -> None:
    """CAL-5 / CAL-2: 2026-04-02 23:30 UTC is Good Friday 01:30 local -> due Wed 8 April 08:00."""
    assert working_hours_24(utc(2026, 4, 2, 23, 30)) == sthlm(2026, 4, 8, 8, 0)


def test_CAL_5_across_the_spring_dst_change_keeps_the_local_clock_time() -> None:
    """CAL-5 / CAL-2: Fri 2026-03-27 10:00+01:00 -> Mon 30 March 10:00+02:00 (08:00 UTC)."""
    due = working_hours_24(sthlm(2026, 3, 27, 10, 0))
    assert due == utc(2026, 3, 30, 8, 0)
    assert local(due).utcoffset() == CEST
    assert local(due).time() == time(10, 0)


def test_CAL_5_across_the_autumn_dst_change_keeps_the_local_clock_time() -> None:
    """CAL-5 / CAL-2: Fri 2026-10-23 10:00+02:00 -> Mon 26 October 10:00+01:00 (09:00 UTC)."""
    due = working_hours_24(sthlm(2026, 10, 23, 10, 0))
    assert due == utc(2026, 10, 26, 9, 0)
    assert local(due).utcoffset() == CET
    assert local(due).time() == time(10, 0)


def test_CAL_5_the_dst_sundays_count_as_0800_monday() -> None:
    """CAL-5: Sun 29 March and Sun 25 October 2026 (in the repeated hour) -> Tuesday 08:00 local."""
    assert working_hours_24(sthlm(2026, 3, 29, 3, 30)) == sthlm(2026, 3, 31, 8, 0)
    # 01:30 UTC on 25 October is 02:30 local in the repeated hour (+01:00 after the change).
    repeated = utc(2026, 10, 25, 1, 30)
    assert local(repeated).utcoffset() == CET
    assert working_hours_24(repeated) == utc(2026, 10, 27, 7, 0)


# --- CAL-6: within a week, day N of a period -----------------------------------------------------


def test_CAL_6_within_a_week_is_due_at_the_end_of_date_plus_seven() -> None:
    """CAL-6: Tue 2026-12-22 10:00 -> Tue 29 December 23:59:59+01:00, holidays included."""
    assert within_a_week(sthlm(2026, 12, 22, 10, 0)) == utc(2026, 12, 29, 22, 59, 59)
    # Calendar days: a start on Julafton counts too.
    assert within_a_week(sthlm(2026, 12, 24, 18, 0)) == end_of_day(date(2026, 12, 31))


def test_CAL_6_within_a_week_onto_the_dst_days_stays_235959_local() -> None:
    """CAL-6 / CAL-2: a week from Sun 22 March ends 29 March 23:59:59+02:00; 18 Oct -> +01:00."""
    spring = within_a_week(sthlm(2026, 3, 22, 12, 0))
    assert spring == utc(2026, 3, 29, 21, 59, 59)
    assert local(spring).utcoffset() == CEST
    assert local(spring).time() == time(23, 59, 59)

    autumn = within_a_week(sthlm(2026, 10, 18, 12, 0))
    assert autumn == utc(2026, 10, 25, 22, 59, 59)
    assert local(autumn).utcoffset() == CET
    assert local(autumn).time() == time(23, 59, 59)


def test_CAL_6_within_a_week_uses_the_local_date_of_t() -> None:
    """CAL-6 / CAL-2: 2026-03-01 23:30 UTC is Mon 2 March local -> due 9 March, not 8 March."""
    assert within_a_week(utc(2026, 3, 1, 23, 30)) == end_of_day(date(2026, 3, 9))


def test_CAL_6_day_4_of_a_period_starting_tuesday_22_december_is_friday_25_december() -> None:
    """CAL-6: the start day is day 1; day 4 of a period from Tue 2026-12-22 is Fri 25 December."""
    start = date(2026, 12, 22)
    assert period_day(start, 1) == start
    assert period_day(start, 4) == date(2026, 12, 25)
    assert period_day(start, 14) == date(2027, 1, 4)
    assert period_day(date(2026, 3, 2), 15) == date(2026, 3, 16)


def test_CAL_6_period_days_are_counted_from_one() -> None:
    """CAL-6: day 0 does not exist."""
    with pytest.raises(ValueError):
        period_day(date(2026, 12, 22), 0)


# --- CAL-7: the billing deadline -----------------------------------------------------------------


def test_CAL_7_january_adjustments_are_due_by_the_end_of_4_february() -> None:
    """CAL-7: a change concerning January 2026 -> 2026-02-04 23:59:59+01:00."""
    for concerns in (date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 31)):
        due = billing_deadline(concerns)
        assert due == utc(2026, 2, 4, 22, 59, 59)
        assert local(due) == sthlm(2026, 2, 4, 23, 59, 59)


def test_CAL_7_a_december_change_is_due_by_4_january_next_year() -> None:
    """CAL-7: December 2026 -> 2027-01-04 23:59:59+01:00."""
    assert billing_deadline(date(2026, 12, 31)) == utc(2027, 1, 4, 22, 59, 59)
    assert billing_deadline(date(2026, 12, 1)) == utc(2027, 1, 4, 22, 59, 59)


def test_CAL_7_the_deadline_is_a_calendar_day_even_on_a_weekend_or_in_summer_time() -> None:
    """CAL-7: 4 April 2026 is Easter Saturday; the deadline is still 4 April (+02:00)."""
    due = billing_deadline(date(2026, 3, 20))
    assert due == utc(2026, 4, 4, 21, 59, 59)
    assert local(due).utcoffset() == CEST
    # Month ends with 28, 30 and 31 days.
    assert billing_deadline(date(2026, 2, 28)) == end_of_day(date(2026, 3, 4))
    assert billing_deadline(date(2026, 4, 30)) == end_of_day(date(2026, 5, 4))
    assert billing_deadline(date(2026, 8, 31)) == end_of_day(date(2026, 9, 4))
    # A change concerning October is due 4 November, after the autumn DST change: +01:00.
    assert billing_deadline(date(2026, 10, 31)) == utc(2026, 11, 4, 22, 59, 59)


def test_CAL_7_registered_4_february_235959_local_is_on_time() -> None:
    """CAL-7: a January change registered 2026-02-04 23:59:59 local is on time."""
    assert not is_late_for_billing(date(2026, 1, 20), sthlm(2026, 2, 4, 23, 59, 59))
    assert not is_late_for_billing(date(2026, 1, 20), sthlm(2026, 2, 4, 8, 0))
    assert not is_late_for_billing(date(2026, 1, 20), sthlm(2026, 1, 31, 12, 0))


def test_CAL_7_registered_5_february_0000_local_is_late() -> None:
    """CAL-7: a January change registered 2026-02-05 00:00 local is late (billing is told)."""
    assert is_late_for_billing(date(2026, 1, 20), sthlm(2026, 2, 5, 0, 0))
    assert is_late_for_billing(date(2026, 1, 20), sthlm(2026, 3, 1, 10, 0))


def test_CAL_7_lateness_is_judged_in_local_time_not_utc() -> None:
    """CAL-7 / CAL-2: 2026-02-04 23:30 UTC is 5 Feb 00:30 local, late; 22:30 UTC is on time."""
    assert is_late_for_billing(date(2026, 1, 20), utc(2026, 2, 4, 23, 30))
    assert not is_late_for_billing(date(2026, 1, 20), utc(2026, 2, 4, 22, 30))


def test_CAL_7_december_registered_4_january_is_on_time_and_5_january_is_late() -> None:
    """CAL-7: December 2026 changes: 2027-01-04 23:59:59 on time, 2027-01-05 00:00 late."""
    assert not is_late_for_billing(date(2026, 12, 15), sthlm(2027, 1, 4, 23, 59, 59))
    assert is_late_for_billing(date(2026, 12, 15), sthlm(2027, 1, 5, 0, 0))


def test_CAL_7_a_registration_within_the_last_second_of_the_4th_is_on_time() -> None:
    """CAL-7: "by the 4th (calendar day, end of day)": 2026-02-04 23:59:59.500 local is the 4th."""
    registered = sthlm(2026, 2, 4, 23, 59, 59).replace(microsecond=500_000)
    assert not is_late_for_billing(date(2026, 1, 20), registered)
