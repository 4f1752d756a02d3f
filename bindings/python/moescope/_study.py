"""Design-study operations over the compiled facade: evaluate, sweep (local or on Dask), Pareto, solve, sensitivity,
placement comparison. Tables come back as pandas DataFrames; every number is computed by the C++ core."""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from . import _core
from ._data import default_session
from ._progress import progress_bar

Axes = Mapping[Any, Iterable[Any]]


def _scenario(s: "_core.Scenario | str | Mapping[str, Any]", session: _core.Session | None) -> _core.Scenario:
    if isinstance(s, _core.Scenario):
        return s
    if isinstance(s, str):
        return _core.Scenario.load(s, session)
    return _core.Scenario.from_dict(dict(s), "", session)


def evaluate(scenario: "_core.Scenario | str | Mapping[str, Any]",
             session: _core.Session | None = None) -> _core.Evaluation:
    """Evaluates a scenario (a Scenario, a path, or a dict in the file format): a typed Evaluation whose
    .decode/.prefill phases carry TPOT, TTFT, utilization, layers and the MoE all-to-all (GIL released)."""
    return _core.evaluate(_scenario(scenario, session), session)


def _normalise_axes(axes: Axes) -> list[tuple[list[str], list[list[Any]]]]:
    """{path: values} or {(path, path, ...): [(v, v, ...), ...]} (zipped) to [(paths, steps)]."""
    out = []
    for key, values in axes.items():
        paths = [key] if isinstance(key, str) else list(key)
        vals = values.tolist() if isinstance(values, np.ndarray) else list(values)
        steps = [[v] for v in vals] if len(paths) == 1 else [list(v) for v in vals]
        out.append((paths, steps))
    return out


def _as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def _frame(columns: dict) -> "pandas.DataFrame":  # noqa: F821
    import pandas as pd
    return pd.DataFrame(columns)


def sweep(scenario: "_core.Scenario | str | Mapping[str, Any]", axes: Axes, *, metrics: Sequence[str] | None = None,
          maximize: str | Sequence[str] | None = None, minimize: str | Sequence[str] | None = None,
          threads: int = 0, progress: bool | None = None, client: Any = None, chunk_size: int | None = None,
          session: _core.Session | None = None) -> "pandas.DataFrame":  # noqa: F821
    """Evaluates the grid of `axes` ({JSON pointer: values}, row-major, last axis fastest; a tuple of pointers
    zips them) in one C++ call on all cores with the GIL released. One row per point: index, the values set, the
    headline metrics, ok, pareto (default objectives: max decode_tokens_per_s_per_gpu, min tpot_seconds), error.

    client: a dask.distributed Client; the grid is split into chunks of `chunk_size` points (default: about four
    per worker), each run by the same C++ sweep on a worker, and joined into the same frame as a local run.
    progress: a tqdm bar (None: only when stderr is a terminal or in Jupyter). Ctrl-C stops the sweep cleanly."""
    s = _scenario(scenario, session)
    norm = _normalise_axes(axes)
    maxi, mini = _as_list(maximize), _as_list(minimize)
    if client is not None:
        from ._dask import dask_sweep
        return dask_sweep(client, s, norm, list(metrics or []), maxi, mini, threads, chunk_size, progress)
    total = math.prod(len(steps) for _, steps in norm)
    with progress_bar(total, "sweep", progress) as update:
        cols = _core._sweep(s, norm, list(metrics or []), maxi, mini, threads, update, session)
    return _frame(cols)


def pareto(df: "pandas.DataFrame", maximize: str | Sequence[str] | None = None,  # noqa: F821
           minimize: str | Sequence[str] | None = None) -> "pandas.DataFrame":  # noqa: F821
    """The rows of `df` not dominated under the objectives (NaN rows are never on the front), in their order."""
    maxi, mini = _as_list(maximize), _as_list(minimize)
    cols = {m: df[m].to_numpy(dtype=float) for m in maxi + mini}
    return df[_core._pareto_mask(cols, maxi, mini)]


def solve(scenario: "_core.Scenario | str | Mapping[str, Any]", path: str, *, metric: str,
          at_most: float | None = None, at_least: float | None = None, lo: float, hi: float,
          rel_tol: float = 1e-3, integer: bool = False, session: _core.Session | None = None) -> _core.SolveResult:
    """The value of the field at JSON pointer `path` in [lo, hi] at which `metric` meets the target (at_most or
    at_least), by bisection (the metric must be monotone in the field)."""
    if (at_most is None) == (at_least is None):
        raise _core.InputError("give exactly one of at_most and at_least")
    spec = _core._SolveSpec()
    spec.path, spec.metric, spec.lo, spec.hi, spec.rel_tol, spec.integer = path, metric, lo, hi, rel_tol, integer
    spec.at_most = at_most is not None
    spec.target = at_most if at_most is not None else at_least
    return _core._solve(_scenario(scenario, session), spec, session)


