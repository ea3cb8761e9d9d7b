"""The benchmarks run end to end at a tiny size (issue 9), so that they cannot rot between the
runs that measure: every series gets its samples, no action is lost, the tables render. Nothing
here asserts a time (speed is printed by the benchmarks, never asserted)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import floor, municipality


async def test_the_floor_benchmark_measures_every_variant_and_renders_its_table(tmp_path: Path) -> None:
    args = argparse.Namespace(rounds=1, sequential=3, concurrent=10)  # one pair of starts
    result = await floor.bench(args, tmp_path)
    for name in floor.VARIANTS:
        figures = result["variants"][name]
        assert (figures["sequential"]["n"], figures["sequential"]["failed"]) == (3, 0)
        assert (figures["concurrent"]["n"], figures["concurrent"]["failed"]) == (10, 0)
        assert name in floor.table(result)
    for name in floor.STARTS:
        assert (result["starts"][name]["n"], result["starts"][name]["failed"]) == (1, 0)
        assert name in floor.table(result)


async def test_the_municipality_benchmark_answers_every_action_and_loses_none(tmp_path: Path) -> None:
    args = argparse.Namespace(
        cases=12,
        setup_concurrency=4,
        concurrency=2,
        sequential=2,
        reads=2,
        profile=False,
        keep=None,
        worker_cache=None,
    )
    result = await municipality.bench(args, tmp_path)
    assert result["errors"] == {}
    assert result["processes_started"] == len(municipality.PROCESS_TYPES)  # 10 % of 12, at least one each
    assert (
        result["actions_answered"]
        == result["series"]["action_sequential"]["n"] + (result["series"]["action_concurrent"]["n"])
    )
    assert result["actions_answered"] >= len(municipality.PROCESS_TYPES)
    assert result["actions_lost"] == 0
    assert result["series"]["register_case"]["n"] == 12
    assert "N = 12 cases" in municipality.table(result)
