"""Errors as the pages show them: Swedish sentences without codes, each next to its field.

The JSON API answers a refusal with the text the rule wrote, which may name an input by its field
name ("died_on (2026-12-01) ligger i framtiden", "Ange insatserna (services)"), a role, an action
or a mailbox by its code ("Rollen provider läser inte provider-hemtjanst-syd", "Åtgärden 'plan'
är inte öppen"). The pages translate those codes when they show the message (issue 10: Swedish
only in what users read), the record and the JSON answer keep them:

- a field name becomes the field's label as the form shows it ("Dödsdatum (2026-12-01) ligger i
  framtiden"); a field named in parentheses is dropped when the message stands at that field, and
  the error box above the form names the field first ("Insatser: Ange insatserna.");
- a role, an action, a process type, a mailbox and a unit by their Swedish names.

A refusal that names its fields (``api.errors.Refusal``, from ``workflows.model.FieldError``) is
shown at each of them with ``aria-invalid``; a 422 of pydantic at the field its ``loc`` names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from api import validation
from api.ui import labels
from api.ui.forms import FormField
from api.ui.readable import Readable
from workflows.glossary import FIELD_LABELS, PROCESS_FIELD_LABELS
from workflows.model import ROLE_LABELS
from workflows.registry import PROCESS_TYPES

LOCATION_ROOTS = frozenset({"body", "path", "query"})
# A field's name as the dataclasses spell it: snake_case, a nested one dotted (new_decision.services).
CODE = re.compile(
    r"(?<![\w'’-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+(?:\.[a-z][a-z0-9_]*)*|[a-z]+\.[a-z][a-z0-9_]*)(?![\w'’-])"
)
PARENTHESISED = re.compile(r" ?\(([a-z][a-z0-9_.]*)\)")
ROLE = re.compile(r"\b([Rr]ollen) ([a-z_]+)\b")
QUOTED = re.compile(r"'([a-z_]+)'")
PROCESS = re.compile(
    rf"\b([Pp]rocessen|starta) ({'|'.join(sorted(map(re.escape, PROCESS_TYPES), key=len, reverse=True))})\b"
)
MAILBOX = re.compile(
    r"(?<![\w-])(provider-[a-z0-9._-]*[a-z0-9]|case-workers|senior-case-worker|on-call)(?![\w-])"
)


def ending(text: str) -> str:
    """``text`` ending in one full stop (a message that ends in one already gets none more)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def input_name(field: str) -> str:
    """A refusal's dotted field (``decisions.0.visit_id``) as the form's input name
    (``decisions-0-visit_id``)."""
    return field.replace(".", "-")


def _form_labels(fields: Sequence[FormField]) -> dict[str, str]:
    """The form's labels by field name, the columns of repeated rows by their own name too."""
    found: dict[str, str] = {}
    for ff in fields:
        found.setdefault(ff.name, ff.label)
        for column in ff.columns:
            found.setdefault(f"{ff.name}.{column.name}", column.label)
            found.setdefault(column.name, column.label)
    return found


class Wording:
    """Translates the codes of a message for one form (its fields' labels) of one process type."""

    def __init__(self, fields: Sequence[FormField] = (), process_type: str | None = None) -> None:
        self.own = _form_labels(fields)
        self.process_type = process_type
        self.units = Readable(units=dict(labels.unit_names()))

    def label(self, code: str, short: bool = False) -> str | None:
        """The label of the field ``code`` (dotted: nested, indexed parts skipped), or None when no
        form or glossary names it (then the code is no field's); ``short``: without the label's
        words in parentheses, for a sentence ("Tidpunkt ligger i framtiden")."""
        parts = [part for part in code.split(".") if not part.isdigit()]
        found = None
        for candidate in (".".join(parts), parts[-1]):
            if candidate in self.own:
                found = self.own[candidate]
                break
        name = parts[-1]
        process_own = PROCESS_FIELD_LABELS.get(self.process_type or "", {})
        if found is None and (name in process_own or name in FIELD_LABELS or name in labels.DETAIL_LABELS):
            found = labels.field_label(name, self.process_type)
        if found is None:
            return None
        return labels.label_head(found) if short else labels.without_hint(found)

    def __call__(self, text: str, at: Iterable[str] = ()) -> str:
        """``text`` with its codes in Swedish; a parenthesised field of ``at`` (the fields the
        message stands at) is dropped."""
        here = {code for field in at for code in (field, field.split(".")[-1])}

        def parenthesised(match: re.Match[str]) -> str:
            code = match.group(1)
            if code in here:
                return ""
            label = self.label(code, short=True)
            return f" ({label.lower()})" if label else match.group(0)

        def in_sentence(match: re.Match[str]) -> str:
            label = self.label(match.group(1), short=True)
            if label is None:
                return match.group(0)
            starts = match.start() == 0 or match.string[: match.start()].rstrip().endswith(
                (".", ":", "!", "?")
            )
            return label if starts else label[:1].lower() + label[1:]

        text = PARENTHESISED.sub(parenthesised, text)
        text = CODE.sub(in_sentence, text)
        if here:  # the message stands at these fields: their plain names too ("reason får vara ...")
            names = "|".join(sorted((re.escape(code) for code in here if code.isidentifier()), key=len))
            text = re.sub(rf"(?<![\w'’-])({names})(?![\w'’-])", in_sentence, text) if names else text
        text = ROLE.sub(lambda m: f"{m.group(1)} {ROLE_LABELS.get(m.group(2), m.group(2))}", text)
        text = QUOTED.sub(lambda m: _action(m.group(1)) or m.group(0), text)
        text = PROCESS.sub(lambda m: f"{m.group(1)} {labels.process_label(m.group(2)).lower()}", text)
        text = MAILBOX.sub(lambda m: labels.mailbox_label(m.group(1)), text)
        return self.units(text)


