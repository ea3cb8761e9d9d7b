"""The pure rules of the 14-day temporary extension (EXT-1..EXT-6, COM-1, CAL-6) and its start check.

Dates around Easter 2027: Good Friday 2027-03-26 and Easter Monday 2027-03-29 are holidays, and
summer time starts on Easter Day, Sun 2027-03-28 at 02:00 (+01:00 -> +02:00).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.support import OTHER_PROVIDER, PROVIDER, end_of, profile, sthlm
from workflows.io.temporary_extension import StartTemporaryExtension
from workflows.model import CaseInfo, DecisionInfo, StartContext
from workflows.rules import temporary_extension as rules
from workflows.rules.order import ServiceItem
from workflows.temporary_extension import TemporaryExtensionWorkflow

STAFFANSTORP = profile("staffanstorp")
RULES = STAFFANSTORP.deadlines
MON_15_MARCH = date(2027, 3, 15)


def care(start: date = date(2026, 1, 1), end: date | None = None) -> DecisionInfo:
    return DecisionInfo(
        decision_id="d-care", kind="care", services=["Personlig omvårdnad"], start_date=start, end_date=end
    )


def decision(kind: str) -> DecisionInfo:
    return DecisionInfo(decision_id=f"d-{kind}", kind=kind, start_date=date(2026, 1, 1))


def build(
    decisions: list[DecisionInfo],
    now: datetime,
    started_on: date = MON_15_MARCH,
    provider_id: str | None = "hemtjanst-nord",
    actor: Any = PROVIDER,
) -> Any:
    case = CaseInfo(
        case_id="c1",
        municipality="staffanstorp",
        profile="staffanstorp",
        case_worker_id="cw-anna",
        provider_id=provider_id,
        decisions=decisions,
    )
    request = StartTemporaryExtension(
        started_on=started_on, inserted="Tillsyn två gånger per natt", reason="Urinvägsinfektion"
    )
    ctx = StartContext(case_id="c1", case=case, profile=STAFFANSTORP, actor=actor, now=now)
    return TemporaryExtensionWorkflow.build_input(request, ctx)


# -- EXT-1 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decisions", "held"),
    [
        ([decision("service")], "endast servicebeslut"),
        ([decision("safety_alarm")], "endast trygghetslarm"),
        ([decision("hsl")], "endast uppdrag via hälso- och sjukvården (HSL)"),
        ([decision("service"), decision("safety_alarm")], "endast servicebeslut och trygghetslarm"),
        ([], "inga pågående beslut"),
    ],
)
def test_EXT_1_a_person_without_an_ongoing_care_decision_is_refused_and_pointed_to_new_urgent_case(
    decisions: list[DecisionInfo], held: str
) -> None:
    with pytest.raises(ValueError) as info:
        build(decisions, sthlm(2027, 3, 15, 10))
    message = str(info.value)
    assert f"Personen har {held} den 2027-03-15." in message
    assert "pågående omvårdnadsbeslut" in message
    assert "new-urgent-case" in message


def test_EXT_1_a_care_decision_that_ended_before_day_one_or_starts_after_it_is_not_ongoing() -> None:
    ended = care(date(2026, 1, 1), date(2027, 3, 14))
    with pytest.raises(ValueError, match="inga pågående beslut"):
        rules.check_eligible([ended], "hemtjanst-nord", MON_15_MARCH)
    later = care(date(2027, 3, 16))
    with pytest.raises(ValueError, match="new-urgent-case"):
        rules.check_eligible([later, decision("service")], "hemtjanst-nord", MON_15_MARCH)
    rules.check_eligible([care(date(2027, 3, 15), date(2027, 3, 15))], "hemtjanst-nord", MON_15_MARCH)


def test_EXT_1_a_care_decision_without_a_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="ingen hemtjänstutförare"):
        build([care()], sthlm(2027, 3, 15, 10), provider_id=None)


def test_EXT_1_night_help_is_a_care_decision_and_a_provider_of_another_unit_may_not_start() -> None:
    inp = build([decision("night")], sthlm(2027, 3, 15, 10))
    assert inp.provider_id == "hemtjanst-nord"
    with pytest.raises(ValueError, match="hemtjanst-nord, inte hemtjanst-syd"):
        build([care()], sthlm(2027, 3, 15, 10), actor=OTHER_PROVIDER)


# -- EXT-2 / EXT-4 -----------------------------------------------------------------------------


def test_EXT_4_a_period_from_monday_15_march_2027_ends_on_easter_day_and_follow_up_is_due_23_59_59() -> None:
    """EXT-4 / CAL-6: day 1 = Mon 2027-03-15, day 14 = Sun 2027-03-28 (Easter Day, the first day of
    summer time): the follow-up is due 2027-03-28 23:59:59+02:00 = 21:59:59 UTC."""
    assert rules.last_day(MON_15_MARCH, RULES) == date(2027, 3, 28)
    due = rules.follow_up_due(MON_15_MARCH, RULES)
    assert due == end_of(date(2027, 3, 28))
    assert due == datetime(2027, 3, 28, 21, 59, 59, tzinfo=UTC)


def test_EXT_2_COM_1_confirm_start_is_due_five_working_days_after_the_notice() -> None:
    """COM-1: a notice on Mon 2027-03-15 10:00 -> end of Mon 2027-03-22 (+01:00); a notice on Wed
    2027-03-24 skips Good Friday and Easter Monday -> end of Fri 2027-04-02 (+02:00)."""
    assert rules.confirm_start_due(sthlm(2027, 3, 15, 10), RULES) == datetime(
        2027, 3, 22, 22, 59, 59, tzinfo=UTC
    )
    assert rules.confirm_start_due(sthlm(2027, 3, 24, 10), RULES) == datetime(
        2027, 4, 2, 21, 59, 59, tzinfo=UTC
    )


def test_EXT_2_started_on_may_be_today_or_up_to_day_14_but_never_in_the_future() -> None:
    rules.check_started_on(MON_15_MARCH, sthlm(2027, 3, 15, 0, 0), RULES)
    rules.check_started_on(MON_15_MARCH, sthlm(2027, 3, 28, 23, 59), RULES)  # day 14 itself
    with pytest.raises(ValueError, match="framtiden"):
        rules.check_started_on(date(2027, 3, 16), sthlm(2027, 3, 15, 23, 59), RULES)
    with pytest.raises(ValueError, match="slutade 2027-03-28"):
        rules.check_started_on(MON_15_MARCH, sthlm(2027, 3, 29, 0, 0), RULES)
    with pytest.raises(ValueError, match="inserted"):
        TemporaryExtensionWorkflow.build_input(
            StartTemporaryExtension(started_on=MON_15_MARCH, inserted=" ", reason="x"),
            StartContext(
                case_id="c1",
                case=CaseInfo(
                    "c1", "staffanstorp", "staffanstorp", provider_id="hemtjanst-nord", decisions=[care()]
                ),
                profile=STAFFANSTORP,
                actor=PROVIDER,
                now=sthlm(2027, 3, 15, 10),
            ),
        )


def test_EXT_2_the_input_carries_the_notice_time_and_the_trimmed_texts() -> None:
    inp = build([care()], sthlm(2027, 3, 15, 10))
    assert (inp.started_on, inp.reported_at, inp.inserted) == (
        MON_15_MARCH,
        sthlm(2027, 3, 15, 10),
        "Tillsyn två gånger per natt",
    )
    assert (inp.reported_by, inp.case_worker_id) == (PROVIDER, "cw-anna")


# -- EXT-3 --------------------------------------------------------------------------------------


def test_EXT_3_a_lasting_change_is_reported_within_a_week_of_the_day_it_was_established() -> None:
    """CAL-6: established Fri 2027-03-19 -> by the end of Fri 2027-03-26 (Good Friday: calendar
    days); established Sun 2027-03-21 -> by 2027-03-28 23:59:59 summer time."""
    assert rules.report_lasting_due(date(2027, 3, 19)) == end_of(date(2027, 3, 26))
    assert rules.report_lasting_due(date(2027, 3, 21)) == datetime(2027, 3, 28, 21, 59, 59, tzinfo=UTC)


def test_EXT_3_the_established_day_lies_between_day_one_and_today() -> None:
    now = sthlm(2027, 3, 20, 9)
    rules.check_established_on(date(2027, 3, 15), MON_15_MARCH, now)
    rules.check_established_on(date(2027, 3, 20), MON_15_MARCH, now)
    with pytest.raises(ValueError, match="före dag 1"):
        rules.check_established_on(date(2027, 3, 14), MON_15_MARCH, now)
    with pytest.raises(ValueError, match="framtiden"):
        rules.check_established_on(date(2027, 3, 21), MON_15_MARCH, now)


# -- EXT-5 --------------------------------------------------------------------------------------

ITEMS = [ServiceItem(name="Tillsyn natt", kind="care", minutes_per_month=600)]


def test_EXT_5_a_grant_is_back_dated_to_day_one_and_no_other_date() -> None:
    assert rules.proposed_decision_date(MON_15_MARCH) == MON_15_MARCH
    rules.check_decision(True, MON_15_MARCH, ITEMS, MON_15_MARCH)
    rules.check_decision(True, None, ITEMS, MON_15_MARCH)
    with pytest.raises(ValueError) as info:
        rules.check_decision(True, date(2027, 3, 29), ITEMS, MON_15_MARCH)
    assert str(info.value) == (
        "Beslutet ska bakåtdateras till den dag utföraren satte in stödet: 2027-03-15, inte 2027-03-29."
    )
    with pytest.raises(ValueError, match="minst en insats"):
        rules.check_decision(True, MON_15_MARCH, [], MON_15_MARCH)
    with pytest.raises(ValueError, match="namn"):
        rules.check_decision(True, MON_15_MARCH, [ServiceItem(name=" ", kind="care")], MON_15_MARCH)


def test_EXT_5_a_refusal_names_no_services_and_ignores_the_proposed_date() -> None:
    rules.check_decision(False, MON_15_MARCH, [], MON_15_MARCH)
    with pytest.raises(ValueError, match="bara när fortsatt stöd beviljas"):
        rules.check_decision(False, None, ITEMS, MON_15_MARCH)


def test_EXT_5_the_application_is_received_between_day_one_and_today_or_declined() -> None:
    now = sthlm(2027, 3, 29, 10)
    rules.check_application(False, date(2027, 3, 29), MON_15_MARCH, now)
    rules.check_application(True, None, MON_15_MARCH, now)
    with pytest.raises(ValueError, match="received_on"):
        rules.check_application(False, None, MON_15_MARCH, now)
    with pytest.raises(ValueError, match="mellan 2027-03-15 och 2027-03-29"):
        rules.check_application(False, date(2027, 3, 30), MON_15_MARCH, now)
    with pytest.raises(ValueError, match="avstår"):
        rules.check_application(True, date(2027, 3, 29), MON_15_MARCH, now)


# -- texts ---------------------------------------------------------------------------------------


def test_EXT_6_the_transient_outcome_says_no_payment_for_the_extra_support_in_the_period() -> None:
    text = rules.transient_text(MON_15_MARCH, date(2027, 3, 26), "")
    assert text == (
        "Behovet var övergående. Ingen ersättning till utföraren för det utökade stödet under "
        "perioden 2027-03-15–2027-03-26."
    )


def test_the_history_says_whether_a_deadline_was_met_or_missed() -> None:
    due = end_of(date(2027, 3, 28))
    on_time = rules.deadline_note("Följ upp", due, sthlm(2027, 3, 28, 23, 59))
    assert on_time == "Följ upp: gjort 2027-03-28 23:59, i tid (senast 2027-03-28 23:59)."
    late = rules.deadline_note("Följ upp", due, sthlm(2027, 3, 29, 8, 0))
    assert late == "Följ upp: gjort 2027-03-29 08:00, efter tidsgränsen (senast 2027-03-28 23:59)."


def test_EXT_2_the_notice_names_day_one_day_fourteen_and_the_confirmation_deadline() -> None:
    text = rules.notice_text(
        MON_15_MARCH,
        date(2027, 3, 28),
        "Tillsyn natt",
        "Infektion",
        rules.confirm_start_due(sthlm(2027, 3, 15, 10), RULES),
    )
    assert "från 2027-03-15 (dag 1) till och med 2027-03-28 (dag 14)" in text
    assert "senast 2027-03-22 23:59" in text
