"""What the second issue-10 tester found in posting and reading the pages (§3, §5, §7): Back and
submit again is one action, an unknown visit is refused at its field, the banner names only
known actions, a page's error is a page, unknown mailboxes do not exist, deadlines met are
marked, and the 403 of the figures names the role as people say it.

The app runs on the suite's scenario server (its clock starts Sunday 2026-11-22 07:00 Stockholm
time, tests.support.SUITE_MOMENT), called in the test's own event loop.
"""

from __future__ import annotations

import re

import httpx
from sqlalchemy.orm import Session, sessionmaker

from api import idempotency
from api.auth import Principal
from api.routes import cases as case_routes
from api.ui.common import REPEAT_WINDOW, form_key
from readmodel import repository as repo
from tests.support import CASE_WORKER, PROVIDER, SENIOR, SUITE_MOMENT
from tests.test_api_support import act, keyed, login, new_case, start_order
from tests.test_ui import ui_login
from tests.test_ui_refusals import at_field, refused_page

REGISTRATION = {
    "person_name": "Helga Nilsson",
    "provider_id": "hemtjanst-nord",
    "decisions-0-kind": "care",
    "decisions-0-services": "Personlig omvårdnad",
    "decisions-0-start_date": "2026-11-16",
}


async def test_back_and_submit_again_registers_the_person_once_and_the_json_api_keeps_its_keys(
    http: httpx.AsyncClient,
) -> None:
    """§5: each render made a new key and the browser restored the typed fields, so Back and
    submit registered the same person twice. A page post's key is derived from the caller, the
    target and what was posted: the second post answers with the first case. The JSON API's
    Idempotency-Key is the client's: two keys, two cases."""
    await ui_login(http, CASE_WORKER)
    first = await http.post("/ui/arenden", data={**REGISTRATION, "idempotency_key": "render-1"})
    again = await http.post("/ui/arenden", data={**REGISTRATION, "idempotency_key": "render-2"})
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    headers = await login(http, CASE_WORKER)
    assert [c["person_name"] for c in (await http.get("/cases", headers=headers)).json()] == ["Helga Nilsson"]
    other = await http.post("/ui/arenden", data={**REGISTRATION, "person_name": "Helga Nilsson Ek"})
    assert other.headers["location"] != first.headers["location"]  # another body: another case

    body = {"person_name": "Olle Ek", "provider_id": "hemtjanst-nord"}
    one = await http.post("/cases", json=body, headers=keyed(headers, "json-1"))
    two = await http.post("/cases", json=body, headers=keyed(headers, "json-2"))
    assert one.status_code == two.status_code == 201
    assert one.json()["case_id"] != two.json()["case_id"]


def test_a_form_key_holds_within_the_window_and_across_its_edge_and_not_after_it(
    sessions: sessionmaker[Session],
) -> None:
    """The key of the window the post falls in; the previous window's when a post used it (a
    repeat across the edge); a new key once the window has passed (the same form again is then
    a new action)."""
    user = Principal(sub="cw-anna", name="Anna", role="case_worker")
    values = {"person_name": "Helga", "idempotency_key": "ignored"}
    at = SUITE_MOMENT
    with sessions() as session:
        key = form_key(session, user, case_routes.TARGET, values, at)
        assert key == form_key(session, user, case_routes.TARGET, {**values, "idempotency_key": "x"}, at)
        assert key != form_key(session, user, case_routes.TARGET, {**values, "person_name": "Olle"}, at)
        later = at + REPEAT_WINDOW
        assert form_key(session, user, case_routes.TARGET, values, later) != key  # the first was refused
        scope = idempotency.scope(user, case_routes.TARGET, key)
        repo.add_idempotency_record(session, idempotency.record(scope, "print", "c-1", at))
        session.commit()
        assert form_key(session, user, case_routes.TARGET, values, later) == key  # across the edge
        assert form_key(session, user, case_routes.TARGET, values, at + 2 * REPEAT_WINDOW) != key


