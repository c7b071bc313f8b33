"""The argument parser of the ``eventstudy`` command (see docs/cli.md).

Parsing imports nothing of the numeric stack: ``eventstudy --help`` and every
``eventstudy SUBCOMMAND --help`` run without pandas, numpy, scipy or matplotlib.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from eventstudy.cli_questions import add_question_options
from eventstudy.exceptions import EventStudyError

__all__ = ["build_parser"]


def _window(text: str) -> tuple[int, int]:
    from eventstudy.windows import Window

    try:
        w = Window.parse(text)
    except EventStudyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return (w.start, w.end)


def _study_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model and windows")
    g.add_argument(
        "--model",
        default="market",
        choices=[
            "market",
            "market-adjusted",
            "constant-mean",
            "scholes-williams",
            "dimson",
            "factors",
            "ff3",
            "carhart",
            "ch3",
        ],
        help="normal-return model (default: market); factors, ff3, carhart and ch3 need "
        "--factors FILE",
    )
    g.add_argument(
        "--factors",
        type=Path,
        action="append",
        default=None,
        metavar="FILE",
        help="daily factor file (repeatable: the files are joined on the date, e.g. "
        "Ken French's three factors and momentum)",
    )
    g.add_argument(
        "--factors-preset",
        choices=["french", "ch3"],
        default=None,
        help="layout of the factor file: Ken French's daily CSV or the CH-3 daily file "
        "(both in percent)",
    )
    g.add_argument(
        "--factors-columns",
        default=None,
        metavar="MAP",
        help="factor column mapping name=column, e.g. date=trade_date,MKT-RF=mktrf,RF=rf "
        "(only mapped columns are kept)",
    )
    g.add_argument(
        "--factors-units",
        choices=["decimal", "percent"],
        default=None,
        help="units of the factor values (default: the preset's, else decimal)",
    )
    g.add_argument(
        "--dimson-lags",
        type=int,
        default=None,
        metavar="N",
        help="--model dimson: lagged market returns (default 1)",
    )
    g.add_argument(
        "--dimson-leads",
        type=int,
        default=None,
        metavar="N",
        help="--model dimson: leading market returns (default 1)",
    )
    g.add_argument(
        "--dimson-ar",
        choices=["sum", "full"],
        default=None,
        help="--model dimson: AR = R - a - (sum of betas) R_m (sum, default) or the "
        "regression's fitted value with lags and leads (full)",
    )
    g.add_argument(
        "--estimation-window",
        type=_window,
        default=(-250, -21),
        metavar="A,B",
        help="estimation window, e.g. --estimation-window=-250,-21 (default)",
    )
    g.add_argument(
        "--event-window",
        type=_window,
        default=(-20, 20),
        metavar="A,B",
        help="event window, e.g. --event-window=-20,20 (default)",
    )
    g.add_argument(
        "--car-window",
        type=_window,
        action="append",
        default=None,
        metavar="A,B",
        help="CAR window (repeatable); default: the nine windows "
        "of the docs that fit in the event window",
    )
    g.add_argument(
        "--min-estimation-days",
        type=int,
        default=None,
        metavar="N",
        help="exclude events with fewer complete estimation days (default: "
        "min(120, 80%% of the estimation window), i.e. 120 for the default window)",
    )
    g.add_argument(
        "--car-missing",
        choices=["present", "drop"],
        default="present",
        help="CAR over days present (default) or NaN when a day is missing",
    )
    g.add_argument(
        "--max-loss",
        type=float,
        default=None,
        metavar="SHARE",
        help="fail (exit 2, with the top exclusion reasons) when more than this share of "
        "the events is excluded, e.g. 0.2; a run that includes no event always fails",
    )
    g.add_argument("--out", type=Path, default=None, metavar="DIR", help="output directory")
    rep = p.add_argument_group("report")
    rep.add_argument(
        "--title",
        default=None,
        metavar="TEXT",
        help="title of the report (default: the bundled calendar's own; 'Event study "
        "report' for your own calendar)",
    )
    rep.add_argument(
        "--question",
        default=None,
        metavar="TEXT",
        help="the study's question, printed under the title (default: the bundled "
        "calendar's own; none for your own calendar)",
    )
    rep.add_argument(
        "--latex",
        action="store_true",
        help="also write summary.tex: the summary tables as booktabs LaTeX",
    )
    d = p.add_argument_group(
        "price limits (need prices) and leakage (prices give limit-ups and volume)"
    )
    d.add_argument(
        "--st",
        type=Path,
        default=None,
        metavar="FILE",
        help="CSV of risk-warning (ST) periods: ticker,start[,end]",
    )
    d.add_argument(
        "--exclude-limit-days",
        action="store_true",
        help="drop limit-hit days from the estimation window's regression",
    )
    d.add_argument(
        "--no-leakage", action="store_true", help="skip the pre-announcement diagnostics"
    )
    d.add_argument(
        "--leak-alpha",
        type=float,
        default=0.05,
        metavar="A",
        help="share of placebo events the leakage flag may fire on (default 0.05)",
    )
    d.add_argument(
        "--placebo-per-firm",
        type=int,
        default=100,
        metavar="M",
        help="pseudo-event dates drawn per firm for the placebo (default 100)",
    )
    d.add_argument(
        "--placebo-seed",
        type=int,
        default=0,
        metavar="S",
        help="seed of the pseudo-event dates (default 0)",
    )
    add_question_options(p)


class _Subparsers:
    """``add_parser`` with the options every subcommand shares (``--quiet``)."""

    def __init__(self, sub: Any, common: argparse.ArgumentParser) -> None:
        self._sub, self._common = sub, common

    def add_parser(self, name: str, **kw: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self._sub.add_parser(name, parents=[self._common], **kw)
        return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``eventstudy`` command."""
    from eventstudy import __version__

    p = argparse.ArgumentParser(
        prog="eventstudy",
        description="Event studies of announcement returns on A-shares (see docs/cli.md).",
    )
    p.add_argument("--version", action="version", version=f"eventstudy {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bars and no informational lines; warnings and errors are still "
        "printed (one line each) and the exit code tells the outcome",
    )
    sub = _Subparsers(p.add_subparsers(dest="command", required=True), common)
    d = sub.add_parser("demo", help="the compute-leasing study on the built-in SIMULATED market")
    d.add_argument("--seed", type=int, default=20240513, help="simulation seed")
    _study_options(d)
    r = sub.add_parser("run", help="the real study on yfinance or a local file")
    r.add_argument(
        "--calendar",
        default="compute-leasing",
        help="'compute-leasing' (bundled) or a calendar CSV file",
    )
    _calendar_options(r)
    r.add_argument(
        "--source",
        choices=["yfinance", "csv"],
        default=None,
        help="data source (default: csv when --prices/--returns is given, else yfinance)",
    )
    src = r.add_mutually_exclusive_group()
    src.add_argument(
        "--prices", type=Path, help="long CSV date,ticker,close[,open,high,low,volume]"
    )
    src.add_argument("--returns", type=Path, help="long CSV date,ticker,ret")
    r.add_argument(
        "--preset",
        choices=["csmar", "tushare"],
        default=None,
        help="column preset for vendor exports",
    )
    r.add_argument(
        "--columns",
        default=None,
        metavar="MAP",
        help="column mapping, e.g. date=Trddt,ticker=Stkcd,close=Clsprc",
    )
    r.add_argument(
        "--returns-unit",
        choices=["decimal", "percent"],
        default=None,
        help="unit of the file's return column (default: the preset's, else decimal)",
    )
    r.add_argument(
        "--market", default="000300.SS", help="market index ticker (default 000300.SS, CSI 300)"
    )
    r.add_argument("--offline", action="store_true", help="yfinance: use the cache only")
    r.add_argument("--cache-dir", type=Path, default=None, help="yfinance cache directory")
    _study_options(r)
    s = sub.add_parser(
        "simulate",
        help="specification and power study of the tests on the SIMULATED market",
        description="Brown-Warner style Monte Carlo: K trials of N random events on the "
        "built-in simulated A-share market; rejection rates of every test at 1%, 5% and "
        "10% with Monte Carlo standard errors (see docs/specification.md).",
    )
    s.add_argument("--trials", type=int, default=1000, metavar="K", help="trials (default 1000)")
    s.add_argument("--events", type=int, default=50, metavar="N", help="events per trial (50)")
    s.add_argument(
        "--effect",
        type=float,
        default=0.0,
        metavar="X",
        help="abnormal return planted on day 0, e.g. 0.01 (default 0: the size of the tests)",
    )
    s.add_argument(
        "--cluster",
        action="store_true",
        help="all events of a trial on one day 0 and from one sector (cross-correlated)",
    )
    s.add_argument("--no-limits", action="store_true", help="simulate without price limits")
    s.add_argument("--seed", type=int, default=0, help="seed of the market and the draws")
    s.add_argument(
        "--window",
        type=_window,
        default=(0, 0),
        metavar="A,B",
        help="CAR window tested (default 0,0: day 0)",
    )
    s.add_argument(
        "--sector-corr",
        type=float,
        default=None,
        metavar="RHO",
        help="residual correlation within a sector (default 0.1 with --cluster, else 0)",
    )
    s.add_argument("--n-firms", type=int, default=640, help="simulated firms (default 640)")
    s.add_argument(
        "--bootstrap-reps", type=int, default=499, help="bootstrap replications per trial (499)"
    )
    s.add_argument(
        "--tests", default=None, metavar="LIST", help="comma-separated tests (default: all)"
    )
    s.add_argument(
        "--bhar-window",
        type=_window,
        default=None,
        metavar="A,B",
        help="instead: size of the long-horizon BHAR tests over this window (t, LBT "
        "skewness-adjusted t and bootstrap; see docs/groups_and_longrun.md)",
    )
    s.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    dk = s.add_mutually_exclusive_group()
    dk.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the blocks of trials on this dask scheduler, e.g. tcp://10.0.0.5:8786 "
        "(extra [distributed]; same numbers as the local run)",
    )
    dk.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="run the blocks of trials on a local dask cluster of N worker processes "
        "(extra [distributed]; same numbers as the local run)",
    )
    rp = sub.add_parser(
        "reproduce",
        help="recompute a finished run from its data snapshot and check every number",
    )
    rp.add_argument("dir", type=Path, help="output directory of an earlier run")
    rp.add_argument("--rtol", type=float, default=1e-10, help="relative tolerance (1e-10)")
    rp.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance (1e-12)")
    cp = sub.add_parser(
        "compare",
        help="regression report: every number that moved between two output directories",
    )
    cp.add_argument("new", type=Path, help="output directory of the new run")
    cp.add_argument("base", type=Path, help="output directory of the baseline run")
    cp.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance (1e-9)")
    cp.add_argument("--atol", type=float, default=1e-12, help="absolute tolerance (1e-12)")
    cp.add_argument(
        "--markdown", type=Path, default=None, metavar="FILE", help="also write the report here"
    )
    cp.add_argument(
        "--json", type=Path, default=None, metavar="FILE", help="write the report as JSON here"
    )
    cp.add_argument(
        "--max-rows", type=int, default=200, help="rows of the Markdown table (default 200)"
    )
    c = sub.add_parser("calendar", help="print the calendar with each row's day 0 or reason")
    c.add_argument(
        "file",
        nargs="?",
        default="compute-leasing",
        help="calendar CSV (default: the bundled compute-leasing calendar)",
    )
    _calendar_options(c, short=True)
    return p


def _calendar_options(p: argparse.ArgumentParser, short: bool = False) -> None:
    """--calendar-preset and --calendar-columns (also --preset/--columns for `calendar`)."""
    p.add_argument(
        *(["--calendar-preset", "--preset"] if short else ["--calendar-preset"]),
        dest="calendar_preset",
        choices=["akshare", "csmar", "eastmoney", "tushare"],
        default=None,
        help="column preset of a vendor's announcement list (see docs/calendar.md)",
    )
    p.add_argument(
        *(["--calendar-columns", "--columns"] if short else ["--calendar-columns"]),
        dest="calendar_columns",
        default=None,
        metavar="MAP",
        help="calendar column mapping, e.g. ticker=ts_code,date=ann_date",
    )
