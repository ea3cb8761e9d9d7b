"""Who a row is about, for reading: the person, the services, the provider, the case worker.

The inbox, mailbox, case and process pages show people, not ids (issue 10 §1); ids stay in the
address and in small print. A page reads only cases the caller may see (FU-10): the facts of a
case are looked up after the row itself passed the visibility rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from api.auth import Principal
from api.ui import labels
from readmodel import people as directory
from readmodel import repository as repo
from readmodel.models import Case

UNKNOWN_NAME = "namn okänt"


@dataclass(frozen=True)
class PersonRef:
    """A user as the pages show them: a name from the directory of people (``readmodel.people``);
    ``user_id`` is set only when no name is known, and the pages show it in small print."""

    name: str
    user_id: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})" if self.user_id else self.name


@dataclass(frozen=True)
class CaseFacts:
    """What a row says about its case: the person's name, the granted services, the provider's
    display name and the responsible case worker."""

    case_id: str
    person_name: str
    services: list[str] = field(default_factory=list)
    provider: str = ""
    case_worker: PersonRef = PersonRef("")


def person_ref(user_id: str | None, user: Principal, names: Mapping[str, str], none: str = "–") -> PersonRef:
    """A user id as people read it: the caller's own name with "(du)", a name the directory
    knows, or, for a user nobody has seen yet, "namn okänt" with the id (``none`` for no one)."""
    if not user_id:
        return PersonRef(none)
    if user_id == user.sub:
        return PersonRef(f"{user.name} (du)" if user.name and user.name != user.sub else "du")
    name = names.get(user_id)
    return PersonRef(name) if name else PersonRef(UNKNOWN_NAME, user_id)


def case_worker_label(case_worker_id: str | None, user: Principal, names: Mapping[str, str]) -> PersonRef:
    """The responsible case worker (issue 10 §1): by name, the id only when nobody knows it."""
    return person_ref(case_worker_id, user, names, "ingen ansvarig handläggare")


def names(session: Session, user_ids: Iterable[str | None]) -> dict[str, str]:
    """The directory's names of ``user_ids`` (one query)."""
    return directory.names_of(session, (user_id for user_id in user_ids if user_id))


def services_of(session: Session, case_id: str) -> list[str]:
    """The services of the case's current decisions, in decision order, each once."""
    services: list[str] = []
    for decision in repo.decisions_of_case(session, case_id):
        if decision.status != "active":
            continue
        for item in decision.services or [labels.decision_kind_label(decision.kind)]:
            if str(item) not in services:
                services.append(str(item))
    return services


def facts_of(
    session: Session, user: Principal, case: Case, known: Mapping[str, str] | None = None
) -> CaseFacts:
    """The facts of one case; ``known``: names already looked up (else the directory is asked)."""
    if known is None:
        known = names(session, [case.case_worker_id])
    return CaseFacts(
        case_id=case.id,
        person_name=case.person_name,
        services=services_of(session, case.id),
        provider=labels.unit_label(case.provider_id),
        case_worker=case_worker_label(case.case_worker_id, user, known),
    )


def facts_of_cases(session: Session, user: Principal, cases: Iterable[Case]) -> list[CaseFacts]:
    """The facts of ``cases`` (already visible to the caller), the names looked up at once."""
    rows = list(cases)
    known = names(session, (case.case_worker_id for case in rows))
    return [facts_of(session, user, case, known) for case in rows]


def case_facts(session: Session, user: Principal, case_ids: Iterable[str]) -> dict[str, CaseFacts]:
    """The facts of each visible case among ``case_ids`` (an invisible one is left out)."""
    visible = [repo.get_visible_case(session, user, case_id) for case_id in dict.fromkeys(case_ids)]
    rows = [case for case in visible if case is not None]
    return {facts.case_id: facts for facts in facts_of_cases(session, user, rows)}
