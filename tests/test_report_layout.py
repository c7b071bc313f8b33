"""The report's layout (issue 13, findings 1, 2, 3 and 13): title and question from the
user, the result first, each reading once, the ledger last and folded, p-values below
1e-4 as <0.0001, CJK-ready CSS, and reproduce rendering only what it compares."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from helpers import make_events, make_panel

import eventstudy as es
from eventstudy.cli import build_parser, main
from eventstudy.flagship import FLAGSHIP_QUESTION, FLAGSHIP_TITLE
from eventstudy.report.outdir import MANIFEST, MANIFEST_DIGEST, manifest_digest

FIRMS = ["鸿博股份", "莲花健康(现莲花控股)", "中贝通信", "日科化学", "电光科技", "Acme"]


def _inputs(tmp_path):
    returns, tickers = make_panel(n_firms=8, n_days=420, seed=11)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 12, seed=3)
    ev["firm"] = [FIRMS[i % len(FIRMS)] for i in range(len(ev))]
    ev["kind"] = ["entry" if i % 3 else "exit" for i in range(len(ev))]
    ev.loc[len(ev)] = {"event_id": "E999", "ticker": "999999.SZ", "date": dates[300],
                       "firm": "无数据", "kind": "entry"}  # fmt: skip
    cal = tmp_path / "my_events.csv"
    ev.assign(date=pd.to_datetime(ev["date"]).dt.strftime("%Y-%m-%d")).to_csv(cal, index=False)
    ret = tmp_path / "returns.csv"
    returns.assign(date=returns["date"].dt.strftime("%Y-%m-%d")).to_csv(ret, index=False)
    return cal, ret


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A user's own study through the command line, with its own title and question."""
    tmp = tmp_path_factory.mktemp("own")
    cal, ret = _inputs(tmp)
    out = tmp / "out"
    args = ["run", "--calendar", str(cal), "--returns", str(ret), "--out", str(out)]
    args += ["--group-by", "kind", "--headline", "entry", "--no-leakage"]
    args += ["--title", "Buybacks 2021: my study", "--question", "Did buybacks move prices?"]
    assert main([*args, "--latex"]) == 0
    plain = tmp / "plain"
    base = ["run", "--calendar", str(cal), "--returns", str(ret), "--no-leakage"]
    assert main([*base, "--out", str(plain)]) == 0
    return out, plain


def _h2(md: str) -> list[str]:
    return re.findall(r"^## (.+)$", md, flags=re.MULTILINE)


# ---------------------------------------------------------------- finding 1


def test_own_title_and_question_and_no_flagship_wording(own):
    out, plain = own
    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert md.startswith("# Buybacks 2021: my study\n")
    assert "Did buybacks move prices?" in md and "Did buybacks move prices?" in html
    assert "<title>Buybacks 2021: my study</title>" in html
    man = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert man["title"] == "Buybacks 2021: my study"
    assert man["question"] == "Did buybacks move prices?"
    # a user's own calendar without --title: neutral title, no question, nothing of the flagship
    pmd = (plain / "report.md").read_text(encoding="utf-8")
    assert pmd.startswith("# Event study report\n")
    for text in (md, pmd, (plain / "report.html").read_text(encoding="utf-8")):
        assert "compute leasing" not in text.lower() and "算力租赁" not in text
    assert json.loads((plain / MANIFEST).read_text(encoding="utf-8"))["question"] is None


def test_flagship_wording_belongs_to_the_bundled_calendar():
    from eventstudy.cli import _report_text

    p = build_parser()
    flag = _report_text(p.parse_args(["run"]), flagship=True, simulated=False)
    assert flag == {"title": FLAGSHIP_TITLE, "question": FLAGSHIP_QUESTION, "latex": False}
    demo = _report_text(p.parse_args(["demo"]), flagship=True, simulated=True)
    assert demo["title"] == FLAGSHIP_TITLE + " (SIMULATED market)"
    own = _report_text(
        p.parse_args(["run", "--calendar", "x.csv"]), flagship=False, simulated=False
    )
    assert own == {"title": "Event study report", "question": None, "latex": False}
    mine = p.parse_args(["demo", "--title", "T", "--question", "Q", "--latex"])
    assert _report_text(mine, flagship=True, simulated=True) == {
        "title": "T",
        "question": "Q",
        "latex": True,
    }


