"""Idempotency keys that mean what they say (issue 6 §4, the IETF Idempotency-Key draft).

Every POST that starts or acts carries ``Idempotency-Key`` (400 without it): at most 255 printable
ASCII characters. A key is scoped to its caller (role, unit, user id from the token) and its
target (the collection a start goes to, the process an action goes to), so two callers never
share a key. The first request stores the fingerprint of its method, path and body; a repeat with
the same fingerprint answers what the first did, a repeat with another action or body is 422.

The Temporal update id of an action is derived from the scope (a hash), never the raw key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header, HTTPException, status
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth import Principal
from api.limits import column_length
from readmodel import repository as repo
from readmodel.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_LENGTH = column_length(IdempotencyRecord.key)  # 255
MISSING = "Idempotency-Key saknas: skicka en ny nyckel (t.ex. ett UUID) med varje start och åtgärd."
MALFORMED = f"Idempotency-Key ska vara 1–{MAX_LENGTH} skrivbara ASCII-tecken."
REUSED = (
    "Idempotency-Key har redan använts för en annan begäran (en annan åtgärd eller ett annat innehåll). "
    "Använd en ny nyckel för en ny begäran."
)

KeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="Required. A fresh key (e.g. a UUID) per intended request, at most 255 printable "
        "ASCII characters. A repeat with the same key and body answers as the first did and changes "
        "nothing; the same key with another action or body is 422. Keys are scoped to the caller "
        "and the target.",
    ),
]


def require_key(raw: str | None) -> str:
    """The key of the request; 400 in Swedish when it is missing or malformed."""
    if raw is None or not raw.strip():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, MISSING)
    if len(raw) > MAX_LENGTH or not all(" " <= char <= "~" for char in raw):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, MALFORMED)
    return raw


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Scope:
    """One key of one caller for one target."""

    caller: str
    target: str
    key: str

    @property
    def digest(self) -> str:
        """SHA-256 hex of (caller, target, key): the record's primary key."""
        return _digest(self.caller, self.target, self.key)

    @property
    def update_id(self) -> str:
        """The Temporal update id of an action (short, and the same for the same scope)."""
        return f"idem-{self.digest}"


def scope(user: Principal, target: str, key: str | None) -> Scope:
    """The scope of ``key`` (checked: 400) sent by ``user`` to ``target``."""
    caller = f"{user.role}|{user.org or ''}|{user.sub}"
    return Scope(caller=caller, target=target, key=require_key(key))


def fingerprint(method: str, path: str, body: Any) -> str:
    """SHA-256 hex of the request: method, path and the body as canonical JSON."""
    return _digest(method.upper(), path, body)


def lookup(session: Session, key: Scope, print_: str) -> IdempotencyRecord | None:
    """The first request's record of this scope, or None; 422 when it had another fingerprint."""
    row = repo.get_idempotency_record(session, key.digest)
    if row is not None and row.fingerprint != print_:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, REUSED)
    return row


def record(key: Scope, print_: str, resource_id: str, now: datetime) -> IdempotencyRecord:
    """A new record (the caller adds it, with what the request writes, in one transaction)."""
    return IdempotencyRecord(
        scope=key.digest,
        caller=key.caller,
        target=key.target,
        key=key.key,
        fingerprint=print_,
        resource_id=resource_id,
        created_at=now,
    )


def claim(
    session: Session, key: Scope, print_: str, resource_id: str, now: datetime
) -> IdempotencyRecord | None:
    """Store the key for a new request and commit: None when it is new (go ahead), else the first
    request's record (a repeat: answer as it did); 422 when the key was used for another request."""
    existing = lookup(session, key, print_)
    if existing is not None:
        return existing
    try:
        repo.add_idempotency_record(session, record(key, print_, resource_id, now))
        session.commit()
    except IntegrityError:  # a concurrent request with the same key stored it first
        session.rollback()
        return lookup(session, key, print_)
    return None


def release(session: Session, key: Scope) -> None:
    """Forget the key of a request that was refused (4xx), so a corrected request may use it."""
    repo.delete_idempotency_record(session, key.digest)
    session.commit()
