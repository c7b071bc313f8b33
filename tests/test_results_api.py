"""Results in a notebook (issue 13, findings 4, 6 and 13): alpha= as statsmodels means it,
a short repr and an HTML repr, window labels wherever windows are taken, the CAAR's
window column, LaTeX export, and the summary and snapshot built once per results."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import make_events, make_panel
from scipy import stats

import eventstudy as es
from eventstudy.exceptions import EventStudyError, EventStudyWarning


@pytest.fixture(scope="module")
def res():
    returns, tickers = make_panel(n_firms=10, n_days=420, seed=3)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 14, seed=5)
    ev["firm"] = [f"公司{i}" for i in range(len(ev))]
    ev["kind"] = ["entry" if i % 3 else "exit" for i in range(len(ev))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return es.EventStudy(
            ev, returns, event_window=(-5, 5), car_windows=[(-5, -1), (0, 0), (0, 1)]
        ).fit()


# ---------------------------------------------------------------- alpha (finding 4)


def _expected_ci(res, alpha, start, end):
    c = res.car
    x = c[(c["start"] == start) & (c["end"] == end) & (c["window"] != "limit")]["car"].dropna()
    n = len(x)
    half = stats.t.ppf(1 - alpha / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return x.mean() - half, x.mean() + half


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.10])
def test_conf_int_alpha_is_the_significance_level(res, alpha):
    ci = res.conf_int(alpha=alpha).set_index(["start", "end"])
    lo, hi = _expected_ci(res, alpha, 0, 1)
    assert ci.loc[(0, 1), "lower"] == pytest.approx(lo, rel=1e-12)
    assert ci.loc[(0, 1), "upper"] == pytest.approx(hi, rel=1e-12)
    # smaller alpha, wider interval
    if alpha < 0.1:
        wider = res.conf_int(alpha=alpha).set_index(["start", "end"])
        narrower = res.conf_int(alpha=0.1).set_index(["start", "end"])
        assert (wider["upper"] - wider["lower"] > narrower["upper"] - narrower["lower"]).all()


def test_conf_int_positional_confidence_level_is_read_with_a_warning(res):
    with pytest.warns(EventStudyWarning, match=r"read as a 95% confidence level.*alpha=0.05"):
        old = res.conf_int(0.95)
    pd.testing.assert_frame_equal(old, res.conf_int(alpha=0.05), rtol=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.summary(level=0.05),
        lambda r: r.summary(level=0.95),
        lambda r: r.conf_int(level=0.95),
        lambda r: r.agreement(level=0.05),
        lambda r: r.plot_caar(level=0.95),
    ],
)
def test_level_keyword_is_an_error_that_names_alpha(res, call):
    with pytest.raises(EventStudyError, match=r"level= was removed.*give alpha="):
        call(res)


@pytest.mark.parametrize("bad", [0.95, 0.5, 0.0, 1.0, -0.1, 2, float("nan"), "0.05", True, None])
def test_summary_alpha_is_validated(res, bad):
    with pytest.raises(EventStudyError, match="alpha"):
        res.summary(alpha=bad)


def test_summary_at_95_percent_cannot_claim_rejection_at_95(res):
    # the old summary(level=0.95) printed "all 14 tests reject at 95%"
    with pytest.raises(EventStudyError, match=r"confidence level give alpha=0.05"):
        res.summary(alpha=0.95)
    text = res.summary(alpha=0.05).as_text()
    assert "at 95%" not in text


def test_agreement_and_plots_take_alpha(res):
    loose = res.agreement(alpha=0.2)
    strict = res.agreement(alpha=0.01)
    assert (loose["rejecting"] >= strict["rejecting"]).all()
    with pytest.raises(EventStudyError, match="alpha"):
        res.agreement(alpha=1.5)
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    res.plot_caar(ax=ax, alpha=0.1)
    assert any("90% confidence band" in t.get_text() for t in ax.get_legend().get_texts())
    with pytest.raises(EventStudyError, match="alpha"):
        res.plot_caar(ax=Figure().add_subplot(), alpha=0.95)


def test_group_plots_and_notes_take_alpha(res):
    from matplotlib.figure import Figure

    g = res.by("kind")
    ax = Figure().add_subplot()
    g.plot(ax=ax, alpha=0.1)
    assert "90% bands" in ax.get_title()
    with pytest.raises(EventStudyError, match="level= was removed"):
        g.plot(ax=Figure().add_subplot(), level=0.95)
    with pytest.raises(EventStudyError, match="alpha"):
        g.notes(alpha=0.9)
    assert g.notes("[0,+1]") == g.notes((0, 1))


# ---------------------------------------------------------------- notebook (finding 6)


def test_repr_is_short_and_names_the_headline(res):
    text = repr(res)
    assert len(text) < 300 and "\n" not in text
    assert "14 events in" in text and f"{res.n_included} included" in text
    caar = res.caar.set_index("window").loc["[0,+1]", "caar"]
    assert f"CAAR[0,+1] = {caar:+.2%}" in text
    assert "market" in text


def test_repr_html_holds_the_headline_table(res):
    page = res._repr_html_()
    assert page.count("<table") == 1 and len(page) < 20_000
    assert "[0,+1]" in page and "95% CI" in page and "p(csect_t)" in page


@pytest.mark.parametrize("label", ["[0,+1]", "0,1", "[0,1]", (0, 1), es.Window(0, 1)])
def test_window_labels_are_accepted(res, label):
    t = res.test("bmp", window=label)
    assert t == res.test("bmp", window=(0, 1))
    ci = res.conf_int(window=label)
    assert len(ci) == 1 and ci["window"].iloc[0] == "[0,+1]"


def test_unknown_window_or_test_names_the_choices(res):
    with pytest.raises(KeyError, match=r"CAR windows: \['\[-5,-1\]', '\[0,0\]', '\[0,\+1\]'\]"):
        res.test("bmp", window="[0,+3]")
    with pytest.raises(EventStudyError, match="A,B"):
        res.test("bmp", window="zero to one")
    with pytest.raises(KeyError, match="not a CAR window"):
        res.conf_int(window="[0,+3]")


def test_cross_section_takes_a_label(res):
    a = res.cross_section("car ~ beta", window="[0,+1]")
    b = res.cross_section("car ~ beta", window=(0, 1))
    np.testing.assert_allclose(a.params, b.params, rtol=0, atol=0)


def test_caar_has_the_window_label_like_car(res):
    caar = res.caar
    assert list(caar.columns[:3]) == ["window", "start", "end"]
    assert caar["window"].tolist() == ["[-5,-1]", "[0,0]", "[0,+1]"]
    assert set(caar["window"]) <= set(res.car["window"])


def test_as_latex_is_booktabs_escaped_and_floors_p_values(res):
    tex = res.summary().as_latex()
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") >= 3
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    # underscores of test names are escaped; no raw special character outside commands
    assert r"csect\_t" in tex and "csect_t" not in tex.replace(r"csect\_t", "")
    for line in tex.splitlines():
        if line.startswith("%"):
            continue
        assert not re.search(r"(?<!\\)[_%#]", line), line  # escaped everywhere
        assert not re.search(r"(?<!\\)&", line.replace(" & ", "")), line  # only as separators
    assert "$<$0.0001" in tex or "<0.0001" not in res.summary().as_text()


def test_latex_escape_and_cjk():
    from eventstudy.report.latex import latex_escape, latex_table

    assert latex_escape("a_b & 50% $x# {y} ~^\\") == (
        r"a\_b \& 50\% \$x\# \{y\} \textasciitilde{}\textasciicircum{}\textbackslash{}"
    )
    t = latex_table(pd.DataFrame({"firm": ["鸿博股份"], "pvalue": [3e-6], "x": [0.5]}), "T_1")
    assert "鸿博股份" in t and r"$<$0.0001" in t and r"\caption{T\_1}" in t
    assert r"\begin{tabular}{lrr}" in t


# ---------------------------------------------------------------- structure (finding 13)


def test_summary_and_snapshot_are_built_once(res, monkeypatch):
    import eventstudy.report.summary as summary_mod
    import eventstudy.results as results_mod

    returns, tickers = make_panel(n_firms=6, n_days=420, seed=4)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    fresh = es.EventStudy(make_events(tickers, dates, 6, seed=2), returns).fit()
    calls = {"summary": 0, "snapshot": 0}
    real_summary, real_snapshot = summary_mod.build_summary, results_mod.build_snapshot

    def count_summary(*a, **k):
        calls["summary"] += 1
        return real_summary(*a, **k)

    def count_snapshot(*a, **k):
        calls["snapshot"] += 1
        return real_snapshot(*a, **k)

    monkeypatch.setattr(summary_mod, "build_summary", count_summary)
    monkeypatch.setattr(results_mod, "build_snapshot", count_snapshot)
    first = fresh.summary()
    assert fresh.summary() is first and str(fresh.summary()) == str(first)
    fresh.to_dict()
    repr(fresh)
    fresh._repr_html_()
    assert calls == {"summary": 1, "snapshot": 1}
    fresh.summary(alpha=0.1)
    assert calls == {"summary": 2, "snapshot": 2}


def test_write_outputs_builds_the_summary_once(res, tmp_path, monkeypatch):
    import eventstudy.report.summary as summary_mod

    returns, tickers = make_panel(n_firms=6, n_days=420, seed=4)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 6, seed=2)
    fresh = es.EventStudy(ev, returns).fit()
    n = {"k": 0}
    real = summary_mod.build_summary

    def count(*a, **k):
        n["k"] += 1
        return real(*a, **k)

    monkeypatch.setattr(summary_mod, "build_summary", count)
    es.write_outputs(fresh, tmp_path / "o", panel=None, calendar=ev, parameters={}, latex=True)
    fresh.summary()
    assert n["k"] == 1


def test_replace_starts_a_new_cache(res):
    from dataclasses import replace

    first = res.summary()
    other = replace(res, notes=("changed",))
    assert other.summary() is not first
    assert other._cache is not res._cache


def test_no_import_cycle_between_results_study_and_report():
    """report/ never imports results, study or questions at module level (nor lazily)."""
    import ast
    from pathlib import Path

    root = Path(es.__file__).parent
    forbidden = {"eventstudy.results", "eventstudy.study", "eventstudy.questions"}
    for path in sorted((root / "report").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in forbidden:
                # only as a type annotation: inside `if TYPE_CHECKING:`
                assert _in_type_checking(tree, node), f"{path.name} imports {node.module}"
    # the data layer does not import the report at module level
    for name in ("results.py", "results_build.py", "snapshot.py", "study.py", "questions.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("eventstudy.report"), (name, node.module)


def _in_type_checking(tree, target) -> bool:
    import ast

    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
        ):
            if any(target is sub for sub in ast.walk(node)):
                return True
    return False


def test_plot_car_distribution_takes_a_label(res):
    from matplotlib.figure import Figure

    ax = es.plot_car_distribution(res, "[0,+1]", ax=Figure().add_subplot())
    assert ax.get_xlabel() == "CAR[0,+1] (%)"


def test_report_modules_import_without_the_results():
    import subprocess
    import sys

    code = (
        "import sys, eventstudy.report.render, eventstudy.report.files, "
        "eventstudy.report.summary, eventstudy.report.compare\n"
        "bad = [m for m in ('eventstudy.results', 'eventstudy.study') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
