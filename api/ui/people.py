"""Who a row is about, for reading: the person, the services, the provider, the case worker.

The inbox, mailbox, case and process pages show people, not ids (issue 10 §1); ids stay in the
address and in small print. A page reads only cases the caller may see (FU-10): the facts of a
case are looked up after the row itself passed the visibility rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from api.auth import Principal
from api.ui import labels
from readmodel import repository as repo
from readmodel.models import Case


@dataclass(frozen=True)
class CaseFacts:
    """What a row says about its case: the person's name, the granted services, the provider's
    display name and the responsible case worker."""

    case_id: str
    person_name: str
    services: list[str] = field(default_factory=list)
    provider: str = ""
    case_worker: str = ""


def case_worker_label(case_worker_id: str | None, user: Principal) -> str:
    """The responsible case worker: the caller's own name when it is them; otherwise the user id
    (the read model holds no register of case workers' names)."""
    if not case_worker_id:
        return "ingen ansvarig handläggare"
    if case_worker_id == user.sub:
        return f"{user.name} (du)" if user.name else "du"
    return case_worker_id


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


def facts_of(session: Session, user: Principal, case: Case) -> CaseFacts:
    return CaseFacts(
        case_id=case.id,
        person_name=case.person_name,
        services=services_of(session, case.id),
        provider=labels.unit_label(case.provider_id),
        case_worker=case_worker_label(case.case_worker_id, user),
    )


def case_facts(session: Session, user: Principal, case_ids: Iterable[str]) -> dict[str, CaseFacts]:
    """The facts of each visible case among ``case_ids`` (an invisible one is left out)."""
    facts: dict[str, CaseFacts] = {}
    for case_id in dict.fromkeys(case_ids):
        case = repo.get_visible_case(session, user, case_id)
        if case is not None:
            facts[case_id] = facts_of(session, user, case)
    return facts
