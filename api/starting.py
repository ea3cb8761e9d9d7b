"""Starting a process over HTTP: the workflow id, its reservation in the read model, the input.

Workflow ids are ``case-<case_id>/<type>/<n>`` where n counts the processes of that type the case
already has; the ``processes`` row is inserted first (unique (case_id, type, seq)), so two
concurrent starts get different numbers; the key's record (``api.idempotency``) is written in the
same transaction, so a repeated ``Idempotency-Key`` finds its process.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from fastapi import HTTPException, status
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import idempotency
from api.auth import Principal
from api.errors import Refusal, refused, unprocessable
from api.idempotency import Scope
from api.inputs import case_info, parse
from api.temporal_gateway import PROCESS_LABELS
from readmodel import repository as repo
from readmodel.models import Case, Process
from runtime.settings import Settings
from workflows.model import StartContext, fields_of
from workflows.process import ProcessWorkflow
from workflows.profiles import Profile

RESERVE_ATTEMPTS = 20


def process_id(case_id: str, process_type: str, seq: int) -> str:
    return f"case-{case_id}/{process_type}/{seq}"


def new_case_id(key: Scope) -> str:
    """A case id for a process that creates its case: the same key of the same caller, the same id."""
    return f"c-{key.digest[:12]}"


class Taken(HTTPException):
    """409: the case already has the process its type allows once (``holder``, its row)."""

    def __init__(self, detail: str, holder: Process | None) -> None:
        super().__init__(status.HTTP_409_CONFLICT, detail)
        self.holder = holder


def _once_taken(cls: type[ProcessWorkflow], once: str, holder: Process | None) -> Taken:
    label = PROCESS_LABELS.get(cls.process_type, cls.process_type)
    if once == repo.RUNNING_KEY:
        return Taken(
            f"Ärendet har redan en pågående process {label} ({cls.process_type}); "
            "en ny kan startas när den är avslutad.",
            holder,
        )
    return Taken(f"Ärendet har redan en process {label} ({cls.process_type}) för {once}.", holder)


def once_key(cls: type[ProcessWorkflow], inp: Any) -> str | None:
    """What the type allows once per case: its own key (e.g. UC-5's month), or, for a type that
    allows one running process per case, ``RUNNING_KEY`` (the read model releases it when the
    process completes). The unique (case_id, type, unique_key) holds it, also against races."""
    once = cls.once_per_case(inp)
    if once is None and cls.ONE_RUNNING_PER_CASE:
        return repo.RUNNING_KEY
    return once


def reserve(
    session: Session,
    case_id: str,
    cls: type[ProcessWorkflow],
    inp: Any,
    key: Scope,
    fingerprint: str,
    now: datetime,
) -> Process | None:
    """Insert the process row under the next free number, with the key's record, and commit;
    None when a concurrent request with the same key stored it first. 409 when the case already
    has the process the type allows once (``once_per_case``, e.g. UC-5's month) or already has a
    running one of a type that allows one at a time (``ONE_RUNNING_PER_CASE``): ``Taken``, naming
    the process that holds it."""
    once = once_key(cls, inp)
    holder = _holder(session, case_id, cls, once)
    if holder is not None:
        raise _once_taken(cls, once or "", holder)
    seq = repo.count_processes(session, case_id, cls.process_type) + 1
    for _ in range(RESERVE_ATTEMPTS):
        row = Process(
            id=process_id(case_id, cls.process_type, seq),
            case_id=case_id,
            type=cls.process_type,
            seq=seq,
            stage="starting",
            status="running",
            started_at=now,
            idempotency_key=key.digest,
            provider_id=cls.concerns_unit(inp),
            unique_key=once,
        )
        try:
            repo.add_process(session, row)
            repo.add_process_units(session, row.id, cls.concerns_units(inp))
            repo.add_idempotency_record(session, idempotency.record(key, fingerprint, row.id, now))
            session.commit()
            return row
        except IntegrityError:
            session.rollback()
            if repo.get_idempotency_record(session, key.digest) is not None:
                return None
            holder = _holder(session, case_id, cls, once)
            if holder is not None:
                raise _once_taken(cls, once or "", holder) from None
            seq += 1
    raise RuntimeError(f"no free process number for {case_id}/{cls.process_type}")


def _holder(session: Session, case_id: str, cls: type[ProcessWorkflow], once: str | None) -> Process | None:
    if once is None:
        return None
    return repo.process_once_per_case(session, case_id, cls.process_type, once)


def release(session: Session, row_id: str, key: Scope) -> None:
    """Give a reserved id (and its key) back when the workflow could not be started."""
    repo.delete_process(session, row_id)
    repo.delete_idempotency_record(session, key.digest)
    session.commit()


def choose_profile(
    cls: type[ProcessWorkflow],
    case: Case | None,
    fields: dict[str, Any],
    user: Principal,
    settings: Settings,
    profiles: dict[str, Profile],
) -> Profile:
    """The case's profile; a process that creates its case uses the request's ``profile``, the
    caller's municipality or the default, in that order. It must enable the process type."""
    if case is not None:
        name = case.profile
    else:
        requested = fields.get("profile")
        mine = user.municipality if user.municipality in profiles else None
        name = str(requested or mine or settings.default_profile)
    profile = profiles.get(name)
    if profile is None:
        raise unprocessable(f"Okänd kommunprofil: {name}.")
    if not profile.enables(cls.process_type):
        raise unprocessable(f"Processen {cls.process_type} används inte i {profile.display_name}.")
    return profile


def build(
    cls: type[ProcessWorkflow],
    session: Session,
    case_id: str,
    case: Case | None,
    profile: Profile,
    fields: dict[str, Any],
    user: Principal,
    now: datetime,
) -> Any:
    """Parse the request into START_REQUEST and let the process build its input (ValueError: 422,
    PermissionError: 403)."""
    if case is None and "profile" not in {f.name for f in dataclasses.fields(cls.START_REQUEST)}:
        fields = {k: v for k, v in fields.items() if k != "profile"}  # used by choose_profile
    request = parse(cls.START_REQUEST, fields)
    info = None
    if case is not None:
        orders = list(repo.orders_of_case_all(session, case.id))
        info = case_info(case, list(repo.decisions_of_case(session, case.id)), orders)
    ctx = StartContext(case_id=case_id, case=info, profile=profile, actor=user.actor, now=now)
    try:
        return cls.build_input(request, ctx)
    except PermissionError as error:  # the caller may start the type, but not this case or kind of it
        raise Refusal(status.HTTP_403_FORBIDDEN, str(error), fields_of(error)) from error
    except ValueError as error:
        raise refused(error) from error
