"""Progress off a terminal: timed lines on stderr, a count at most every EVERY_SECONDS and at
the end; the commands show it (here stderr is not a terminal)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from ercot_dart import cli_progress
from ercot_dart.cli import main

LINE = re.compile(r"^\[\d\d:\d\d:\d\d\] (.*)$")


def _lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        match = LINE.match(line)
        assert match, line
        out.append(match.group(1))
    return out


def test_status_prints_each_step_as_a_line(capsys: pytest.CaptureFixture[str]) -> None:
    with cli_progress.status("building features") as update:
        update("extract dam_spp")
        update("features 2024-08")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert _lines(captured.err) == ["building features", "extract dam_spp", "features 2024-08"]


def test_counter_prints_the_start_the_end_and_not_every_step(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter([0.0, *[1.0] * 5, 11.0, *[12.0] * 10])  # 10 s pass at the 6th step
    monkeypatch.setattr(cli_progress, "monotonic", lambda: next(clock))
    with cli_progress.counter("importing", 9, "files") as step:
        for _ in range(9):
            step()
    assert _lines(capsys.readouterr().err) == [
        "importing: 0/9 files",
        "importing: 6/9 files",
        "importing: 9/9 files",
    ]


def test_synth_shows_its_progress_in_a_log(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'market.db'}"
    result = CliRunner().invoke(
        main, ["synth", "--start", "2024-08-01", "--end", "2024-08-02", "--points", "2", "--db", db]
    )
    assert result.exit_code == 0, result.output
    assert _lines(result.stderr)[-1] == "synthesizing: 2/2 days"
    assert result.stdout.startswith("synthesized 2 day(s) of 2 settlement points")
