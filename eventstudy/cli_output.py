"""What the ``eventstudy`` command prints: one line per problem, bars on a terminal only.

* Library warnings are printed as one line ``warning: <message>`` on
  standard error, without file names or source lines.
* Progress bars (tqdm) are drawn on standard error only when it is a
  terminal and ``--quiet`` is not given.
* Whatever a third-party library prints while downloading (yfinance's own
  messages on stdout, stderr, its logger and its warnings) is written to a
  log file, never to the terminal (:func:`captured_output`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from eventstudy._progress import BarFactory

__all__ = ["Capture", "bar_factory", "captured_output", "one_line_warnings", "say"]

#: loggers and module paths of the libraries whose output is captured
_CAPTURED = ("yfinance", "curl_cffi", "peewee")
_captures: list[tuple[io.StringIO, Capture]] = []


def say(args: Any, text: str = "") -> None:
    """Print an informational line on stdout unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(text)


def bar_factory(stream: TextIO, *, quiet: bool) -> BarFactory | None:
    """tqdm bars on ``stream`` when it is a terminal and not ``quiet``; else ``None``."""
    isatty = getattr(stream, "isatty", None)
    if quiet or isatty is None or not isatty():
        return None
    from tqdm import tqdm

    def make(desc: str, total: float | None, unit: str = "it") -> Any:
        return tqdm(total=total, desc=desc, unit=unit, file=stream, leave=False, dynamic_ncols=True)

    return make


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


@contextlib.contextmanager
def one_line_warnings(stream: TextIO) -> Iterator[None]:
    """Inside the block every warning is printed as ``warning: <message>`` on ``stream``
    (those raised by a captured library go to its log instead)."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        text = _one_line(str(message))
        if _captures:
            buf, cap = _captures[-1]
            if any(name in Path(filename).parts for name in _CAPTURED):
                buf.write(f"warning ({category.__name__}): {text}\n")
            else:  # our own: shown after the download, unless an error says it all
                cap.held.append(text)
            return
        stream.write(f"warning: {text}\n")

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


@dataclass
class Capture:
    """What :func:`captured_output` caught: the number of lines and the log file."""

    lines: int = 0
    log: Path | None = None
    held: list[str] = field(default_factory=list)

    def release(self) -> None:
        """Print the library's own warnings held during the capture (one line each)."""
        for text in self.held:
            sys.stderr.write(f"warning: {text}\n")
        self.held.clear()

    def note(self) -> str:
        """``yfinance printed N line(s), kept in LOG`` (empty when it printed nothing)."""
        if not self.lines:
            return ""
        if self.log is None:
            return f"yfinance printed {self.lines} line(s); the log could not be written"
        return f"yfinance printed {self.lines} line(s), kept in {self.log}"


@contextlib.contextmanager
def captured_output(log_dir: Path) -> Iterator[Capture]:
    """Capture stdout, stderr, the yfinance loggers and yfinance's warnings into
    ``log_dir/yfinance-<UTC time>.log`` (written only when something was printed)."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    saved = []
    for name in _CAPTURED:
        lg = logging.getLogger(name)
        saved.append((lg, lg.handlers[:], lg.propagate))
        lg.handlers, lg.propagate = [handler], False
    cap = Capture()
    _captures.append((buf, cap))
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            yield cap
    finally:
        _captures.pop()
        for lg, handlers, propagate in saved:
            lg.handlers, lg.propagate = handlers, propagate
        text = buf.getvalue()
        cap.lines = len([ln for ln in text.splitlines() if ln.strip()])
        if cap.lines:
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            try:
                log_dir.mkdir(parents=True, exist_ok=True)
                cap.log = log_dir / f"yfinance-{stamp}.log"
                with cap.log.open("a", encoding="utf-8") as fh:
                    fh.write(text)
            except OSError as exc:
                cap.log = None
                sys.stderr.write(f"warning: could not write the download log in {log_dir}: {exc}\n")