def sensitivity(scenario: "_core.Scenario | str | Mapping[str, Any]", step: float = 0.1,
                session: _core.Session | None = None) -> "pandas.DataFrame":  # noqa: F821
    """Elasticity of each headline metric to each hardware figure of the scenario (central differences at
    +-step): tidy frame with parameter, base_value, metric, base, low, high, elasticity."""
    cols, _ = _core._sensitivity(_scenario(scenario, session), step, session)
    return _frame(cols)


def _placement_rows(path: str, nodes: int, gpus_per_node: int, redundant: int, strategies: list[str], folds: int,
                    test_fraction: float, seed: int, cross_domain: bool, moe_time: str) -> list[dict]:
    """One placement experiment (as `moescope place compare`) as rows; runs on a Dask worker too."""
    j = _core._compare_placements(path, nodes, gpus_per_node, redundant, strategies, folds, test_fraction, seed,
                                  cross_domain, moe_time)
    rows = []
    for r in j["rows"]:
        row = {"nodes": j["nodes"], "gpus_per_node": j["gpus_per_node"], "split": r["split"],
               "strategy": r["strategy"], "redundant_slots_per_gpu": r["redundant_slots_per_gpu"],
               "fit_seconds": r["fit_seconds"]}
        row.update({k: v for k, v in r["metrics"].items() if k != "layers"})
        row.update({f"{k}_ratio_to_linear": v for k, v in (r.get("ratio_to_linear") or {}).items()})
        rows.append(row)
    return rows


def compare_placements(trace: "_core.Trace | str", *, nodes: int | Sequence[int], gpus_per_node: int,
                       redundant: int = 0, strategies: Sequence[str] | None = None, folds: int = 3,
                       test_fraction: float = 0.2, seed: int = 0, cross_domain: bool = False,
                       moe_time: str | None = None, progress: bool | None = None,
                       client: Any = None) -> "pandas.DataFrame":  # noqa: F821
    """Every placement strategy (or the named ones) fitted on training requests and scored on held-out ones (as
    `moescope place compare`): one row per (nodes, split, strategy, redundant slots) with totals and ratios to
    linear. `nodes` may be a list: a batch of experiments, one per node count, in that order. moe_time: a hwdb
    system name (e.g. "hgx-h200") whose accelerator times the routed experts: every row then has expert_seconds and
    moe_layer_seconds (experts on the slowest GPU + DeepEP normal all-to-all), as `place compare --moe-time`.

    client: a dask.distributed Client; each experiment of the batch runs on a worker (which must see the trace file
    at the same path) and the frame equals the local one except fit_seconds. Ctrl-C stops between experiments."""
    path = trace.path if isinstance(trace, _core.Trace) else trace
    batch = [int(nodes)] if isinstance(nodes, (int, np.integer)) else [int(n) for n in nodes]
    args = [(path, n, gpus_per_node, redundant, list(strategies or []), folds, test_fraction, seed, cross_domain,
             moe_time or "") for n in batch]
    if client is not None:
        from ._dask import gather_in_order
        parts = gather_in_order(client, [client.submit(_placement_rows, *a, pure=False) for a in args], progress)
    else:
        parts = []
        with progress_bar(len(args), "placement", progress) as update:
            for a in args:
                parts.append(_placement_rows(*a))
                if update:
                    update(len(parts), len(args))
    rows = [r for part in parts for r in part]
    return _frame({k: [r.get(k) for r in rows] for k in (rows[0].keys() if rows else [])})


def placement_drift(trace: "_core.Trace | str", *, nodes: int, gpus_per_node: int, window: int | Sequence[int],
                    strategy: str = "joint-minmax", redundant: int = 0, train_domain: str = "",
                    serve_domain: str = "", system: str = "hgx-h200", expert_bytes: float = 0.0,
                    window_seconds: float = 0.0, seed: int = 0, windows: bool = False,
                    session: _core.Session | None = None) -> "pandas.DataFrame":  # noqa: F821
    """Re-placement over time (as `moescope place drift`): the placement re-fitted every `window` requests (or
    after a shift from `train_domain` to `serve_domain`) against a static one, with the expert weights it moves.
    One row per window size (saved, migration and net seconds, break-even overlap and tokens per window); with
    windows=True one row per served window instead. expert_bytes 0: from the trace's catalog model; the bandwidths
    come from the hwdb `system`."""
    path = trace.path if isinstance(trace, _core.Trace) else trace
    sizes = [int(window)] if isinstance(window, (int, np.integer)) else [int(w) for w in window]
    j = _core._placement_drift(path, nodes, gpus_per_node, redundant, strategy, sizes, train_domain, serve_domain,
                               system, expert_bytes, window_seconds, seed, session)
    rows = []
    for r in j["runs"]:
        if windows:
            for w in r["windows"]:
                rows.append({"window_requests": r["window_requests"], **w})
        else:
            rows.append({k: v for k, v in r.items() if k != "windows"})
    for row in rows:
        row.update({"strategy": j["strategy"], "mode": j["mode"], "nodes": j["nodes"],
                    "gpus_per_node": j["gpus_per_node"], "expert_bytes": j["expert_bytes"]})
    return _frame({k: [r.get(k) for r in rows] for k in (rows[0].keys() if rows else [])})
