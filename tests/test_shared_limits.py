"""The processes' own text and id limits (workflows/limits.py) are the API edge's (api/limits.py),
read from the read model's columns: a value the workflow accepts fits wherever it is stored."""

from __future__ import annotations

import re

import pytest

from api import limits as edge
from workflows import limits, profiles


def test_the_workflows_limits_are_the_edges_limits_read_from_the_columns() -> None:
    assert (limits.ID_MAX, limits.NAME_MAX, limits.FREE_TEXT_MAX) == (
        edge.ID_MAX,
        edge.NAME_MAX,
        edge.FREE_TEXT_MAX,
    )
    for unit_field in ("night_district_id", "chosen_provider_id", "provider_id", "team_id"):
        assert edge.FIELD_LENGTHS[unit_field] == limits.ID_MAX
        assert edge.is_unit_field(unit_field)
    assert profiles.UNIT_ID_MAX == limits.ID_MAX  # a listed unit's id fits wherever it is stored


@pytest.mark.parametrize(
    ("value", "limit", "message"),
    [
        ("Tillsyn\x00natt", limits.FREE_TEXT_MAX, "otillåtet tecken (NUL)"),
        ("x" * 10_001, limits.FREE_TEXT_MAX, "högst 10000 tecken"),
        ("n" * 65, limits.ID_MAX, "högst 64 tecken"),
        ("\ud800", limits.FREE_TEXT_MAX, "ensamt surrogattecken"),
    ],
)
def test_a_text_over_a_limit_or_with_a_refused_character_is_a_swedish_value_error(
    value: str, limit: int, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        limits.check_text(value, "fältet", limit)
    limits.check_text(value[:limit].replace("\x00", "").replace("\ud800", ""), "fältet", limit)
