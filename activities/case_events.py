"""Activities of case-level events (END-1, END-2): orders and decisions that end on a date.

Each writes the read model in one short transaction and tells the workflow that owns the thing
(the order's process, the case's follow-up cycle) when it still runs; a workflow that no longer
runs is left alone, so a retried activity is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.follow_up import cycle_id
from readmodel import models
from workflows.io.follow_up import DecisionEnded
from workflows.io.order import EndOrder
from workflows.model import Actor


@dataclass
class OrdersEnding:
    """The orders ``order_ids`` of the case end on ``ended_on`` (with ``signal``, their running
    processes are told through their ``end_order`` signal)."""

    case_id: str
    order_ids: list[str]
    ended_on: date
    reason: str
    actor: Actor
    signal: bool = True  # False: their processes end otherwise (END-2: by the case event)


@dataclass
class DecisionsEnding:
    """The decisions ``decision_ids`` of the case end on ``ended_on``; with ``tell_cycle`` the
    case's follow-up cycle learns it (FU-1: it schedules from the living decisions)."""

    case_id: str
    decision_ids: list[str] = field(default_factory=list)
    ended_on: date = date(2020, 1, 1)
    tell_cycle: bool = True


@dataclass
class ServicesEnding:
    """The services ``services`` of the case end (a follow-up's outcome): its open orders whose
    every item is one of them end on ``ended_on`` (their processes are told), as in END-1."""

    case_id: str
    services: list[str]
    ended_on: date
    reason: str
    actor: Actor


def _service_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class CaseEventActivities:
    def __init__(self, sessions: sessionmaker[Session], client: Client) -> None:
        self._sessions = sessions
        self._client = client

    @activity.defn
    async def end_orders(self, ending: OrdersEnding) -> None:
        """Mark each order of the case ended on the date, and signal its process if it runs."""
        with self._sessions.begin() as session:
            for order_id in ending.order_ids:
                order = session.get(models.Order, order_id)
                if order is not None and order.case_id == ending.case_id:
                    order.status = "ended"
                    order.ended_on = ending.ended_on
        for order_id in ending.order_ids if ending.signal else []:
            end = EndOrder(ended_on=ending.ended_on, reason=ending.reason, actor=ending.actor)
            await _signal_if_running(self._client, order_id, "end_order", end)

    @activity.defn
    async def end_decisions(self, ending: DecisionsEnding) -> None:
        """The decisions' status and end date; the cycle is told (it may have ended itself)."""
        with self._sessions.begin() as session:
            for decision_id in ending.decision_ids:
                row = session.get(models.Decision, decision_id)
                if row is not None and row.case_id == ending.case_id:
                    row.status = "ended"
                    row.end_date = ending.ended_on
        if not ending.tell_cycle:
            return
        for decision_id in ending.decision_ids:
            ended = DecisionEnded(decision_id=decision_id, ended_on=ending.ended_on)
            await _signal_if_running(self._client, cycle_id(ending.case_id), "decision_ended", ended)

    @activity.defn
    async def end_orders_of_services(self, ending: ServicesEnding) -> list[str]:
        """The case's open orders made only of the ended services end; → their ids, oldest first.
        An order that also holds a service that goes on is left to the case worker."""
        ended = {_service_key(s) for s in ending.services if s.strip()}
        with self._sessions.begin() as session:
            query = select(models.Order).where(
                models.Order.case_id == ending.case_id, models.Order.ended_on.is_(None)
            )
            orders = session.scalars(query.order_by(models.Order.sent_at, models.Order.id)).all()
            ids = [
                order.id
                for order in orders
                if order.items and all(_service_key(str(i.get("name", ""))) in ended for i in order.items)
            ]
        await self.end_orders(OrdersEnding(ending.case_id, ids, ending.ended_on, ending.reason, ending.actor))
        return ids

    def all(self) -> list[Any]:
        return [self.end_orders, self.end_decisions, self.end_orders_of_services]


async def _signal_if_running(client: Client, workflow_id: str, signal: str, arg: Any) -> None:
    """Signal the workflow; one that is not (or no longer) running needs nothing."""
    try:
        await client.get_workflow_handle(workflow_id).signal(signal, arg)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
