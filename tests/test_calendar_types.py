"""Event type, player type and board categories of calendar rows (calendar/types.py)."""

from __future__ import annotations

import io
import warnings
from importlib import resources

import pandas as pd
import pytest

from eventstudy.calendar import load_calendar
from eventstudy.calendar import schema as calendar_schema
from eventstudy.calendar.types import (
    BOARD_LABELS,
    BOARD_PHRASES,
    EVENT_TYPE_PHRASES,
    EVENT_TYPES,
    PLAYER_TYPE_PHRASES,
    PLAYER_TYPES,
    add_type_columns,
    board_labels,
    category_of,
)
from eventstudy.exceptions import CalendarError, CalendarWarning
from eventstudy.market import board_of


def bundled_raw() -> pd.DataFrame:
    text = (
        resources.files("eventstudy.calendar")
        .joinpath("data")
        .joinpath("compute_leasing.csv")
        .read_text(encoding="utf-8")
    )
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_calendar("compute-leasing")


def by_id(cal: pd.DataFrame, event_id: str) -> pd.Series:
    out = cal.set_index("event_id").loc[event_id]
    assert isinstance(out, pd.Series)
    return out


# --------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("entry", "entry"),
        ("entry (first formal ann. found)", "entry"),
        ("Entry", "entry"),
        ("  entry: second filing ", "entry"),
        ("follow-up (seed dates entry to 2023H2)", "follow-up"),
        ("Follow Up", "follow-up"),
        ("follow_up", "follow-up"),
        ("termination (warning)", "termination"),
        ("scale back", "scale-back"),
        ("entryway", None),  # a phrase must end at a non-alphanumeric character
        ("re-entry", None),  # and must lead
        ("merger", None),
        ("", None),
    ],
)
def test_event_type_leading_phrase(text: str, category: str | None) -> None:
    assert category_of(text, EVENT_TYPE_PHRASES) == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("cross-border entrant (dyes)", "cross-border entrant"),
        ("cross-border entrant", "cross-border entrant"),
        (
            "firm with IDC/network build capability (telecom network construction)",
            "firm with IDC build/operation capability",
        ),
        (
            "firm with IDC build capability (DC/video system integrator)",
            "firm with IDC build/operation capability",
        ),
        ("firm with IDC build/operation capability", "firm with IDC build/operation capability"),
        ("traditional IDC provider", "traditional IDC provider"),
        ("Cloud provider (public cloud)", "cloud provider"),
        ("unclear (IT services)", "unclear"),
        ("firm with idcs", None),
        ("state-owned enterprise", None),
    ],
)
def test_player_type_leading_phrase(text: str, category: str | None) -> None:
    assert category_of(text, PLAYER_TYPE_PHRASES) == category


def test_board_phrases_longest_wins() -> None:
    assert category_of("SZSE main", BOARD_PHRASES) == "main"
    assert category_of("SSE main board", BOARD_PHRASES) == "main"
    assert category_of("ChiNext", BOARD_PHRASES) == "ChiNext"
    assert category_of("STAR Market", BOARD_PHRASES) == "STAR"
    assert category_of("Beijing", BOARD_PHRASES) == "BSE"
    assert category_of("starboard", BOARD_PHRASES) is None
    assert set(BOARD_PHRASES.values()) <= set(BOARD_LABELS)


def test_every_category_is_reachable() -> None:
    assert set(EVENT_TYPE_PHRASES.values()) == set(EVENT_TYPES)
    assert set(PLAYER_TYPE_PHRASES.values()) == set(PLAYER_TYPES)


def test_board_labels_from_tickers() -> None:
    tickers = pd.Series(
        ["600186.SS", "000628.SZ", "300657.SZ", "688041.SS", "830799.BJ", "000300.SS", None, ""]
    )
    assert board_labels(tickers).tolist() == [
        "main",
        "main",
        "ChiNext",
        "STAR",
        "BSE",
        "other",
        "unknown",
        "unknown",
    ]


# --------------------------------------------------------------------------- bundled calendar


def test_every_bundled_value_maps() -> None:
    """A new calendar row whose text matches no phrase must fail here, not fall through."""
    raw = bundled_raw()
    for text in raw["event_type"].unique():
        assert category_of(text, EVENT_TYPE_PHRASES) in EVENT_TYPES, text
    for text in raw["player_type_assessed"].unique():
        if text:
            assert category_of(text, PLAYER_TYPE_PHRASES) in PLAYER_TYPES, text
    for text in raw["board"].unique():
        if text:
            assert category_of(text, BOARD_PHRASES) in BOARD_LABELS, text


