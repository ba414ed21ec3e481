"""Progress bars for the operator: redrawn on a terminal, one line per stage elsewhere."""

from __future__ import annotations

import io

import pytest

from flows import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def shown():
    def show(stream):
        progress.show_on(stream)
        return stream

    yield show
    progress.show_on(None)


def test_nothing_is_written_when_progress_is_off(capsys):
    with progress.bar("parse", 3) as parse:
        parse.advance(3)
    progress.note("dbt build …")
    assert not progress.enabled()
    assert capsys.readouterr() == ("", "")


def test_a_log_gets_one_line_per_stage(shown):
    log = shown(io.StringIO())
    with progress.bar("parse", 4) as parse:
        for _ in range(4):
            parse.advance()
    lines = log.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("parse      [##############################] 4/4 files in ")
    assert "\r" not in log.getvalue()


def test_a_terminal_sees_the_bar_redrawn_in_place(shown, monkeypatch):
    monkeypatch.setattr(progress, "_redraw_every_s", 0.0)
    screen = shown(Terminal())
    with progress.bar("validate", 2, unit="submissions") as validate:
        validate.advance()
        validate.advance()
    frames = screen.getvalue().split("\r")
    assert "[" + "." * 30 + "] 0/2 submissions" in frames[1]
    assert "[" + "#" * 15 + "." * 15 + "] 1/2 submissions" in frames[2]
    assert frames[-1].startswith("validate   [" + "#" * 30 + "] 2/2 submissions in ")
    assert frames[-1].endswith(" s\n")


def test_an_empty_stage_is_complete(shown):
    log = shown(io.StringIO())
    progress.bar("receive", 0).close()
    assert "[" + "#" * 30 + "] 0/0 files" in log.getvalue()
