"""The system's input limits, checked at the HTTP edge before anything is started or written.

Issue 6 §2: no input may wedge a process. Every value of every request is checked here against
the limits the rest of the system has:

- dates and instants lie in the calendar's years (``workflows.calendar.YEARS``, 2020-2060: the
  holiday table the deadlines are computed with); an instant counts by its Stockholm date (CAL-2);
- strings carry no character PostgreSQL refuses (NUL) or cannot encode (a lone UTF-16 surrogate);
- strings fit the read-model column they end up in (lengths read from ``readmodel.models``, so
  they cannot drift); free text (notes, descriptions, ``other``) is capped at ``FREE_TEXT_MAX``;
- lists hold at most ``LIST_MAX`` entries, and a request body at most ``MAX_BODY_BYTES`` (413),
  so a workflow input stays far below Temporal's 2 MB payload limit.

``problems(value)`` walks a parsed value (dataclass, pydantic model, dict, list, scalar) and
answers the broken limits in the shape of pydantic's errors (``loc``, ``msg`` in Swedish,
``type``); ``check`` raises them as a 422. Field names decide the length: the same limit for a
``provider_id`` wherever it appears.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from fastapi import HTTPException, Request, status
from pydantic import BaseModel, model_validator
from sqlalchemy.orm import InstrumentedAttribute

from readmodel.models import Case, Decision, IdempotencyRecord, Message, Order, Person, Task
from workflows import calendar
from workflows import limits as shared
from workflows.limits import OUTSIDE_CALENDAR, in_calendar
from workflows.limits import text_problem as text_problem  # re-exported: the edge's checks
from workflows.model import ROLE_LABELS
from workflows.profiles import UNIT_ID

YEARS = calendar.YEARS


def column_length(column: InstrumentedAttribute[Any]) -> int:
    """The length of a read-model string column (``String(n)``)."""
    length: int | None = getattr(column.property.columns[0].type, "length", None)
    assert length is not None, f"{column} has no length"
    return length


# The longest actor label suffix, " (förste biståndshandläggare)": a person's name plus it must fit
# the columns that hold actor labels (tasks.closed_by, messages.sender, journal_entries.author).
_ROLE_SUFFIX = max(len(f" ({label})") for label in ROLE_LABELS.values())
# A person's name (login name, a person's name in a case); also the label of whoever acts.
# The directory of people (``people.name``) holds the login name as it is.
NAME_MAX = (
    min(column_length(Task.closed_by), column_length(Case.person_name), column_length(Person.name))
    - _ROLE_SUFFIX
)
# An id of a user, a unit or a municipality: it becomes case_worker_id, provider_id, org columns.
ID_MAX = min(
    column_length(Case.case_worker_id),
    column_length(Case.provider_id),
    column_length(Task.org),
    column_length(Person.user_id),
    column_length(Person.org),
)
# Free text (notes, descriptions, an order's "övrigt", a message body): about 4 pages of text,
# at most 40 KB in UTF-8, so even a body full of such fields stays far below Temporal's 2 MB.
FREE_TEXT_MAX = shared.FREE_TEXT_MAX
LIST_MAX = 100
# The request body (413 above it). The Temporal UI's codec calls carry whole payloads: larger cap.
MAX_BODY_BYTES = 256 * 1024
MAX_CODEC_BODY_BYTES = 8 * 1024 * 1024
# A path or query parameter: the longest id the read model holds.
PARAM_MAX = column_length(Message.id)

# Field name -> the longest value, from the column it is stored in.
FIELD_LENGTHS: dict[str, int] = {
    "person_name": column_length(Case.person_name),
    "name": NAME_MAX,  # a login name; a service's name (stored with the order's items)
    "phoned_name": NAME_MAX,
    "services": NAME_MAX,  # one service's name
    "sub": ID_MAX,
    "org": ID_MAX,
    "provider_id": column_length(Order.provider_id),
    "chosen_provider_id": column_length(Order.provider_id),
    "night_district_id": column_length(Order.provider_id),
    "team_id": column_length(Order.provider_id),
    "case_worker_id": column_length(Case.case_worker_id),
    "case_id": column_length(Case.id),
    "case_ids": column_length(Case.id),
    "municipality": column_length(Case.municipality),
    "profile": column_length(Case.profile),
    "decision_id": column_length(Decision.id),
    "kind": column_length(Decision.kind),
    "mailbox": column_length(Message.mailbox),
    "subject": column_length(Message.subject),
    "type": column_length(Case.id),  # a process type
    "month": len("2026-11"),
    "visit_id": column_length(Decision.id),
    "key": column_length(IdempotencyRecord.key),
}


def _entry(loc: tuple[Any, ...], kind: str, msg: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}


def _field_name(loc: tuple[Any, ...]) -> str:
    return next((part for part in reversed(loc) if isinstance(part, str)), "")


# A unit's id (a provider, a team, a night district, a token's org) names a function mailbox
# (``provider-<unit>``) and is shown in the Temporal UI's search attributes: letters, digits and
# ``. _ -``, starting with a letter or digit (no paths, no spaces); the profiles' unit registers
# are held to the same pattern.
_UNIT_ID = UNIT_ID


# The one convention for fields that hold a unit's id: by the end of their name, with the kinds
# of unit (``workflows.profiles.UnitKind``) a form offers for them; ``org`` names any unit.
UNIT_FIELD_KINDS: dict[str, tuple[str, ...]] = {
    "provider_id": ("provider",),  # provider_id, chosen_provider_id
    "team_id": ("homecoming_team",),
    "district_id": ("night_district",),  # night_district_id
}
ANY_UNIT = ("provider", "homecoming_team", "alarm_team", "night_district")


def unit_kinds(name: str) -> tuple[str, ...] | None:
    """The kinds of unit the field ``name`` holds the id of; None for a field that holds none."""
    if name == "org":
        return ANY_UNIT
    return next((kinds for end, kinds in UNIT_FIELD_KINDS.items() if name.endswith(end)), None)


def is_unit_field(name: str) -> bool:
    """A field that holds a unit's id: ``org``, ``provider_id``, ``chosen_provider_id``,
    ``team_id``, ``night_district_id``, ..."""
    return unit_kinds(name) is not None


def field_limit(name: str) -> int:
    """The longest value of a string field: its column's length; any other ``*_id`` is an id of a
    user or unit (the shortest id column); anything else is free text."""
    if name in FIELD_LENGTHS:
        return FIELD_LENGTHS[name]
    return ID_MAX if name.endswith("_id") else FREE_TEXT_MAX


# Minutes of a month at most (31 days), for the frame times and extra minutes of services; every
# other count (contact attempts, ...) at most COUNT_MAX.
MINUTES_MAX = 31 * 24 * 60
COUNT_MAX = 100_000


def _number(value: int, loc: tuple[Any, ...]) -> list[dict[str, Any]]:
    limit = MINUTES_MAX if "minutes" in _field_name(loc) else COUNT_MAX
    if value < 0:
        return [_entry(loc, "less_than", "får inte vara negativt")]
    if value > limit:
        return [_entry(loc, "greater_than", f"får vara högst {limit}")]
    return []


def _string(text: str, loc: tuple[Any, ...]) -> list[dict[str, Any]]:
    name = _field_name(loc)
    problem = text_problem(text, field_limit(name))
    if problem is None and is_unit_field(name) and text and not _UNIT_ID.fullmatch(text):
        problem = ("invalid_unit_id", "får bara innehålla bokstäver a-z, siffror, punkt, bindestreck och _")
    return [_entry(loc, *problem)] if problem else []


def _moment(value: date, loc: tuple[Any, ...]) -> list[dict[str, Any]]:
    if in_calendar(value):
        return []
    return [_entry(loc, "year_out_of_range", OUTSIDE_CALENDAR)]


def _items(value: Any) -> list[tuple[Any, Any]] | None:
    """The parts of a container value as (location, part); None for a scalar."""
    if isinstance(value, BaseModel):
        return [(name, getattr(value, name)) for name in type(value).model_fields]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list | tuple):
        return list(enumerate(value))
    return None


def problems(value: Any, loc: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Every limit ``value`` breaks, as pydantic-shaped errors (``loc``, Swedish ``msg``, ``type``)."""
    if isinstance(value, str):
        return _string(value, loc)
    if isinstance(value, date):
        return _moment(value, loc)
    if isinstance(value, int) and not isinstance(value, bool):
        return _number(value, loc)
    parts = _items(value)
    if parts is None:
        return []
    found: list[dict[str, Any]] = []
    if isinstance(value, list | tuple) and len(value) > LIST_MAX:
        found.append(_entry(loc, "too_long", f"får ha högst {LIST_MAX} rader"))
    for name, part in parts:
        if isinstance(name, str):
            found += _string(name, (*loc, name))  # a key of a free-form object
        found += problems(part, (*loc, name))
    return found


class LimitError(Exception):
    """A value broke the system's limits: answered 422 with the problems (never the value)."""

    def __init__(self, found: list[dict[str, Any]]) -> None:
        super().__init__("input outside the system's limits")
        self.problems = found


def check(value: Any, loc: tuple[Any, ...] = ()) -> None:
    """Raise 422 with every limit ``value`` breaks."""
    found = problems(value, loc)
    if found:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, found)


class CheckedRequest(BaseModel):
    """A route's request body model whose every value is checked against the limits (422).

    Only top-level request models extend it; nested models are walked by the check."""

    @model_validator(mode="after")
    def _within_limits(self) -> CheckedRequest:
        found = problems(self)
        if found:
            raise LimitError(found)
        return self


def check_params(request: Request) -> None:
    """An app-wide dependency: path and query parameters within the limits (NUL, surrogates, length)."""
    values = [*request.path_params.items(), *request.query_params.multi_items()]
    found = []
    for name, text in values:
        problem = text_problem(str(text), PARAM_MAX)
        if problem:
            found.append(_entry(("path" if name in request.path_params else "query", name), *problem))
    if found:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, found)