def test_bundled_event_types(bundled: pd.DataFrame) -> None:
    raw = bundled_raw()
    assert list(bundled["event_type_raw"]) == list(raw["event_type"])
    assert bundled.columns.get_loc("event_type_raw") == bundled.columns.get_loc("event_type") + 1
    assert bundled["event_type"].value_counts().to_dict() == {
        "entry": 47,
        "follow-up": 10,
        "termination": 4,
        "scale-back": 1,
    }
    assert by_id(bundled, "E012")["event_type"] == "entry"  # entry (first formal ann. found)
    assert by_id(bundled, "E032")["event_type"] == "termination"  # termination (warning)
    assert by_id(bundled, "E039")["event_type"] == "follow-up"  # follow-up (seed dates ...)
    assert by_id(bundled, "E043")["event_type"] == "scale-back"
    assert by_id(bundled, "E044")["event_type"] == "termination"
    # every raw text starts with its category
    for cat, text in zip(bundled["event_type"], bundled["event_type_raw"], strict=True):
        assert text.lower().startswith(cat)


def test_bundled_player_types(bundled: pd.DataFrame) -> None:
    raw = bundled_raw()
    assert list(bundled["player_type_assessed"]) == list(raw["player_type_assessed"])
    loc = bundled.columns.get_loc("player_type")
    assert loc == bundled.columns.get_loc("player_type_assessed") + 1
    assert "player_type_raw" not in bundled.columns  # the assessed column is the raw text
    assert bundled["player_type"].value_counts().to_dict() == {
        "cross-border entrant": 42,
        "unclear": 10,
        "firm with IDC build/operation capability": 9,
        "traditional IDC provider": 1,
    }
    assert by_id(bundled, "E011")["player_type"] == "cross-border entrant"  # (dyes)
    assert by_id(bundled, "E004")["player_type"] == "firm with IDC build/operation capability"
    assert by_id(bundled, "E061")["player_type"] == "unclear"  # unclear (IT services)
    assert by_id(bundled, "E055")["player_type"] == "traditional IDC provider"
    assert by_id(bundled, "E024")["player_type_assessed"] == ""
    assert by_id(bundled, "E024")["player_type"] == "unclear"  # missing -> unclear


def test_bundled_board_agrees_with_ticker(bundled: pd.DataFrame) -> None:
    raw = bundled_raw()
    assert list(bundled["board_raw"]) == list(raw["board"])
    with_ticker = bundled["ticker"].notna()
    expected = {"sse_main": "main", "szse_main": "main", "chinext": "ChiNext", "star": "STAR"}
    derived = [expected[board_of(t)] for t in bundled.loc[with_ticker, "ticker"]]
    assert list(bundled.loc[with_ticker, "board"]) == derived
    mapped = [category_of(b, BOARD_PHRASES) for b in bundled.loc[with_ticker, "board_raw"]]
    assert mapped == derived
    assert by_id(bundled, "E024")["board"] == "unknown"
    assert bundled["board"].value_counts().to_dict() == {
        "main": 34,
        "ChiNext": 24,
        "STAR": 3,
        "unknown": 1,
    }


def test_bundled_reload_is_identity(bundled: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(load_calendar(bundled), bundled)


def _bundled_with(monkeypatch: pytest.MonkeyPatch, **changes: tuple[int, str]) -> None:
    raw = bundled_raw()
    for col, (i, value) in changes.items():
        raw.loc[i, col] = value
    monkeypatch.setattr(calendar_schema, "_read_source", lambda source: (raw, "compute-leasing"))


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("event_type", "merger", r"event_type value.*row 3 \(event_id E003\): 'merger'"),
        ("event_type", "", r"event_type value.*row 3 \(event_id E003\): ''"),
        ("player_type_assessed", "state-owned", r"player_type_assessed.*'state-owned'"),
        ("board", "Nasdaq", r"board value.*row 3 \(event_id E003\): 'Nasdaq'"),
        ("board", "SSE main", r"board contradicts the ticker: row 3 \(event_id E003\)"),
    ],
)
def test_unmapped_bundled_value_is_an_error(
    monkeypatch: pytest.MonkeyPatch, column: str, value: str, match: str
) -> None:
    _bundled_with(monkeypatch, **{column: (2, value)})
    with pytest.raises(CalendarError, match=match):
        load_calendar("compute-leasing")


