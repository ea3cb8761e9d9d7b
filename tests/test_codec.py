"""The payload codec and the codec endpoint (DESIGN.md: personal data stays out of histories in
clear text; an authorised supervisor reads them in the Temporal UI through the codec endpoint)."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from google.protobuf import json_format
from google.protobuf.message import Message
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.common.v1 import Payload, Payloads, SearchAttributes, WorkflowExecution
from temporalio.api.history.v1 import History, MarkerRecordedEventAttributes
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.auth import TOKEN_COOKIE, Principal, issue_token
from api.main import create_app
from readmodel import models
from runtime.codec import EncryptionCodec, PayloadDecryptionError, PayloadKeyError, new_key, parse_key_ring
from runtime.settings import DEV_PAYLOAD_KEY, DEV_PAYLOAD_KEY_ID, Settings
from runtime.temporal import dev_server_path, make_data_converter, start_dev_server
from tests.support import CASE_WORKER, PROVIDER, add_case, profile, start, sthlm
from workflows.io.new_urgent_case import NewUrgentCaseInput
from workflows.io.order import OrderInput
from workflows.model import ProcessState
from workflows.new_urgent_case import NewUrgentCaseWorkflow
from workflows.order import OrderWorkflow
from workflows.rules.order import ServiceItem

UI_ORIGIN = "http://localhost:8233"
K1 = base64.b64decode(new_key())
K2 = base64.b64decode(new_key())


def plain(value: Any) -> Payload:
    """``value`` as the pydantic converter writes it, before the codec."""
    return pydantic_data_converter.payload_converter.to_payloads([value])[0]


def codec(current: str = "k1", **keys: bytes) -> EncryptionCodec:
    return EncryptionCodec(keys or {"k1": K1}, current)


def settings_codec(settings: Settings) -> EncryptionCodec:
    current, keys = settings.payload_key_ring
    return EncryptionCodec(keys, current)


# -- the codec -----------------------------------------------------------------------------------


async def test_a_payload_round_trips_and_is_encrypted_with_the_current_key_id() -> None:
    original = plain({"person_name": "Greta Hemligsson", "other": "Portkod 4711"})
    [encrypted] = await codec().encode([original])
    assert encrypted.metadata["encoding"] == b"binary/encrypted"
    assert encrypted.metadata["encryption-key-id"] == b"k1"
    assert b"Greta" not in encrypted.SerializeToString()
    assert b"4711" not in encrypted.SerializeToString()
    assert await codec().decode([encrypted]) == [original]


async def test_every_encryption_uses_a_fresh_nonce() -> None:
    original = plain("samma text")
    first, second = await codec().encode([original, original])
    assert first.data[:12] != second.data[:12]
    assert first.data != second.data
    assert await codec().decode([first, second]) == [original, original]


async def test_an_unencrypted_payload_passes_through_decode_unchanged() -> None:
    """Histories recorded before encryption (tests/histories/order_v1.json) still replay."""
    original = plain({"case_id": "c-1"})
    assert await codec().decode([original]) == [original]
    none = pydantic_data_converter.payload_converter.to_payloads([None])[0]
    assert none.metadata["encoding"] == b"binary/null"
    assert await codec().decode([none]) == [none]


async def test_a_payload_with_an_unknown_key_id_fails_with_a_clear_error() -> None:
    [encrypted] = await codec("k9", k9=K2).encode([plain("x")])
    with pytest.raises(PayloadKeyError, match=r"unknown key id 'k9'.*k1"):
        await codec().decode([encrypted])


async def test_a_tampered_payload_or_a_relabelled_key_id_does_not_decrypt() -> None:
    [encrypted] = await codec().encode([plain("x")])
    tampered = Payload(metadata=dict(encrypted.metadata), data=encrypted.data[:-1] + b"\x00")
    with pytest.raises(PayloadDecryptionError):
        await codec().decode([tampered])
    # The key id is authenticated: the same bytes under another id with the same key fail too.
    relabelled = Payload(metadata={**encrypted.metadata, "encryption-key-id": b"k0"}, data=encrypted.data)
    with pytest.raises(PayloadDecryptionError):
        await codec("k1", k1=K1, k0=K1).decode([relabelled])


async def test_key_rotation_new_payloads_use_the_new_key_and_old_ones_still_decode() -> None:
    original = plain({"other": "Nyckel hos grannen"})
    [old] = await codec("k1", k1=K1).encode([original])
    rotated = codec("k2", k2=K2, k1=K1)
    [new] = await rotated.encode([original])
    assert new.metadata["encryption-key-id"] == b"k2"
    assert await rotated.decode([old, new]) == [original, original]
    with pytest.raises(PayloadKeyError, match="'k1'"):
        await codec("k2", k2=K2).decode([old])  # k1 retired too early


def test_the_key_ring_setting_lists_the_current_key_first() -> None:
    text = f"k2:{base64.b64encode(K2).decode()}, k1:{base64.b64encode(K1).decode()}"
    assert parse_key_ring(text) == ("k2", {"k2": K2, "k1": K1})
    settings = Settings(payload_keys=text)
    assert settings.payload_key_ring == ("k2", {"k2": K2, "k1": K1})
    assert "k2:" not in repr(settings)  # the keys are secret
    short = base64.b64encode(b"0" * 16).decode()
    for bad in (
        "",
        "k1",
        f":{base64.b64encode(K1).decode()}",
        f"k1:{short}",
        "k1:not-base64!",
        f"{text},{text}",
    ):
        with pytest.raises(ValueError):
            Settings(payload_keys=bad or ",")


def test_the_settings_read_keys_and_ui_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEMTJANST_PAYLOAD_KEYS", f"prod-2:{base64.b64encode(K2).decode()}")
    monkeypatch.setenv("HEMTJANST_CODEC_CORS_ORIGINS", "https://temporal.kommun.se, http://localhost:8080/")
    settings = Settings()
    assert settings.payload_key_ring == ("prod-2", {"prod-2": K2})
    assert settings.codec_cors_origins == ["https://temporal.kommun.se", "http://localhost:8080"]


def test_without_configured_keys_the_development_key_is_the_same_in_every_process() -> None:
    """worker.py and the API share it without configuration, and restarts can read old histories."""
    assert Settings().payload_key_ring == (DEV_PAYLOAD_KEY_ID, {DEV_PAYLOAD_KEY_ID: DEV_PAYLOAD_KEY})
    assert len(DEV_PAYLOAD_KEY) == 32
    assert Settings().codec_cors_origins == [UI_ORIGIN]


async def test_the_data_converter_encrypts_with_the_settings_key_and_reads_it_back() -> None:
    converter = make_data_converter(Settings())
    [payload] = await converter.encode(["Greta Hemligsson"])
    assert payload.metadata["encryption-key-id"] == DEV_PAYLOAD_KEY_ID.encode()
    assert await converter.decode([payload], [str]) == ["Greta Hemligsson"]


# -- histories on the test server ----------------------------------------------------------------


# The marker a ``workflow.patched`` change records; its only payload is the patch id (no data).
PATCH_MARKER = "core_patch"
LOCAL_ACTIVITY_MARKER = "core_local_activity"


def _payloads(message: Message) -> Iterator[Payload]:
    """Every payload in a history, except search attributes (never encrypted, ids only), patch
    markers (the patch id only) and a local activity marker's ``data`` (the SDK core's record of
    the activity: its id, type, attempt and times; its result is a payload and is encrypted)."""
    if isinstance(message, Payload):
        yield message
        return
    if isinstance(message, SearchAttributes):
        return
    if isinstance(message, MarkerRecordedEventAttributes) and message.marker_name == PATCH_MARKER:
        return  # the patch id of a workflow.patched change, written by the SDK core in clear text
    if isinstance(message, MarkerRecordedEventAttributes) and message.marker_name == LOCAL_ACTIVITY_MARKER:
        for key, payloads in message.details.items():
            if key != "data":
                yield from _payloads(payloads)
        if message.HasField("failure"):
            yield from _payloads(message.failure)
        return
    for _, value in message.ListFields():
        if isinstance(value, Message):
            yield from _payloads(value)
        elif not isinstance(value, str | bytes | int | float):  # repeated fields and maps
            for item in value.values() if hasattr(value, "values") else value:
                if isinstance(item, Message):
                    yield from _payloads(item)


async def _raw_history(env: WorkflowEnvironment, workflow_id: str) -> History:
    """The history as the server stores it (no codec in between)."""
    history = History()
    token = b""
    while True:
        response = await env.client.workflow_service.get_workflow_execution_history(
            GetWorkflowExecutionHistoryRequest(
                namespace=env.client.namespace,
                execution=WorkflowExecution(workflow_id=workflow_id),
                next_page_token=token,
            )
        )
        history.events.extend(response.history.events)
        token = response.next_page_token
        if not token:
            return history


def _assert_not_in_clear_text(history: History, *secrets: str) -> None:
    raw = history.SerializeToString()
    for secret in secrets:
        for form in (
            secret.encode(),
            json.dumps(secret).encode(),
            json.dumps(secret, ensure_ascii=False).encode(),
        ):
            assert form not in raw, f"{secret!r} is readable in the history"
    payloads = list(_payloads(history))
    assert payloads, "the history has no payloads"
    assert {p.metadata["encoding"] for p in payloads} == {b"binary/encrypted"}


async def test_an_order_history_holds_the_other_text_only_encrypted_yet_the_process_works(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    case_id = f"codec-{uuid.uuid4().hex[:8]}"
    add_case(sessions, case_id)
    other = "Portkod 4711. Brukaren Greta Hemligsson hör dåligt."
    inp = OrderInput(
        case_id=case_id,
        profile=profile("default"),
        provider_id="hemtjanst-nord",
        sent_by=CASE_WORKER,
        start_date=date(2026, 11, 30),
        items=[ServiceItem(name="Städning", kind="service")],
        other=other,
        sent_at=sthlm(2026, 11, 20, 10, 0),
        case_worker_id="cw-anna",
    )
    handle, state = await start(env, worker, OrderWorkflow, inp, f"case-{case_id}/order/1")
    try:
        assert state.details["other"] == other
        confirm = next(task for task in state.open_tasks if task.action == "confirm")
        assert confirm.org == PROVIDER.org
        queried = await handle.query("state", result_type=ProcessState)
        assert queried.details["other"] == other
        _assert_not_in_clear_text(await _raw_history(env, handle.id), other, "Portkod 4711", "Hemligsson")
    finally:
        await handle.terminate("test finished")


async def test_a_new_urgent_case_history_holds_the_person_name_only_encrypted(
    env: WorkflowEnvironment, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    case_id = f"codec-{uuid.uuid4().hex[:8]}"
    name = "Greta Hemligsson"
    inp = NewUrgentCaseInput(
        case_id=case_id,
        profile=profile("default"),
        person_name=name,
        started_by=CASE_WORKER,
        provider_id="hemtjanst-nord",
        reported_at=await env.get_current_time(),
        case_worker_id="cw-anna",
    )
    handle: WorkflowHandle[Any, ProcessState]
    handle, state = await start(env, worker, NewUrgentCaseWorkflow, inp, f"case-{case_id}/new-urgent-case/1")
    try:
        assert (state.case_id, state.type) == (case_id, "new-urgent-case")
        assert state.open_tasks
        with sessions() as session:  # the worker decrypted the name and recorded the case
            case = session.get(models.Case, case_id)
            assert case is not None and case.person_name == name
        _assert_not_in_clear_text(await _raw_history(env, handle.id), name, "Hemligsson")
    finally:
        await handle.terminate("test finished")


# -- the codec endpoint --------------------------------------------------------------------------


def _token(role: str, settings: Settings) -> str:
    org = "hemtjanst-nord" if role == "provider" else None  # a unit's role names its unit
    return issue_token(settings, Principal(sub=f"u-{role}", name=role, role=role, org=org))


@asynccontextmanager
async def codec_api(settings: Settings | None = None) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    settings = settings or Settings()
    app = create_app(settings)  # the codec routes need neither Temporal nor the read model
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http, settings


def _body(*payloads: Payload) -> dict[str, Any]:
    body: dict[str, Any] = json_format.MessageToDict(Payloads(payloads=payloads))
    return body


def _parsed(response: httpx.Response) -> list[Payload]:
    return list(json_format.Parse(response.content, Payloads()).payloads)


async def test_a_supervisor_decodes_history_payloads_through_the_codec_endpoint() -> None:
    original = plain({"person_name": "Greta Hemligsson"})
    async with codec_api() as (http, settings):
        [encrypted] = await settings_codec(settings).encode([original])
        body = _body(encrypted)
        # The remote codec protocol's JSON: metadata values and data in base64.
        assert body["payloads"][0]["metadata"]["encoding"] == base64.b64encode(b"binary/encrypted").decode()
        headers = {"Authorization": f"Bearer {_token('supervisor', settings)}", "X-Namespace": "default"}
        response = await http.post("/codec/decode", json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert _parsed(response) == [original]
        decoded = response.json()["payloads"][0]
        assert base64.b64decode(decoded["metadata"]["encoding"]) == b"json/plain"
        assert json.loads(base64.b64decode(decoded["data"])) == {"person_name": "Greta Hemligsson"}


async def test_the_codec_endpoint_accepts_the_token_cookie_of_the_dev_login() -> None:
    async with codec_api() as (http, settings):
        [encrypted] = await settings_codec(settings).encode([plain("x")])
        http.cookies.set(TOKEN_COOKIE, _token("supervisor", settings))
        response = await http.post("/codec/decode", json=_body(encrypted))
        assert response.status_code == 200, response.text
        assert _parsed(response) == [plain("x")]


async def test_only_a_supervisor_may_use_the_codec_endpoint() -> None:
    async with codec_api() as (http, settings):
        [encrypted] = await settings_codec(settings).encode([plain("x")])
        body = _body(encrypted)
        for path in ("/codec/decode", "/codec/encode"):
            response = await http.post(path, json=body)
            assert response.status_code == 401, response.text
            for role in ("case_worker", "senior_case_worker", "provider", "on_call_supervisor"):
                headers = {"Authorization": f"Bearer {_token(role, settings)}"}
                response = await http.post(path, json=body, headers=headers)
                assert response.status_code == 403, (role, response.text)
                assert "Greta" not in response.text
            bad = {"Authorization": "Bearer not-a-token"}
            assert (await http.post(path, json=body, headers=bad)).status_code == 401


async def test_the_encode_endpoint_encrypts_with_the_current_key() -> None:
    original = plain({"other": "Portkod 4711"})
    async with codec_api() as (http, settings):
        headers = {"Authorization": f"Bearer {_token('supervisor', settings)}"}
        response = await http.post("/codec/encode", json=_body(original), headers=headers)
        assert response.status_code == 200, response.text
        [encrypted] = _parsed(response)
        assert encrypted.metadata["encoding"] == b"binary/encrypted"
        assert b"4711" not in encrypted.data
        assert await settings_codec(settings).decode([encrypted]) == [original]


async def test_the_codec_endpoint_reports_an_unknown_key_and_a_malformed_body_as_422() -> None:
    [foreign] = await codec("k9", k9=K2).encode([plain("x")])
    async with codec_api() as (http, settings):
        headers = {"Authorization": f"Bearer {_token('supervisor', settings)}"}
        response = await http.post("/codec/decode", json=_body(foreign), headers=headers)
        assert response.status_code == 422
        assert "k9" in response.json()["detail"]
        response = await http.post("/codec/decode", content=b'{"payloads": 3}', headers=headers)
        assert response.status_code == 422


async def test_the_temporal_ui_origin_may_call_the_codec_endpoint_with_credentials() -> None:
    async with codec_api() as (http, settings):
        preflight = await http.options(
            "/codec/decode",
            headers={
                "Origin": UI_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == UI_ORIGIN
        assert preflight.headers["access-control-allow-credentials"] == "true"
        allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
        assert {"content-type", "x-namespace", "authorization"} <= allowed
        assert "POST" in preflight.headers["access-control-allow-methods"]

        [encrypted] = await settings_codec(settings).encode([plain("x")])
        http.cookies.set(TOKEN_COOKIE, _token("supervisor", settings))
        response = await http.post(
            "/codec/decode", json=_body(encrypted), headers={"Origin": UI_ORIGIN, "X-Namespace": "default"}
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == UI_ORIGIN
        assert response.headers["access-control-allow-credentials"] == "true"


async def test_other_origins_get_no_cors_grant_and_refusals_carry_none() -> None:
    async with codec_api() as (http, _):
        preflight = await http.options(
            "/codec/decode",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers
        refused = await http.post("/codec/decode", json={"payloads": []}, headers={"Origin": UI_ORIGIN})
        assert refused.status_code == 401
        assert "access-control-allow-origin" not in refused.headers
        # The rest of the API has no CORS at all.
        other = await http.options(
            "/tasks", headers={"Origin": UI_ORIGIN, "Access-Control-Request-Method": "GET"}
        )
        assert "access-control-allow-origin" not in other.headers


# -- the dev server's Web UI ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_the_dev_server_web_ui_and_the_temporal_cli_decode_through_the_api_codec_endpoint(
    tmp_path: Path,
) -> None:
    """worker.py's dev server points its Web UI at the API's /codec; the real Temporal CLI, given the
    endpoint and a supervisor's token, shows a history's payloads decoded (the same protocol)."""
    settings = Settings(
        data_dir=tmp_path, dev_server_port=_free_port(), ui_port=_free_port(), api_port=_free_port()
    )
    env = await start_dev_server(settings)
    api = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, client=env.client),
            host="127.0.0.1",
            port=settings.api_port,
            log_level="warning",
            lifespan="off",
        )
    )
    serving = asyncio.create_task(api.serve())
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(f"http://127.0.0.1:{settings.ui_port}/api/v1/settings")
        assert response.status_code == 200
        endpoint = f"http://localhost:{settings.api_port}/codec"
        assert response.json()["Codec"]["Endpoint"] == endpoint

        # Nothing runs it: only its start event (with the encrypted input) matters.
        workflow_id = f"codec-{uuid.uuid4().hex[:8]}"
        await env.client.start_workflow(
            "NoSuchWorkflow", {"person_name": "Greta Hemligsson"}, id=workflow_id, task_queue="nobody"
        )
        for _ in range(100):
            if api.started:
                break
            await asyncio.sleep(0.05)
        show = [
            dev_server_path(),
            "workflow",
            "show",
            "-w",
            workflow_id,
            "--address",
            settings.temporal_target,
        ]
        show += ["--output", "json"]
        token = _token("supervisor", settings)
        raw, decoded = [
            await _run(*show, *extra)
            for extra in ([], ["--codec-endpoint", endpoint, "--codec-auth", f"Bearer {token}"])
        ]
        [stored] = _start_input(raw)
        assert base64.b64decode(stored["metadata"]["encoding"]) == b"binary/encrypted"
        [shown] = _start_input(decoded)
        assert base64.b64decode(shown["metadata"]["encoding"]) == b"json/plain"
        assert json.loads(base64.b64decode(shown["data"])) == {"person_name": "Greta Hemligsson"}
    finally:
        api.should_exit = True
        await serving
        await env.shutdown()


async def _run(*command: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    return out.decode()


def _start_input(history_json: str) -> list[dict[str, Any]]:
    first = json.loads(history_json)["events"][0]
    payloads: list[dict[str, Any]] = first["workflowExecutionStartedEventAttributes"]["input"]["payloads"]
    return payloads
