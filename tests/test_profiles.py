"""Municipality profiles: every shipped file loads, and a broken file names its path and field."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from workflows.profiles import (
    ALL_PROCESSES,
    PROFILES_DIR,
    Profile,
    ProfileError,
    load_all_profiles,
    load_profile,
)

SHIPPED = sorted(path.stem for path in PROFILES_DIR.glob("*.toml"))


def write_profile(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_profiles_directory_ships_the_five_municipality_profiles() -> None:
    assert SHIPPED == ["botkyrka", "default", "norrkoping", "staffanstorp", "sundbyberg"]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_profile_file_loads_and_names_itself(name: str) -> None:
    profile = load_profile(name)
    assert isinstance(profile, Profile)
    assert profile.name == name
    assert profile.display_name
    assert set(profile.processes) <= set(ALL_PROCESSES)
    # Every municipality has orders and follow-ups.
    assert profile.enables("order")
    assert profile.enables("follow-up")


def test_load_all_profiles_returns_every_file_keyed_by_name() -> None:
    profiles = load_all_profiles()
    assert sorted(profiles) == SHIPPED
    assert all(profiles[name].name == name for name in profiles)


def test_the_default_profile_enables_every_process_with_the_numbers_of_the_rules() -> None:
    """CAL-3, COM-1, COM-3, END-5: the default profile uses the RULES.md numbers."""
    profile = load_profile("default")
    assert profile.processes == ALL_PROCESSES
    assert profile.office_hours.opens == time(8, 0)
    assert profile.office_hours.closes == time(17, 0)
    assert profile.office_hours.summer_closes is None
    assert profile.deadlines.feedback_working_days == 5
    assert profile.orders.urgent_sent_from == time(14, 0)
    assert profile.ending.notice_days_rule is False


def test_CAL_3_norrkoping_closes_at_1600_in_june_july_and_august() -> None:
    """CAL-3 (N2 1.2): norrkoping has summer_closes 16:00 in months 6-8, otherwise 17:00."""
    hours = load_profile("norrkoping").office_hours
    assert hours.summer_closes == time(16, 0)
    assert hours.summer_months == (6, 7, 8)
    assert hours.closes == time(17, 0)
    assert hours.opens == time(8, 0)


def test_END_5_botkyrka_has_the_notice_rule_on_with_5_days() -> None:
    """END-5 (B): botkyrka turns the five-day end-date rule on; other profiles leave it off."""
    ending = load_profile("botkyrka").ending
    assert ending.notice_days_rule is True
    assert ending.notice_days == 5
    for name in ("default", "norrkoping", "staffanstorp", "sundbyberg"):
        assert load_profile(name).ending.notice_days_rule is False, name


def test_profiles_enable_only_the_processes_of_their_routines() -> None:
    assert load_profile("staffanstorp").enables("temporary-extension")
    assert not load_profile("staffanstorp").enables("extra-visits")
    assert load_profile("sundbyberg").enables("extra-visits")
    assert not load_profile("botkyrka").enables("extra-visits")
    assert load_profile("sundbyberg").mailboxes.default_provider == "hemtjanst-sundbyberg"


def test_a_minimal_profile_gets_the_defaults(tmp_path: Path) -> None:
    write_profile(tmp_path, "minimal", 'name = "minimal"\ndisplay_name = "Minimal"\n')
    profile = load_profile("minimal", tmp_path)
    assert profile.processes == ALL_PROCESSES
    assert profile.office_hours.closes == time(17, 0)


def test_a_native_toml_time_is_accepted_for_a_time_field(tmp_path: Path) -> None:
    write_profile(
        tmp_path,
        "native",
        'name = "native"\ndisplay_name = "N"\n[office_hours]\ncloses = 16:30:00\n',
    )
    assert load_profile("native", tmp_path).office_hours.closes == time(16, 30)


@pytest.mark.parametrize(
    ("name", "text", "field"),
    [
        pytest.param(
            "bad_time",
            'name = "bad_time"\ndisplay_name = "X"\n[office_hours]\ncloses = "25:00"\n',
            "office_hours.closes",
            id="bad-time-value",
        ),
        pytest.param(
            "not_a_time",
            'name = "not_a_time"\ndisplay_name = "X"\n[office_hours]\nsummer_closes = "four"\n',
            "office_hours.summer_closes",
            id="time-that-is-no-time",
        ),
        pytest.param(
            "typo",
            'name = "typo"\ndisplay_name = "X"\n[office_hours]\nclses = "16:00"\n',
            "office_hours.clses",
            id="unknown-nested-key",
        ),
        pytest.param(
            "extra_top",
            'name = "extra_top"\ndisplay_name = "X"\ncolour = "red"\n',
            "colour",
            id="unknown-top-level-key",
        ),
        pytest.param(
            "mismatch",
            'name = "other"\ndisplay_name = "X"\n',
            "name",
            id="name-does-not-match-file",
        ),
        pytest.param(
            "bad_process",
            'name = "bad_process"\ndisplay_name = "X"\nprocesses = ["order", "tea-party"]\n',
            "processes",
            id="unknown-process",
        ),
        pytest.param(
            "bad_int",
            'name = "bad_int"\ndisplay_name = "X"\n[ending]\nnotice_days = "five"\n',
            "ending.notice_days",
            id="not-an-integer",
        ),
        pytest.param(
            "missing",
            'name = "missing"\n',
            "display_name",
            id="missing-required-field",
        ),
    ],
)
def test_a_broken_profile_raises_profile_error_naming_the_file_and_the_field(
    tmp_path: Path, name: str, text: str, field: str
) -> None:
    path = write_profile(tmp_path, name, text)
    with pytest.raises(ProfileError) as raised:
        load_profile(name, tmp_path)
    message = str(raised.value)
    assert str(path) in message
    assert f"field '{field}'" in message


def test_an_unknown_process_is_named_in_the_message(tmp_path: Path) -> None:
    write_profile(
        tmp_path,
        "bad_process",
        'name = "bad_process"\ndisplay_name = "X"\nprocesses = ["order", "tea-party"]\n',
    )
    with pytest.raises(ProfileError, match="tea-party"):
        load_profile("bad_process", tmp_path)


def test_a_file_that_is_not_toml_raises_profile_error_naming_the_file(tmp_path: Path) -> None:
    path = write_profile(tmp_path, "garbled", 'name = "garbled"\ndisplay_name =\n')
    with pytest.raises(ProfileError) as raised:
        load_profile("garbled", tmp_path)
    assert str(path) in str(raised.value)
    assert "not valid TOML" in str(raised.value)


def test_a_missing_profile_file_raises_profile_error_naming_the_path(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as raised:
        load_profile("nowhere", tmp_path)
    assert str(tmp_path / "nowhere.toml") in str(raised.value)


def test_profile_error_is_a_value_error() -> None:
    assert issubclass(ProfileError, ValueError)


def test_load_all_profiles_stops_at_a_broken_file(tmp_path: Path) -> None:
    write_profile(tmp_path, "good", 'name = "good"\ndisplay_name = "Good"\n')
    broken = write_profile(
        tmp_path, "broken", 'name = "broken"\ndisplay_name = "B"\n[ending]\nnotice_dayz = 5\n'
    )
    with pytest.raises(ProfileError) as raised:
        load_all_profiles(tmp_path)
    assert str(broken) in str(raised.value)
    assert "field 'ending.notice_dayz'" in str(raised.value)


@pytest.mark.parametrize(
    ("office_hours", "field"),
    [
        ('opens = "18:00"', "office_hours"),
        ('summer_closes = "07:00"', "office_hours"),
        ("summer_months = [6, 13]", "office_hours.summer_months"),
    ],
)
def test_CAL_3_office_hours_that_cannot_be_real_are_refused_naming_the_field(
    tmp_path: Path, office_hours: str, field: str
) -> None:
    """CAL-3: a profile whose office hours close before they open, or name month 13, fails at start."""
    path = tmp_path / "broken.toml"
    path.write_text(
        f'name = "broken"\ndisplay_name = "x"\n[office_hours]\n{office_hours}\n', encoding="utf-8"
    )
    with pytest.raises(ProfileError) as error:
        load_profile("broken", tmp_path)
    assert str(path) in str(error.value)
    assert f"field '{field}'" in str(error.value)
