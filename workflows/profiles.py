"""Municipality profiles: every number and switch where the routines differ.

One TOML file per profile under ``profiles/``. A profile is loaded and validated when the worker
or API starts; a broken file fails at once with a message naming the file and the field. A
process receives the profile by value in its input, so a running workflow replays with the
numbers it started with even if the file changes later.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal

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

# -- the unit register ------------------------------------------------------------------------

UnitKind = Literal["provider", "homecoming_team", "alarm_team", "night_district"]
# A unit's id as the API's edge accepts it (api.limits): letters, digits and ``. _ -``.
UNIT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
UNIT_ID_MAX = 64  # workflows.limits.ID_MAX (which imports the calendar, which imports this)
UNIT_NAME_MAX = 100


@dataclass(frozen=True)
class Unit:
    """A unit of the municipality (a provider, the homecoming team, the alarm team, a night
    district): its id (a token's ``org``, a ``provider_id``) and the name people read."""

    __pydantic_config__ = _STRICT

    id: str
    name: str
    kind: UnitKind = "provider"


_units_adapter = TypeAdapter(tuple[Unit, ...])

# The profile's own units (attribute path -> kind): a profile that lists its units lists these.
_NAMED_UNITS: tuple[tuple[str, str, str], ...] = (
    ("mailboxes", "default_provider", "provider"),
    ("homecoming", "team", "homecoming_team"),
    ("homecoming", "alarm_team", "alarm_team"),
    ("homecoming", "night_district", "night_district"),
)


def provider_mailbox(org: str) -> str:
    """The function mailbox of a provider or team unit."""
    return f"provider-{org}"


def load_profile(name: str, directory: Path = PROFILES_DIR) -> Profile:
    """Read and validate one profile file; a broken one raises ProfileError naming file and field."""
    path = directory / f"{name}.toml"
    if not path.is_file():
        raise ProfileError(f"{path}: no such profile file")
    raw = _read(path)
    # The unit register (load_units) is names to read and choose from, not a process input.
    register = {"units": raw.pop("units", [])}
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
    _check_units(path, profile, _units_of(path, register))
    return profile


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{path}: not valid TOML: {error}") from error


def _units_of(path: Path, raw: dict[str, Any]) -> tuple[Unit, ...]:
    try:
        return _units_adapter.validate_python(raw.get("units", []), strict=False)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in ("units", *first["loc"]))
        raise ProfileError(f"{path}: field '{where}': {first['msg']}") from error


def _check_units(path: Path, profile: Profile, units: tuple[Unit, ...]) -> None:
    """A register's ids are well-formed and unique, its names short, and it lists the units the
    profile itself names (the default provider, the homecoming team, the alarm team, the night
    district) with their kinds."""
    seen: set[str] = set()
    for number, unit in enumerate(units):
        if not UNIT_ID.fullmatch(unit.id) or len(unit.id) > UNIT_ID_MAX:
            raise ProfileError(f"{path}: field 'units.{number}.id': '{unit.id}' is not a unit id")
        if unit.id in seen:
            raise ProfileError(f"{path}: field 'units.{number}.id': '{unit.id}' is listed twice")
        if not unit.name.strip() or len(unit.name) > UNIT_NAME_MAX:
            raise ProfileError(f"{path}: field 'units.{number}.name': 1-{UNIT_NAME_MAX} characters")
        seen.add(unit.id)
    kinds = {unit.id: unit.kind for unit in units}
    for section, attribute, kind in _NAMED_UNITS if units else ():
        unit_id = getattr(getattr(profile, section), attribute)
        if kinds.get(unit_id) != kind:
            raise ProfileError(
                f"{path}: field '{section}.{attribute}': '{unit_id}' is not listed in 'units' as a {kind}"
            )


def load_units(name: str, directory: Path = PROFILES_DIR) -> tuple[Unit, ...]:
    """The profile's unit register (``[[units]]``), empty when the profile lists none.

    Kept out of ``Profile``: the processes receive the profile in their input and need no names;
    the API offers the register's units as choices and refuses ids outside it."""
    load_profile(name, directory)  # the same checks, and a missing file is an error
    return _units_of(directory / f"{name}.toml", _read(directory / f"{name}.toml"))


@functools.cache
def unit_registers() -> dict[str, tuple[Unit, ...]]:
    """Every shipped profile's unit register by profile name (read once per process)."""
    return {path.stem: load_units(path.stem) for path in sorted(PROFILES_DIR.glob("*.toml"))}


def _check_office_hours(path: Path, hours: OfficeHours) -> None:
    closes = [hours.closes] + ([hours.summer_closes] if hours.summer_closes else [])
    if any(hours.opens >= close for close in closes):
        raise ProfileError(f"{path}: field 'office_hours': opening time must be before closing time")
    if any(not 1 <= month <= 12 for month in hours.summer_months):
        raise ProfileError(f"{path}: field 'office_hours.summer_months': months are 1-12")


def load_all_profiles(directory: Path = PROFILES_DIR) -> dict[str, Profile]:
    """Every profile in the directory; the first broken one stops start-up."""
    return {path.stem: load_profile(path.stem, directory) for path in sorted(directory.glob("*.toml"))}
