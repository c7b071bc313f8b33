"""The output directory: staged and swapped in whole, never touching what it did not write;
spreadsheet-safe CSV cells; terminal-safe printing."""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers import make_events, make_panel
from hypothesis import given
from hypothesis import strategies as st

from eventstudy._text import FORMULA_START, spreadsheet_safe, spreadsheet_unescape, terminal_safe
from eventstudy.cli import main
from eventstudy.exceptions import OutputError, OutputWarning
from eventstudy.report.files import write_outputs
from eventstudy.reproduce import verify_snapshot

FIRMS = [
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\x1b[31mRed Corp\x1b[0m",
    "-Minus Co",
    "+Plus",
    "Normal",
    "'quoted",
    "ok",
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("inputs")
    r, tickers = make_panel(n_firms=6, n_days=420)
    ev = make_events(tickers, pd.DatetimeIndex(sorted(r["date"].unique())), 8)
    ev["firm"] = FIRMS
    ev.loc[6, "event_id"] = "=1+1"
    ev.loc[7, "event_id"] = "@E8"
    r.to_csv(d / "returns.csv", index=False)
    ev.to_csv(d / "cal.csv", index=False)
    return d


def run_args(inputs: Path, out: Path) -> list[str]:
    return [
        "run",
        "--returns",
        str(inputs / "returns.csv"),
        "--calendar",
        str(inputs / "cal.csv"),
        "--market",
        "000300.SS",
        "--out",
        str(out),
    ]


@pytest.fixture(scope="module")
def base(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("base") / "study"
    assert main(run_args(inputs, out)) == 0
    return out


@pytest.fixture(scope="module")
def fitted(inputs: Path) -> dict[str, Any]:
    from eventstudy import EventStudy, load_calendar, read_returns_csv

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        panel = read_returns_csv(inputs / "returns.csv")
        cal = load_calendar(str(inputs / "cal.csv"))
        res = EventStudy(cal, panel, market="000300.SS", leakage=False).fit()
    return {"res": res, "panel": panel, "calendar": cal, "parameters": {}}


def tree(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: file digests, link targets, folders."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_symlink():
            out[rel] = "link -> " + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def leftovers(out: Path) -> list[str]:
    return [p.name for p in out.parent.iterdir() if ".eventstudy-" in p.name]


def copy(base: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "study"
    shutil.copytree(base, dst, symlinks=True)
    return dst


# ------------------------------------------------------------ failures leave it intact


def test_failed_write_leaves_previous_study_intact_and_reproducible(
    base: Path, inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import eventstudy.report.files as files

    out = copy(base, tmp_path)
    before = tree(out)

    def disk_full(*args: Any, **kwargs: Any) -> str:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files, "render_html", disk_full)  # after CSVs and figures, mid-way
    assert main(run_args(inputs, out)) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "was left as it was" in err
    assert "internal error" not in err
    assert tree(out) == before and leftovers(out) == []
    monkeypatch.undo()
    assert main(["reproduce", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[2].startswith("**SAME")


def test_failure_while_swapping_is_undone(
    base: Path, fitted: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import eventstudy.report.outdir as outdir

    out = copy(base, tmp_path)
    (out / "mine.txt").write_text("the user's", encoding="utf-8")
    before = tree(out)
    real = os.replace
    calls = {"n": 0}

    def flaky(src: Any, dst: Any) -> None:
        calls["n"] += 1
        # once, when the old files are aside and most new ones placed
        if Path(dst) == out / "summary.json" and "failed" not in calls:
            calls["failed"] = 1
            raise OSError(errno.EIO, "I/O error")
        real(src, dst)

    monkeypatch.setattr(outdir.os, "replace", flaky)
    with pytest.raises(OutputError, match="could not replace the study in .*I/O error"):
        write_outputs(fitted["res"], out, **{k: v for k, v in fitted.items() if k != "res"})
    assert calls["n"] > 20
    assert tree(out) == before and leftovers(out) == []


def test_failed_undo_keeps_the_earlier_files_and_says_where(
    base: Path, fitted: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import eventstudy.report.outdir as outdir

    out = copy(base, tmp_path)
    car = (out / "car.csv").read_bytes()
    real = os.replace

    def flaky(src: Any, dst: Any) -> None:
        if Path(dst) == out / "summary.json" and ".previous" not in str(src):
            raise OSError(errno.EIO, "I/O error")
        if Path(dst) == out / "car.csv" and ".previous" in str(src):
            raise OSError(errno.EIO, "I/O error")
        real(src, dst)

    monkeypatch.setattr(outdir.os, "replace", flaky)
    kw = {k: v for k, v in fitted.items() if k != "res"}
    with pytest.raises(
        OutputError, match=r"nor put back 1 file\(s\) .*\(car\.csv\): they are kept in"
    ):
        write_outputs(fitted["res"], out, **kw)
    kept = [p for p in tmp_path.rglob("car.csv") if ".previous" in str(p)]
    assert len(kept) == 1 and kept[0].read_bytes() == car
    assert (out / "summary.json").read_bytes() == (base / "summary.json").read_bytes()


# ------------------------------------------------------------ never what it did not write


def test_user_files_inside_out_are_never_listed_or_deleted(
    base: Path, fitted: dict[str, Any], tmp_path: Path
) -> None:
    out = copy(base, tmp_path)
    (out / "returns_input.csv").write_text("date,ticker,ret\n", encoding="utf-8")
    (out / "data" / "notes.txt").write_text("mine", encoding="utf-8")
    kw = {k: v for k, v in fitted.items() if k != "res"}
    for _ in range(2):  # the second run used to delete what the first had hashed
        write_outputs(fitted["res"], out, **kw)
        assert (out / "returns_input.csv").read_text(encoding="utf-8") == "date,ticker,ret\n"
        assert (out / "data" / "notes.txt").read_text(encoding="utf-8") == "mine"
        manifest = pd.read_json(out / "manifest.json", typ="series")
        assert "returns_input.csv" not in manifest["files"]
        assert "data/notes.txt" not in manifest["files"]
        assert verify_snapshot(out) == []
    # the earlier run's leakage.csv is gone (this study has none); its manifest no longer lists it
    assert not (out / "leakage.csv").exists() and "leakage.csv" not in manifest["files"]


def test_changed_output_of_earlier_run_is_kept_and_said(
    base: Path, fitted: dict[str, Any], tmp_path: Path
) -> None:
    out = copy(base, tmp_path)
    (out / "leakage.csv").write_text("edited by hand\n", encoding="utf-8")
    kw = {k: v for k, v in fitted.items() if k != "res"}
    with pytest.warns(OutputWarning, match=r"left in place 1 file.*leakage\.csv"):
        write_outputs(fitted["res"], out, **kw)
    assert (out / "leakage.csv").read_text(encoding="utf-8") == "edited by hand\n"


def test_changed_output_is_not_overwritten(
    base: Path, fitted: dict[str, Any], tmp_path: Path
) -> None:
    out = copy(base, tmp_path)
    (out / "report.md").write_text("my notes on the study\n", encoding="utf-8")
    before = tree(out)
    kw = {k: v for k, v in fitted.items() if k != "res"}
    with pytest.raises(
        OutputError, match=r"report\.md was not written by the earlier run \(or was changed since\)"
    ):
        write_outputs(fitted["res"], out, **kw)
    assert tree(out) == before and leftovers(out) == []


def test_symlinked_report_is_not_written_through(
    base: Path, fitted: dict[str, Any], tmp_path: Path
) -> None:
    out = copy(base, tmp_path)
    outside = tmp_path / "outside.html"
    outside.write_text("precious", encoding="utf-8")
    (out / "report.html").unlink()
    (out / "report.html").symlink_to(outside)
    before = tree(out)
    kw = {k: v for k, v in fitted.items() if k != "res"}
    with pytest.raises(OutputError, match=r"report\.html is a symbolic link"):
        write_outputs(fitted["res"], out, **kw)
    assert outside.read_text(encoding="utf-8") == "precious"
    assert tree(out) == before


def test_symlinked_data_folder_is_not_written_through(
    base: Path, fitted: dict[str, Any], tmp_path: Path
) -> None:
    out = copy(base, tmp_path)
    outside = tmp_path / "outside-data"
    shutil.move(out / "data", outside)
    (out / "data").symlink_to(outside, target_is_directory=True)
    inside = tree(outside)
    kw = {k: v for k, v in fitted.items() if k != "res"}
    with pytest.raises(OutputError, match=r"data/ is a symbolic link"):
        write_outputs(fitted["res"], out, **kw)
    assert tree(outside) == inside


@pytest.mark.parametrize("case", ["file", "link", "foreign", "root", "home", "above home"])
def test_unfit_output_places_are_refused(
    case: str, fitted: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home" / "me"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "thesis.tex").write_text("x", encoding="utf-8")
    (tmp_path / "real").mkdir()
    (tmp_path / "alink").symlink_to(tmp_path / "real", target_is_directory=True)
    out, said = {
        "file": (tmp_path / "afile", "exists and is not a directory"),
        "link": (tmp_path / "alink", "is a symbolic link"),
        "foreign": (tmp_path / "foreign", "not empty and holds no eventstudy manifest.json"),
        "root": (Path(Path.cwd().anchor), "is the root directory"),
        "home": (home, "is your home directory"),
        "above home": (home.parent, "is a parent of your home directory"),
    }[case]
    kw = {k: v for k, v in fitted.items() if k != "res"}
    with pytest.raises(OutputError, match=said):
        write_outputs(fitted["res"], out, **kw)
    assert (tmp_path / "foreign" / "thesis.tex").read_text(encoding="utf-8") == "x"
    assert list((tmp_path / "real").iterdir()) == []


def test_extra_file_names_stay_inside(fitted: dict[str, Any], tmp_path: Path) -> None:
    kw = {k: v for k, v in fitted.items() if k != "res"}
    for name in ("../escape.csv", "/tmp/abs.csv", "events.csv", "notes.txt"):
        with pytest.raises(OutputError, match="give a plain new .csv file name"):
            write_outputs(fitted["res"], tmp_path / "o", extra={name: pd.DataFrame()}, **kw)
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------ spreadsheet-safe CSV


def _cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [c for row in csv.reader(fh) for c in row]


def _dangerous(cell: str) -> bool:
    return bool(cell) and cell.lstrip(" ")[:1] in FORMULA_START and spreadsheet_safe(cell) != cell


def test_every_csv_of_the_study_is_spreadsheet_safe(base: Path) -> None:
    csvs = sorted(base.rglob("*.csv"))
    assert {p.name for p in csvs} >= {
        "events.csv",
        "car.csv",
        "abnormal_returns.csv",
        "calendar.csv",
    }
    for p in csvs:
        bad = [c for c in _cells(p) if _dangerous(c)]
        assert bad == [], p.name
    events = _cells(base / "events.csv")
    assert "'=cmd|' /C calc'!A0" in events and "'@SUM(1+1)" in events
    assert "'-Minus Co" in events and "'+Plus" in events and "''quoted" in events
    assert "'=1+1" in events and "'@E8" in events
    assert "'=1+1" in _cells(base / "car.csv") and "'@E8" in _cells(base / "abnormal_returns.csv")
    # numbers keep their sign; the raw texts stay raw where no spreadsheet reads them
    car = pd.read_csv(base / "car.csv")
    assert (car["car"] < 0).any()
    report = (base / "report.md").read_text(encoding="utf-8")
    assert "=1+1" in report and "'=1+1" not in report


@given(st.text(max_size=12))
def test_spreadsheet_escape_is_safe_and_exactly_undone(text: str) -> None:
    safe = spreadsheet_safe(text)
    assert spreadsheet_unescape(safe) == text
    assert not _dangerous(safe)
    shown = terminal_safe(text, lines=False)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in shown)


# ------------------------------------------------------------ terminal-safe printing


def test_calendar_prints_control_characters_as_escapes(inputs: Path, capsys: Any) -> None:
    assert main(["calendar", str(inputs / "cal.csv")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\\x1b[31mRed Corp\\x1b[0m" in out


def test_error_messages_are_printed_safely(tmp_path: Path, capsys: Any) -> None:
    name = str(tmp_path / "\x1b[2J\x1b[31mgone.csv")
    assert main(["calendar", name]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2J\\x1b[31mgone.csv" in err
    assert sys.stdout is not None and not hasattr(sys.stdout, "_stream")  # restored


def test_terminal_safe_keeps_text_and_lines() -> None:
    assert terminal_safe("算力租赁 E001\n\tok") == "算力租赁 E001\n\tok"
    assert terminal_safe("a\rb\x08c\u202ed\x9b") == "a\\x0db\\x08c\\u202ed\\x9b"
    assert terminal_safe("a\nb", lines=False) == "a\\x0ab"