def test_strict_flag_on_a_frame() -> None:
    cal = pd.DataFrame({"event_id": ["a"], "ticker": ["600186.SS"], "event_type": ["rumour"]})
    with pytest.raises(CalendarError, match="match no event_type category"):
        add_type_columns(cal, strict=True)
    assert add_type_columns(cal)["event_type"].tolist() == ["rumour"]  # lenient: left as is


# --------------------------------------------------------------------------- user calendars


def _user(**extra: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        {"ticker": ["600186.SS", "300657.SZ", "688041.SS"], "date": ["2023-01-05"] * 3, **extra}
    )


def test_user_calendar_without_type_columns_gets_only_a_board() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cal = load_calendar(_user())
    assert cal.columns[-1] == "board"
    assert cal["board"].tolist() == ["main", "ChiNext", "STAR"]
    for col in ("event_type", "event_type_raw", "player_type", "board_raw"):
        assert col not in cal.columns
    pd.testing.assert_frame_equal(load_calendar(cal), cal)


def test_user_event_types_of_their_own_are_kept() -> None:
    frame = _user(event_type=["entry", "merger", "Rumour"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cal = load_calendar(frame)
    assert cal["event_type"].tolist() == ["entry", "merger", "Rumour"]
    assert "event_type_raw" not in cal.columns
    pd.testing.assert_frame_equal(load_calendar(cal), cal)


def test_user_event_types_that_map_are_normalised() -> None:
    cal = load_calendar(_user(event_type=["Entry (board notice)", "termination", None]))
    assert cal["event_type"].tolist() == ["entry", "termination", ""]
    assert cal["event_type_raw"].tolist()[:2] == ["Entry (board notice)", "termination"]
    pd.testing.assert_frame_equal(load_calendar(cal), cal)


def test_user_clean_event_types_need_no_raw_column() -> None:
    cal = load_calendar(_user(event_type=["entry", "follow-up", "scale-back"]))
    assert cal["event_type"].tolist() == ["entry", "follow-up", "scale-back"]
    assert "event_type_raw" not in cal.columns


def test_user_player_type_column() -> None:
    cal = load_calendar(_user(player_type=["Cross-border entrant (dyes)", None, "cloud provider"]))
    assert cal["player_type"].tolist() == ["cross-border entrant", "unclear", "cloud provider"]
    assert cal["player_type_raw"].tolist()[0] == "Cross-border entrant (dyes)"
    pd.testing.assert_frame_equal(load_calendar(cal), cal)
    own = load_calendar(_user(player_type=["SOE", "private", "SOE"]))
    assert own["player_type"].tolist() == ["SOE", "private", "SOE"]
    assert "player_type_raw" not in own.columns


def test_user_player_type_assessed_and_own_player_type() -> None:
    cal = load_calendar(_user(player_type_assessed=["unclear (IT)", "cross-border entrant", ""]))
    assert cal["player_type"].tolist() == ["unclear", "cross-border entrant", "unclear"]
    both = load_calendar(
        _user(player_type_assessed=["unclear"] * 3, player_type=["SOE", "SOE", "private"])
    )
    assert both["player_type"].tolist() == ["SOE", "SOE", "private"]  # the user's column wins


def test_user_board_column() -> None:
    cal = load_calendar(_user(board=["SSE main", "ChiNext", "STAR Market"]))
    assert cal["board"].tolist() == ["main", "ChiNext", "STAR"]
    assert cal["board_raw"].tolist() == ["SSE main", "ChiNext", "STAR Market"]
    pd.testing.assert_frame_equal(load_calendar(cal), cal)
    own = load_calendar(_user(board=["A", "B", "A"]))
    assert own["board"].tolist() == ["A", "B", "A"]  # the user's own scheme


def test_user_board_contradicting_the_ticker_warns_and_the_ticker_wins() -> None:
    with pytest.warns(CalendarWarning, match=r"row 1 \(event_id R0001\): board 'ChiNext'"):
        cal = load_calendar(_user(board=["ChiNext", "ChiNext", "STAR"]))
    assert cal["board"].tolist() == ["main", "ChiNext", "STAR"]


def test_board_from_the_calendar_where_the_ticker_is_missing() -> None:
    cal = load_calendar(
        pd.DataFrame(
            {"ticker": ["", "600186.SS"], "date": ["2023-01-05"] * 2, "board": ["STAR", ""]}
        )
    )
    assert cal["board"].tolist() == ["STAR", "main"]


def test_input_frame_is_not_modified() -> None:
    frame = _user(event_type=["entry (x)", "termination", "entry"], board=["SSE main", "", ""])
    before = frame.copy()
    load_calendar(frame)
    pd.testing.assert_frame_equal(frame, before)
