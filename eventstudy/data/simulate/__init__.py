r"""The built-in simulated A-share market, with a known truth (DESIGN section 6).

On real XSHG sessions: a GARCH(1,1)-t market index, and firms whose latent
price follows a market model plus planted abnormal returns; the observed close
is that latent price on the 0.01 CNY tick, clipped to each board's dated limit
around the previous *observed* close, so a move beyond the limit spills into
the next sessions (limit-up streaks).  Suspended days have no row.  Returns are
simple; per session ``t`` (full description in ``docs/simulation.md``):

.. math::

    R_{mt} = \mu_m + \sqrt{h_t}\, z_t, \quad
    h_t = \omega + a\,(R_{m,t-1}-\mu_m)^2 + b\,h_{t-1}, \quad z_t \sim t_\nu / \mathrm{sd}

    P^*_{it} = P^*_{i,t-1} (1 + \alpha_i + \beta_i R_{mt} + \sigma_i e_{it} + A_{it}),
    \qquad C_{it} = \min(\max(\mathrm{tick}(P^*_{it}), D_{it}), U_{it})

with :math:`A_{it}` the planted abnormal return and :math:`U, D` the limit
prices of the previous observed close.  ``R_mt`` is the index return as
observed (level rounded to 0.01), so the market model holds exactly in the
data a study sees.

The planted effect's sign and size follow each event's type (entries,
follow-ups, terminations, scale-backs) and player type; optionally the firms
load on simulated factors (``factor_model``) and some trade non-synchronously
(``nonsync``).  The parts live in the modules ``config``, ``market``,
``events``, ``factors``, ``prices``, ``core`` and ``files``.
"""

from eventstudy.data.simulate.config import DEFAULT_PLAYER_SCALE, DEFAULT_TYPE_EFFECTS
from eventstudy.data.simulate.core import Simulation, simulate_market
from eventstudy.data.simulate.events import TRUTH_TAUS
from eventstudy.data.simulate.factors import (
    DEFAULT_FACTOR_MEAN,
    DEFAULT_FACTOR_SD,
    DEFAULT_LOADING_RANGES,
    FACTOR_MODELS,
)
from eventstudy.data.simulate.files import to_files

__all__ = [
    "DEFAULT_FACTOR_MEAN",
    "DEFAULT_FACTOR_SD",
    "DEFAULT_LOADING_RANGES",
    "DEFAULT_PLAYER_SCALE",
    "DEFAULT_TYPE_EFFECTS",
    "FACTOR_MODELS",
    "TRUTH_TAUS",
    "Simulation",
    "simulate_market",
    "to_files",
]
