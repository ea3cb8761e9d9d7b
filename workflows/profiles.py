"""Municipality profiles: every number and switch where the routines differ.

One TOML file per profile under ``profiles/``. A profile is loaded and validated when the worker
or API starts; a broken file fails at once with a message naming the file and the field. A
process receives the profile by value in its input, so a running workflow replays with the
numbers it started with even if the file changes later.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

from pydantic import ConfigDict, TypeAdapter, ValidationError

PROFILES_DIR = Path(__file__).resolve().parent.parent / "profiles"

ALL_PROCESSES = (
    "new-urgent-case",
    "urgent-change",
    "temporary-extension",
    "homecoming",
    "follow-up",
    "order",
    "extra-visits",
)


# Unknown keys are errors: a misspelt setting must not silently fall back to a default.
_STRICT = ConfigDict(extra="forbid")


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class OfficeHours:
    """CAL-3: when a provider's coordinator is reachable; the rest is on-call time."""

    __pydantic_config__ = _STRICT

    opens: time = time(8, 0)
    closes: time = time(17, 0)
    # N2 1.2: Norrköping closes at 16:00 in June-August ("sommartid").
    summer_closes: time | None = None
    summer_months: tuple[int, ...] = (6, 7, 8)


@dataclass(frozen=True)
class OrderRules:
    """ORD-* and COM-3 numbers."""

    __pydantic_config__ = _STRICT

    urgent_sent_from: time = time(14, 0)  # COM-3
    on_call_phone_within_minutes: int = 60  # COM-3: no number in the routines; our choice
    service_expected_days: int = 14  # ORD-4: service items within 2 weeks ...
    service_max_days: int = 28  # ... and at most 4 weeks
    review_repeat_days: int = 14  # ORD-4: a new review if still not executed after an instruction
    care_plan_days: int = 21  # ORD-5: care plan within 3 weeks of execution
    verbal_decision_order_working_days: int = 3  # ORD-6 / NEW-3


@dataclass(frozen=True)
class Deadlines:
    """Other deadline numbers (COM-1, NEW-2, UC-*, EXT-*, HT-*, FU-*)."""

    __pydantic_config__ = _STRICT

    feedback_working_days: int = 5  # COM-1, UC-4, END-6
    on_call_mandate_until: time = time(12, 0)  # NEW-2
    short_change_days: int = 3  # UC-2: notify on day 4
    extension_days: int = 14  # EXT-2
    handover_notice_working_days: int = 2  # HT-3
    handover_notice_hours: int = 24  # HT-4
    first_follow_up_months: int = 2  # FU-2, NEW-7
    follow_up_interval_months: int = 12  # FU-1


@dataclass(frozen=True)
class Ending:
    """END-5 (Botkyrka): the order runs at least to day N after the provider was told."""

    __pydantic_config__ = _STRICT

    notice_days_rule: bool = False
    notice_days: int = 5


@dataclass(frozen=True)
class Mailboxes:
    """Function mailboxes (COM-2): messages about a person never go to an individual."""

    __pydantic_config__ = _STRICT

    case_workers: str = "case-workers"
    senior_case_worker: str = "senior-case-worker"
    billing: str = "billing"
    # EXT-2: the municipality's intake function (mottagningsfunktionen), where providers report
    # a temporary extension under the 14-day agreement.
    reception: str = "reception"
    on_call: str = "on-call"
    # The default provider for unknown persons (NEW-5, "ickevalsalternativ").
    default_provider: str = "hemtjanst-kommunal"


@dataclass(frozen=True)
class Homecoming:
    """HT-*: the homecoming team and the other receivers of a simplified decision's orders.

    Each is a unit id (``org``); its function mailbox is ``provider_mailbox(unit)``."""

    __pydantic_config__ = _STRICT

    team: str = "hemgangsteam"  # HT-1: the homecoming team (role homecoming_team, org = this id)
    alarm_team: str = "larmteam"  # HT-2: receives the safety-alarm order
    night_district: str = "nattdistrikt"  # HT-2: receives the night-help order (default district)
    discharge_rule: bool = False  # HT-6 (Botkyrka): the hospital-discharge start rule applies
    discharge_call_before: time = time(11, 0)  # HT-6: called before this on a working day: same day


@dataclass(frozen=True)
class Profile:
    __pydantic_config__ = _STRICT

    name: str
    display_name: str
    office_hours: OfficeHours = field(default_factory=OfficeHours)
    orders: OrderRules = field(default_factory=OrderRules)
    deadlines: Deadlines = field(default_factory=Deadlines)
    ending: Ending = field(default_factory=Ending)
    mailboxes: Mailboxes = field(default_factory=Mailboxes)
    processes: tuple[str, ...] = ALL_PROCESSES
    homecoming_standard_minutes: int = 600  # HT-2: "schablontid" of the simplified decision
    homecoming: Homecoming = field(default_factory=Homecoming)

    def enables(self, process_type: str) -> bool:
        return process_type in self.processes


_adapter = TypeAdapter(Profile)


def provider_mailbox(org: str) -> str:
    """The function mailbox of a provider or team unit."""
    return f"provider-{org}"


def load_profile(name: str, directory: Path = PROFILES_DIR) -> Profile:
    """Read and validate one profile file; a broken one raises ProfileError naming file and field."""
    path = directory / f"{name}.toml"
    if not path.is_file():
        raise ProfileError(f"{path}: no such profile file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{path}: not valid TOML: {error}") from error
    try:
        profile = _adapter.validate_python(raw, strict=False)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ProfileError(f"{path}: field '{where}': {first['msg']}") from error
    _check_office_hours(path, profile.office_hours)
    unknown = set(profile.processes) - set(ALL_PROCESSES)
    if unknown:
        raise ProfileError(f"{path}: field 'processes': unknown process {sorted(unknown)}")
    if profile.name != name:
        raise ProfileError(f"{path}: field 'name': '{profile.name}' does not match the file name")
    return profile


def _check_office_hours(path: Path, hours: OfficeHours) -> None:
    closes = [hours.closes] + ([hours.summer_closes] if hours.summer_closes else [])
    if any(hours.opens >= close for close in closes):
        raise ProfileError(f"{path}: field 'office_hours': opening time must be before closing time")
    if any(not 1 <= month <= 12 for month in hours.summer_months):
        raise ProfileError(f"{path}: field 'office_hours.summer_months': months are 1-12")


def load_all_profiles(directory: Path = PROFILES_DIR) -> dict[str, Profile]:
    """Every profile in the directory; the first broken one stops start-up."""
    return {path.stem: load_profile(path.stem, directory) for path in sorted(directory.glob("*.toml"))}
