"""The directory of people (issue 10 §1: people, not ids): every authenticated caller is
remembered with the name, role and unit of their token, written only when something changed, on
SQLite and on PostgreSQL; the pages show the name behind a user id, and the id in small print only
for someone nobody has seen."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import State

from api import directory
from api.auth import Principal
from api.ui import people as page_people
from readmodel import people
from readmodel.models import Person
from tests.backends import BACKENDS, read_model_on
from tests.support import CASE_WORKER, PROVIDER, SENIOR
from tests.test_api_support import api_client, login, new_case
from tests.test_ui import ui_login
from workflows.model import Actor

ANNA = people.Identity("cw-anna", "Anna Handläggare", "case_worker")
CARL = Principal(sub="pv-carl", name="Carl Samordnare", role="provider", org="hemtjanst-nord")


@pytest.fixture(params=BACKENDS)
def sessions_on(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with read_model_on(request.param, tmp_path) as sessions:
        yield sessions


def _remember(sessions: sessionmaker[Session], who: people.Identity) -> bool:
    with sessions() as session:
        written = people.remember(session, who)
        session.commit()
        return written


def test_a_person_is_written_once_and_again_only_when_the_token_says_something_new(
    sessions_on: sessionmaker[Session],
) -> None:
    assert _remember(sessions_on, ANNA) is True
    assert _remember(sessions_on, ANNA) is False  # unchanged: the upsert leaves the row alone
    renamed = people.Identity("cw-anna", "Anna Lindgren", "case_worker", None, "default")
    assert _remember(sessions_on, renamed) is True
    with sessions_on() as session:
        assert people.identity(session, "cw-anna") == renamed
        assert people.names_of(session, ["cw-anna", "cw-okand", ""]) == {"cw-anna": "Anna Lindgren"}


def test_the_directory_lists_the_case_workers_by_name_and_holds_the_longest_names_and_ids(
    sessions_on: sessionmaker[Session],
) -> None:
    """Column lengths: a login name of 171 characters (api.limits.NAME_MAX) and ids of 64 fit."""
    from api.limits import ID_MAX, NAME_MAX

    longest = people.Identity("c" * ID_MAX, "Ö" * NAME_MAX, "case_worker", None, "m" * ID_MAX)
    _remember(sessions_on, longest)
    _remember(sessions_on, people.Identity("cw-bo", "Bo Ek", "case_worker"))
    _remember(sessions_on, people.Identity("pv-carl", "Carl Samordnare", "provider", "u" * ID_MAX))
    with sessions_on() as session:
        found = people.people_with_role(session, "case_worker")
    assert [who.user_id for who in found] == ["cw-bo", "c" * ID_MAX]
    assert found[1] == longest


def test_the_api_writes_a_caller_once_per_process_until_the_token_changes(
    sessions_on: sessionmaker[Session],
) -> None:
    """Cheap: the second request of the same identity does not touch the database at all."""
    statements: list[str] = []
    state = State()  # the app's state, as the API's dependency passes it
    state.sessions = sessions_on
    with sessions_on() as probe:
        engine = probe.get_bind()

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "people" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        directory.remember(state, CARL)
        directory.remember(state, CARL)
        assert len(statements) == 1
        moved = Principal(sub="pv-carl", name="Carl Samordnare", role="provider", org="hemtjanst-syd")
        directory.remember(state, moved)
        assert len(statements) == 2
    finally:
        event.remove(engine, "before_cursor_execute", count)
    with sessions_on() as session:
        row = session.get(Person, "pv-carl")
        assert row is not None and row.org == "hemtjanst-syd"


def test_a_user_id_reads_as_the_name_the_directory_knows_and_the_id_only_for_someone_unknown() -> None:
    me = Principal(sub="cw-anna", name="Anna Handläggare", role="case_worker")
    known = {"cw-bo": "Bo Ek"}
    assert page_people.case_worker_label("cw-bo", CARL, known) == page_people.PersonRef("Bo Ek")
    mine = page_people.case_worker_label("cw-anna", me, known)
    assert mine == page_people.PersonRef("Anna Handläggare (du)")
    unknown = page_people.case_worker_label("cw-okand", CARL, known)
    assert unknown == page_people.PersonRef("namn okänt", "cw-okand")
    assert page_people.case_worker_label(None, CARL, known).name == "ingen ansvarig handläggare"


@pytest.fixture
async def http(sessions_on: sessionmaker[Session]) -> AsyncIterator[httpx.AsyncClient]:
    """The app without Temporal: registering a case and reading pages need only the read model."""
    async with api_client(None, sessions_on) as client:
        client.headers["Origin"] = "http://test"
        yield client


async def test_a_provider_reads_the_responsible_case_workers_name_not_cw_anna(
    http: httpx.AsyncClient,
) -> None:
    """Issue 10 §1: Anna registered the case (the API remembered her); Carl of the provider sees
    "Anna Handläggare" on the case page and in the cases list, never her id."""
    case_id = await new_case(http)
    await ui_login(http, PROVIDER)
    for page in (f"/ui/arenden/{case_id}", "/ui/arenden"):
        text = (await http.get(page)).text
        assert "Anna Handläggare" in text, page
        assert "cw-anna" not in text, page


async def test_a_case_worker_nobody_has_seen_is_shown_by_id_in_small_print(http: httpx.AsyncClient) -> None:
    case_id = await new_case(http, case_worker_id="cw-ny")
    await ui_login(http, PROVIDER)
    text = (await http.get(f"/ui/arenden/{case_id}")).text
    assert '<dd>namn okänt <span class="ids">cw-ny</span></dd>' in text
    nils = Actor(user_id="cw-ny", role="case_worker", name="Nils Ny")
    await http.get("/tasks", headers=await login(http, nils))  # Nils uses the API once ...
    await ui_login(http, PROVIDER)
    text = (await http.get(f"/ui/arenden/{case_id}")).text
    assert "<dd>Nils Ny</dd>" in text and "cw-ny" not in text  # ... and is known by name


async def test_the_board_names_the_case_workers_and_offers_them_by_name(http: httpx.AsyncClient) -> None:
    """FU-9: the senior case worker picks a case worker for the board by name, not by id."""
    await http.get("/tasks", headers=await login(http, CASE_WORKER))
    await ui_login(http, SENIOR)
    page = await http.get("/ui/uppfoljningar")
    assert page.status_code == 200
    assert '<option value="cw-anna">Anna Handläggare</option>' in page.text
    assert '<option value="" selected>Alla handläggare</option>' in page.text
