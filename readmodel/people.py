"""The directory of people (``people``): who a user id is, as queries.

Written by the API when an authenticated caller uses it (``api.directory``), read by the pages
to show a name where a row holds a user id (issue 10 §1). Functions take an open ``Session`` and
never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from readmodel.models import Person


@dataclass(frozen=True)
class Identity:
    """What the directory keeps of a user: the latest name, role, unit and municipality."""

    user_id: str
    name: str
    role: str
    org: str | None = None
    municipality: str | None = None


_KEPT = ("name", "role", "org", "municipality")  # what an update may change


def remember(session: Session, who: Identity) -> bool:
    """Insert or update ``who``'s row in one statement; an unchanged row is not written (False).

    One ``INSERT ... ON CONFLICT DO UPDATE ... WHERE <something differs>`` (PostgreSQL and SQLite
    both have it), so two first requests of the same person at once cannot collide."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "user_id": who.user_id,
        "name": who.name,
        "role": who.role,
        "org": who.org,
        "municipality": who.municipality,
    }
    statement = insert(Person).values(values)
    new = statement.excluded
    table = Person.__table__.c
    changed = or_(*(table[name].is_distinct_from(new[name]) for name in _KEPT))
    upsert = statement.on_conflict_do_update(
        index_elements=[table.user_id], set_={name: new[name] for name in _KEPT}, where=changed
    )
    # RETURNING answers the row only when it was inserted or updated (a rowcount is not reliable
    # through the ORM session on every driver).
    return session.execute(upsert.returning(table.user_id)).first() is not None


def identity(session: Session, user_id: str) -> Identity | None:
    row = session.get(Person, user_id)
    if row is None:
        return None
    return Identity(row.user_id, row.name, row.role, row.org, row.municipality)


def names_of(session: Session, user_ids: Iterable[str]) -> dict[str, str]:
    """The names of those of ``user_ids`` the directory knows (an unknown id is left out)."""
    wanted = sorted({user_id for user_id in user_ids if user_id})
    if not wanted:
        return {}
    rows = session.execute(select(Person.user_id, Person.name).where(Person.user_id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def people_with_role(session: Session, role: str) -> list[Identity]:
    """Everyone the directory knows with ``role``, by name."""
    rows = session.scalars(select(Person).where(Person.role == role).order_by(Person.name, Person.user_id))
    return [Identity(r.user_id, r.name, r.role, r.org, r.municipality) for r in rows]