def test_write_outputs_takes_title_and_question(tmp_path):
    returns, tickers = make_panel(n_firms=5, n_days=420, seed=2)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 5)
    res = es.EventStudy(ev, returns).fit()
    out = es.write_outputs(res, tmp_path / "a", panel=None, calendar=ev, parameters={})
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# Event study report\n") and "算力" not in md
    out = es.write_outputs(
        res, tmp_path / "b", panel=None, calendar=ev, parameters={}, title="T", question="Why?"
    )
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# T\n\nWhy?\n")
    with pytest.raises(es.OutputError, match="title must be a non-empty text"):
        es.write_outputs(res, tmp_path / "c", panel=None, calendar=ev, parameters={}, title=" ")


# ---------------------------------------------------------------- finding 2


def test_headline_first_details_after_ledger_last(own):
    out, plain = own
    for folder, head in ((out, "Headline: kind == 'entry'"), (plain, "Headline: all 12")):
        md = (folder / "report.md").read_text(encoding="utf-8")
        h2 = _h2(md)
        assert h2[0].startswith(head), h2
        assert h2[1] == "Figures"
        assert h2[-1] == "Excluded events"
        assert h2.index("Configuration") > h2.index("Per-event results")
        # the headline table: CAAR with its interval, the main tests and N, before any figure
        top = md[: md.index("## Figures")]
        assert "| window | CAAR | 95% CI | t | p(csect_t) | p(bmp_kp) |" in top
        assert "| N |" in top.replace("N | reject", "N |")
        assert "![" not in top and "Exclusions ledger" not in top
        assert md.index("### Exclusions ledger (1 events)") > md.index("## Excluded events")


def test_ledger_is_folded_in_html_and_last(own):
    out, _ = own
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<details>") == 1
    fold = html[html.index("<details>") :]
    assert fold.startswith("<details><summary>Exclusions ledger (1 events)</summary>")
    assert "999999.SZ" in fold and "<h2>" not in fold
    assert "999999.SZ" not in html[: html.index("<details>")].split("<h2>Excluded events")[0]


def test_each_reading_once(own):
    out, _ = own
    md = (out / "report.md").read_text(encoding="utf-8")
    items = [ln for ln in md.splitlines() if ln.startswith("- ")]
    assert items and len(items) == len(set(items)), "a statement is repeated"
    # windows with the same reading share one sentence: no verdict text twice per prefix
    verdicts = [re.sub(r"CAR\[[^]]*\](, | and )?", "", ln) for ln in items]
    assert len(verdicts) == len(set(verdicts))
    res_text = (out / "summary.json").read_text(encoding="utf-8")
    reading = json.loads(res_text)["reading"]
    # summary.json keeps one sentence per window (machine-readable, unchanged in form)
    assert sum("CAR[0,+1]" in r for r in reading) >= 2


def test_grouped_readings_join_windows_with_the_same_verdict():
    from eventstudy.report.summary import grouped_readings

    rows = []
    for (a, b), p in {(0, 0): 0.001, (0, 1): 0.002, (0, 5): 0.4}.items():
        for test in ("csect_t", "sign"):
            rows.append({"scope": "window", "tau": pd.NA, "start": a, "end": b, "test": test,
                         "stat": 2.0, "nobs": 20, "pvalue": p})  # fmt: skip
    out = grouped_readings(pd.DataFrame(rows), 0.05)
    assert out == [
        "CAR[0,0] and CAR[0,+1]: all 2 tests reject a zero mean at 5%; the evidence holds "
        "across methods.",
        "CAR[0,+5]: none of the 2 tests rejects a zero mean at 5%.",
    ]


# ---------------------------------------------------------------- finding 3


def test_p_values_below_1e4_print_as_floor():
    from eventstudy.report.render import Block, render_html, render_markdown
    from eventstudy.report.textfmt import floor_p_text, fmt_p

    assert fmt_p(3e-6) == "<0.0001" and fmt_p(0.0001) == "0.0001" and fmt_p(0.04567) == "0.0457"
    assert fmt_p(float("nan")) == ""
    assert floor_p_text("welch_t p = 6.86e-06, rank p = 0.000261") == (
        "welch_t p < 0.0001, rank p = 0.000261"
    )
    t = pd.DataFrame({"test": ["a", "b"], "pvalue": [2e-7, 0.3], "stat": [1e-7, 2.0]})
    blocks = [Block("h1", "x"), Block("table", table=t), Block("item", "diff p = 1e-9")]
    md = render_markdown(blocks)
    assert "| a | <0.0001 | 0.0000 |" in md and "p < 0.0001" in md
    html = render_html(blocks, base=None)  # type: ignore[arg-type]
    assert "&lt;0.0001" in html and "0.3000" in html


