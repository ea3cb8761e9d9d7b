"""Function mailboxes (COM-2): messages about a person go to a function, never to an individual,
and each message concerns exactly one case.

Who reads which mailbox (FU-10, inner secrecy): a provider or team unit (and a deputy manager of
a unit) reads only its own ``provider-<org>``; case workers and senior case workers read the
authority mailboxes (case workers, senior case worker, reception, on-call) and the providers'
mailboxes, so they can see what was sent to a provider; the on-call supervisor reads on-call;
billing reads billing; the supervisor reads all. In every mailbox a reader sees only the messages
about cases visible to them.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import idempotency, limits
from api.auth import CurrentUser, Principal
from api.deps import NowDep, ProfilesDep, SessionDep
from api.errors import not_found, refused, unprocessable
from api.idempotency import KeyHeader
from api.limits import CheckedRequest
from api.schemas import MessageOut
from api.validation import READ_RESPONSES, WRITE_RESPONSES
from readmodel import repository as repo
from readmodel.models import Message
from workflows.model import (
    BILLING,
    CASE_WORKER,
    DEPUTY_MANAGER,
    HOMECOMING_TEAM,
    ON_CALL_SUPERVISOR,
    PROVIDER,
    SENIOR_CASE_WORKER,
    SUPERVISOR,
)
from workflows.profiles import Profile, provider_mailbox, unit_registers
from workflows.rules import communication

router = APIRouter(prefix="/mailboxes", tags=["mailboxes"], responses=READ_RESPONSES)

PROVIDER_PREFIX = provider_mailbox("")
UNIT_READERS = (PROVIDER, HOMECOMING_TEAM, DEPUTY_MANAGER)
NOT_THE_UNITS = (
    "Enheten arbetar inte med ärendet och skulle inte kunna läsa meddelandet (COM-2): skriv till "
    "ärendets utförare eller till en av förvaltningens funktioner."
)
ONE_CASE = "Ett meddelande ska gälla exakt ett ärende (COM-2): ange ett case_id, inte flera eller inget."


class MessageIn(CheckedRequest):
    case_id: str | None = Field(default=None, description="The one case the message is about (COM-2).")
    case_ids: list[str] | None = Field(
        default=None, description="Refused unless it names exactly one case: one message, one case (COM-2)."
    )
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1)
    changed_need: bool = Field(default=False, description="COM-6: a changed need reported for the person.")
    reason_self_contact: str | None = Field(
        default=None, description="COM-6: why the person does not contact the case worker themself."
    )

    def the_case(self) -> str:
        named = {*([self.case_id] if self.case_id else []), *(self.case_ids or [])}
        if len(named) != 1 or (self.case_ids is not None and len(self.case_ids) != 1):
            raise unprocessable(ONE_CASE)
        return named.pop()


def target(mailbox: str) -> str:
    """What a message's Idempotency-Key is scoped to besides its caller: the mailbox."""
    return f"/mailboxes/{mailbox}/messages"


def authority_mailboxes(profiles: dict[str, Profile]) -> dict[str, set[str]]:
    """Authority mailbox names by purpose, over every profile."""
    names: dict[str, set[str]] = {"case": set(), "on_call": set(), "billing": set()}
    for p in profiles.values():
        names["case"] |= {p.mailboxes.case_workers, p.mailboxes.senior_case_worker, p.mailboxes.reception}
        names["on_call"].add(p.mailboxes.on_call)
        names["billing"].add(p.mailboxes.billing)
    return names


def registered_units() -> set[str]:
    """Every unit the profiles' unit registers list."""
    return {unit.id for register in unit_registers().values() for unit in register}


def unit_of(mailbox: str) -> str:
    """The unit whose mailbox ``mailbox`` is (``provider-<unit>``); empty for an authority's."""
    return mailbox.removeprefix(PROVIDER_PREFIX) if mailbox.startswith(PROVIDER_PREFIX) else ""


