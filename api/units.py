"""The municipality's units at the edge: a unit id in a body must be one the profile's unit
register lists (``[[units]]`` in ``profiles/<name>.toml``); a profile without a register accepts
any well-formed id (``api.limits`` checks the form of every unit id either way).

Checked for a case's registration, a process's start and an action, before anything is started
or written, as a 422 at the field: the pages offer only listed units, so only a hand-made request
or a unit since removed from the register meets it.
"""

from __future__ import annotations

from typing import Any

from api import limits
from api.errors import unprocessable
from workflows.profiles import Unit, unit_registers

UNKNOWN_UNIT = "finns inte bland kommunens enheter"


def register(profile: str | None) -> tuple[Unit, ...]:
    """The unit register of the profile named ``profile`` (empty: the profile lists none)."""
    return unit_registers().get(profile or "", ())


def _unit_values(value: Any, loc: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """Every (location, id) of a unit field (``*provider_id``, ``*team_id``, ``*district_id``) in
    a JSON-like body; ``org`` is the token's, never a body's."""
    if isinstance(value, dict):
        found = []
        for name, part in value.items():
            if isinstance(name, str) and name != "org" and limits.is_unit_field(name):
                if isinstance(part, str) and part:
                    found.append(((*loc, name), part))
            else:
                found += _unit_values(part, (*loc, name))
        return found
    if isinstance(value, list | tuple):
        return [hit for index, part in enumerate(value) for hit in _unit_values(part, (*loc, index))]
    return []


def problems(profile: str | None, body: Any) -> list[dict[str, Any]]:
    """The unit ids of ``body`` the profile's register does not list (pydantic-shaped errors)."""
    units = register(profile)
    if not units:
        return []
    known = {unit.id for unit in units}
    return [
        {"loc": list(loc), "msg": UNKNOWN_UNIT, "type": "unknown_unit"}
        for loc, unit_id in _unit_values(body)
        if unit_id not in known
    ]


def has_units(body: Any) -> bool:
    return bool(_unit_values(body))


def check(profile: str | None, body: Any) -> None:
    """422 at each unit field whose id the profile's register does not list."""
    found = problems(profile, body)
    if found:
        raise unprocessable(found)