def test_summary_text_floors_p_values(own):
    out, _ = own
    md = (out / "report.md").read_text(encoding="utf-8")
    assert not re.search(r"p = \d(\.\d+)?e-0[5-9]", md)
    assert not re.search(
        r"\| 0\.0000 \|", md.split("## AAR by event day")[0].split("## Figures")[0]
    )


def test_html_css_has_cjk_fallbacks_and_no_wrap_columns(own):
    out, _ = own
    html = (out / "report.html").read_text(encoding="utf-8")
    style = html[html.index("<style>") : html.index("</style>")]
    for font in ('"Noto Sans CJK SC"', '"PingFang SC"', '"Microsoft YaHei"', "sans-serif"):
        assert font in style
    assert "white-space:nowrap" in style and "overflow-x:auto" in style
    assert "<th class='nowrap'>firm</th>" in html and "<td class='nowrap'>鸿博股份</td>" in html
    assert re.search(r"<th class='nowrap'>day0</th>", html)
    assert "font-family:sans-serif" not in style


def test_figures_use_a_cjk_font_only_when_installed(monkeypatch):
    from eventstudy.report import fonts

    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    assert fonts.firm_text("鸿博股份") == "" and fonts.firm_text("Acme") == "Acme"
    assert fonts.text_font("E001 鸿博股份") == {}
    monkeypatch.setattr(fonts, "cjk_font", lambda: "Noto Sans CJK SC")
    assert fonts.firm_text("鸿博股份") == "鸿博股份"
    fam = fonts.text_font("E001 鸿博股份")["fontfamily"]
    assert fam[-1] == "Noto Sans CJK SC" and len(fam) == 2
    assert fonts.text_font("E001 600186.SS") == {}  # Latin text keeps the default font


def test_detected_cjk_font_is_a_known_one():
    from eventstudy.report.fonts import CJK_FONTS, cjk_font

    assert cjk_font() is None or cjk_font() in CJK_FONTS


# ---------------------------------------------------------------- finding 13 (report parts of 12)


def test_figures_drawn_once_and_reproduce_draws_none(own, monkeypatch):
    import eventstudy.report.files as files
    from eventstudy.reproduce import reproduce

    out, _ = own
    drawn: list[str] = []
    monkeypatch.setattr(files, "draw_figures", _counting(files.draw_figures, drawn))
    rep = reproduce(out)
    assert rep.ok, rep.report()
    assert drawn == [], "reproduce drew figures it does not compare"
    assert "summary.tex" in json.loads((out / MANIFEST).read_text())["files"]


def _counting(real, drawn):
    def draw(plan, folder):
        drawn.extend(spec.name for spec in plan)
        return real(plan, folder)

    return draw


def test_write_draws_each_figure_once(tmp_path, monkeypatch):
    import eventstudy.report.files as files

    drawn: list[str] = []
    monkeypatch.setattr(files, "draw_figures", _counting(files.draw_figures, drawn))
    returns, tickers = make_panel(n_firms=5, n_days=420, seed=2)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 5)
    res = es.EventStudy(ev, returns).fit()
    out = es.write_outputs(res, tmp_path / "o", panel=None, calendar=ev, parameters={})
    assert sorted(drawn) == sorted(set(drawn)) == ["caar", "car_distribution", "runup"]
    pngs = sorted(p.stem for p in (out / "figures").glob("*.png"))
    assert pngs == sorted(drawn)
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.count("](figures/") == len(drawn)


def test_reproduce_skips_report_md_of_an_earlier_layout(own, tmp_path):
    import shutil

    from eventstudy.reproduce import reproduce

    out, _ = own
    old = tmp_path / "old"
    shutil.copytree(out, old)
    man = json.loads((old / MANIFEST).read_text(encoding="utf-8"))
    del man["report_format"]
    man[MANIFEST_DIGEST] = manifest_digest({k: v for k, v in man.items() if k != MANIFEST_DIGEST})
    (old / MANIFEST).write_text(json.dumps(man, indent=2, ensure_ascii=False), encoding="utf-8")
    rep = reproduce(old)
    assert rep.ok, rep.report()
    assert rep.older_layout == ["report.md"]
    assert "earlier report layout" in rep.report()


def test_compare_reads_summary_tex_line_by_line(own, tmp_path):
    import shutil

    from eventstudy.report.compare import compare_dirs

    out, _ = own
    other = tmp_path / "other"
    shutil.copytree(out, other)
    tex = (other / "summary.tex").read_text(encoding="utf-8")
    (other / "summary.tex").write_text(tex.replace("kind", "KIND", 1), encoding="utf-8")
    cmp = compare_dirs(other, out)
    assert not cmp.same
    assert any(c.where == "summary.tex" for c in cmp.changes)
