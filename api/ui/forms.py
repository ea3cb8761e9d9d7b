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
- ``list[<dataclass>]`` → repeated fieldsets (``ROWS``, or one per proposed row and one more),
  rows where nothing was entered left out;
- ``<dataclass> | None`` → one fieldset of its fields (``new_decision-services``), left out when
  nothing was entered in it.

A field that names items of the case (a decision, an order, a visit, a case worker: the page
knows which, ``with_choices``) is a choice among the items described in words, the id only the
value: a select, or checkboxes for a list. What the process proposes is prefilled
(``with_proposals``). A field declared ``only_when`` another field has a value (``workflows.model``)
says so and is left out of the body otherwise.

``actor`` is never a field: the server takes it from the login.
"""

from __future__ import annotations

import dataclasses
import re
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
from workflows.model import ONLY_WHEN

ROWS = 3
SERVER_FIELDS = frozenset({"actor"})

Kind = Literal[
    "date",
    "datetime",
    "bool",
    "int",
    "number",
    "select",
    "text",
    "textarea",
    "lines",
    "rows",
    "group",
    "choices",
]
Condition = tuple[str, str | bool]


@dataclass
class FormField:
    name: str
    label: str
    kind: Kind
    required: bool = False
    default: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label) of a select or choices
    columns: list[FormField] = field(default_factory=list)  # the fields of each row of "rows", of a "group"
    rows: int = 0
    row_defaults: list[Mapping[str, Any]] = field(default_factory=list)  # proposed rows of "rows"
    only_when: Condition | None = None  # (field, value): the field applies only then
    hint: str = ""  # e.g. when it applies

    @property
    def chosen(self) -> list[str]:
        """The values of "choices" checked by default (``default`` holds one per line)."""
        return [value for value in self.default.splitlines() if value]

    def row_columns(self, index: int) -> list[FormField]:
        """The fields of row ``index`` of "rows", with what is proposed for that row."""
        if index < len(self.row_defaults):
            return with_proposals(self.columns, self.row_defaults[index])
        return self.columns


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
    if value is None or value is dataclasses.MISSING or isinstance(value, Mapping):
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list | tuple):
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
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return "group", [], describe(tp, profile)
    return ("textarea" if name in labels.LONG_TEXT else "text"), [], []


def _hint(condition: Condition | None, process: str) -> str:
    """When a field applies, in words: "Fylls i när utfall är ”Nytt beslut”."."""
    if condition is None:
        return ""
    other, value = condition
    label = labels.label_head(labels.field_label(other, process))
    if isinstance(value, bool):
        return f"Fylls i när ”{label}” {'är' if value else 'inte är'} ikryssat."
    return f"Fylls i när {label[:1].lower()}{label[1:]} är ”{labels.choice_label(value)}”."


def describe(cls: type[Any], profile: str | None = None) -> list[FormField]:
    """The form fields of the dataclass ``cls`` (``actor`` left out; ``occurred_at`` last);
    ``profile``: the municipality profile whose units the unit fields offer."""
    hints = typing.get_type_hints(cls)
    process = process_of(cls)
    fields: list[FormField] = []
    for f in dataclasses.fields(cls):
        if f.name in SERVER_FIELDS:
            continue
        tp, optional = _is_optional(hints[f.name])
        kind, options, columns = _kind_of(f.name, tp, profile)
        default = _default_of(f)
        required = default is dataclasses.MISSING and kind not in ("bool", "rows", "lines", "choices")
        label = labels.field_label(f.name, process)
        if kind == "select" and (optional or default is dataclasses.MISSING):
            label, empty = _empty_choice(label)
            options = [("", empty), *options]
        condition: Condition | None = f.metadata.get(ONLY_WHEN)
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
                only_when=condition,
                hint=_hint(condition, process),
            )
        )
    fields.sort(key=lambda ff: ff.name == "occurred_at")
    return fields


def with_choices(fields: list[FormField], choices: Mapping[str, list[tuple[str, str]]]) -> list[FormField]:
    """The fields that name items (``choices``: field name → (id, the item in words), e.g. the
    case's decisions for ``ended_decision_ids``) as a choice among them, never an id to type: a
    single one a select (its empty choice from the label, unless the choices start with their
    own ``("", ...)``), a list checkboxes; rows with such a field get a row per item (at least
    ``ROWS``). Inside rows and groups too."""
    out: list[FormField] = []
    for ff in fields:
        offered = choices.get(ff.name)
        if ff.kind in ("rows", "group"):
            columns = with_choices(ff.columns, choices)
            counts = [len(choices[c.name]) for c in ff.columns if c.name in choices and c.kind != "lines"]
            rows = max([ff.rows, *counts]) if ff.kind == "rows" else 0
            out.append(dataclasses.replace(ff, columns=columns, rows=rows))
        elif offered is not None and ff.kind in ("lines", "choices"):
            out.append(dataclasses.replace(ff, kind="choices", options=list(offered)))
        elif offered is not None and ff.kind in ("text", "select"):
            label, empty = _empty_choice(ff.label)
            own = [("", empty)] if not offered or offered[0][0] else []  # else it brings its own
            out.append(dataclasses.replace(ff, kind="select", label=label, options=[*own, *offered]))
        else:
            out.append(ff)
    return out


def with_proposals(fields: list[FormField], proposals: Mapping[str, Any]) -> list[FormField]:
    """The fields with the values a process proposes for its action prefilled (its state's
    ``details["proposals"][action]``, field name -> value; e.g. EXT-5's back-dated decision date):
    a text, a list (lines, choices), a mapping (a group's fields) or a list of mappings (rows)."""
    return [_proposed(ff, proposals[ff.name]) if ff.name in proposals else ff for ff in fields]


def _proposed(ff: FormField, value: Any) -> FormField:
    """``ff`` with ``value`` prefilled; a select gets the value as a choice if it lacks it (e.g. a
    proposed receiver that is the homecoming team, in a field that offers providers)."""
    if ff.kind == "group":
        return (
            dataclasses.replace(ff, columns=with_proposals(ff.columns, value))
            if isinstance(value, Mapping)
            else ff
        )
    if ff.kind == "rows":
        rows = [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []
        return dataclasses.replace(ff, row_defaults=rows, rows=max(ff.rows, len(rows) + 1))
    text = _text(value)
    options = ff.options
    if ff.kind == "select" and text and text not in {v for v, _ in options}:
        shown = labels.unit_label(text) if limits.is_unit_field(ff.name) else labels.choice_label(text)
        options = [*options, (text, shown)]
    return dataclasses.replace(ff, default=text, options=options)


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
    return raw


def _indices(form: Mapping[str, str], key: str, rows: bool) -> list[int]:
    """The numbers posted under ``key``: its rows (``items-0-name``) or its checkboxes (``ids-0``)."""
    pattern = re.compile(rf"{re.escape(key)}-(\d{{1,4}})" + ("-" if rows else "$"))
    return sorted({int(m.group(1)) for name in form if (m := pattern.match(name))})


def _list(form: Mapping[str, str], key: str) -> list[str]:
    """A list's values: one per line of its textarea, and its checked checkboxes, each once."""
    lines = [line.strip() for line in form.get(key, "").splitlines()]
    checked = [form[f"{key}-{i}"].strip() for i in _indices(form, key, rows=False)]
    return list(dict.fromkeys(value for value in [*lines, *checked] if value))


def _entered(fields: list[FormField], form: Mapping[str, str], prefix: str) -> bool:
    """Whether anything was entered among ``fields`` (a row, a group): a value other than the
    field's own default, a choice made or an item checked. A checkbox, or a choice preselected by
    the dataclass's default, alone is nothing entered."""
    for ff in fields:
        key = prefix + ff.name
        if ff.kind == "rows":
            if any(_entered(ff.columns, form, f"{key}-{i}-") for i in _indices(form, key, rows=True)):
                return True
        elif ff.kind == "group":
            if _entered(ff.columns, form, f"{key}-"):
                return True
        elif ff.kind in ("lines", "choices"):
            if _list(form, key):
                return True
        elif ff.kind != "bool":
            raw = form.get(key, "").strip()
            if raw and raw != ff.default:
                return True
    return False


def _fields(fields: list[FormField], form: Mapping[str, str], prefix: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {}
    for ff in fields:
        key = prefix + ff.name
        if ff.kind == "bool":
            body[ff.name] = key in form
        elif ff.kind == "rows":
            rows = [f"{key}-{i}-" for i in _indices(form, key, rows=True)]
            body[ff.name] = [
                _fields(ff.columns, form, row) for row in rows if _entered(ff.columns, form, row)
            ]
        elif ff.kind == "group":
            if _entered(ff.columns, form, f"{key}-"):
                body[ff.name] = _fields(ff.columns, form, f"{key}-")
        elif ff.kind in ("lines", "choices"):
            body[ff.name] = _list(form, key)
        else:
            raw = form.get(key, "").strip()
            if raw:
                body[ff.name] = _value(ff, raw)
    return _applicable(fields, body)


def _applicable(fields: list[FormField], body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without the fields whose condition (``only_when``) does not hold: what the form
    proposed for a new decision does not come along with the outcome "unchanged"."""
    for ff in fields:
        if ff.only_when is not None and body.get(ff.only_when[0]) != ff.only_when[1]:
            body.pop(ff.name, None)
    return body


def body_of(cls: type[Any], form: Mapping[str, str]) -> dict[str, Any]:
    """The posted form as the JSON body of ``cls``: empty inputs are left out (defaults apply)."""
    return _fields(describe(cls), form)
