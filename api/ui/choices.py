"""What a form offers where a field names items rather than holding a value of its own.

A field named for a decision (``decision_id``, ``*_decision_ids``), an order (``order_id``,
``*_order_ids``), an extra visit (``visit_id``) or the responsible case worker
(``case_worker_id``) is a choice among the items of that kind, each described in words
("Hemtjänst (omvårdnad): Personlig omvårdnad från 2026-11-16"), its id only the value
(``forms.with_choices``). Which items: those a process offers for the action's field
(``ProcessWorkflow.offered``, e.g. the follow-up's living decisions), else what the case has of
the kind now (its current decisions, its orders not ended, the process's registered visits, the
case workers of the directory of people).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from api.auth import Principal
from api.ui import forms, labels
from readmodel import people as directory
from readmodel import repository as repo
from readmodel.models import Decision, Order
from workflows.model import CASE_WORKER
from workflows.rules import extra_visits as visit_rules

DECISION, ORDER, VISIT, PERSON = "decision", "order", "visit", "case_worker"
ENDED = frozenset({"ended", "replaced"})


def kind_of(name: str) -> str | None:
    """The kind of item a field names, by its name; None for a field with a value of its own."""
    if name == "decision_id" or name.endswith("decision_ids"):
        return DECISION
    if name == "order_id" or name.endswith("order_ids"):
        return ORDER
    if name == "visit_id":
        return VISIT
    if name == "case_worker_id":
        return PERSON
    return None


def decision_text(decision: Decision) -> str:
    """A decision as people name it: kind, services and start date."""
    services = ", ".join(str(s) for s in decision.services) or labels.decision_kind_label(decision.kind)
    start = f" från {decision.start_date}" if decision.start_date else ""
    return f"{labels.decision_kind_label(decision.kind)}: {services}{start}"


def order_text(order: Order) -> str:
    """An order as people name it: receiver, start date and services."""
    names = [str(i.get("name", "")) if isinstance(i, dict) else str(i) for i in order.items]
    services = f": {', '.join(n for n in names if n)}" if any(names) else ""
    return f"Beställning till {labels.unit_label(order.provider_id)} från {order.start_date}{services}"


def visit_text(visit: Mapping[str, Any]) -> str:
    """A registered extra visit (UC-5) as the provider and the case worker name it: kind, date,
    services, and the open question when there is one."""
    kinds = {str(code): words for code, words in visit_rules.VISIT_KIND_LABELS.items()}
    kind = kinds.get(str(visit.get("kind")), "Extra besök")
    services = ", ".join(str(s) for s in visit.get("services") or [])
    status = visit_rules.STATUS_LABELS.get(str(visit.get("status")), "")
    text = f"{kind} {visit.get('visit_date')}: {services}" + (f" ({status})" if status else "")
    question = visit.get("question")
    return (
        f"{text} – fråga: {question}" if question and visit.get("status") == visit_rules.QUESTIONED else text
    )


@dataclass
class Items:
    """The items fields may name, by kind: every one known (id → words) and those offered when
    the process does not say (the current ones)."""

    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    current: dict[str, list[str]] = field(default_factory=dict)
    # The empty choice of a single item's select, by kind (else the label's "(tomt: ...)").
    empty: dict[str, str] = field(default_factory=lambda: {DECISION: "– inget särskilt beslut –"})

    def add(self, kind: str, item_id: str, text: str, current: bool) -> None:
        self.texts.setdefault(kind, {})[item_id] = text
        if current:
            self.current.setdefault(kind, []).append(item_id)

    def offered(
        self, fields: list[forms.FormField], narrowed: Mapping[str, list[str]]
    ) -> dict[str, list[tuple[str, str]]]:
        """The choices of each field (at any depth) that names items: ``narrowed`` by the process
        (field → ids), else the current items of the field's kind. A kind the page knows nothing
        of (no case) is left as it is."""
        out: dict[str, list[tuple[str, str]]] = {}
        for ff in _all_fields(fields):
            kind = kind_of(ff.name)
            if kind is None or (kind not in self.texts and ff.name not in narrowed):
                continue
            ids = narrowed.get(ff.name, self.current.get(kind, []))
            known = self.texts.get(kind, {})
            empty = self.empty.get(kind) if ff.kind not in ("lines", "choices") else None
            out[ff.name] = ([("", empty)] if empty else []) + [(i, known.get(i, i)) for i in ids]
        return out

    def apply(
        self, fields: list[forms.FormField], narrowed: Mapping[str, list[str]] | None = None
    ) -> list[forms.FormField]:
        return forms.with_choices(fields, self.offered(fields, narrowed or {}))


def _all_fields(fields: Iterable[forms.FormField]) -> Iterable[forms.FormField]:
    for ff in fields:
        yield ff
        yield from _all_fields(ff.columns)


def case_items(
    session: Session, user: Principal, case_id: str | None, details: Mapping[str, Any] | None = None
) -> Items:
    """The items of a case the caller may see (its decisions and orders) and of a process (its
    registered visits, ``details["visits"]``)."""
    items = Items()
    if case_id is not None and repo.get_visible_case(session, user, case_id) is not None:
        for decision in repo.decisions_of_case(session, case_id):
            items.add(DECISION, decision.id, decision_text(decision), decision.status not in ENDED)
        for order in repo.orders_of_case(session, user, case_id):
            items.add(ORDER, order.id, order_text(order), order.status != "ended")
    visits = (details or {}).get("visits")
    for visit in visits if isinstance(visits, list) else []:
        if isinstance(visit, Mapping) and visit.get("visit_id"):
            items.add(VISIT, str(visit["visit_id"]), visit_text(visit), True)
    return items


def case_workers(session: Session, user: Principal) -> list[directory.Identity]:
    """The case workers the directory of people knows, of the caller's municipality when the
    token names one, by name."""
    return [
        who
        for who in directory.people_with_role(session, CASE_WORKER)
        if user.municipality is None or who.municipality in (None, user.municipality)
    ]


def with_case_workers(items: Items, session: Session, user: Principal) -> Items:
    """``items`` and the case workers the directory of people knows (``case_workers``), by name;
    the caller first when they are one."""
    people = sorted(case_workers(session, user), key=lambda who: who.user_id != user.sub)
    for who in people:
        own = " (du)" if who.user_id == user.sub else ""
        items.add(PERSON, who.user_id, f"{who.name or who.user_id}{own}", True)
    items.texts.setdefault(PERSON, {})
    # Left empty, a case worker registering is responsible; anyone else leaves it to be assigned.
    items.empty[PERSON] = "– du själv –" if user.role == CASE_WORKER else "– ingen ansvarig ännu –"
    return items
