"""UC-5 (SU, Phoniro): the pure rules of extra visits: registration deadline, visit checks, weekly
review and the answer to a question (CAL-6)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.support import end_of, sthlm
from workflows.rules import extra_visits as rules


def test_UC_5_november_2026_registration_closes_at_the_end_of_tuesday_1_december() -> None:
    assert rules.registration_closes_at("2026-11") == end_of(date(2026, 12, 1))
    assert rules.registration_ends_at("2026-11") == sthlm(2026, 12, 2, 0, 0)


def test_UC_5_december_2026_closes_monday_4_january_after_new_years_day_and_the_weekend() -> None:
    """1 January 2027 is a Friday holiday, 2-3 January a weekend."""
    assert rules.registration_closes_at("2026-12") == end_of(date(2027, 1, 4))


def test_UC_5_october_2026_closes_monday_2_november_when_the_first_is_a_sunday() -> None:
    assert rules.registration_closes_at("2026-10") == end_of(date(2026, 11, 2))


def test_UC_5_april_2026_closes_monday_4_may_after_first_of_may_in_summer_time() -> None:
    closes = rules.registration_closes_at("2026-04")
    assert closes == end_of(date(2026, 5, 4))
    assert closes == datetime(2026, 5, 4, 21, 59, 59, tzinfo=UTC)  # CEST, UTC+2


def test_UC_5_a_november_registration_on_1_december_at_23_00_is_accepted() -> None:
    rules.check_registration_open("2026-11", sthlm(2026, 12, 1, 23, 0))
    rules.check_registration_open("2026-11", sthlm(2026, 12, 1, 23, 59, 59))
    assert rules.is_registration_open("2026-11", sthlm(2026, 11, 22, 10, 0))


def test_UC_5_a_november_registration_on_2_december_is_rejected_with_the_deadline() -> None:
    with pytest.raises(ValueError) as error:
        rules.check_registration_open("2026-11", sthlm(2026, 12, 2, 0, 0))
    message = str(error.value)
    assert "november 2026" in message
    assert "2026-12-01 23:59" in message
    assert "2026-12-02 00:00" in message
    assert not rules.is_registration_open("2026-11", sthlm(2026, 12, 2, 8, 0))


def test_UC_5_a_month_may_be_started_during_it_and_until_its_deadline_but_not_before() -> None:
    rules.check_start("2026-11", sthlm(2026, 11, 22, 10, 0))
    rules.check_start("2026-11", sthlm(2026, 12, 1, 9, 0))
    with pytest.raises(ValueError, match="har inte börjat"):
        rules.check_start("2026-12", sthlm(2026, 11, 22, 10, 0))
    with pytest.raises(ValueError, match="stängde 2026-12-01 23:59"):
        rules.check_start("2026-11", sthlm(2026, 12, 2, 9, 0))


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "nov", "2026-00"])
def test_UC_5_a_month_is_written_yyyy_mm(month: str) -> None:
    with pytest.raises(ValueError):
        rules.parse_month(month)


def _check(**changes: object) -> None:
    fields: dict[str, object] = {
        "month": "2026-11",
        "visit_date": date(2026, 11, 20),
        "kind": rules.EXTRA_VISIT,
        "services": ["Toalettbesök"],
        "minutes": None,
        "reason": "Magsjuk, behövde hjälp på natten",
        "now": sthlm(2026, 11, 22, 10, 0),
    }
    fields.update(changes)
    rules.check_visit(**fields)  # type: ignore[arg-type]


def test_UC_5_an_extra_visit_in_the_month_with_services_and_a_reason_is_valid() -> None:
    _check()
    _check(kind=rules.EXTRA_ON_ORDINARY, minutes=20)
    _check(visit_date=date(2026, 11, 22))


def test_UC_5_a_visit_outside_the_month_or_in_the_future_is_rejected() -> None:
    with pytest.raises(ValueError, match="ligger inte i november 2026"):
        _check(visit_date=date(2026, 10, 31))
    with pytest.raises(ValueError, match="framtiden"):
        _check(visit_date=date(2026, 11, 23))


def test_UC_5_extra_services_on_an_ordinary_visit_need_their_minutes() -> None:
    with pytest.raises(ValueError, match="minuter"):
        _check(kind=rules.EXTRA_ON_ORDINARY, minutes=None)
    with pytest.raises(ValueError, match="minuter"):
        _check(kind=rules.EXTRA_ON_ORDINARY, minutes=0)


def test_UC_5_the_note_of_type_extra_insatser_needs_a_reason_and_services() -> None:
    with pytest.raises(ValueError, match=r"\[Extra insatser\]"):
        _check(reason="  ")
    with pytest.raises(ValueError, match="minst en utförd insats"):
        _check(services=[" "])


def test_UC_5_a_review_opened_monday_30_november_is_due_end_of_monday_7_december() -> None:
    assert rules.review_due(sthlm(2026, 11, 30, 9, 15)) == end_of(date(2026, 12, 7))


def test_UC_5_a_question_on_thursday_3_december_is_answered_by_end_of_thursday_10_december() -> None:
    """CAL-6: within a week = end of date + 7."""
    assert rules.answer_due(sthlm(2026, 12, 3, 16, 40)) == end_of(date(2026, 12, 10))


def test_UC_5_the_answer_week_counts_calendar_days_across_the_dst_change() -> None:
    """CAL-2/CAL-6: a question on Sat 2027-03-27 (DST starts 28 March) is due end of 3 April."""
    assert rules.answer_due(sthlm(2027, 3, 27, 12, 0)) == end_of(date(2027, 4, 3))
