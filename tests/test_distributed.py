"""Specification studies on a dask.distributed cluster give exactly the local numbers.

A two-worker ``LocalCluster`` (worker processes, so the blocks and the
simulated market really travel by pickle) runs the same study as the local
loop; every trial's p-values, CAAR and the rejection table must be equal,
bit for bit.  Skipped with a reason when dask.distributed is not installed
(``pip install 'ashare-eventstudy[distributed]'``).
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from eventstudy.exceptions import EventStudyError
from eventstudy.specification import specification_study

distributed = pytest.importorskip(
    "distributed", reason="dask.distributed not installed (extra [distributed])"
)

ARGS = dict(
    trials=24,
    events=15,
    seed=5,
    limits=True,
    bootstrap_reps=49,
    block=7,
    n_firms=100,
    n_sectors=4,
    start="2021-06-01",
    end="2024-06-28",
)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def test_two_workers_give_exactly_the_local_pvalues(client):
    local = specification_study(**ARGS)
    with distributed.get_task_stream(client) as stream:
        remote = specification_study(**ARGS, client=client)
    pd.testing.assert_frame_equal(remote.pvalues, local.pvalues, check_exact=True)
    pd.testing.assert_frame_equal(remote.rates, local.rates, check_exact=True)
    assert remote.params == local.params
    assert remote.events_used == local.events_used
    # four blocks of at most 7 trials, spread over both workers
    ran = [t["worker"] for t in stream.data if "_run_block" in str(t["key"])]
    assert len(ran) == 4 and len(set(ran)) == 2


def test_clustered_power_study_and_block_size(client):
    args = dict(ARGS, cluster=True, effect=0.02, limits=False, tests=["csect_t", "bmp_kp"])
    local = specification_study(**args)
    remote = specification_study(**dict(args, block=5), client=client)
    # another block size: the same trials (each draws from its own generator)
    pd.testing.assert_frame_equal(remote.pvalues, local.pvalues, rtol=1e-12, atol=0)


def test_not_a_client():
    with pytest.raises(EventStudyError, match="dask.distributed.Client"):
        specification_study(**ARGS, client="tcp://127.0.0.1:8786")


def test_importing_eventstudy_does_not_import_dask():
    code = (
        "import sys, eventstudy, eventstudy.specification, eventstudy.cli; "
        "print(any(m == 'dask' or m.startswith(('dask.', 'distributed')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_scheduler_gives_the_local_table(client, tmp_path, capsys):
    """``eventstudy simulate --scheduler ADDRESS`` (here the address of the test's
    two-worker cluster) writes the same files as the local run."""
    from eventstudy.cli import main

    common = ["simulate", "--trials", "6", "--events", "12", "--n-firms", "100", "--seed", "2"]
    common += ["--bootstrap-reps", "29", "--tests", "csect_t,rank,bootstrap"]
    assert main([*common, "--out", str(tmp_path / "local")]) == 0
    address = client.scheduler.address
    assert main([*common, "--scheduler", address, "--out", str(tmp_path / "dask")]) == 0
    assert f"running the trials on dask: {address}" in capsys.readouterr().out
    for name in ("rejection_rates.csv", "pvalues.csv"):
        assert (tmp_path / "dask" / name).read_text() == (tmp_path / "local" / name).read_text()
    assert main([*common, "--workers", "0", "--out", str(tmp_path / "x")]) == 2
    assert "workers must be an integer >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # one or the other
        main([*common, "--workers", "2", "--scheduler", address, "--out", str(tmp_path / "y")])


def test_worker_environment_unsets_the_malloc_trim_threshold():
    import dask

    from eventstudy.distributed import worker_environment

    key = "distributed.nanny.pre-spawn-environ"
    with worker_environment():
        env = dask.config.get(key)
        assert env["MALLOC_TRIM_THRESHOLD_"] is None  # None: not set in new workers
        assert str(env["OPENBLAS_NUM_THREADS"]) == "1"
    assert dask.config.get(key)["MALLOC_TRIM_THRESHOLD_"] is not None  # restored
