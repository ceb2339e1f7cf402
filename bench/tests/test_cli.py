"""The options of `make bench`: which parts run."""

from __future__ import annotations

import pytest

from bench import cli


def test_every_part_runs_by_default() -> None:
    assert cli.build_parser().parse_args([]).only == list(cli.PARTS)


def test_only_takes_a_comma_list() -> None:
    assert cli.build_parser().parse_args(["--only", "grpc, ceiling"]).only == ["grpc", "ceiling"]


@pytest.mark.parametrize("value", ["nope", "grpc,nope", ","])
def test_only_refuses_unknown_parts(value: str) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args(["--only", value])
    assert exited.value.code == 2
