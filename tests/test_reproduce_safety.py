"""`reproduce` and `compare`: the manifest is covered, every value of every file is compared,
tolerances are checked, the JSON report survives infinities, a directory vouches only for the
files inside it, and malformed files are clear errors (exit 2), never tracebacks."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers import make_events, make_panel

from eventstudy._hashing import sha256_file
from eventstudy.cli import main
from eventstudy.exceptions import DataError, EventStudyError, OutputError
from eventstudy.report.compare import compare_dirs
from eventstudy.report.outdir import manifest_digest
from eventstudy.reproduce import reproduce, verify_snapshot


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("repro")
    r, tickers = make_panel(n_firms=6, n_days=420, seed=3)
    ev = make_events(tickers, pd.DatetimeIndex(sorted(r["date"].unique())), 8, seed=4)
    ev["firm"] = ["=cmd|' /C calc'!A0", "@SUM(1)", "-x", "+y", "a", "b", "c", "d"]
    r.to_csv(d / "returns.csv", index=False)
    ev.to_csv(d / "cal.csv", index=False)
    out = d / "study"
    args = ["run", "--returns", str(d / "returns.csv"), "--calendar", str(d / "cal.csv")]
    assert main([*args, "--market", "000300.SS", "--out", str(out)]) == 0
    return out


def copy(base: Path, tmp_path: Path, name: str = "study") -> Path:
    dst = tmp_path / name
    shutil.copytree(base, dst, symlinks=True)
    return dst


def manifest(d: Path) -> dict[str, Any]:
    return json.loads((d / "manifest.json").read_text(encoding="utf-8"))


def forge(d: Path, m: dict[str, Any] | None = None) -> None:
    """Rewrite the manifest as a forger would: fresh file digests and self-checksum."""
    m = manifest(d) if m is None else m
    for name in m["files"]:
        p = d / name
        if p.is_file() and not p.is_symlink():
            m["files"][name] = sha256_file(p)
    m["manifest_sha256"] = manifest_digest(m)
    (d / "manifest.json").write_text(json.dumps(m), encoding="utf-8")


def edit_csv(path: Path, row: int, col: str, value: Any) -> None:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row, col] = value
    df.to_csv(path, index=False)


def keys(cmp: Any) -> set[str]:
    return {f"{c.where}:{c.key}" for c in cmp.changes}


# ------------------------------------------------------------ the manifest is covered


def test_fresh_run_reproduces(base: Path, capsys: Any) -> None:
    assert main(["reproduce", str(base)]) == 0
    assert capsys.readouterr().out.splitlines()[2].startswith("**SAME")


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["versions"].update(numpy="0.0.1"),
        lambda m: m["parameters"].update(model="constant-mean"),
        lambda m: m["files"].pop("leakage.csv"),
    ],
    ids=["versions", "parameters", "entry removed"],
)
def test_edited_manifest_is_detected(base: Path, tmp_path: Path, edit: Any, capsys: Any) -> None:
    d = copy(base, tmp_path)
    m = manifest(d)
    edit(m)
    (d / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    assert main(["reproduce", str(d)]) == 1
    assert "manifest.json: changed (manifest_sha256 does not match" in capsys.readouterr().out


def test_removed_entry_with_forged_checksum_is_caught_by_recomputation(
    base: Path, tmp_path: Path
) -> None:
    d = copy(base, tmp_path)
    m = manifest(d)
    m["files"].pop("leakage.csv")
    (d / "leakage.csv").write_text("event_id\nE001\n", encoding="utf-8")  # now unchecked
    forge(d, m)
    rep = reproduce(d)
    assert not rep.ok and rep.comparison is not None
    assert "leakage.csv:gained" in keys(rep.comparison)
    assert "leakage.csv" in rep.unlisted and "not part of the study" in rep.report()


def test_older_manifest_without_checksum_is_a_clear_error(
    base: Path, tmp_path: Path, capsys: Any
) -> None:
    d = copy(base, tmp_path)
    m = manifest(d)
    del m["manifest_sha256"]
    (d / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    assert main(["reproduce", str(d)]) == 2
    err = capsys.readouterr().err
    assert "has no manifest_sha256: it was written by an older eventstudy" in err
    assert "internal error" not in err


# ------------------------------------------------------------ every value is compared


@pytest.mark.parametrize(
    ("file", "col", "value", "key"),
    [
        ("abnormal_returns.csv", "ar", "0.5", ".tau=0.ar"),
        ("leakage.csv", "p_runup", "0.999", ".p_runup"),
        ("car.csv", "var_car", "123.0", ".var_car"),
        ("car.csv", "n_days", "1", ".n_days"),
        ("events.csv", "beta", "9.0", ".beta"),
    ],
)
def test_doctored_value_in_any_csv_is_reported(
    base: Path, tmp_path: Path, file: str, col: str, value: str, key: str
) -> None:
    d = copy(base, tmp_path)
    df = pd.read_csv(d / file, dtype=str, keep_default_na=False)
    row = int(df.index[df["tau"] == "0"][0]) if "tau" in df else 0
    edit_csv(d / file, row, col, value)
    cmp = compare_dirs(d, base)
    assert not cmp.same
    assert any(c.where == file and c.key.endswith(key) for c in cmp.changes), keys(cmp)


def test_doctored_texts_are_reported(base: Path, tmp_path: Path) -> None:
    d = copy(base, tmp_path)
    s = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    s["reading"][0] = s["reading"][0].replace("CAAR", "mean CAR")
    (d / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    md = (d / "report.md").read_text(encoding="utf-8")
    (d / "report.md").write_text(md.replace("## Configuration", "## Setup"), encoding="utf-8")
    cmp = compare_dirs(d, base)
    found = keys(cmp)
    assert "summary.json:reading[0]" in found
    assert any(k.startswith("report.md:line") for k in found), found


def test_doctored_study_with_forged_manifest_is_caught_by_reproduce(
    base: Path, tmp_path: Path, capsys: Any
) -> None:
    d = copy(base, tmp_path)
    edit_csv(d / "abnormal_returns.csv", 3, "ar", "0.25")
    forge(d)
    assert verify_snapshot(d) == []
    assert main(["reproduce", str(d)]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "abnormal_returns.csv" in out


def test_numbers_in_texts_tolerate_rounding_only(base: Path, tmp_path: Path) -> None:
    from eventstudy.report.compare import _same_text

    assert _same_text("CAAR +5.25% (p = 0.002)", "CAAR +5.26% (p = 0.002)", 1e-9, 1e-12)
    assert not _same_text("CAAR +5.25%", "CAAR +5.28%", 1e-9, 1e-12)
    assert not _same_text("day 0 2024-05-13", "day 0 2024-05-14", 1e-9, 1e-12)
    assert not _same_text("E012 flagged", "E013 flagged", 1e-9, 1e-12)
    assert not _same_text("28 events", "29 events", 1e-9, 1e-12)


# ------------------------------------------------------------ numbers and tolerances


def _set(d: Path, value: str) -> None:
    edit_csv(d / "car.csv", 0, "car", value)


@pytest.mark.parametrize(
    ("new", "old", "same"),
    [
        ("inf", "-inf", False),
        ("inf", "inf", True),
        ("nan", "nan", True),
        ("nan", "", True),
        ("nan", "0.1", False),
        ("inf", "0.1", False),
    ],
)
def test_non_finite_numbers(base: Path, tmp_path: Path, new: str, old: str, same: bool) -> None:
    a, b = copy(base, tmp_path, "a"), copy(base, tmp_path, "b")
    _set(a, new)
    _set(b, old)
    cmp = compare_dirs(a, b)
    assert cmp.same is same


def test_json_report_encodes_infinities(base: Path, tmp_path: Path, capsys: Any) -> None:
    a, b = copy(base, tmp_path, "a"), copy(base, tmp_path, "b")
    _set(a, "inf")
    _set(b, "-inf")
    edit_csv(a / "car.csv", 1, "car", "nan")
    js = tmp_path / "r.json"
    assert main(["compare", str(a), str(b), "--json", str(js)]) == 1
    assert "internal error" not in capsys.readouterr().err

    def strict(token: str) -> Any:
        raise AssertionError(f"non-standard JSON token {token}")

    d = json.loads(js.read_text(encoding="utf-8"), parse_constant=strict)
    rows = [c for c in d["changes"] if c["where"] == "car.csv" and c["key"].endswith(".car")]
    assert {(c["base"], c["new"]) for c in rows} >= {("-inf", "inf")}
    assert any(c["new"] == "nan" for c in rows)
    assert all(c["change"] is None for c in rows)


@pytest.mark.parametrize("bad", ["nan", "-1", "inf", "-inf"])
@pytest.mark.parametrize("which", ["--rtol", "--atol"])
def test_invalid_tolerance_is_an_error(base: Path, bad: str, which: str, capsys: Any) -> None:
    assert main(["compare", str(base), str(base), f"{which}={bad}"]) == 2
    assert main(["reproduce", str(base), f"{which}={bad}"]) == 2
    err = capsys.readouterr().err
    assert f"{which[2:]} must be a finite number >= 0" in err
    with pytest.raises(EventStudyError, match="must be a finite number >= 0"):
        compare_dirs(base, base, rtol=float(bad))


def test_duplicate_rows_do_not_let_the_last_one_win(base: Path, tmp_path: Path) -> None:
    d = copy(base, tmp_path)
    car = pd.read_csv(d / "car.csv", dtype=str, keep_default_na=False)
    dup = car.iloc[[0]].copy()
    dup["car"] = "0.123"
    pd.concat([car, dup]).to_csv(d / "car.csv", index=False)
    ev = pd.read_csv(d / "events.csv", dtype=str, keep_default_na=False)
    pd.concat([ev, ev.iloc[[2]]]).to_csv(d / "events.csv", index=False)
    cmp = compare_dirs(d, base)
    found = keys(cmp)
    eid0, w0 = car.loc[0, "event_id"], car.loc[0, "window"]
    assert f"car.csv:{eid0}.window={w0}#2.car" in found
    assert f"events.csv:{ev.loc[2, 'event_id']}#2 gained" in found


# ------------------------------------------------------------ a directory vouches for itself


@pytest.mark.parametrize("name", ["/etc/passwd", "../outside.csv", "data/../../x", "C:/x.csv"])
def test_manifest_naming_files_outside_is_an_error(
    base: Path, tmp_path: Path, name: str, capsys: Any
) -> None:
    d = copy(base, tmp_path)
    m = manifest(d)
    m["files"][name] = "0" * 64
    m["manifest_sha256"] = manifest_digest(m)
    (d / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    for cmd in (["reproduce", str(d)], ["compare", str(d), str(base)]):
        assert main(cmd) == 2
        err = capsys.readouterr().err
        assert "which is not a file inside" in err and "vouches only for the files inside it" in err


def test_listed_file_that_is_a_link_out_is_not_vouched_for(
    base: Path, tmp_path: Path, capsys: Any
) -> None:
    d = copy(base, tmp_path)
    outside = tmp_path / "car-outside.csv"
    shutil.move(d / "car.csv", outside)
    (d / "car.csv").symlink_to(outside)  # same bytes, same SHA-256, but outside
    assert main(["reproduce", str(d)]) == 1
    assert "car.csv: a symbolic link" in capsys.readouterr().out
    with pytest.raises(
        OutputError, match=r"car\.csv, listed in manifest\.json, is a symbolic link"
    ):
        compare_dirs(d, base)


# ------------------------------------------------------------ malformed files: exit 2


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "is not readable JSON"),
        ("[1, 2]", "holds a list, not a JSON object"),
        ('{"files": []}', "lists no files"),
        ('{"files": {"summary.json": 5}}', "is not a 64-digit hex string"),
    ],
)
def test_malformed_manifest_is_a_clear_error(
    base: Path, tmp_path: Path, content: str, said: str, capsys: Any
) -> None:
    d = copy(base, tmp_path)
    (d / "manifest.json").write_text(content, encoding="utf-8")
    for cmd in (
        ["reproduce", str(d)],
        ["compare", str(d), str(base)],
        ["compare", str(base), str(d)],
    ):
        assert main(cmd) == 2
        err = capsys.readouterr().err
        assert said in err and "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("summary", "said"),
    [
        ("{oops", "is not readable JSON"),
        ("[]", "holds a list, not a JSON object"),
        ('{"config": 3}', "'config' is missing or not an object"),
        ('{"config": {}}', "config.tests is missing"),
    ],
)
def test_malformed_summary_is_a_clear_error(
    base: Path, tmp_path: Path, summary: str, said: str, capsys: Any
) -> None:
    d = copy(base, tmp_path)
    (d / "summary.json").write_text(summary, encoding="utf-8")
    forge(d)
    assert main(["reproduce", str(d)]) == 2
    err = capsys.readouterr().err
    assert said in err and "internal error" not in err


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("market", 5, "config.market must be a ticker, got 5"),
        ("estimation_window", [-250], r"config.estimation_window must be \[start, end\]"),
        ("car_windows", "0,1", "config.car_windows must be a list of"),
        ("min_estimation_days", "120", "config.min_estimation_days must be an integer"),
        ("leakage", {"seed": "x"}, "config.leakage.seed must be an integer"),
    ],
)
def test_wrong_config_types_are_clear_errors(
    base: Path, tmp_path: Path, key: str, value: Any, said: str
) -> None:
    d = copy(base, tmp_path)
    s = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    s["config"][key] = value
    (d / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    forge(d)
    with pytest.raises(OutputError, match=said):
        reproduce(d)


def test_snapshot_parquet_with_foreign_column_types_is_not_loaded(
    base: Path, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = copy(base, tmp_path)
    p = d / "data" / "returns.parquet"
    t = pq.read_table(p)
    t = t.append_column("blob", pa.array([{"a": 1}] * t.num_rows))
    pq.write_table(t, p)
    forge(d)
    with pytest.raises(DataError, match=r"blob \(struct<a: int64>\).*the file is not read"):
        reproduce(d)


def test_compare_of_missing_or_foreign_dirs_exits_2(base: Path, tmp_path: Path) -> None:
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "summary.json").write_text("{}", encoding="utf-8")
    assert main(["compare", str(tmp_path / "nope"), str(base)]) == 2
    assert main(["compare", str(tmp_path / "foreign"), str(base)]) == 2
    assert main(["compare", str(base), str(base), "--max-rows", "-1"]) == 2
    assert main(["compare", str(base), str(base), "--json", str(tmp_path)]) == 2


def test_reading_values_round_trip(base: Path) -> None:
    """Sanity: the loaded values include the reading and every CSV of the study."""
    from eventstudy.report.compare import load_numbers

    vals = load_numbers(base)
    files = {f for f, _ in vals}
    assert files == {
        "summary.json",
        "events.csv",
        "car.csv",
        "abnormal_returns.csv",
        "leakage.csv",
        "report.md",
    }
    assert any(k.startswith("reading[") for f, k in vals if f == "summary.json")
    assert any(k.endswith(".var_car") for f, k in vals if f == "car.csv")
    assert not any(isinstance(v, float) and math.isinf(v) for v in vals.values())


def test_data_source_differences_are_listed_not_counted_except_by_reproduce(
    base: Path, tmp_path: Path
) -> None:
    d = copy(base, tmp_path)
    s = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    s["data_source"]["provenance"]["path"] = "/elsewhere/returns.csv"
    (d / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    cmp = compare_dirs(d, base)
    assert cmp.same and "1 data-source difference(s) listed, not counted" in cmp.verdict()
    assert [t for t, _ in cmp.sections()] == ["Data source (not counted)"]
    assert not compare_dirs(d, base, provenance_counts=True).same
    forge(d)
    rep = reproduce(d)
    assert not rep.ok and rep.comparison is not None
    assert "summary.json:data_source.provenance.path" in keys(rep.comparison)
