"""docker-compose.yml is a valid Compose file whose services run this project's own commands with
settings this project reads. No container engine runs here, so the file is checked against the
Compose specification (check-jsonschema's vendored schema) and against the code; the components
themselves run without containers in the other tests (worker.py, `python -m readmodel.migrate`,
the API app)."""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from runtime.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _own_services() -> dict[str, dict[str, Any]]:
    """The services built from this project's Dockerfile."""
    return {name: s for name, s in _compose()["services"].items() if s.get("build") == "."}


def _setting_names() -> set[str]:
    """Every environment variable Settings reads: HEMTJANST_<field> and the fields' aliases."""
    names = set()
    for name, field in Settings.model_fields.items():
        names.add(f"HEMTJANST_{name}".upper())
        alias = field.validation_alias
        for choice in getattr(alias, "choices", []):
            if isinstance(choice, str) and choice.isupper():
                names.add(choice)
    return names


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", sorted(_own_services()))
def test_every_service_built_here_runs_a_command_of_this_project(service: str) -> None:
    command = _own_services()[service]["command"]
    match command:
        case ["python", "-m", module, *_]:
            assert importlib.util.find_spec(module) is not None, module
        case ["python", script, *_]:
            assert (ROOT / script).is_file(), script
        case ["uvicorn", target, *_]:
            module, _, attribute = target.partition(":")
            assert hasattr(importlib.import_module(module), attribute), target
        case _:
            pytest.fail(f"{service}: unexpected command {command}")


def test_the_image_contains_everything_the_commands_import() -> None:
    copied = set(re.findall(r"^COPY (\S+) ", (ROOT / "Dockerfile").read_text(), re.MULTILINE))
    needed = {"workflows", "activities", "readmodel", "api", "runtime", "profiles", "worker.py"}
    assert needed <= copied


def test_every_variable_the_services_set_is_a_setting_and_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    known = _setting_names()
    for name, service in _own_services().items():
        for variable in service["environment"]:
            assert variable in known, f"{name}: {variable} is not read by runtime/settings.py"
            assert f"`{variable}`" in readme, f"{variable} is not documented in README.md"


def test_worker_and_api_start_only_after_the_migration_step_and_a_healthy_temporal() -> None:
    services = _own_services()
    assert services["migrate"]["command"] == ["python", "-m", "readmodel.migrate"]
    for name in ("worker", "api"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["temporal"]["condition"] == "service_healthy"
    assert "healthcheck" in services["api"]
