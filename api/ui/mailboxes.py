"""The function mailboxes the caller reads and their messages."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from api.auth import Principal
from api.deps import NowDep, ProfilesDep, SessionDep
from api.routes import mailboxes as mailbox_routes
from api.schemas import MessageOut
from api.ui import people
from api.ui.common import UiUser, error_page, render, ui_router
from api.ui.readable import readable
from readmodel import repository as repo
from workflows.profiles import Profile, provider_mailbox

router = ui_router()


def _readable_mailboxes(user: Principal, session: SessionDep, profiles: dict[str, Profile]) -> list[str]:
    names = mailbox_routes.authority_mailboxes(profiles)
    candidates = set().union(*names.values())
    if user.org:
        candidates.add(provider_mailbox(user.org))
    candidates |= {provider_mailbox(c.provider_id) for c in repo.list_cases(session, user) if c.provider_id}
    return sorted(m for m in candidates if mailbox_routes.may_read(user, m, names))


@router.get("/brevlador", response_class=HTMLResponse)
async def mailbox_list(
    request: Request, user: UiUser, session: SessionDep, profiles: ProfilesDep
) -> HTMLResponse:
    """The function mailboxes the caller reads (COM-2, FU-10)."""
    return render(request, "mailboxes.html", user, names=_readable_mailboxes(user, session, profiles))


@router.get("/brevlador/{mailbox}", response_class=HTMLResponse)
async def mailbox_page(
    mailbox: str, request: Request, user: UiUser, session: SessionDep, profiles: ProfilesDep, now: NowDep
) -> HTMLResponse:
    """A function mailbox's messages, with the access rules of GET /mailboxes/{mailbox}/messages."""
    try:
        messages = await mailbox_routes.list_messages(mailbox, user, session, profiles)
    except HTTPException as error:
        return error_page(request, user, error)
    return render(
        request,
        "mailbox.html",
        user,
        mailbox=mailbox,
        messages=[MessageOut.model_validate(m) for m in messages],
        names=_readable_mailboxes(user, session, profiles),
        people=people.case_facts(session, user, (m.case_id for m in messages)),
        readable=readable(session, user, (m.case_id for m in messages)),
        now=now,
    )
