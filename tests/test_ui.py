"""The HTML pages and forms under /ui, in Swedish, against the time-skipping server.

The forms call the same services as the JSON API, so these tests check what the pages add: the
login cookie, Swedish words and local times, forms generated from the processes' dataclasses, the
hidden Idempotency-Key, and errors shown with the contract's status.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from api.ui import forms
from tests.support import CASE_WORKER, OTHER_PROVIDER, PROVIDER
from tests.test_api_support import api_client, login, new_case, start_order
from workflows.io.order import RegisterExecution, StartOrder
from workflows.model import Actor

CONFIRM_TITLE = "Bekräfta mottagen beställning"
# ORD-1: an order sent Friday 2026-11-20 10:00 is confirmed by Monday 2026-11-23 10:00 (CAL-5),
# read on Sunday 2026-11-22 (the suite's moment) as people say it.
CONFIRM_DUE_LOCAL = "senast mån 23 nov 10:00"
ORDER_FORM = {
    "type": "order",
    "start_date": "2026-11-30",
    "items-0-name": "Städning",
    "items-0-kind": "service",
    "items-1-name": "",
    "items-1-kind": "",
    "items-2-name": "",
    "items-2-kind": "",
    "other": "Nyckel finns hos grannen.",
    "sent_at": "2026-11-20T10:00",  # datetime-local: Stockholm wall-clock time
}


async def ui_login(http: httpx.AsyncClient, actor: Actor) -> httpx.Response:
    """Log in through the form; the client keeps the cookie for the following pages."""
    http.cookies.clear()
    form = {"role": actor.role, "sub": actor.user_id, "name": actor.name, "org": actor.org or ""}
    return await http.post("/ui/login", data=form)


async def history_texts(http: httpx.AsyncClient, process_id: str) -> list[str]:
    response = await http.get(f"/processes/{process_id}/history", headers=await login(http, CASE_WORKER))
    assert response.status_code == 200, response.text
    return [entry["text"] for entry in response.json()["entries"]]


async def test_the_login_form_sets_the_token_cookie_and_opens_the_inbox(http: httpx.AsyncClient) -> None:
    page = await http.get("/ui/login")
    assert page.status_code == 200
    assert '<label for="login-role">' in page.text
    assert "Biståndshandläggare" in page.text and "Hemtjänstutförare" in page.text

    response = await ui_login(http, PROVIDER)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/uppgifter"
    assert "token=" in response.headers["set-cookie"]
    inbox = await http.get("/ui/uppgifter")
    assert inbox.status_code == 200
    assert "Carl Samordnare" in inbox.text and "Logga ut" in inbox.text


async def test_a_page_without_login_redirects_to_the_login_form(http: httpx.AsyncClient) -> None:
    response = await http.get("/ui/uppgifter")
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login"


async def test_without_dev_login_the_login_page_says_so_and_a_post_is_404(
    sessions: sessionmaker[Session],
) -> None:
    async with api_client(None, sessions, dev_login_enabled=False) as http:
        page = await http.get("/ui/login")
        assert page.status_code == 200
        assert "Inloggning för utveckling är avstängd" in page.text
        assert "<form" not in page.text
        form = {"role": "provider", "sub": "x", "org": "hemtjanst-nord"}
        posted = await http.post("/ui/login", data=form, headers={"Origin": "http://test"})
        assert posted.status_code == 404
        assert "set-cookie" not in posted.headers


async def test_a_login_without_user_id_redirects_to_the_form_showing_a_swedish_error_with_422(
    http: httpx.AsyncClient,
) -> None:
    posted = await http.post("/ui/login", data={"role": "provider", "sub": "", "name": ""})
    assert posted.status_code == 303 and posted.headers["location"] == "/ui/login"  # post/redirect/get
    response = await http.get("/ui/login")
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert "Användar-id: måste fyllas i." in response.text
    assert (await http.get("/ui/login")).status_code == 200  # a reload shows the form afresh


async def test_ORD_1_the_inbox_shows_the_confirm_task_in_swedish_with_its_local_due_time(
    http: httpx.AsyncClient,
) -> None:
    """ORD-1: sent Friday 10:00, confirmed by Monday 10:00 Stockholm time, linking to the process."""
    case_id = await new_case(http)
    state = await start_order(http, case_id)
    await ui_login(http, PROVIDER)
    page = await http.get("/ui/uppgifter")
    assert page.status_code == 200
    assert CONFIRM_TITLE in page.text
    assert CONFIRM_DUE_LOCAL in page.text
    assert f'href="/ui/processer/{state["process_id"]}"' in page.text


async def test_a_case_page_shows_the_start_form_of_an_order_to_the_case_worker(
    http: httpx.AsyncClient,
) -> None:
    case_id = await new_case(http)
    await ui_login(http, CASE_WORKER)
    page = await http.get(f"/ui/arenden/{case_id}")
    assert page.status_code == 200
    assert "Starta beställning" in page.text
    assert '<input type="hidden" name="type" value="order">' in page.text
    assert '<input type="date" id="starta-order-start_date" name="start_date"' in page.text
    assert '<label for="starta-order-items-0-name">Insats</label>' in page.text
    assert 'type="datetime-local" id="starta-order-sent_at"' in page.text
    assert "Omvårdnad" in page.text  # the case's care decision, in Swedish

    cases = await http.get("/ui/arenden")
    assert f'href="/ui/arenden/{case_id}"' in cases.text and "Greta Exempel" in cases.text
    assert "Starta nytt akut ärende" in cases.text  # NEW-1: a process that creates its case

    await ui_login(http, PROVIDER)
    provider_page = await http.get(f"/ui/arenden/{case_id}")
    assert provider_page.status_code == 200
    assert "Starta beställning" not in provider_page.text  # only a case worker sends orders


async def test_ORD_1_starting_an_order_through_the_form_redirects_to_its_process_page(
    http: httpx.AsyncClient,
) -> None:
    """The form's datetime-local 2026-11-20T10:00 is Stockholm time: confirm due Monday 10:00."""
    case_id = await new_case(http)
    await ui_login(http, CASE_WORKER)
    form = {**ORDER_FORM, "case_id": case_id}
    response = await http.post("/ui/processer", data=form)
    assert response.status_code == 303, response.text
    process_id = f"case-{case_id}/order/1"
    assert response.headers["location"] == f"/ui/processer/{process_id}?startad=1"

    page = await http.get(response.headers["location"])
    assert page.status_code == 200
    assert "Processen är startad." in page.text
    assert "<h1>Beställning – Greta Exempel</h1>" in page.text  # the person, not the case id
    assert CONFIRM_TITLE in page.text and CONFIRM_DUE_LOCAL in page.text

    again = await http.post("/ui/processer", data=form)  # a double-clicked start
    assert again.headers["location"] == f"/ui/processer/{process_id}?startad=1"
    assert "order/2" not in (await http.get(f"/ui/arenden/{case_id}")).text


