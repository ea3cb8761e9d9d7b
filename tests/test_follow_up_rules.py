"""The pure follow-up and ending rules (FU-1..FU-4, FU-6, FU-8, FU-10, END-4..END-6, CAL-7)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.support import profile, sthlm
from workflows import calendar
from workflows.rules import follow_up as rules
from workflows.rules.follow_up import DecisionTerm

DEFAULT = profile("default")
BOTKYRKA = profile("botkyrka")


def test_fu2_a_new_case_decided_monday_2026_11_23_is_first_followed_up_2027_01_23() -> None:
    decision = DecisionTerm("d1", start_date=date(2026, 11, 23), new_case=True)
    due = rules.next_due([decision], None, DEFAULT)
    assert due is not None
    assert (due.on, due.reason) == (date(2027, 1, 23), "new_case")
    assert due.at == sthlm(2027, 1, 23, 23, 59, 59)  # CAL-2: due at the end of the local day


def test_fu3_last_followed_up_2026_10_15_with_a_decision_ending_2027_03_31_is_due_2027_03_30() -> None:
    decision = DecisionTerm("d1", start_date=date(2026, 4, 1), end_date=date(2027, 3, 31))
    due = rules.next_due([decision], date(2026, 10, 15), DEFAULT)
    assert due is not None
    assert (due.on, due.reason) == (date(2027, 3, 30), "end_date")


@pytest.mark.parametrize(
    ("due_on", "now", "proposed"),
    [
        # Kristi himmelfärdsdag Thu 2027-05-06: the Wednesday before, summer time (+02:00)
        (date(2027, 5, 6), sthlm(2027, 4, 6, 9), sthlm(2027, 5, 5, 10)),
        # Sun 2026-12-27 after Annandag jul, Juldagen and Julafton: Wed 2026-12-23
        (date(2026, 12, 27), sthlm(2026, 11, 23, 9), sthlm(2026, 12, 23, 10)),
        # Annandag påsk Mon 2027-03-29 and Långfredag: Thu 2027-03-25, still winter time (+01:00)
        (date(2027, 3, 29), sthlm(2027, 3, 1, 9), sthlm(2027, 3, 25, 10)),
        # due tomorrow: tomorrow (the report has today)
        (date(2026, 11, 24), sthlm(2026, 11, 23, 15), sthlm(2026, 11, 24, 10)),
        # overdue since Friday, on Sunday: the next working day, Mon 2026-11-23
        (date(2026, 11, 20), sthlm(2026, 11, 22, 7), sthlm(2026, 11, 23, 10)),
    ],
)
def test_fu4_the_plan_proposes_10_00_on_the_last_working_day_up_to_the_due_date_a_day_ahead(
    due_on: date, now: datetime, proposed: datetime
) -> None:
    """FU-4: the follow-up the plan form proposes leaves the provider the days before it for its
    report: 10:00 on the last working day (CAL-1) up to the due date, never before 10:00 on the
    next working day."""
    meeting = rules.proposed_meeting(due_on, now)
    assert meeting == proposed
    assert f"{calendar.local(meeting):%H:%M}" == "10:00"  # CAL-2: Stockholm time, across DST


def test_fu1_a_decision_is_followed_up_one_year_after_the_last_follow_up_or_the_decision() -> None:
    decision = DecisionTerm("d1", start_date=date(2026, 2, 10))
    assert rules.next_due([decision], None, DEFAULT) == rules.Due(date(2027, 2, 10), "yearly", "d1")
    assert rules.next_due([decision], date(2026, 9, 1), DEFAULT) == rules.Due(
        date(2027, 9, 1), "yearly", "d1"
    )


def test_fu1_fu2_a_new_case_already_followed_up_is_next_due_a_year_after_that_follow_up() -> None:
    decision = DecisionTerm("d1", start_date=date(2026, 11, 23), new_case=True)
    due = rules.next_due([decision], date(2027, 1, 25), DEFAULT)
    assert due == rules.Due(date(2028, 1, 25), "yearly", "d1")


def test_fu1_fu3_the_earliest_of_several_decisions_wins() -> None:
    care = DecisionTerm("care", start_date=date(2026, 3, 1))
    escort = DecisionTerm("escort", start_date=date(2026, 12, 1), end_date=date(2027, 2, 28))
    due = rules.next_due([care, escort], date(2026, 6, 1), DEFAULT)
    assert due == rules.Due(date(2027, 2, 27), "end_date", "escort")


def test_fu3_a_follow_up_held_shortly_before_the_end_date_counts_for_it() -> None:
    decision = DecisionTerm("d1", start_date=date(2026, 4, 1), end_date=date(2027, 3, 31))
    due = rules.next_due([decision], date(2027, 3, 10), DEFAULT)
    assert due == rules.Due(date(2028, 3, 10), "yearly", "d1")


def test_fu1_no_living_decision_means_no_follow_up_due() -> None:
    assert rules.next_due([], date(2026, 1, 1), DEFAULT) is None


def test_fu2_the_month_end_is_kept_when_two_months_later_is_shorter() -> None:
    decision = DecisionTerm("d1", start_date=date(2026, 12, 31), new_case=True)
    due = rules.next_due([decision], None, DEFAULT)
    assert due is not None and due.on == date(2027, 2, 28)


def test_fu1_the_plan_task_opens_thirty_days_before_the_due_date_at_0800_across_dst() -> None:
    # Due 2027-04-10 (summer time); opens 2027-03-11 08:00 (winter time, +01:00).
    assert rules.plan_opens_at(date(2027, 4, 10)) == sthlm(2027, 3, 11, 8, 0)


def test_fu4_questions_one_to_three_need_a_reason_when_no_and_four_when_yes() -> None:
    rules.check_report(True, "", True, "", True, "", False, "")
    with pytest.raises(ValueError, match="Fråga 1, 3, 4"):
        rules.check_report(False, "", True, "", False, " ", True, "")
    with pytest.raises(ValueError, match="Fråga 2 "):
        rules.check_report(True, "", False, "", True, "", False, "")
    rules.check_report(False, "Behöver mer tid", False, "Sjukdom", False, "Väntar", True, "Ny situation")


def test_fu4_the_report_template_carries_the_five_questions_and_the_times() -> None:
    text = rules.report_template(sthlm(2027, 1, 25, 10, 0), sthlm(2027, 1, 25, 10, 0))
    assert "2027-01-25 10:00" in text
    assert all(question in text for question in rules.REPORT_QUESTIONS)
    assert len(rules.REPORT_QUESTIONS) == 5


def test_fu6_without_the_provider_the_person_must_have_been_told() -> None:
    rules.check_form("phone", True, False)
    rules.check_form("digital", False, True)
    with pytest.raises(ValueError, match="annat sätt"):
        rules.check_form("home_visit", False, False)


def test_fu10_consent_for_this_occasion_is_asked_and_recorded() -> None:
    rules.check_consent(False, False, None)
    rules.check_consent(True, True, False)
    with pytest.raises(ValueError, match="Samtycke"):
        rules.check_consent(True, False, None)
    with pytest.raises(ValueError, match="Samtycke"):
        rules.check_consent(True, True, None)


def test_fu8_the_unchanged_event_has_the_routines_exact_wording() -> None:
    text = rules.event_text(date(2027, 1, 25), "phone", "unchanged", ["Hemtjänst", "Ledsagning"])
    assert text == (
        "En uppföljning har genomförts den 2027-01-25 genom ett telefonsamtal. Bedömningen är att "
        "behovet kvarstår och att biståndet för hemtjänst och ledsagning är skäligt."
    )


def test_fu8_a_new_decision_event_and_the_forms() -> None:
    text = rules.event_text(date(2027, 3, 2), "home_visit", "new_decision", ["Städning"])
    assert text == (
        "En uppföljning har genomförts den 2027-03-02 genom ett hembesök. "
        "Behovet har utretts och ett nytt beslut har fattats."
    )
    ended = rules.event_text(
        date(2027, 3, 2), "digital", "services_ended", ["Städning", "HSL", "Matdistribution"]
    )
    assert ended.startswith("En uppföljning har genomförts den 2027-03-02 genom ett digitalt möte.")
    assert "behovet av städning, HSL och matdistribution har upphört" in ended


def test_cal7_end4_a_march_adjustment_registered_april_4_raises_no_notice_april_5_does() -> None:
    assert not rules.is_late_for_billing(date(2027, 3, 15), sthlm(2027, 4, 4, 23, 59, 59))
    assert rules.is_late_for_billing(date(2027, 3, 15), sthlm(2027, 4, 5, 0, 0, 1))


def test_end5_botkyrka_told_thursday_need_ending_saturday_keeps_the_order_to_tuesday() -> None:
    end = rules.botkyrka_end(date(2027, 4, 29), date(2027, 5, 1), BOTKYRKA)
    assert end.order_ends_on == date(2027, 5, 4)
    assert end.absence_days == [date(2027, 5, 2), date(2027, 5, 3), date(2027, 5, 4)]


def test_end5_a_need_ending_five_or_more_days_ahead_ends_the_order_that_date() -> None:
    end = rules.botkyrka_end(date(2027, 4, 29), date(2027, 5, 4), BOTKYRKA)
    assert (end.order_ends_on, end.absence_days) == (date(2027, 5, 4), [])
    end = rules.botkyrka_end(date(2027, 4, 29), date(2027, 5, 20), BOTKYRKA)
    assert (end.order_ends_on, end.absence_days) == (date(2027, 5, 20), [])


def test_end5_a_need_that_ended_before_the_provider_was_told_still_runs_to_day_five() -> None:
    end = rules.botkyrka_end(date(2027, 4, 29), date(2027, 4, 27), BOTKYRKA)
    assert end.order_ends_on == date(2027, 5, 4)
    assert end.absence_days[0] == date(2027, 4, 30) and len(end.absence_days) == 5


def test_end5_other_profiles_end_the_order_when_the_need_ends() -> None:
    end = rules.botkyrka_end(date(2027, 4, 29), date(2027, 5, 1), DEFAULT)
    assert (end.order_ends_on, end.absence_days) == (date(2027, 5, 1), [])


def test_end6_a_time_adjustment_reported_before_easter_is_due_five_working_days_later() -> None:
    # Reported Wed 2027-03-24; Good Friday 26/3 and Easter Monday 29/3 are holidays:
    # Thu 25, Tue 30, Wed 31, Thu 1/4, Fri 2/4 → due Fri 2027-04-02 23:59:59.
    assert rules.time_adjustment_due(sthlm(2027, 3, 24, 10), DEFAULT) == sthlm(2027, 4, 2, 23, 59, 59)
