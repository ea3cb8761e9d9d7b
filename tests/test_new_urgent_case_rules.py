"""NEW-1..NEW-7 deadline rules of the new urgent case, with real 2026/2027 dates and the profile's numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.support import end_of, profile, sthlm
from workflows.io.new_urgent_case import StartNewUrgentCase
from workflows.model import Actor, StartContext
from workflows.new_urgent_case import NewUrgentCaseWorkflow
from workflows.rules.new_urgent_case import (
    OFFICE_HOURS,
    ON_CALL,
    add_months,
    check_decision_date,
    check_order_start,
    first_follow_up_due,
    mandate_end,
    order_due,
    phone_provider_due,
    proposed_decision_date,
    reported_in,
    take_over_due,
)

DEFAULT = profile("default")
NORRKOPING = profile("norrkoping")


# -- NEW-2: the on-call supervisor's mandate ---------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "ends"),
    [
        # RULES.md examples
        (sthlm(2026, 11, 30, 20, 0), sthlm(2026, 12, 1, 12, 0)),  # Mon 20:00 -> Tue 12:00
        (sthlm(2026, 12, 1, 2, 0), sthlm(2026, 12, 1, 12, 0)),  # Tue 02:00 -> the same Tue 12:00
        (sthlm(2026, 12, 31, 20, 0), sthlm(2027, 1, 4, 12, 0)),  # Nyårsafton, Nyårsdagen, weekend
        # Friday evening -> Monday
        (sthlm(2026, 12, 18, 18, 0), sthlm(2026, 12, 21, 12, 0)),
        # Wed 23 Dec: Julafton, Juldagen, Annandag jul (Sat), Sunday -> Mon 28 Dec
        (sthlm(2026, 12, 23, 20, 0), sthlm(2026, 12, 28, 12, 0)),
        # 07:59 is before that working day's 08:00; 08:00 itself is not after the grant
        (sthlm(2026, 12, 1, 7, 59), sthlm(2026, 12, 1, 12, 0)),
        (sthlm(2026, 12, 1, 8, 0), sthlm(2026, 12, 2, 12, 0)),
        # Saturday night -> Monday
        (sthlm(2026, 12, 5, 23, 0), sthlm(2026, 12, 7, 12, 0)),
    ],
)
def test_NEW_2_mandate_ends_at_noon_of_the_first_working_day_whose_0800_is_after_the_grant(
    granted: datetime, ends: datetime
) -> None:
    assert mandate_end(granted, DEFAULT) == ends


def test_NEW_2_mandate_end_is_local_noon_across_the_dst_change_and_easter() -> None:
    """Sat 2026-03-28 22:00 (CET) -> Mon 2026-03-30 12:00 (CEST, 10:00 UTC); Sat 2027-03-27 22:00
    -> Tue 2027-03-30 12:00: Påskdagen is on the DST Sunday and Annandag påsk is no working day."""
    assert mandate_end(sthlm(2026, 3, 28, 22, 0), DEFAULT) == datetime(2026, 3, 30, 10, 0, tzinfo=UTC)
    assert mandate_end(sthlm(2027, 3, 27, 22, 0), DEFAULT) == sthlm(2027, 3, 30, 12, 0)


# -- NEW-1: take over ----------------------------------------------------------------------------


def test_NEW_1_reported_in_office_hours_is_taken_over_by_1700_the_same_day() -> None:
    reported = sthlm(2026, 12, 1, 10, 0)  # Tue
    assert reported_in(reported, DEFAULT) == OFFICE_HOURS
    assert take_over_due(reported, DEFAULT) == sthlm(2026, 12, 1, 17, 0)


def test_NEW_1_norrkoping_summer_office_hours_end_at_1600() -> None:
    reported = sthlm(2027, 6, 15, 10, 0)  # Tue in June
    assert take_over_due(reported, NORRKOPING) == sthlm(2027, 6, 15, 16, 0)
    # 16:30 in June is on-call time in Norrköping: the mandate end applies (Wed 12:00)
    late = sthlm(2027, 6, 15, 16, 30)
    assert reported_in(late, NORRKOPING) == ON_CALL
    assert take_over_due(late, NORRKOPING) == sthlm(2027, 6, 16, 12, 0)


@pytest.mark.parametrize(
    ("reported", "due"),
    [
        (sthlm(2026, 11, 30, 20, 0), sthlm(2026, 12, 1, 12, 0)),
        (sthlm(2026, 12, 1, 2, 0), sthlm(2026, 12, 1, 12, 0)),
        (sthlm(2026, 12, 31, 20, 0), sthlm(2027, 1, 4, 12, 0)),
        (sthlm(2026, 12, 1, 17, 0), sthlm(2026, 12, 2, 12, 0)),  # 17:00 is already on-call time
    ],
)
def test_NEW_1_reported_in_on_call_time_is_taken_over_by_the_mandate_end(
    reported: datetime, due: datetime
) -> None:
    assert reported_in(reported, DEFAULT) == ON_CALL
    assert take_over_due(reported, DEFAULT) == due


# -- NEW-3 / ORD-6: phone, then the order within 3 working days -------------------------------------


def test_NEW_3_ORD_6_order_is_due_3_working_days_after_the_call_over_christmas() -> None:
    """Call Wed 2026-12-23: 24, 25, 26, 27 are no working days; 28, 29, 30 are -> end of Wed 30 Dec."""
    assert order_due(sthlm(2026, 12, 23, 15, 0), DEFAULT) == end_of(date(2026, 12, 30))


def test_NEW_3_ORD_6_order_due_on_an_ordinary_week() -> None:
    """Call Mon 2026-11-30 -> Tue, Wed, Thu -> end of Thu 2026-12-03."""
    assert order_due(sthlm(2026, 11, 30, 9, 0), DEFAULT) == end_of(date(2026, 12, 3))


def test_NEW_3_provider_is_phoned_by_the_end_of_the_next_working_day_after_take_over() -> None:
    """Our interpretation of "as soon as": take over Fri 2026-12-18 -> end of Mon 2026-12-21."""
    assert phone_provider_due(sthlm(2026, 12, 18, 11, 0)) == end_of(date(2026, 12, 21))


# -- NEW-4: the decision date -----------------------------------------------------------------


def test_NEW_4_decision_is_dated_from_the_local_day_help_started() -> None:
    # 00:30 local on 1 Dec is still 30 Nov in UTC: the local date counts
    assert proposed_decision_date(sthlm(2026, 12, 1, 0, 30)) == date(2026, 12, 1)
    check_decision_date(date(2026, 12, 1), sthlm(2026, 12, 1, 0, 30), sthlm(2026, 12, 3, 10, 0))


def test_NEW_4_another_decision_date_is_rejected() -> None:
    with pytest.raises(ValueError, match="2026-11-30"):
        check_decision_date(date(2026, 12, 2), sthlm(2026, 11, 30, 20, 0), sthlm(2026, 12, 3, 10, 0))
    with pytest.raises(ValueError, match="framtiden"):
        check_decision_date(date(2026, 12, 4), None, sthlm(2026, 12, 3, 10, 0))


def test_NEW_4_order_does_not_start_before_the_day_help_started() -> None:
    check_order_start(date(2026, 11, 30), date(2026, 11, 30), None)
    with pytest.raises(ValueError, match="före"):
        check_order_start(date(2026, 11, 29), None, sthlm(2026, 11, 30, 20, 0))


# -- NEW-7: first follow-up 2 months after the decision -------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),  # leap year
        (date(2026, 11, 30), 2, date(2027, 1, 30)),
        (date(2026, 12, 23), 2, date(2027, 2, 23)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 5, 31), 12, date(2027, 5, 31)),
        (date(2026, 3, 15), -3, date(2025, 12, 15)),
    ],
)
def test_NEW_7_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month(
    day: date, months: int, expected: date
) -> None:
    assert add_months(day, months) == expected


def test_NEW_7_first_follow_up_is_due_2_months_after_the_decision() -> None:
    assert DEFAULT.deadlines.first_follow_up_months == 2
    assert first_follow_up_due(date(2026, 12, 31), DEFAULT) == date(2027, 2, 28)
    assert first_follow_up_due(date(2026, 11, 20), DEFAULT) == date(2027, 1, 20)


# -- the start contract (build_input) --------------------------------------------------------

ON_CALL_ACTOR = Actor(user_id="oc-erik", role="on_call_supervisor", name="Erik Jour")
CASE_WORKER_ACTOR = Actor(user_id="cw-anna", role="case_worker", name="Anna Handläggare")


def _ctx(actor: Actor, now: datetime) -> StartContext:
    return StartContext(case_id="c-1", case=None, profile=DEFAULT, actor=actor, now=now)


def test_NEW_2_on_call_grant_is_the_moment_help_started_and_must_be_on_call_time() -> None:
    now = sthlm(2026, 11, 30, 20, 5)
    inp = NewUrgentCaseWorkflow.build_input(
        StartNewUrgentCase(
            person_name="Test", help_started_at=sthlm(2026, 11, 30, 20, 0), granted_by_on_call=True
        ),
        _ctx(ON_CALL_ACTOR, now),
    )
    assert inp.reported_at == sthlm(2026, 11, 30, 20, 0)
    assert inp.provider_id == DEFAULT.mailboxes.default_provider
    assert inp.case_worker_id is None
    with pytest.raises(ValueError, match="kontorstid"):
        NewUrgentCaseWorkflow.build_input(
            StartNewUrgentCase(
                person_name="Test", help_started_at=sthlm(2026, 12, 1, 10, 0), granted_by_on_call=True
            ),
            _ctx(ON_CALL_ACTOR, sthlm(2026, 12, 1, 10, 5)),
        )


def test_NEW_2_only_the_on_call_supervisor_grants_and_help_start_is_required_and_not_in_the_future() -> None:
    now = sthlm(2026, 11, 30, 20, 5)
    with pytest.raises(ValueError, match="jourhavande"):
        NewUrgentCaseWorkflow.build_input(
            StartNewUrgentCase(
                person_name="Test", help_started_at=sthlm(2026, 11, 30, 20, 0), granted_by_on_call=True
            ),
            _ctx(CASE_WORKER_ACTOR, now),
        )
    with pytest.raises(ValueError, match="help_started_at"):
        NewUrgentCaseWorkflow.build_input(
            StartNewUrgentCase(person_name="Test", granted_by_on_call=True), _ctx(ON_CALL_ACTOR, now)
        )
    with pytest.raises(ValueError, match="framtiden"):
        NewUrgentCaseWorkflow.build_input(
            StartNewUrgentCase(person_name="Test", help_started_at=sthlm(2026, 11, 30, 21, 0)),
            _ctx(CASE_WORKER_ACTOR, now),
        )
    with pytest.raises(ValueError, match="namn"):
        NewUrgentCaseWorkflow.build_input(StartNewUrgentCase(person_name=" "), _ctx(CASE_WORKER_ACTOR, now))


def test_NEW_1_office_hours_report_defaults_to_now_and_the_starting_case_worker() -> None:
    now = sthlm(2026, 12, 1, 10, 0)
    inp = NewUrgentCaseWorkflow.build_input(
        StartNewUrgentCase(person_name="Test", provider_id="hemtjanst-nord"), _ctx(CASE_WORKER_ACTOR, now)
    )
    assert inp.reported_at == now
    assert inp.case_worker_id == "cw-anna"
    assert inp.provider_id == "hemtjanst-nord"
    assert not inp.granted_by_on_call
