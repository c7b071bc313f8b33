"""`eventstudy reproduce` and `eventstudy compare`, and byte-identical reruns."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.report.compare import compare_dirs, load_numbers


@pytest.fixture(scope="module")
def demo_a(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("a") / "A"
    assert main(["demo", "--out", str(out)]) == 0
    return out


def test_reproduce_exits_0_on_a_fresh_run(demo_a, capsys):
    assert main(["reproduce", str(demo_a)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[2].startswith("**SAME")


def test_changed_return_exits_1_naming_the_file(demo_a, tmp_path, capsys):
    a2 = tmp_path / "A2"
    shutil.copytree(demo_a, a2)
    p = a2 / "data" / "returns.parquet"
    r = pd.read_parquet(p)
    r.loc[r.index[500], "ret"] += 0.001
    r.to_parquet(p, index=False)
    assert main(["reproduce", str(a2)]) == 1
    out = capsys.readouterr().out
    assert "NOT REPRODUCED" in out and "data/returns.parquet" in out
    # a missing file is named too
    (a2 / "car.csv").unlink()
    assert main(["reproduce", str(a2)]) == 1
    assert "car.csv: missing" in capsys.readouterr().out


def test_edited_result_with_rewritten_manifest_is_caught_by_the_recomputation(
    demo_a, tmp_path, capsys
):
    """Someone edits a CAR and the manifest hash: the recomputed numbers disagree."""
    from eventstudy._hashing import sha256_file
    from eventstudy.report.outdir import manifest_digest

    a3 = tmp_path / "A3"
    shutil.copytree(demo_a, a3)
    car = pd.read_csv(a3 / "car.csv")
    car.loc[0, "car"] += 0.05
    car.to_csv(a3 / "car.csv", index=False)
    m = json.loads((a3 / "manifest.json").read_text(encoding="utf-8"))
    m["files"]["car.csv"] = sha256_file(a3 / "car.csv")
    (a3 / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    # the manifest's own checksum no longer matches
    assert main(["reproduce", str(a3)]) == 1
    assert "manifest.json: changed" in capsys.readouterr().out
    # a forger who also recomputes the checksum is caught by the recomputation
    m["manifest_sha256"] = manifest_digest(m)
    (a3 / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    assert main(["reproduce", str(a3)]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION" in out and f"{car.loc[0, 'event_id']}." in out


def test_compare_same_dir_exits_0_and_reports_nothing(demo_a, tmp_path, capsys):
    js = tmp_path / "c.json"
    assert main(["compare", str(demo_a), str(demo_a), "--json", str(js)]) == 0
    out = capsys.readouterr().out
    assert "SAME" in out and "| where |" not in out
    d = json.loads(js.read_text(encoding="utf-8"))
    assert d["verdict"] == "same" and d["changes"] == [] and d["compared"] > 1000


def test_compare_reports_moved_numbers_after_a_window_change(demo_a, tmp_path, capsys):
    b = tmp_path / "B"
    assert main(["demo", "--out", str(b), "--estimation-window=-200,-21"]) == 0
    capsys.readouterr()
    md = tmp_path / "r.md"
    js = tmp_path / "r.json"
    rc = main(["compare", str(b), str(demo_a), "--markdown", str(md), "--json", str(js)])
    assert rc == 1
    text = md.read_text(encoding="utf-8")
    assert text.splitlines()[2].startswith("**REGRESSION")
    assert "## CAAR, AAR and test statistics" in text and "## Per-event values and CARs" in text
    d = json.loads(js.read_text(encoding="utf-8"))
    nums = [c for c in d["changes"] if c["kind"] == "number" and c["change"] is not None]
    sizes = [c["change"] for c in nums]
    assert sizes == sorted(sizes, reverse=True)  # largest change first
    keys = {c["key"] for c in d["changes"]}
    assert any(k.startswith("caar[window=[0, 1]].caar") for k in keys)
    # a looser tolerance hides small moves, not the big ones
    loose = compare_dirs(b, demo_a, rtol=0.5, atol=0.5)
    assert 0 < len(loose.changes) < len(d["changes"])


def test_compare_errors_exit_2(demo_a, tmp_path):
    assert main(["compare", str(tmp_path / "nope"), str(demo_a)]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["compare", str(tmp_path / "empty"), str(demo_a)]) == 2
    assert main(["reproduce", str(tmp_path / "empty")]) == 2
    assert main(["compare", str(demo_a), str(demo_a), "--rtol", "-1"]) == 2


def test_events_gained_and_status_changes_come_first(demo_a, tmp_path):
    b = tmp_path / "B2"
    shutil.copytree(demo_a, b)
    ev = pd.read_csv(b / "events.csv", dtype=str, keep_default_na=False)
    ev.loc[0, "status"] = "excluded"
    ev.loc[0, "reason"] = "too few estimation days (10 < 120)"
    ev = ev.drop(index=1)
    ev.to_csv(b / "events.csv", index=False)
    cmp = compare_dirs(b, demo_a)
    first = cmp.changes[:2]
    assert {c.kind for c in first} == {"event"}
    assert any("lost" in c.key for c in first) and any("status" in c.key for c in first)


def test_two_demo_runs_are_byte_identical(demo_a, tmp_path):
    again = tmp_path / "A_again"
    assert main(["demo", "--out", str(again)]) == 0
    names = ["summary.json", "events.csv", "car.csv", "abnormal_returns.csv", "leakage.csv"]
    names += sorted(p.name for p in (demo_a / "figures").glob("*.png"))
    assert len(names) > 7
    for name in names:
        sub = "figures/" if name.endswith(".png") else ""
        a = (demo_a / f"{sub}{name}").read_bytes()
        b = (again / f"{sub}{name}").read_bytes()
        assert a == b, name
    assert len(load_numbers(again)) == len(load_numbers(demo_a))
