"""Review of issue 9 on the questions' outputs: what the study writes is read back
exactly, and text drawn in figures cannot be garbled by its content."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from helpers import make_events, make_panel

import eventstudy.report.fonts as fonts
from eventstudy import EventStudy
from eventstudy.questions_io import reproduce_kwargs
from eventstudy.report.files import write_csv
from eventstudy.report.questions import plot_bhar, plot_groups


def test_characteristics_snapshot_is_read_back_exactly(tmp_path):
    # the output writer escapes cells a spreadsheet would run ("=E1" -> "'=E1");
    # reproduce must join the characteristics on the original ids and values
    chars = pd.DataFrame(
        {
            "event_id": ["=E1", "E2", "'E3", "@E4"],
            "kind": ["-a", "+b", "c", "=1+1"],
            "size": ["-0.5", "1.25", "2", "3"],
        }
    )
    write_csv(chars, tmp_path / "characteristics.csv")
    assert pd.read_csv(tmp_path / "characteristics.csv", dtype=str)["event_id"][0] == "'=E1"
    kw = reproduce_kwargs({"characteristics": {"columns": list(chars), "rows": 4}}, tmp_path)
    back = kw["characteristics"]
    pd.testing.assert_frame_equal(back.reset_index(drop=True), chars)


@pytest.fixture(scope="module")
def grouped():
    returns, tickers = make_panel(n_firms=10, n_days=400, seed=2)
    dates = pd.DatetimeIndex(sorted(returns["date"].unique()))
    ev = make_events(tickers, dates, 12, seed=4, lo=200, hi=330)
    ev = ev.drop_duplicates(["ticker", "date"]).reset_index(drop=True)
    ev["kind"] = ["跨界", "cloud\u202e"] * (len(ev) // 2) + ["跨界"] * (len(ev) % 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EventStudy(
            ev,
            returns,
            estimation_window=(-120, -11),
            event_window=(-5, 5),
            car_windows=[(0, 1)],
            min_estimation_days=60,
            leakage=False,
            calendar_time=False,
            tests=["csect_t"],
            groups="kind",
            bhar_windows=[(0, 5)],
            bhar_options={"reps": 99},
        ).fit()


def _labels(ax):
    return ax.get_legend_handles_labels()[1]


def test_figure_labels_escape_control_characters(grouped):
    ax = plot_groups(grouped.groups)
    labels = _labels(ax)
    plt.close(ax.figure)
    assert not any("\u202e" in lab for lab in labels)
    assert any(lab.startswith("cloud\\u202e (N = ") for lab in labels)


def test_figure_labels_without_a_cjk_font_name_the_group_by_position(grouped, monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    ax = plot_groups(grouped.groups)
    labels = _labels(ax)
    plt.close(ax.figure)
    order = list(grouped.groups.order)
    k = order.index("跨界")
    assert labels[k].startswith(f"group {k + 1} (N = ")
    assert not any("跨界" in lab for lab in labels)
    ax = plot_bhar(grouped)
    labels = _labels(ax)
    plt.close(ax.figure)
    assert labels[k].startswith(f"group {k + 1} (N = ")
