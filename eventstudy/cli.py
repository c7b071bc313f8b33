"""The ``eventstudy`` command (DESIGN 2.1; see docs/cli.md).

Exit codes: 0 success; 1 a check failed (``reproduce`` found a changed file or
number, ``compare`` a difference beyond tolerance); 2 bad input or another
error (one line, ``eventstudy: error: ...``, names what is wrong); 130
interrupted (Ctrl-C).

The module imports nothing of the numeric stack at import or parse time, so
``eventstudy --help`` is quick; each subcommand imports what it needs.  The
parser is in :mod:`eventstudy.cli_parser`, the subcommands in
:mod:`eventstudy.cli_commands`, what is printed in :mod:`eventstudy.cli_output`.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from eventstudy._text import terminal_safe
from eventstudy.cli_parser import build_parser
from eventstudy.exceptions import EventStudyError

__all__ = ["EXIT_ERROR", "EXIT_FAILED_CHECK", "EXIT_INTERRUPTED", "EXIT_OK", "build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED_CHECK = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130


def __getattr__(name: str) -> Any:  # the subcommands, imported when first used
    if name.startswith("cmd_") or name in ("_report_text", "_params", "_fit"):
        from eventstudy import cli_commands

        return getattr(cli_commands, name)
    raise AttributeError(f"module 'eventstudy.cli' has no attribute {name!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eventstudy`` command."""
    raw_err = sys.stderr
    with _terminal_safe_output():
        try:
            return _main(argv, raw_err)
        except KeyboardInterrupt:
            print("eventstudy: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED


class _SafeStream:
    """A text stream that shows control characters as escapes (see :mod:`eventstudy._text`).

    A reader that stops early (``eventstudy compare A B | head``) closes the pipe: the
    rest of the output is dropped and the command carries on to its own exit code (the
    files it writes, the verdict of ``compare``), without a "Broken pipe" error.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._closed = False

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                self._stream.write(terminal_safe(text))
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        self._closed = True
        try:  # what is still buffered would fail again when Python exits
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _terminal_safe_output() -> Iterator[None]:
    """Everything the command prints goes through :func:`eventstudy._text.terminal_safe`."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeStream(out), _SafeStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def _error(text: str) -> int:
    print(f"eventstudy: error: {text}", file=sys.stderr)
    return EXIT_ERROR


def _main(argv: Sequence[str] | None, raw_err: Any) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from eventstudy import cli_commands
    from eventstudy._progress import showing_progress
    from eventstudy.cli_output import bar_factory, one_line_warnings

    handlers = {
        "demo": cli_commands.cmd_demo,
        "run": cli_commands.cmd_run,
        "calendar": cli_commands.cmd_calendar,
        "simulate": cli_commands.cmd_simulate,
        "reproduce": cli_commands.cmd_reproduce,
        "compare": cli_commands.cmd_compare,
    }
    # progress bars write carriage returns: they get the raw stream, and only a terminal
    bars = bar_factory(raw_err, quiet=args.quiet)
    try:
        with one_line_warnings(sys.stderr), showing_progress(bars):
            return handlers[args.command](args)
    except EventStudyError as exc:
        return _error(str(exc))
    except FileNotFoundError as exc:
        return _error(f"file not found: {exc.filename}")
    except OSError as exc:  # permissions, a folder where a file was expected, disk full
        where = f"{exc.filename}: " if exc.filename else ""
        return _error(f"{where}{exc.strerror or exc}")
    except ValueError as exc:  # a value the library's own checks did not name
        return _error(str(exc))
    except Exception as exc:  # an unexpected failure is an error (2), not a failed check (1)
        import traceback

        traceback.print_exc()
        print(f"eventstudy: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
