"""Turning JSON bodies into the workflows' input dataclasses, and the start context of a process.

The start request and every action input are plain dataclasses declared by the process
(``START_REQUEST``, ``ACTIONS``); pydantic validates the JSON against them, then every value is
checked against the system's limits (``api.limits``: calendar years, characters, lengths). Unknown
fields and instants without an offset are refused (422) rather than silently dropped or guessed.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from api import limits
from api.errors import unprocessable
from api.validation import shown, validation_detail
from readmodel.models import Case, Decision, Order
from workflows.model import Actor, CaseInfo, DecisionInfo, OrderInfo
from workflows.process import ProcessWorkflow
from workflows.registry import PROCESS_TYPES


def process_class(process_type: object) -> type[ProcessWorkflow]:
    if not isinstance(process_type, str) or process_type not in PROCESS_TYPES:
        known = ", ".join(sorted(PROCESS_TYPES))
        raise unprocessable(f"Okänd processtyp: {shown(process_type)}. Kända typer: {known}.")
    return PROCESS_TYPES[process_type]


_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    if cls not in _adapters:
        _adapters[cls] = TypeAdapter(cls)
    return _adapters[cls]


def parse(cls: type[Any], fields: dict[str, Any], *, injected: dict[str, Any] | None = None) -> Any:
    """Validate ``fields`` into the dataclass ``cls``; ``injected`` fields come from the server."""
    injected = injected or {}
    allowed = {f.name for f in dataclasses.fields(cls)} - set(injected)
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise unprocessable(
            f"Okända fält: {', '.join(shown(name) for name in unknown)}. "
            f"Tillåtna fält: {', '.join(sorted(allowed))}."
        )
    try:
        value = _adapter(cls).validate_python({**fields, **injected})
    except ValidationError as error:
        raise unprocessable(validation_detail(error)) from error
    limits.check(value)
    naive = _naive_instants(value)
    if naive:
        raise unprocessable(f"Tidpunkter måste anges med tidszon (t.ex. +01:00): {', '.join(naive)}.")
    return value


def parse_action(cls: type[Any], body: dict[str, Any], actor: Actor) -> Any:
    """An action's input: the body's fields, the actor always from the token."""
    if "actor" in body:
        raise unprocessable("Fältet actor sätts av servern från inloggningen och får inte skickas.")
    return parse(cls, body, injected={"actor": actor})


def _naive_instants(value: Any, path: str = "") -> list[str]:
    if isinstance(value, datetime):
        return [path or "värdet"] if value.tzinfo is None else []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            name
            for f in dataclasses.fields(value)
            for name in _naive_instants(getattr(value, f.name), f"{path}.{f.name}".lstrip("."))
        ]
    if isinstance(value, list | tuple):
        return [name for i, item in enumerate(value) for name in _naive_instants(item, f"{path}[{i}]")]
    return []


def case_info(case: Case, decisions: list[Decision], orders: list[Order] | None = None) -> CaseInfo:
    """What a starting process may know of its case (ids, decisions and the orders not ended, no
    personal data)."""
    return CaseInfo(
        case_id=case.id,
        municipality=case.municipality,
        profile=case.profile,
        case_worker_id=case.case_worker_id,
        provider_id=case.provider_id,
        created_at=case.created_at,
        decisions=[
            DecisionInfo(
                decision_id=d.id,
                kind=d.kind,
                services=[str(s) for s in d.services],
                start_date=d.start_date,
                end_date=d.end_date,
            )
            for d in decisions
            if d.status == "active"
        ],
        orders=[
            OrderInfo(order_id=o.id, provider_id=o.provider_id, start_date=o.start_date)
            for o in orders or []
            if o.ended_on is None and o.status in ("sent", "confirmed", "executed")
        ],
    )