def _check_known(mailbox: str, names: dict[str, set[str]], session: Session, user: Principal) -> None:
    """422 for a name no mailbox can have (too long, NUL), 404 for one that does not exist: an
    authority mailbox of no profile, or the mailbox of a unit no register lists and no case,
    order or process names (issue 10: ``provider-<anything>`` opened an empty mailbox)."""
    problem = limits.text_problem(mailbox, limits.FIELD_LENGTHS["mailbox"])
    if problem is not None:
        raise unprocessable([{"loc": ["path", "mailbox"], "msg": problem[1], "type": problem[0]}])
    if mailbox in set().union(*names.values()):
        return
    unit = unit_of(mailbox)
    if unit and (unit == user.org or unit in registered_units() or repo.unit_in_use(session, unit)):
        return
    raise not_found(f"Funktionsbrevlådan {mailbox} finns inte.")


def may_read(user: Principal, mailbox: str, names: dict[str, set[str]]) -> bool:
    is_provider_box = mailbox.startswith(PROVIDER_PREFIX)
    if user.role == SUPERVISOR:
        return True
    if user.role in UNIT_READERS:
        return user.org is not None and mailbox == provider_mailbox(user.org)
    if user.role in (CASE_WORKER, SENIOR_CASE_WORKER):
        return is_provider_box or mailbox in names["case"] | names["on_call"]
    if user.role == ON_CALL_SUPERVISOR:
        return mailbox in names["on_call"]
    return user.role == BILLING and mailbox in names["billing"]


@router.get("/{mailbox}/messages")
async def list_messages(
    mailbox: str, user: CurrentUser, session: SessionDep, profiles: ProfilesDep
) -> list[MessageOut]:
    """A function mailbox's messages about cases visible to the caller, newest first."""
    names = authority_mailboxes(profiles)
    _check_known(mailbox, names, session, user)
    if not may_read(user, mailbox, names):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"Rollen {user.role} läser inte {mailbox}.")
    return [MessageOut.model_validate(row) for row in repo.mailbox_messages(session, user, mailbox)]


@router.post("/{mailbox}/messages", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
async def post_message(
    mailbox: str,
    body: MessageIn,
    user: CurrentUser,
    session: SessionDep,
    profiles: ProfilesDep,
    now: NowDep,
    response: Response,
    idempotency_key: KeyHeader = None,
) -> MessageOut:
    """COM-2: send a message about exactly one visible case to a function mailbox; a repeat with
    the same Idempotency-Key and body answers the first message (200)."""
    _check_known(mailbox, authority_mailboxes(profiles), session, user)
    scope = idempotency.scope(user, target(mailbox), idempotency_key)
    if user.role in (SUPERVISOR, BILLING):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"Rollen {user.role} skickar inga meddelanden.")
    fingerprint = idempotency.fingerprint("POST", scope.target, body.model_dump(mode="json"))
    key = f"api/{scope.digest}"
    if idempotency.lookup(session, scope, fingerprint) is not None:
        existing = repo.get_message(session, key)
        if existing is not None:
            response.status_code = status.HTTP_200_OK
            return MessageOut.model_validate(existing)
    case_id = body.the_case()
    if repo.get_visible_case(session, user, case_id) is None:
        raise not_found("Ärendet finns inte.")
    unit = unit_of(mailbox)
    if unit and not repo.case_concerns_unit(session, case_id, unit):
        # COM-2: a unit reads only about its own cases, so the message would reach no one.
        raise unprocessable(NOT_THE_UNITS, "mailbox")
    reason = (body.reason_self_contact or "").strip()
    try:
        person_contacts = not body.changed_need or user.role == CASE_WORKER
        communication.check_reported_for_person(person_contacts, reason, "reason_self_contact")
    except ValueError as error:
        raise refused(error) from error
    text = body.body + (f"\n\nVarför brukaren inte själv hör av sig: {reason}" if reason else "")
    row = Message(
        id=key,
        mailbox=mailbox,
        case_id=case_id,
        process_id=None,
        sender=user.actor.label,
        subject=body.subject,
        body=text,
        sent_at=now,
    )
    try:
        repo.add_message(session, row)
        repo.add_idempotency_record(session, idempotency.record(scope, fingerprint, key, now))
        session.commit()
    except IntegrityError:  # a concurrent request with the same key sent it first
        session.rollback()
        existing = repo.get_message(session, key)
        if idempotency.lookup(session, scope, fingerprint) is None or existing is None:
            raise
        response.status_code = status.HTTP_200_OK
        return MessageOut.model_validate(existing)
    return MessageOut.model_validate(row)
