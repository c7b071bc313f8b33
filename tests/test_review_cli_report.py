"""Adversarial review of issue 13 (command line, report, calendar presets, results API)
and issue 12's CLI item: each test reproduces a defect found in review.

* options that would be silently ignored (``--cs-*`` without ``--cross-section``,
  ``--bhar-*`` without a BHAR window) are errors, before any work;
* the group column, the headline, a cross-section's formula and window and the
  BHAR windows are checked before the study is estimated;
* a column mapped to two targets, a directory given as a file, an empty calendar;
* a title or question with line breaks or Markdown block syntax stays one heading
  and one paragraph of report.md;
* window labels with unmatched brackets are refused.
"""

from __future__ import annotations

import io
import json
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy import study as study_module
from eventstudy.calendar import load_calendar
from eventstudy.cli import main
from eventstudy.data.csvfile import read_returns_csv
from eventstudy.exceptions import CalendarError, DataError, EventStudyError, WindowError
from eventstudy.questions import STUDY_COLUMNS, _known_later
from eventstudy.report.textfmt import md_paragraph
from eventstudy.windows import Window


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": ["600186.SS", "002229.SZ", "300657.SZ"],
            "date": ["2023-07-03", "2023-07-04", "2023-07-05"],
            "event_type": ["entry", "entry", "termination"],
        }
    )


def _returns() -> pd.DataFrame:
    dates = pd.bdate_range("2022-01-03", periods=400)
    rng = np.random.default_rng(0)
    rows = [
        pd.DataFrame({"date": dates, "ticker": t, "ret": rng.normal(0, 0.01, len(dates))})
        for t in ["000300.SS", "600186.SS", "002229.SZ", "300657.SZ"]
    ]
    return pd.concat(rows, ignore_index=True)


@pytest.fixture
def no_estimation(monkeypatch):
    """Fail loudly if the study gets as far as aligning the data (the expensive part)."""

    def boom(*args, **kwargs):
        raise AssertionError("the study was aligned and estimated before the check")

    monkeypatch.setattr(study_module, "align_panel", boom)


# (a) options that would be silently ignored ---------------------------------------


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--cs-cov", "HC1"], "--cs-cov applies to --cross-section"),
        (["--cs-cluster", "ticker"], "--cs-cluster applies to --cross-section"),
        (["--cs-window=0,5"], "--cs-window applies to --cross-section"),
        (["--cs-weights", "patell"], "--cs-weights applies to --cross-section"),
        (["--bhar-reps", "200"], "--bhar-reps applies to the BHAR"),
        (["--bhar-benchmark", "model"], "--bhar-benchmark applies to the BHAR"),
    ],
)
def test_options_without_their_feature_are_errors(tmp_path, capsys, extra, match):
    ev, ret = tmp_path / "ev.csv", tmp_path / "ret.csv"
    _events().to_csv(ev, index=False)
    ret.write_text("date,ticker,ret\n")  # never read: the options are checked first
    out = tmp_path / "out"
    argv = ["run", "--calendar", str(ev), "--returns", str(ret), "--out", str(out), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err
    assert not out.exists()


def test_demo_bhar_options_need_windows(tmp_path, capsys):
    # the flagship has BHAR windows by default; switched off, --bhar-missing has nothing to act on
    argv = ["demo", "--bhar-window", "none", "--bhar-missing", "truncate", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "--bhar-missing applies to the BHAR" in capsys.readouterr().err


def test_question_defaults_still_recorded(tmp_path):
    """Unset options get their defaults back (the manifest records what was used)."""
    from eventstudy.cli_parser import build_parser
    from eventstudy.cli_questions import check_option_use, question_kwargs

    args = build_parser().parse_args(["run", "--cross-section", "car ~ C(board)"])
    check_option_use(args, flagship=False)
    assert (args.cs_cov, args.cs_window, args.cs_weights, args.bhar_reps) == (
        "HC3",
        (0, 1),
        "none",
        1000,
    )
    q = question_kwargs(args, _events(), flagship=False)
    assert q["cross_section"][0]["cov_type"] == "HC3" and q["bhar_windows"] is None


# (b) the questions are checked before estimation ----------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"groups": "nosuch"}, "no column 'nosuch' to group by"),
        ({"groups": "event_type", "headline": "entri"}, r"headline 'entri' is not a value"),
        ({"cross_section": "car ~ nosuch"}, r"names unknown column\(s\) \['nosuch'\]"),
        ({"cross_section": "size ~ C(event_type)"}, "must use car, scar or bhar"),
        (
            {"cross_section": {"formula": "car ~ C(event_type)", "window": (0, 7)}},
            r"\[0,\+7\] is not a CAR window",
        ),
        ({"cross_section": "bhar ~ C(event_type)"}, r"bhar over \[0,\+1\] is not computed"),
        (
            {
                "cross_section": {
                    "formula": "car ~ x",
                    "cluster": "firm_group",
                    "cov_type": "cluster",
                }
            },
            r"unknown column\(s\) \['x', 'firm_group'\]",
        ),
        (
            {"cross_section": {"formula": "scar ~ C(event_type)", "weights": "patell"}},
            "weights='patell'",
        ),
    ],
)
def test_questions_checked_before_estimation(no_estimation, kwargs, match):
    with pytest.raises(EventStudyError, match=match):
        es.EventStudy(_events(), _returns(), market="000300.SS", **kwargs).fit()