async def test_UC_5_a_review_of_a_visit_that_does_not_exist_shows_at_the_visit(
    http: httpx.AsyncClient,
) -> None:
    """§3: "Det finns inget extra besök v9." at the first decision's visit, not only above the form."""
    case_id = await new_case(http, profile="sundbyberg")
    start = {"type": "extra-visits", "case_id": case_id, "month": "2026-11"}
    started = await http.post("/processes", json=start, headers=keyed(await login(http, PROVIDER)))
    assert started.status_code == 201, started.text
    pid = started.json()["process_id"]
    visit = {"visit_date": "2026-11-21", "kind": "extra_visit", "services": ["Tillsyn"], "reason": "Feber."}
    assert (await act(http, pid, "register_visit", visit)).status_code == 200
    await ui_login(http, CASE_WORKER)
    form = {"decisions-0-visit_id": "v9", "decisions-0-decision": "approve"}
    page = await refused_page(http, f"/ui/processer/{pid}/atgard/review", form)
    assert at_field(page, "atgard-review-decisions-0-visit_id") == "Det finns inget extra besök 9."


async def test_the_banner_names_only_known_actions_and_deadlines_met_are_marked(
    http: httpx.AsyncClient,
) -> None:
    """§7: ``?utfort=`` was echoed in "Klart: …"; "Tidsfrister" listed a confirmation long done
    as if pending (ORD-1)."""
    case_id = await new_case(http)
    pid = (await start_order(http, case_id))["process_id"]
    assert (await act(http, pid, "confirm", {"note": "Planering startad"})).status_code == 200
    await ui_login(http, PROVIDER)
    page = (await http.get(f"/ui/processer/{pid}?utfort=%3Cb%3EHej+hackare%3C/b%3E")).text
    assert '<div class="flash" role="status">Klart.</div>' in page and "hackare" not in page
    page = (await http.get(f"/ui/processer/{pid}?utfort=confirm")).text
    assert "Klart: Bekräfta beställningen." in page
    deadlines = page.split("<h2>Tidsfrister</h2>", 1)[1].split("</dl>", 1)[0]
    assert re.search(
        r"<dt>Bekräfta beställningen</dt><dd>[^<]*<span class=\"done\">\(klar\)</span>", deadlines
    )
    assert re.search(r"<dt>Verkställighet \(ORD-4\)</dt><dd>[^<]*</dd>", deadlines)  # still to meet


async def test_a_page_address_with_a_nul_or_an_unknown_page_answers_with_a_page(
    http: httpx.AsyncClient,
) -> None:
    """§7: a NUL in a page's path or query answered the JSON API's ``{"detail": ...}``."""
    await ui_login(http, CASE_WORKER)
    for path in ("/ui/brevlador/provider-%00x", "/ui/uppfoljningar?handlaggare=%00", "/ui/finns-inte"):
        response = await http.get(path)
        assert response.status_code in (404, 422), (path, response.status_code)
        assert response.headers["content-type"].startswith("text/html"), path
        assert '<html lang="sv">' in response.text and 'role="alert"' in response.text
    query = (await http.get("/ui/uppfoljningar?handlaggare=%00")).text
    assert "Adressen: innehåller ett otillåtet tecken (NUL)." in query
    assert (await http.get("/cases?x=%00", headers=await login(http, CASE_WORKER))).json()["detail"]


async def test_a_mailbox_no_unit_or_function_has_does_not_exist(http: httpx.AsyncClient) -> None:
    """§7: ``/ui/brevlador/provider-<anything>`` opened an empty mailbox; now 404 (a unit the
    register lists, or that a case names, has its mailbox)."""
    case_id = await new_case(http)
    await start_order(http, case_id)
    await ui_login(http, CASE_WORKER)
    assert (await http.get("/ui/brevlador/provider-hittepa")).status_code == 404
    assert (await http.get("/ui/brevlador/provider-hemtjanst-nord")).status_code == 200
    assert (await http.get("/ui/brevlador/provider-hemtjanst-syd")).status_code == 200  # in the register
    headers = await login(http, CASE_WORKER)
    assert (await http.get("/mailboxes/provider-hittepa/messages", headers=headers)).status_code == 404


async def test_the_figures_refuse_a_case_worker_naming_the_senior_case_worker_as_people_say_it(
    http: httpx.AsyncClient,
) -> None:
    await ui_login(http, CASE_WORKER)
    page = await http.get("/ui/uppfoljningar/statistik")
    assert page.status_code == 403
    assert "Statistiken är till för förste biståndshandläggare och tillsyn." in page.text
    await ui_login(http, SENIOR)
    assert (await http.get("/ui/uppfoljningar/statistik")).status_code == 200