def _action(code: str) -> str | None:
    """An action's code quoted in a message as its name in Swedish quotes; None for no action."""
    return f"”{labels.action_label(code)}”" if code in labels.ACTION_LABELS else None


def _location(loc: Iterable[Any], wording: Wording) -> str:
    """A pydantic error's location as the labels of its fields ("Beslut – rad 1 – Startdatum")."""
    parts: list[str] = []
    names = [str(p) for p in loc if isinstance(p, str) and p not in LOCATION_ROOTS and p[:1].islower()]
    for part in loc:
        if isinstance(part, int):
            parts.append(f"rad {part + 1}")
        elif isinstance(part, str) and part in names:  # a dataclass's own name and the roots left out
            parts.append(wording.label(part) or labels.detail_label(part, wording.process_type))
    if parts and {"path", "query"} & set(map(str, loc)) and not any(wording.label(n) for n in names):
        return "Adressen"  # a page's address, not a field of its forms
    return " – ".join(parts)


def _loc_input(loc: Iterable[Any]) -> str:
    """A pydantic error location as the form's input name (``items-0-name``)."""
    parts = [
        str(p)
        for p in loc
        if isinstance(p, int) or (isinstance(p, str) and p not in LOCATION_ROOTS and p[:1].islower())
    ]
    return "-".join(parts)


def _named_field(message: str, fields: Sequence[FormField]) -> str:
    """The input a plain-text message is about when the refusal does not say: the field whose
    name or label it mentions (the longest mention wins); empty when it names none."""
    lowered = message.lower()
    best, length = "", 0
    for ff in fields:
        for mention in (ff.name, labels.label_head(ff.label)):
            if len(mention) > 3 and mention.lower() in lowered and len(mention) > length:
                best, length = ff.name, len(mention)
    return best


def explain(
    detail: Any,
    fields: Sequence[FormField] = (),
    at: Sequence[str] = (),
    process_type: str | None = None,
) -> tuple[list[str], dict[str, str]]:
    """An error's ``detail`` as (the error box's sentences, the message of each input by name).

    ``at``: the fields a rule's refusal names (``api.errors.Refusal.fields``)."""
    wording = Wording(fields, process_type)
    if isinstance(detail, list):
        messages: list[str] = []
        by_input: dict[str, str] = {}
        for error in detail:
            if not isinstance(error, dict):
                messages.append(ending(wording(str(error))))
                continue
            loc = list(error.get("loc", []))
            own = [str(p) for p in loc if isinstance(p, str) and p not in LOCATION_ROOTS][-1:]
            what = wording(str(error.get("msg") or validation.UNKNOWN), own)  # Swedish already
            where = _location(loc, wording)
            messages.append(ending(f"{where}: {what}" if where else what))
            name = _loc_input(loc)
            if name:
                by_input.setdefault(name, what)  # a short phrase at its field ("måste fyllas i")
        return messages, by_input
    text = str(detail)
    if at:
        shown = ending(wording(text, at))
        names = [label for label in (wording.label(field) for field in at) if label]
        head = f"{', '.join(dict.fromkeys(names))}: " if names else ""
        return [f"{head}{shown}"], {input_name(field): shown for field in at}
    shown = ending(wording(text))
    named = _named_field(text, fields)
    return [shown], ({named: shown} if named else {})
