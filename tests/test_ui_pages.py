"""The pages a case worker would trust (issue 10): people instead of ids, deadlines first in
plain Swedish, post/redirect/get with the validator's message at its field, the case registration
and COM-2 message forms, the history pages and the committee's figures.

The app runs on the suite's scenario server (its clock starts Sunday 2026-11-22 07:00 Stockholm
time, tests.support.SUITE_MOMENT), called in the test's own event loop.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from api.ui import when
from tests.support import CASE_WORKER, OTHER_PROVIDER, PROVIDER, SENIOR, SUITE_MOMENT
from tests.test_api_support import keyed, login, new_case, start_order
from tests.test_ui import ui_login
from workflows.model import Actor

SUPERVISOR = Actor(user_id="sv-gun", role="supervisor", name="Gun Tillsyn")


def test_due_times_read_as_people_say_them_with_babel() -> None:
    """'senast mån 28 dec 23:59' before the due time; 'försenad 2 dagar' two days after it."""
    due = datetime(2026, 12, 28, 22, 59, tzinfo=UTC)  # 23:59 Stockholm (CET, +01:00)
    assert when.due_text(due, due - timedelta(days=3)) == "senast mån 28 dec 23:59"
    assert when.due_text(due, due + timedelta(days=2, hours=5)) == "försenad 2 dagar"
    assert when.due_text(due, due + timedelta(days=1)) == "försenad 1 dag"
    assert when.due_text(due, due + timedelta(hours=5)) == "försenad 5 timmar"
    assert when.due_text(due, datetime(2025, 12, 1, tzinfo=UTC)) == "senast mån 28 dec 2026 23:59"
    summer = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)  # CEST, +02:00
    assert when.moment(summer, summer) == "ons 1 juli 10:30"


async def test_ORD_1_the_inbox_shows_the_person_services_and_due_time_not_the_case_id(
    http: httpx.AsyncClient,
) -> None:
    """ORD-1: the provider's confirm task, due Monday 23 Nov 10:00, with Greta Exempel's name and
    her services; the case id only in the links."""
    case_id = await new_case(http)
    await start_order(http, case_id)
    await ui_login(http, PROVIDER)
    page = (await http.get("/ui/uppgifter")).text
    assert "senast mån 23 nov 10:00" in page
    assert ">Greta Exempel</a>" in page and "Personlig omvårdnad" in page
    assert f">{case_id}<" not in page  # never shown as text
    assert "Hemtjänst Nord" in page  # the unit by its name in the header, not hemtjanst-nord


async def test_UC_1_optional_actions_are_listed_apart_in_the_inbox_and_done_on_the_process_page(
    http: httpx.AsyncClient,
) -> None:
    """UC-1: after the provider notified the case worker, "Eskalera" has no deadline: the inbox
    lists it apart, collapsed, with a link to its process (issue 10: optional steps were
    findable only by opening every process), and the process page offers its form."""
    case_id = await new_case(http)
    started = SUITE_MOMENT - timedelta(hours=3)
    body = {
        "type": "urgent-change",
        "case_id": case_id,
        "kind": "lasting",
        "started_at": started.isoformat(),
        "description": "Behöver hjälp vid toalettbesök.",
    }
    headers = keyed(await login(http, PROVIDER))
    started_state = await http.post("/processes", json=body, headers=headers)
    assert started_state.status_code == 201, started_state.text
    process_id = started_state.json()["process_id"]
    tasks = (await http.get("/tasks", headers=await login(http, PROVIDER))).json()
    optional = [t for t in tasks if t["due_at"] is None]
    assert len(optional) == 1  # COM-7: the escalation, the one action without a deadline here

    await ui_login(http, PROVIDER)
    inbox = (await http.get("/ui/uppgifter")).text
    table, _, apart = inbox.partition('<details class="optional">')
    assert optional[0]["title"] not in table  # not among the tasks with a deadline
    assert "<summary>1 valfri åtgärd utan tidsfrist finns på processernas sidor.</summary>" in apart
    assert f'<a href="/ui/processer/{process_id}">{optional[0]["title"]}</a>' in apart
    assert '<span class="person">Greta Exempel</span>' in apart
    page = (await http.get(f"/ui/processer/{process_id}")).text
    assert "<h2>Valfria åtgärder</h2>" in page
    assert f'action="/ui/processer/{process_id}/atgard/{optional[0]["action"]}"' in page


async def test_FU_1_a_case_registered_through_the_form_opens_its_page_with_its_decisions(
    http: httpx.AsyncClient,
) -> None:
    await ui_login(http, CASE_WORKER)
    form_page = (await http.get("/ui/arenden")).text
    assert 'action="/ui/arenden"' in form_page and "Registrera ärende med gällande beslut" in form_page
    form = {
        "idempotency_key": "reg-1",
        "person_name": "Helga Nilsson",
        "provider_id": "hemtjanst-nord",
        "decisions-0-kind": "care",
        "decisions-0-services": "Personlig omvårdnad\nDusch",
        "decisions-0-start_date": "2026-11-16",
    }
    posted = await http.post("/ui/arenden", data=form)
    assert posted.status_code == 303, posted.text
    assert re.fullmatch(r"/ui/arenden/c-[0-9a-f]{12}\?registrerat=1", posted.headers["location"])
    page = await http.get(posted.headers["location"])
    assert page.status_code == 200
    assert "Ärendet är registrerat." in page.text and "<h1>Helga Nilsson</h1>" in page.text
    assert "Personlig omvårdnad, Dusch" in page.text and "mån 16 nov 2026" in page.text
    assert "Anna Handläggare (du)" in page.text  # the responsible case worker: the caller
    again = await http.post("/ui/arenden", data=form)  # a double-clicked submit: one case
    assert again.headers["location"] == posted.headers["location"]


async def test_a_registration_without_a_name_redirects_to_the_form_with_the_message_at_its_field(
    http: httpx.AsyncClient,
) -> None:
    await ui_login(http, CASE_WORKER)
    posted = await http.post("/ui/arenden", data={"idempotency_key": "reg-2", "person_name": ""})
    assert posted.status_code == 303 and posted.headers["location"] == "/ui/arenden"
    page = await http.get("/ui/arenden")
    assert page.status_code == 422
    field = "registrera-arende-person_name"
    assert f'id="{field}" name="person_name" required aria-invalid="true"' in page.text
    assert (
        f'aria-describedby="{field}-fel"' in page.text
        and f'<p class="field-error" id="{field}-fel">' in page.text
    )
    assert (await http.get("/ui/arenden")).status_code == 200  # the error is shown once


async def test_COM_2_a_message_about_one_case_reaches_the_providers_mailbox_with_the_persons_name(
    http: httpx.AsyncClient,
) -> None:
    case_id = await new_case(http)
    await ui_login(http, CASE_WORKER)
    page = (await http.get(f"/ui/arenden/{case_id}")).text
    assert "Skriv till en funktionsbrevlåda om ärendet" in page
    assert '<option value="provider-hemtjanst-nord">Hemtjänst Nord (utförarens brevlåda)</option>' in page
    form = {
        "idempotency_key": "msg-1",
        "mailbox": "provider-hemtjanst-nord",
        "subject": "Nyckelbricka",
        "body": "Ny nyckelbricka finns hos receptionen.",
    }
    posted = await http.post(f"/ui/arenden/{case_id}/meddelande", data=form)
    assert posted.status_code == 303 and posted.headers["location"] == f"/ui/arenden/{case_id}?skickat=1"
    assert "Meddelandet är skickat." in (await http.get(posted.headers["location"])).text

    await ui_login(http, PROVIDER)
    mailbox = (await http.get("/ui/brevlador/provider-hemtjanst-nord")).text
    assert "Nyckelbricka – Greta Exempel" in mailbox and "Ny nyckelbricka finns hos receptionen." in mailbox
    await ui_login(http, CASE_WORKER)
    listing = (await http.get("/ui/brevlador")).text
    assert ">Biståndshandläggarna</a>" in listing and ">case-workers<" not in listing


async def test_a_message_without_a_mailbox_shows_the_error_at_the_mailbox_field(
    http: httpx.AsyncClient,
) -> None:
    case_id = await new_case(http)
    await ui_login(http, CASE_WORKER)
    form = {"idempotency_key": "msg-2", "mailbox": "", "subject": "Hej", "body": "Text"}
    posted = await http.post(f"/ui/arenden/{case_id}/meddelande", data=form)
    page = await http.get(posted.headers["location"])
    assert page.status_code == 422
    assert '<p class="field-error" id="skriv-meddelande-mailbox-fel">måste fyllas i</p>' in page.text
    assert 'value="Hej"' in page.text  # what was typed is kept


async def test_the_case_history_joins_its_processes_and_only_a_supervisor_gets_the_temporal_link(
    http: httpx.AsyncClient,
) -> None:
    case_id = await new_case(http)
    process_id = (await start_order(http, case_id))["process_id"]
    await ui_login(http, CASE_WORKER)
    history = await http.get(f"/ui/arenden/{case_id}/historik")
    assert history.status_code == 200
    assert "Historik för ärendet – Greta Exempel" in history.text
    assert "Beställning" in history.text and "Temporal Web UI" not in history.text
    own = await http.get(f"/ui/processer/{process_id}/historik")
    assert own.status_code == 200 and "Historik: Beställning" in own.text

    await ui_login(http, SUPERVISOR)
    seen = (await http.get(f"/ui/arenden/{case_id}/historik")).text
    encoded = process_id.replace("/", "%2F")
    assert f'href="http://localhost:8233/namespaces/default/workflows/{encoded}"' in seen

    await ui_login(http, OTHER_PROVIDER)  # FU-10: another unit's case does not exist for it
    assert (await http.get(f"/ui/arenden/{case_id}/historik")).status_code == 404
    assert (await http.get(f"/ui/processer/{process_id}/historik")).status_code == 404


async def test_FU_9_the_committees_figures_page_draws_twelve_months_for_the_senior_only(
    http: httpx.AsyncClient,
) -> None:
    await new_case(http)
    await ui_login(http, SENIOR)
    page = await http.get("/ui/uppfoljningar/statistik")
    assert page.status_code == 200
    assert '<svg class="chart" role="img"' in page.text
    assert page.text.count('<th scope="row">') == 12
    assert '<th scope="row">nov 2026</th>' in page.text  # the suite's month is the last bar
    await ui_login(http, CASE_WORKER)
    assert (await http.get("/ui/uppfoljningar/statistik")).status_code == 403
