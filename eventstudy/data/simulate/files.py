"""Writing the planted truth beside a study's outputs."""

from __future__ import annotations

from pathlib import Path

from eventstudy.data.simulate.core import Simulation

__all__ = ["to_files"]


def to_files(sim: Simulation, directory: str | Path) -> list[Path]:
    """Write the truth files into ``directory``; return their paths.

    Always ``truth.csv``: ``event_id, tau, planted_ar`` (latent planted AR
    per event day, -20..+60, zeros included) and ``truth_events.csv``:
    ``event_id, leaky, effect, drift, event_type, player_type, board,
    player_scale, effect_day0, reversal``.  With a factor model also
    ``factors.csv`` (``date`` then the factor columns and ``RF``, decimals),
    and with a factor model or non-synchronous trading ``firms.csv`` (every
    column of ``sim.firms``: the true beta, loadings ``beta_<factor>`` and
    ``nonsync_lag``).  The directory is created if needed.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "truth.csv", out / "truth_events.csv"]
    sim.truth.to_csv(paths[0], index=False, lineterminator="\n")
    sim.truth_events.to_csv(paths[1], index=False, lineterminator="\n")
    if sim.factors is not None:
        paths.append(out / "factors.csv")
        sim.factors.to_csv(
            paths[-1], index_label="date", date_format="%Y-%m-%d", lineterminator="\n"
        )
    if sim.factors is not None or "nonsync_lag" in sim.firms.columns:
        paths.append(out / "firms.csv")
        sim.firms.to_csv(paths[-1], index=False, lineterminator="\n")
    return paths
