"""moescope: analytical model of multi-node Mixture-of-Experts inference, for design studies.

Everything is in SI units (seconds, bytes, bytes/s, FLOP). Typical use::

    import numpy as np, moescope as ms
    s = ms.Scenario.load(ms.data_file("scenarios/default.json"))
    r = ms.evaluate(s.replace({"/deployment/nodes": 4}))
    r.decode.tpot_seconds, r.decode.moe.traffic(level="node", phase="dispatch")
    df = ms.sweep(s, axes={"/workload/batch_per_gpu": np.arange(16, 257, 16)})
    ms.pareto(df, maximize="decode_tokens_per_s_per_gpu", minimize="tpot_seconds")
"""
from __future__ import annotations

from . import _core
from ._core import (  # noqa: F401  (re-exported)
    Evaluation,
    InputError,
    Placement,
    PlacementMetrics,
    Scenario,
    Session,
    SolveResult,
    Trace,
    place,
    placement_strategies,
)
from ._data import data_file, data_root, default_session
from ._study import compare_placements, evaluate, pareto, placement_drift, sensitivity, solve, sweep
from . import hw, models, plot  # noqa: F401

__version__: str = _core.__version__

__all__ = [
    "Evaluation", "InputError", "Placement", "PlacementMetrics", "Scenario", "Session", "SolveResult", "Trace",
    "compare_placements", "data_file", "data_root", "default_session", "evaluate", "hw", "models", "pareto",
    "place", "placement_drift", "placement_strategies", "plot", "sensitivity", "solve", "sweep", "__version__",
]
