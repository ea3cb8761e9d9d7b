"""The OpenAPI schema, completed with the bodies of every process start and action.

``POST /processes`` and ``POST /processes/{id}/actions/{action}`` take a JSON object whose fields
depend on the process type and the action; the processes declare them as dataclasses
(``START_REQUEST``, ``ACTIONS``). Their JSON schemas are added here, so /docs shows every field.
The ``actor`` of an action is never part of a body: it comes from the token.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from workflows.registry import PROCESS_TYPES

REF = "#/components/schemas/{model}"
START_PATH = "/processes"
ACTION_PATH = "/processes/{process_id}/actions/{action}"


def _schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    inputs: list[tuple[str, JsonSchemaMode, TypeAdapter[Any]]] = []
    for name, cls in PROCESS_TYPES.items():
        inputs.append((f"start:{name}", "validation", TypeAdapter(cls.START_REQUEST)))
        inputs += [
            (f"{name}:{action}", "validation", TypeAdapter(arg)) for action, arg in cls.ACTIONS.items()
        ]
    refs, definitions = TypeAdapter.json_schemas(inputs, ref_template=REF)
    return {key: value for (key, _mode), value in refs.items()}, definitions.get("$defs", {})


def _without_actor(definitions: dict[str, Any], ref: dict[str, Any]) -> None:
    schema = definitions[ref["$ref"].rsplit("/", 1)[-1]]
    schema.get("properties", {}).pop("actor", None)
    schema["required"] = [field for field in schema.get("required", []) if field != "actor"]


def _start_body(refs: dict[str, Any]) -> dict[str, Any]:
    variants = []
    for name, cls in PROCESS_TYPES.items():
        head: dict[str, Any] = {
            "type": "object",
            "properties": {"type": {"const": name}},
            "required": ["type"],
        }
        if not cls.CREATES_CASE:
            head["properties"]["case_id"] = {"type": "string"}
            head["required"].append("case_id")
        variants.append({"title": name, "allOf": [head, refs[f"start:{name}"]]})
    return {"oneOf": variants}


def _action_body(refs: dict[str, Any]) -> dict[str, Any]:
    variants = [
        {"title": f"{name}: {action}", **refs[f"{name}:{action}"]}
        for name, cls in PROCESS_TYPES.items()
        for action in cls.ACTIONS
    ]
    return {"anyOf": variants}


def _set_body(schema: dict[str, Any], path: str, body: dict[str, Any], text: str) -> None:
    operation = schema["paths"][path]["post"]
    operation["requestBody"] = {
        "required": path == START_PATH,
        "description": text,
        "content": {"application/json": {"schema": body}},
    }


def _keys_required(schema: dict[str, Any]) -> None:
    """The Idempotency-Key header is declared optional so that its absence is answered with the
    contract's 400 in Swedish (not FastAPI's 422); the document says what the API requires."""
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name") == "Idempotency-Key":
                    parameter["required"] = True
                    parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 255}


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that documents the process and action bodies."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            refs, definitions = _schemas()
            for key, ref in refs.items():
                if not key.startswith("start:"):
                    _without_actor(definitions, ref)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(definitions)
            _set_body(schema, START_PATH, _start_body(refs), "`type`, `case_id` and the type's start fields.")
            _set_body(schema, ACTION_PATH, _action_body(refs), "The fields of the action (by process type).")
            _keys_required(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
