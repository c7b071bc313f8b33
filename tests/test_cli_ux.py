"""Issue 13 findings 9 and 10, issue 12 item 3, issue 9 follow-ups: the command line.

One clean line per problem (no traceback for library errors, ValueError,
OSError, Ctrl-C), warnings as one line, yfinance's own output in a log file,
``--quiet`` everywhere, no ``%%`` in any help, progress bars only on a
terminal, ``--help`` without the numeric stack, ``--out`` checked before
any work.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import types
import warnings
from pathlib import Path

import pandas as pd
import pytest
from test_data_yahoo import assemble_like_yfinance, empty_like_yfinance, history_frame

from eventstudy import cli_commands
from eventstudy.cli import build_parser, main
from eventstudy.cli_output import bar_factory
from eventstudy.exceptions import DataWarning

SUBCOMMANDS = ["demo", "run", "simulate", "reproduce", "compare", "calendar"]


def subparsers() -> dict[str, object]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return dict(action.choices)  # type: ignore[arg-type]


# --help ---------------------------------------------------------------------------


def test_help_imports_no_numeric_stack():
    code = (
        "import contextlib, io, sys\n"
        "from eventstudy.cli import main\n"
        f"for argv in [['--help']] + [[c, '--help'] for c in {SUBCOMMANDS!r}]:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            main(argv)\n"
        "        except SystemExit as exc:\n"
        "            assert exc.code == 0, (argv, exc.code)\n"
        "heavy = ('pandas', 'numpy', 'scipy', 'matplotlib', 'statsmodels', 'tqdm')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.parametrize("name", [None, *SUBCOMMANDS])
def test_no_double_percent_in_help(name):
    parser = build_parser() if name is None else subparsers()[name]
    text = parser.format_help()  # type: ignore[attr-defined]
    assert "%%" not in text
    if name == "simulate":
        assert "1%, 5% and 10%" in " ".join(text.split())


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_quiet_on_every_subcommand(name):
    text = subparsers()[name].format_help()  # type: ignore[attr-defined]
    assert "--quiet" in text


# one clean line per problem ------------------------------------------------------


def fail_with(monkeypatch, exc: BaseException) -> None:
    def handler(args):
        raise exc

    monkeypatch.setattr(cli_commands, "cmd_calendar", handler)


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (ValueError("a value nobody named"), "eventstudy: error: a value nobody named"),
        (
            PermissionError(13, "Permission denied", "x.csv"),
            "eventstudy: error: x.csv: Permission denied",
        ),
        (
            FileNotFoundError(2, "No such file", "gone.csv"),
            "eventstudy: error: file not found: gone.csv",
        ),
    ],
)
def test_errors_are_one_line_exit_2(monkeypatch, capsys, exc, line):
    fail_with(monkeypatch, exc)
    assert main(["calendar"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == line
    assert "Traceback" not in err


def test_ctrl_c_is_interrupted_exit_130(monkeypatch, capsys):
    fail_with(monkeypatch, KeyboardInterrupt())
    assert main(["calendar"]) == 130
    err = capsys.readouterr().err
    assert err == "eventstudy: interrupted\n"


def test_warnings_are_one_line_without_paths(monkeypatch, capsys):
    def handler(args):
        warnings.warn("first part\n  second part", DataWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(cli_commands, "cmd_calendar", handler)
    assert main(["calendar"]) == 0
    err = capsys.readouterr().err
    assert err == "warning: first part second part\n"
    assert ".py" not in err


def test_exit_codes_documented():
    text = (Path(__file__).parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 130 |"):
        assert code in section


# yfinance's own output -----------------------------------------------------------


def fake_yfinance(monkeypatch, frames: dict[str, pd.DataFrame]) -> None:
    """A stand-in yfinance module: chatter on stdout, stderr, its logger and a warning."""

    def download(tickers, **kw):
        names = tickers if isinstance(tickers, list) else [tickers]
        for i in range(40):
            print(f"[*{i}%*] yfinance chatter line {i}")
        print("1 Failed download:", file=sys.stderr)
        logging.getLogger("yfinance").error("%s: possibly delisted; no timezone found", names[0])
        return assemble_like_yfinance({t: frames.get(t, empty_like_yfinance()) for t in names})

    mod = types.ModuleType("yfinance")
    mod.download = download  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "yfinance", mod)


def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text("event_id,ticker,date\nE1,600000.SS,2024-05-08\n", encoding="utf-8")
    return path


def test_yfinance_chatter_goes_to_the_log(monkeypatch, capsys, tmp_path):
    fake_yfinance(monkeypatch, {})
    cache = tmp_path / "cache"
    argv = ["run", "--calendar", str(calendar_file(tmp_path)), "--cache-dir", str(cache)]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    cap = capsys.readouterr()
    assert "chatter line" not in cap.out + cap.err and "delisted" not in cap.out + cap.err
    assert "warning" not in cap.err  # the error says it all: one line for one problem
    lines = [ln for ln in cap.err.splitlines() if ln.startswith("eventstudy: error")]
    assert len(lines) == 1
    assert "0 tickers, e.g. )" not in cap.err
    assert "Yahoo Finance returned no data for any of the 2 tickers" in lines[0]
    assert "no network, a rate limit or unknown tickers?" in lines[0]
    logs = list((cache / "logs").glob("yfinance-*.log"))
    assert len(logs) == 1 and str(logs[0]) in lines[0]
    text = logs[0].read_text(encoding="utf-8")
    assert "yfinance chatter line 39" in text and "possibly delisted" in text
    assert not (tmp_path / "out").exists()


def test_yfinance_without_the_market_is_named(monkeypatch, capsys, tmp_path):
    days = pd.bdate_range("2023-03-01", "2024-07-31").strftime("%Y-%m-%d")
    firm = history_frame(days, [10.0 + 0.01 * i for i in range(len(days))])
    fake_yfinance(monkeypatch, {"600000.SS": firm})
    argv = ["run", "--calendar", str(calendar_file(tmp_path)), "--cache-dir", str(tmp_path / "c")]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no data for the market index 000300.SS (1 of 2 tickers downloaded)" in err


# --quiet and progress bars -------------------------------------------------------


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_factory_only_on_a_terminal():
    assert bar_factory(io.StringIO(), quiet=False) is None
    assert bar_factory(FakeTTY(), quiet=True) is None
    tty = FakeTTY()
    make = bar_factory(tty, quiet=False)
    assert make is not None
    bar = make(desc="trials", total=10, unit="trial")
    bar.update(10)
    bar.close()
    assert "trials" in tty.getvalue()


SIM = ["simulate", "--trials", "4", "--events", "5", "--n-firms", "40", "--tests", "csect_t"]


def test_simulate_progress_bar_on_a_terminal_only(monkeypatch, capsys, tmp_path):
    assert main([*SIM, "--out", str(tmp_path / "a")]) == 0  # stderr is not a terminal
    cap = capsys.readouterr()
    assert cap.err == "" and "trials x 5 events" in cap.out
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty)
    assert main([*SIM, "--out", str(tmp_path / "b")]) == 0
    assert "trials" in tty.getvalue() and "\r" in tty.getvalue()
    assert "trials x 5 events" in capsys.readouterr().out
    tty2 = FakeTTY()
    monkeypatch.setattr(sys, "stderr", tty2)
    assert main([*SIM, "--quiet", "--out", str(tmp_path / "c")]) == 0
    assert tty2.getvalue() == ""
    assert capsys.readouterr().out == ""


# --out checked before any work ---------------------------------------------------


def no_fit(*args, **kw):
    raise AssertionError("the study was fitted before --out was checked")


def test_demo_checks_out_before_fitting(monkeypatch, capsys, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("mine", encoding="utf-8")
    monkeypatch.setattr(cli_commands, "_fit", no_fit)
    assert main(["demo", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is not empty and holds no eventstudy manifest.json" in err
    assert (out / "thesis.docx").read_text(encoding="utf-8") == "mine"


def test_run_checks_out_before_reading(monkeypatch, capsys, tmp_path):
    target = tmp_path / "a-file"
    target.write_text("x", encoding="utf-8")
    monkeypatch.setattr(cli_commands, "_fit", no_fit)
    argv = ["run", "--returns", str(tmp_path / "missing.csv"), "--out", str(target)]
    assert main(argv) == 2
    assert "exists and is not a directory" in capsys.readouterr().err


def test_price_file_given_as_returns_names_prices(capsys, tmp_path):
    prices = tmp_path / "px.csv"
    prices.write_text("date,ticker,close\n2024-05-06,600000.SS,10\n", encoding="utf-8")
    argv = ["run", "--calendar", str(calendar_file(tmp_path)), "--returns", str(prices)]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"holds prices (a close column and no ret): give it as --prices {prices}" in err
    assert len(err.strip().splitlines()) == 1