def test_valid_questions_pass_the_early_checks(no_estimation):
    """Study columns (board, leak_flag, coefficients), characteristics and BHAR windows
    (with the initial window the long-run step adds) are not refused early."""
    chars = pd.DataFrame({"ticker": ["600186.SS"], "date": ["2023-07-03"], "size": [1.0]})
    for kwargs in [
        {"groups": "leak_flag"},
        {"groups": "board", "headline": "main"},
        {"groups": "event_type", "headline": "termination"},
        {"cross_section": "car ~ size + beta + coef_SMB", "characteristics": chars},
        {"cross_section": {"formula": "bhar ~ 1", "window": (0, 1)}, "bhar_windows": [(2, 20)]},
        {"cross_section": {"formula": "car ~ 1", "window": "[0,+1]"}},
    ]:
        with pytest.raises(AssertionError, match="aligned and estimated"):
            es.EventStudy(_events(), _returns(), market="000300.SS", **kwargs).fit()


def test_bhar_longer_than_the_data_is_refused_before_estimation(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("estimated before the BHAR check")

    monkeypatch.setattr(study_module, "_run", boom)
    with pytest.raises(WindowError, match=r"BHAR window\(s\) \['\[0,\+5000\]'\] span more"):
        es.EventStudy(_events(), _returns(), market="000300.SS", bhar_windows=[(0, 5000)]).fit()


def test_study_columns_cover_what_a_fit_adds():
    """The early checks let through the columns a fit adds; the list must stay complete."""
    cal = load_calendar("compute-leasing")
    sim = es.simulate_market(cal, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = es.EventStudy(cal, sim.panel, overlap="keep", tests=["csect_t"]).fit()
    added = set(res.events.columns) - set(cal.columns)
    assert {"leak_flag", "limit_note", "alpha"} <= added  # prices and leakage were on
    assert [c for c in added if not _known_later(c)] == []
    assert "board" in STUDY_COLUMNS


# calendar and data files ---------------------------------------------------------


def test_calendar_column_mapped_twice(tmp_path):
    f = tmp_path / "anns.csv"
    f.write_text("ts_code,ann_date\n600186.SH,20230703\n")
    with pytest.raises(
        CalendarError, match="maps the column 'ts_code' to both 'ticker' and 'date'"
    ):
        load_calendar(f, columns="ticker=ts_code,date=ts_code")
    with pytest.raises(CalendarError, match="to both"):  # case-folded spelling, same column
        load_calendar(f, columns={"ticker": "ts_code", "date": "TS_CODE"})


def test_price_file_column_mapped_twice(tmp_path):
    f = tmp_path / "r.csv"
    _returns().to_csv(f, index=False)
    with pytest.raises(DataError, match="column 'date' would be both 'date' and 'ticker'"):
        read_returns_csv(f, columns="ticker=date")
    with pytest.raises(DataError, match="column 'ret' would be both"):
        read_returns_csv(f, columns="ticker=ret,ret=ret")


def test_directories_given_as_files(tmp_path, capsys):
    with pytest.raises(CalendarError, match="is a directory"):
        load_calendar(tmp_path)
    with pytest.raises(DataError, match="is a directory"):
        read_returns_csv(tmp_path)
    ev, ret = tmp_path / "ev.csv", tmp_path / "ret.csv"
    _events().to_csv(ev, index=False)
    _returns().to_csv(ret, index=False)
    for extra in (["--returns", str(tmp_path)], ["--returns", str(ret), "--st", str(tmp_path)]):
        argv = ["run", "--calendar", str(ev), *extra, "--out", str(tmp_path / "o")]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "is a directory" in err and "Traceback" not in err and "no such file" not in err
    assert main(["calendar", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_empty_calendar_file_is_named(tmp_path):
    f = tmp_path / "empty.csv"
    f.write_text("")
    with pytest.raises(CalendarError, match=r"empty\.csv is empty: no header row"):
        load_calendar(f)


# report text -----------------------------------------------------------------------


def test_title_and_question_stay_one_heading_and_one_paragraph(tmp_path):
    cal = load_calendar("compute-leasing")
    sim = es.simulate_market(cal, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = es.EventStudy(cal, sim.panel, leakage=False, tests=["csect_t"]).fit()
    from eventstudy.report.files import write_outputs

    out = tmp_path / "o"
    write_outputs(
        res,
        out,
        panel=sim.panel,
        calendar=cal,
        parameters={},
        figures=False,
        html=False,
        title="My study\n# injected heading\n---",
        question="# Why?\n\n| a | b |\n- item",
    )
    lines = (out / "report.md").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# My study # injected heading ---"
    para = lines[lines.index("") + 1 :]
    assert [ln for ln in para if ln][1] == r"\# Why? | a | b | - item"
    assert sum(ln.startswith("# ") for ln in lines) == 1
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["title"] == "My study # injected heading ---"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Why", r"\# Why"),
        ("> quote", r"\> quote"),
        ("- item", r"\- item"),
        ("1. first", r"1\. first"),
        ("| a |", r"\| a |"),
        ("---", r"\---"),
        ("-5% on day 0", "-5% on day 0"),
        ("2024 was", "2024 was"),
        ("Why *this*?", "Why *this*?"),
        ("<b>x</b>", "&lt;b>x&lt;/b>"),
    ],
)
def test_md_paragraph(text, expected):
    assert md_paragraph(text) == expected


# window labels ---------------------------------------------------------------------


@pytest.mark.parametrize("label", ["[0,+1]", "(0,1)", "[+0,+1]", "0,1", "0:1", " [0, 1] "])
def test_window_labels_accepted(label):
    assert Window.parse(label) == Window(0, 1)


@pytest.mark.parametrize("label", ["[0,1)", "(0,1]", "[0,+1", "0,1]", "(", "[[0,1]]"])
def test_window_labels_with_unmatched_brackets_refused(label):
    with pytest.raises(WindowError, match="window"):
        Window.parse(label)


def test_window_label_start_after_end():
    with pytest.raises(WindowError, match=r"start > end"):
        Window.parse("[1,0]")


# simulate --out and undecodable arguments -------------------------------------------


def test_simulate_checks_out_before_any_trial(monkeypatch, capsys, tmp_path):
    import eventstudy.specification as spec_module

    def boom(*args, **kwargs):
        raise AssertionError("trials ran before --out was checked")

    monkeypatch.setattr(spec_module, "specification_study", boom)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "rejection_rates.csv").write_text("my own file\n", encoding="utf-8")
    a_file = tmp_path / "f.txt"
    a_file.write_text("x", encoding="utf-8")
    link = tmp_path / "link"
    link.symlink_to(mine)
    sim = ["simulate", "--trials", "2", "--events", "5"]
    for out, match in (
        (mine, "is not empty and holds no earlier simulate output"),
        (a_file, "exists and is not a directory"),
        (link, "is a symbolic link"),
    ):
        assert main([*sim, "--out", str(out)]) == 2
        assert match in capsys.readouterr().err
    assert (mine / "rejection_rates.csv").read_text(encoding="utf-8") == "my own file\n"
    assert main([*sim, "--bhar-window=0,5", "--out", str(mine)]) == 2  # the BHAR study too
    assert "holds no earlier simulate output" in capsys.readouterr().err


def test_simulate_rewrites_its_own_directory(tmp_path):
    out = tmp_path / "spec"
    sim = ["simulate", "--trials", "2", "--events", "5", "--n-firms", "40", "--tests", "csect_t"]
    assert main([*sim, "-q", "--out", str(out)]) == 0
    assert main([*sim, "-q", "--out", str(out)]) == 0  # an earlier simulate output: fine


def test_undecodable_title_is_refused_at_once(monkeypatch, capsys, tmp_path):
    ev = tmp_path / "ev.csv"
    _events().to_csv(ev, index=False)
    monkeypatch.setattr(
        "eventstudy.cli_commands._usable_out", lambda out: pytest.fail("work began")
    )
    title = b"\xff study".decode("utf-8", "surrogateescape")  # what Python makes of argv
    argv = ["run", "--calendar", str(ev), "--returns", str(ev), "--title", title]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--title is not valid text" in err and "Traceback" not in err


@pytest.mark.parametrize("flag", ["--title", "--question"])
def test_empty_title_or_question_refused_at_once(monkeypatch, capsys, tmp_path, flag):
    monkeypatch.setattr(
        "eventstudy.cli_commands._usable_out", lambda out: pytest.fail("work began")
    )
    assert main(["demo", flag, "  ", "--out", str(tmp_path / "o")]) == 2
    assert f"{flag} is empty" in capsys.readouterr().err


def test_preset_of_another_vendor_names_the_one_that_fits(tmp_path):
    f = tmp_path / "anns.csv"
    f.write_text("ts_code,ann_date\n600186.SH,20230703\n")
    with pytest.raises(
        CalendarError, match="preset 'csmar' reads .*the columns fit preset 'tushare'"
    ):
        load_calendar(f, preset="csmar")
    g = tmp_path / "notices.csv"
    g.write_text("代码,公告日期\n600186,2023-07-03\n", encoding="utf-8")
    with pytest.raises(CalendarError, match="fit preset 'akshare' or 'eastmoney'"):
        load_calendar(g, preset="tushare")


def test_latex_title_with_a_line_break_stays_in_its_comment():
    from eventstudy.report.latex import summary_latex
    from eventstudy.report.summary import Summary

    s = Summary(header=[("Model", "market")], tables=[], title="Study\n\\input{x} 100%")
    first = summary_latex(s).splitlines()[0]
    assert first.startswith(r"% Study \textbackslash{}input\{x\} 100\%: tables written")
    assert summary_latex(s).splitlines()[1] == r"\begin{tabular}{ll}"


class _ClosedPipe(io.StringIO):
    """A stdout whose reader went away after the first write (``| head -1``)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        if self.writes > 1:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_closed_pipe_ends_the_output_quietly(monkeypatch, capsys, tmp_path):
    f = tmp_path / "ev.csv"
    _events().to_csv(f, index=False)
    pipe = _ClosedPipe()
    monkeypatch.setattr(sys, "stdout", pipe)
    assert main(["calendar", str(f)]) == 0  # the command's own exit code, not 2
    assert "Broken pipe" not in capsys.readouterr().err
    assert pipe.getvalue().startswith("event_id")
