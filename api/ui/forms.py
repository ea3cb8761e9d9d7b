"""HTML forms generated from the processes' dataclasses, and posted forms turned back into bodies.

A start request (``START_REQUEST``) or an action input (``ACTIONS``) is described field by field;
the posted form becomes the same JSON-like body the JSON API takes, so ``api.services`` validates
it exactly as it validates a JSON request. By type:

- ``date`` → ``<input type=date>``; ``datetime`` → ``<input type=datetime-local>``, read as
  Europe/Stockholm wall-clock time (CAL-2);
- ``bool`` → checkbox; ``int`` → number; ``Literal[...]`` → select; ``str`` → text or textarea;
- a unit's id (``*provider_id``, ``*team_id``, ``*district_id``: ``api.limits.unit_kinds``) →
  select of the profile's units of that kind by name, when the profile lists its units (else text);
- ``list[str]`` → textarea, one value per line;
- ``list[<dataclass>]`` → ``ROWS`` repeated fieldsets, empty rows left out.

``actor`` is never a field: the server takes it from the login.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Union

from api import limits, units
from api.ui import labels
from workflows.calendar import STOCKHOLM
from workflows.glossary import process_of

ROWS = 3
SERVER_FIELDS = frozenset({"actor"})

Kind = Literal["date", "datetime", "bool", "int", "number", "select", "text", "textarea", "lines", "rows"]


@dataclass
class FormField:
    name: str
    label: str
    kind: Kind
    required: bool = False
    default: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label) of a select
    columns: list[FormField] = field(default_factory=list)  # the fields of each row of "rows"
    rows: int = 0


def _is_optional(tp: Any) -> tuple[Any, bool]:
    """``X | None`` → (X, True)."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _text(value: Any) -> str:
    if value is None or value is dataclasses.MISSING:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def unit_choices(name: str, profile: str | None) -> list[tuple[str, str]] | None:
    """The units a unit field offers (id, display name): the profile's register's units of the
    field's kinds; None for a field that is no unit's, or a profile that lists no units."""
    kinds = limits.unit_kinds(name)
    register = units.register(profile)
    if kinds is None or not register:
        return None
    return [(unit.id, unit.name) for unit in register if unit.kind in kinds]


EMPTY_HINT = " (tomt: "


def _empty_choice(label: str) -> tuple[str, str]:
    """The label of a select and its empty choice: "Utförare (tomt: ärendets utförare)" → the
    label "Utförare" and the choice "– ärendets utförare –"; otherwise "– välj –"."""
    head, hint, rest = label.partition(EMPTY_HINT)
    if not hint or not rest.endswith(")"):
        return label, "– välj –"
    return head, f"– {rest.removesuffix(')')} –"


def _kind_of(
    name: str, tp: Any, profile: str | None = None
) -> tuple[Kind, list[tuple[str, str]], list[FormField]]:
    origin = typing.get_origin(tp)
    if tp is str:
        choices = unit_choices(name, profile)
        if choices is not None:
            return "select", choices, []
    if tp is bool:
        return "bool", [], []
    if tp is int:
        return "int", [], []
    if tp is float:
        return "number", [], []
    if tp is datetime:
        return "datetime", [], []
    if tp is date:
        return "date", [], []
    if origin is Literal:
        return "select", [(str(v), labels.choice_label(str(v))) for v in typing.get_args(tp)], []
    if origin is list:
        (item,) = typing.get_args(tp) or (str,)
        if dataclasses.is_dataclass(item) and isinstance(item, type):
            return "rows", [], describe(item, profile)
        return "lines", [], []
    return ("textarea" if name in labels.LONG_TEXT else "text"), [], []


def describe(cls: type[Any], profile: str | None = None) -> list[FormField]:
    """The form fields of the dataclass ``cls`` (``actor`` left out; ``occurred_at`` last);
    ``profile``: the municipality profile whose units the unit fields offer."""
    hints = typing.get_type_hints(cls)
    fields: list[FormField] = []
    for f in dataclasses.fields(cls):
        if f.name in SERVER_FIELDS:
            continue
        tp, optional = _is_optional(hints[f.name])
        kind, options, columns = _kind_of(f.name, tp, profile)
        default = _default_of(f)
        required = default is dataclasses.MISSING and kind not in ("bool", "rows", "lines")
        label = labels.field_label(f.name, process_of(cls))
        if kind == "select" and (optional or default is dataclasses.MISSING):
            label, empty = _empty_choice(label)
            options = [("", empty), *options]
        fields.append(
            FormField(
                name=f.name,
                label=label,
                kind=kind,
                required=required,
                default=_text(default),
                options=options,
                columns=columns,
                rows=ROWS if kind == "rows" else 0,
            )
        )
    fields.sort(key=lambda ff: ff.name == "occurred_at")
    return fields


def with_proposals(fields: list[FormField], proposals: Mapping[str, Any]) -> list[FormField]:
    """The fields with the values a process proposes for its action prefilled (its state's
    ``details["proposals"][action]``, field name -> value; e.g. EXT-5's back-dated decision date)."""
    return [_proposed(ff, _text(proposals[ff.name])) if ff.name in proposals else ff for ff in fields]


def _proposed(ff: FormField, value: str) -> FormField:
    """``ff`` with ``value`` prefilled; a select gets the value as a choice if it lacks it (e.g. a
    proposed receiver that is the homecoming team, in a field that offers providers)."""
    options = ff.options
    if ff.kind == "select" and value and value not in {v for v, _ in options}:
        shown = labels.unit_label(value) if limits.is_unit_field(ff.name) else labels.choice_label(value)
        options = [*options, (value, shown)]
    return dataclasses.replace(ff, default=value, options=options)


def _local_instant(raw: str) -> str:
    """A ``datetime-local`` value as Stockholm wall-clock time, with its offset (CAL-2).

    A value that already carries an offset, or is not a time at all, is passed on unchanged for
    the body's validation to accept or refuse.
    """
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=STOCKHOLM)
    return instant.isoformat()


def _value(ff: FormField, raw: str) -> Any:
    if ff.kind == "datetime":
        return _local_instant(raw)
    if ff.kind == "int":
        try:
            return int(raw)
        except ValueError:
            return raw
    if ff.kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    return raw


def _row(ff: FormField, form: Mapping[str, str], index: int) -> dict[str, Any] | None:
    """Row ``index`` of a repeated fieldset; None when nothing was typed in it (a checkbox or a
    preselected choice alone does not make a row)."""
    prefix = f"{ff.name}-{index}-"
    typed = [c for c in ff.columns if c.kind not in ("bool", "select")]
    if not any(form.get(prefix + c.name, "").strip() for c in typed):
        return None
    return _fields(ff.columns, form, prefix)


def _fields(fields: list[FormField], form: Mapping[str, str], prefix: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {}
    for ff in fields:
        key = prefix + ff.name
        if ff.kind == "bool":
            body[ff.name] = key in form
        elif ff.kind == "rows":
            rows = [_row(ff, form, i) for i in range(ff.rows)]
            body[ff.name] = [r for r in rows if r is not None]
        elif ff.kind == "lines":
            body[ff.name] = _value(ff, form.get(key, ""))
        else:
            raw = form.get(key, "").strip()
            if raw:
                body[ff.name] = _value(ff, raw)
    return body


def body_of(cls: type[Any], form: Mapping[str, str]) -> dict[str, Any]:
    """The posted form as the JSON body of ``cls``: empty inputs are left out (defaults apply)."""
    return _fields(describe(cls), form)
