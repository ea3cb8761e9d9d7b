"""Orders visible to the caller, oldest first (ORD-7)."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CurrentUser
from api.deps import SessionDep
from api.schemas import OrderOut
from api.validation import READ_RESPONSES
from readmodel import repository as repo

router = APIRouter(prefix="/orders", tags=["orders"], responses=READ_RESPONSES)


@router.get("")
async def list_orders(user: CurrentUser, session: SessionDep, status: str | None = None) -> list[OrderOut]:
    """ORD-7: orders in date order, oldest first; a provider sees only the orders sent to it."""
    return [OrderOut.model_validate(row) for row in repo.visible_orders(session, user, status)]
