"""Issue 13, finding 12: yfinance is an optional extra (``[yahoo]``).

Users who only read CSV files (or run the offline demo) do not install
yfinance and curl_cffi.  The Yahoo source without yfinance raises a clear
``MissingDependencyError`` (an ``EventStudyError`` and an ``ImportError``)
with the install command.  The missing import is simulated by putting None
in ``sys.modules['yfinance']``, which makes ``import yfinance`` raise.
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from eventstudy.cli import main
from eventstudy.data.yahoo import YahooSource, download_yahoo
from eventstudy.exceptions import EventStudyError, MissingDependencyError

ROOT = Path(__file__).resolve().parents[1]
INSTALL = re.escape("pip install 'ashare-eventstudy[yahoo]'")


@pytest.fixture
def no_yfinance(monkeypatch):
    monkeypatch.setitem(sys.modules, "yfinance", None)
    with pytest.raises(ImportError):
        import yfinance  # noqa: F401


def test_download_without_yfinance_names_the_install_command(no_yfinance, tmp_path):
    with pytest.raises(MissingDependencyError, match=rf"needs yfinance.*{INSTALL}") as info:
        download_yahoo(["600186.SS"], "2024-01-02", "2024-01-31", cache_dir=tmp_path)
    assert isinstance(info.value, EventStudyError) and isinstance(info.value, ImportError)
    assert isinstance(info.value.__cause__, ImportError)
    assert not any(tmp_path.iterdir())  # nothing written


def test_yahoo_source_without_yfinance(no_yfinance, tmp_path):
    src = YahooSource(cache_dir=tmp_path)
    with pytest.raises(MissingDependencyError, match=INSTALL):
        src.load(["600186.SS"], pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-31"))


def test_cli_yfinance_source_without_yfinance_exits_2_with_the_command(
    no_yfinance, tmp_path, capsys
):
    cal = tmp_path / "cal.csv"
    cal.write_text("ticker,date\n600186.SS,2024-05-06\n")
    code = main(
        ["run", "--calendar", str(cal), "--source", "yfinance", "--cache-dir", str(tmp_path / "c"),
         "--out", str(tmp_path / "o")]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert re.search(INSTALL, err) and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_the_package_does_not_require_yfinance():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = meta["project"]
    assert not any(d.startswith(("yfinance", "curl")) for d in project["dependencies"])
    extras = project["optional-dependencies"]
    assert any(d.startswith("yfinance") for d in extras["yahoo"])
    # the README's test command installs .[test]: it must bring yahoo for the yfinance tests
    assert "ashare-eventstudy[yahoo]" in extras["test"]
    installed = importlib.metadata.requires("ashare-eventstudy") or []
    assert not [r for r in installed if r.startswith("yfinance") and "extra ==" not in r]


def test_import_and_the_offline_demo_do_not_import_yfinance(tmp_path):
    # a fresh interpreter in which yfinance cannot be imported, as after `pip install .`
    code = (
        "import sys; sys.modules['yfinance'] = None\n"
        "import eventstudy, eventstudy.data, eventstudy.cli\n"
        "from eventstudy.cli import main\n"
        f"rc = main(['demo', '--out', {str(tmp_path / 'demo')!r}, '--seed', '3'])\n"
        "assert rc == 0, rc\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("ok")
    assert (tmp_path / "demo" / "summary.json").is_file()


def test_a_cached_range_is_read_without_yfinance(monkeypatch, tmp_path):
    from test_data_yahoo import FakeDownloader, market_data

    first = download_yahoo(
        ["600186.SS", "000300.SS"], "2024-05-06", "2024-05-10", cache_dir=tmp_path,
        downloader=FakeDownloader(market_data()), progress=False,
    )  # fmt: skip
    monkeypatch.setitem(sys.modules, "yfinance", None)
    again = download_yahoo(
        ["600186.SS", "000300.SS"], "2024-05-06", "2024-05-10", cache_dir=tmp_path, progress=False
    )
    pd.testing.assert_frame_equal(again.returns, first.returns)
