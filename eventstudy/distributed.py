"""Seeded Monte Carlo blocks on a dask.distributed cluster (optional extra).

Specification studies (thousands of trials x several scenarios x every test)
outgrow one machine.  :func:`eventstudy.specification.specification_study`
splits its trials into blocks whose random numbers are keyed by the seed and
the trial number, so a block gives the same numbers wherever it runs.  This
module ships such blocks to a `dask.distributed
<https://distributed.dask.org>`_ cluster:

* the shared inputs (the simulated market) are sent once to every worker
  (``Client.scatter(..., broadcast=True)``);
* every block is one task (``Client.submit``), gathered back in order.

With the same seed and block size the result is exactly that of the local
run, whatever the number of workers.  The workers need ``eventstudy``
installed (the same version as the client).  dask is an optional dependency:
``pip install 'ashare-eventstudy[distributed]'``; importing :mod:`eventstudy`
never imports it.

Example::

    from dask.distributed import Client, LocalCluster
    from eventstudy.specification import specification_study

    with LocalCluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster) as client:
        res = specification_study(1000, 50, seed=7, client=client)

On a real cluster, start ``dask scheduler`` on one machine and ``dask worker
tcp://HOST:8786`` on the others, then pass ``Client("tcp://HOST:8786")`` (or
``eventstudy simulate --scheduler tcp://HOST:8786``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from eventstudy.exceptions import EventStudyError

__all__ = ["check_client", "connect", "map_blocks", "worker_environment"]

T = TypeVar("T")

INSTALL_HINT = "install the optional extra: pip install 'ashare-eventstudy[distributed]'"


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise EventStudyError(f"dask.distributed is not installed; {INSTALL_HINT}") from None
    return distributed


def check_client(client: Any) -> None:
    """Raise :class:`EventStudyError` unless ``client`` is a ``dask.distributed.Client``."""
    distributed = _distributed()
    if not isinstance(client, distributed.Client):
        raise EventStudyError(
            f"client must be a dask.distributed.Client, got {type(client).__name__}"
        )


def map_blocks(
    client: Any,
    fn: Callable[..., T],
    shared: Any,
    blocks: Sequence[tuple[Any, ...]],
) -> list[T]:
    """``[fn(shared, *args) for args in blocks]``, one task per block on ``client``.

    ``shared`` is scattered once to every worker; results come back in the
    order of ``blocks``.  ``fn`` must be importable on the workers (a
    module-level function of an installed package).
    """
    check_client(client)
    if not blocks:
        return []
    handle = client.scatter(shared, broadcast=True)
    futures = [client.submit(fn, handle, *args, pure=False) for args in blocks]
    return list(client.gather(futures))


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A ``dask.distributed.Client``: connected to ``scheduler`` (an address such
    as ``tcp://10.0.0.5:8786``), or to a new local cluster of ``workers``
    single-threaded worker processes.  Closed (and the local cluster shut
    down) on exit."""
    if (scheduler is None) == (workers is None):
        raise EventStudyError("give exactly one of a scheduler address or a number of workers")
    distributed = _distributed()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise EventStudyError(
                f"cannot reach the dask scheduler at {scheduler!r}: {exc}"
            ) from None
        with client:
            yield client
        return
    assert workers is not None
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise EventStudyError(f"workers must be an integer >= 1, got {workers!r}")
    with (
        worker_environment(),
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def worker_environment() -> Any:
    """A ``dask.config.set`` context for new worker processes: dask's default
    environment without ``MALLOC_TRIM_THRESHOLD_``.

    dask starts its worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``
    (to return memory to the system early).  Setting it switches off glibc's
    adaptive threshold for serving large blocks from the heap, so every large
    temporary array of the vectorised kernels is mapped and zeroed afresh:
    blocks of the specification study ran about 1.7 times slower in such a
    worker than with glibc's default (docs/performance.md).  BLAS stays
    single-threaded (``OMP_NUM_THREADS=1`` etc.), one worker process per core.
    """
    import dask

    # dask unsets a variable of this mapping whose value is None
    return dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