async def test_the_confirm_form_posted_twice_is_performed_once(http: httpx.AsyncClient) -> None:
    """A double click: the same form posted twice by the same person is one action (its key is
    derived from what was posted, api.ui.common.form_key)."""
    case_id = await new_case(http)
    process_id = (await start_order(http, case_id))["process_id"]
    await ui_login(http, PROVIDER)
    page = await http.get(f"/ui/processer/{process_id}")
    action_url = f"/ui/processer/{process_id}/atgard/confirm"
    assert f'action="{action_url}"' in page.text and "idempotency_key" not in page.text
    form = {"note": "Planering startad"}

    first = await http.post(action_url, data=form)
    second = await http.post(action_url, data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == f"/ui/processer/{process_id}?utfort=confirm"
    after = await http.get(first.headers["location"])
    assert "Klart: Bekräfta beställningen." in after.text
    assert f"{CONFIRM_TITLE}: utfört" in after.text
    texts = await history_texts(http, process_id)
    assert texts.count(f"{CONFIRM_TITLE}: utfört. Anteckning: Planering startad") == 1  # §7


async def test_ORD_2_an_execution_date_in_the_future_shows_the_swedish_error_with_422_and_changes_nothing(
    http: httpx.AsyncClient,
) -> None:
    case_id = await new_case(http)
    process_id = (await start_order(http, case_id))["process_id"]
    before = await history_texts(http, process_id)
    await ui_login(http, PROVIDER)
    future = date(2026, 12, 22)  # a month after the suite's scenario moment
    action_url = f"/ui/processer/{process_id}/atgard/register_execution"
    posted = await http.post(action_url, data={"execution_date": future.isoformat()})
    assert posted.status_code == 303  # post/redirect/get: a reload does not post again
    assert posted.headers["location"] == f"/ui/processer/{process_id}"
    response = await http.get(posted.headers["location"])

    assert response.status_code == 422
    assert 'role="alert"' in response.text
    message = f"Verkställighetsdatum {future} ligger i framtiden."
    assert message in response.text
    field_id = "atgard-register_execution-execution_date"
    assert f'aria-invalid="true" aria-describedby="{field_id}-fel"' in response.text
    assert f'<p class="field-error" id="{field_id}-fel">{message}</p>' in response.text
    assert f'value="{future}"' in response.text  # the form keeps what was typed
    assert await history_texts(http, process_id) == before
    state = (await http.get(f"/processes/{process_id}", headers=await login(http, PROVIDER))).json()
    assert state["stage"] == "sent"


async def test_a_missing_required_field_is_422_with_the_field_named_in_swedish(
    http: httpx.AsyncClient,
) -> None:
    case_id = await new_case(http)
    process_id = (await start_order(http, case_id))["process_id"]
    await ui_login(http, PROVIDER)
    posted = await http.post(f"/ui/processer/{process_id}/atgard/register_execution", data={})
    response = await http.get(posted.headers["location"])
    assert response.status_code == 422
    assert "Verkställighetsdatum (första utförda besöket): måste fyllas i." in response.text
    assert 'id="atgard-register_execution-execution_date-fel">måste fyllas i</p>' in response.text


async def test_the_wrong_role_sees_no_form_and_a_forced_post_is_403(http: httpx.AsyncClient) -> None:
    case_id = await new_case(http)
    process_id = (await start_order(http, case_id))["process_id"]
    await ui_login(http, CASE_WORKER)
    page = await http.get(f"/ui/processer/{process_id}")
    assert page.status_code == 200
    assert "/atgard/confirm" not in page.text  # the provider's task: shown, but no form
    assert CONFIRM_TITLE in page.text
    posted = await http.post(f"/ui/processer/{process_id}/atgard/confirm", data={})
    response = await http.get(posted.headers["location"])
    assert response.status_code == 403
    assert "utförs av hemtjänstutförare" in response.text


async def test_FU_10_a_provider_of_another_unit_gets_404_on_the_process_page_and_its_form(
    http: httpx.AsyncClient,
) -> None:
    """FU-10: a provider sees only its own cases; another unit's process does not exist for it."""
    case_id = await new_case(http)
    process_id = (await start_order(http, case_id))["process_id"]
    await ui_login(http, OTHER_PROVIDER)
    page = await http.get(f"/ui/processer/{process_id}")
    assert page.status_code == 404
    assert "Processen finns inte." in page.text
    posted = await http.post(f"/ui/processer/{process_id}/atgard/confirm", data={})
    assert posted.status_code == 404
    assert (await http.get(f"/ui/arenden/{case_id}")).status_code == 404
    assert process_id not in (await http.get("/ui/uppgifter")).text


async def test_COM_2_the_provider_reads_its_mailbox_and_not_another_units(http: httpx.AsyncClient) -> None:
    case_id = await new_case(http)
    await start_order(http, case_id)
    await ui_login(http, PROVIDER)
    listing = await http.get("/ui/brevlador")
    assert 'href="/ui/brevlador/provider-hemtjanst-nord"' in listing.text
    assert "case-workers" not in listing.text
    page = await http.get("/ui/brevlador/provider-hemtjanst-nord")
    assert page.status_code == 200
    assert "Ny beställning" in page.text and "Nyckel finns hos grannen." in page.text
    other = await http.get("/ui/brevlador/provider-hemtjanst-syd")
    assert other.status_code == 403


def test_a_form_reads_datetime_local_as_stockholm_time_lines_and_only_filled_rows() -> None:
    """CAL-2: a wall-clock time typed in the form is Stockholm time, in winter +01:00."""
    body = forms.body_of(StartOrder, ORDER_FORM)
    assert body == {
        "start_date": "2026-11-30",
        "items": [{"name": "Städning", "kind": "service"}],
        "other": "Nyckel finns hos grannen.",
        "sent_at": "2026-11-20T10:00:00+01:00",
    }
    fields: dict[str, Any] = {f.name: f for f in forms.describe(RegisterExecution)}
    assert list(fields) == ["execution_date", "occurred_at"]  # actor comes from the login
    assert (fields["execution_date"].kind, fields["execution_date"].required) == ("date", True)
    assert (fields["occurred_at"].kind, fields["occurred_at"].label) == ("datetime", "Tidpunkt (om inte nu)")
    summer = forms.body_of(RegisterExecution, {"occurred_at": "2026-07-01T09:30"})
    assert summer["occurred_at"] == "2026-07-01T09:30:00+02:00"
