"""The README's Production section and Configuration table cover what a deployment needs (issue 11 §6)."""

from __future__ import annotations

import re
from pathlib import Path

from runtime.settings import Settings
from tests.test_compose import COMPOSE

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of the README section ``## <title>`` up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.MULTILINE | re.DOTALL)
    assert match is not None, f"README has no section '## {title}'"
    return match.group(1)


def test_every_setting_is_a_row_of_the_configuration_table() -> None:
    """Each field of runtime/settings.py under one of its names (``TEMPORAL_ADDRESS`` stands for
    ``HEMTJANST_TEMPORAL_ADDRESS`` too)."""
    rows = [line for line in section("Configuration").splitlines() if line.startswith("| `")]
    documented = {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])}
    missing = []
    for name, field in Settings.model_fields.items():
        aliases = {
            choice for choice in getattr(field.validation_alias, "choices", []) if str(choice).isupper()
        }
        if not ({f"HEMTJANST_{name}".upper(), *aliases} & documented):
            missing.append(f"HEMTJANST_{name}".upper())
    assert missing == []


def test_the_production_section_covers_the_stack_keys_migrations_scaling_retention_backups_and_clusters() -> (
    None
):
    production = section("Production")
    headings = re.findall(r"^### (.+)$", production, re.MULTILINE)
    assert headings == [
        "The stack: `docker compose up`",
        "Keys and their rotation",
        "Migrations",
        "Scaling the worker and the API horizontally",
        "Retention",
        "Backups of the read model",
        "What a Temporal cluster on PostgreSQL or Cassandra gives beyond one machine",
    ]
    for needed in (
        "docker compose up",
        "python -m readmodel.migrate",
        "HEMTJANST_PAYLOAD_KEYS",
        "pg_dump",
        "--retention",
        "Cassandra",
    ):
        assert needed in production, needed


def test_every_variable_the_compose_file_reads_from_its_environment_is_documented() -> None:
    """``${NAME:-default}`` in docker-compose.yml: a setting (Configuration table) or one of the
    compose file's own variables (Production section)."""
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", COMPOSE.read_text(encoding="utf-8")))
    assert interpolated
    undocumented = [name for name in sorted(interpolated) if f"`{name}`" not in README]
    assert undocumented == []
