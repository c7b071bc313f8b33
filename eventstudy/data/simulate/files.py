"""Writing the planted truth beside a study's outputs."""

from __future__ import annotations

from pathlib import Path

from eventstudy.data.simulate.core import Simulation

__all__ = ["to_files"]


def to_files(sim: Simulation, directory: str | Path) -> list[Path]:
    """Write ``truth.csv`` and ``truth_events.csv`` into ``directory``; return the paths.

    ``truth.csv``: ``event_id, tau, planted_ar`` (latent planted AR per event
    day, -20..+60, zeros included).  ``truth_events.csv``: ``event_id, leaky,
    effect, drift``.  The directory is created if needed.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "truth.csv", out / "truth_events.csv"]
    sim.truth.to_csv(paths[0], index=False, lineterminator="\n")
    sim.truth_events.to_csv(paths[1], index=False, lineterminator="\n")
    return paths
