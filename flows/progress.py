"""Progress of a run's long stages, on the operator's terminal.

``chitieu run`` turns it on (:func:`show_on`) when its standard error is a terminal, or
with ``--progress``; library callers, tests and ``--json`` scripts see nothing. On a
terminal a bar is redrawn in place; elsewhere (a log file, a CI console) each stage
writes one line when it ends, so logs stay readable.

Progress goes to standard error: standard output carries the summary (or its JSON)
alone, for scripts.
"""

from __future__ import annotations

import time
from typing import TextIO

_stream: TextIO | None = None
_redraw_every_s = 0.1  # a bar redrawn faster than the eye reads costs time for nothing


def show_on(stream: TextIO | None) -> None:
    """Show progress on ``stream`` from now on; ``None`` turns it off."""
    global _stream
    _stream = stream


def enabled() -> bool:
    return _stream is not None


class Bar:
    """One stage's bar: ``label [#####.....] done/total unit``; a no-op when progress is off."""

    def __init__(self, label: str, total: int, unit: str, stream: TextIO | None) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self._stream = stream
        self._live = bool(stream is not None and _isatty(stream))
        self._started = time.perf_counter()
        self._drawn_at = 0.0
        if self._live:
            self._draw()

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more items done."""
        self.done = min(self.total, self.done + count) if self.total else self.done + count
        if self._live and time.perf_counter() - self._drawn_at >= _redraw_every_s:
            self._draw()

    def close(self) -> None:
        """End the bar with its final line (on a terminal or not)."""
        if self._stream is None:
            return
        seconds = time.perf_counter() - self._started
        line = f"{self._text()} in {seconds:.1f} s"
        self._stream.write(("\r" + line + "\n") if self._live else (line + "\n"))
        self._stream.flush()
        self._stream = None

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _text(self, width: int = 30) -> str:
        share = self.done / self.total if self.total else 1.0
        filled = round(share * width)
        return (
            f"{self.label:<10} [{'#' * filled}{'.' * (width - filled)}] "
            f"{self.done}/{self.total} {self.unit}"
        )

    def _draw(self) -> None:
        self._drawn_at = time.perf_counter()
        self._stream.write("\r" + self._text())
        self._stream.flush()


def bar(label: str, total: int, unit: str = "files") -> Bar:
    """A bar for a stage of ``total`` items (shown only when progress is on)."""
    return Bar(label, total, unit, _stream)


def note(text: str) -> None:
    """One line between bars (a stage without countable items, e.g. the dbt build)."""
    if _stream is not None:
        _stream.write(text + "\n")
        _stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
