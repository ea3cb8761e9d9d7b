"""Billing notices: changes registered after the 4th of the following month (CAL-7, END-4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import Principal, require_roles
from api.deps import SessionDep
from api.schemas import BillingNoticeOut
from api.validation import READ_RESPONSES
from readmodel import repository as repo
from workflows.model import BILLING, SENIOR_CASE_WORKER, SUPERVISOR

router = APIRouter(prefix="/billing", tags=["billing"], responses=READ_RESPONSES)

Reader = Annotated[Principal, Depends(require_roles(BILLING, SUPERVISOR, SENIOR_CASE_WORKER))]


@router.get("/notices")
async def list_notices(user: Reader, session: SessionDep) -> list[BillingNoticeOut]:
    """CAL-7: late registrations that billing must act on, newest first."""
    return [BillingNoticeOut.model_validate(row) for row in repo.billing_notices(session, user)]
