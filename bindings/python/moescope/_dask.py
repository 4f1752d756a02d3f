"""Sweeps on a dask.distributed cluster: the grid is cut into chunks of consecutive points, each chunk is one zipped
axis run by the same C++ sweep on a worker, and the frames are joined in grid order with the Pareto front marked
over the whole grid, so the result equals the local sweep's. Point it at a real cluster with
`Client("tcp://scheduler:8786")`; every worker needs the same moescope installed (and MOESCOPE_DATA_DIR if the
data is not the packaged one)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _core


def chunk_axes(norm: list[tuple[list[str], list[list[Any]]]], begin: int, end: int):
    """Points [begin, end) of the row-major grid as one zipped axis over every path."""
    shape = [len(steps) for _, steps in norm]
    paths = [p for ps, _ in norm for p in ps]
    steps = []
    for i in range(begin, end):
        idx = np.unravel_index(i, shape)
        steps.append([v for (_, st), k in zip(norm, idx) for v in st[k]])
    return [(paths, steps)]


def _run_chunk(scenario: _core.Scenario, axes, metrics, maxi, mini, threads, begin: int):
    import pandas as pd
    cols = _core._sweep(scenario, axes, metrics, maxi, mini, threads, None, None)
    df = pd.DataFrame(cols)
    df["index"] += begin
    return df


def gather_in_order(client, futures: list, progress: bool | None) -> list:
    """The futures' results in submission order; on Ctrl-C (or any error) the outstanding ones are cancelled so that
    the cluster is left idle, not still busy with an abandoned call."""
    try:
        if progress:
            from dask.distributed import progress as dask_progress
            dask_progress(futures)
        return client.gather(futures)
    except BaseException:
        client.cancel(futures)
        raise


def dask_sweep(client, scenario, norm, metrics, maxi, mini, threads, chunk_size, progress):
    import pandas as pd
    from ._study import pareto

    total = math.prod(len(steps) for _, steps in norm)
    if chunk_size is None:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        chunk_size = max(1, math.ceil(total / (4 * workers)))
    futures = [client.submit(_run_chunk, scenario, chunk_axes(norm, b, min(total, b + chunk_size)), metrics, maxi,
                             mini, threads, b, pure=False)
               for b in range(0, total, chunk_size)]
    df = pd.concat(gather_in_order(client, futures, progress), ignore_index=True)
    # The local column order: index, values, metrics (sorted unless named), ok, pareto, error.
    fixed = ["index"] + [p for ps, _ in norm for p in ps]
    tail = ["ok", "pareto", "error"]
    named = metrics or sorted(c for c in df.columns if c not in fixed and c not in tail)
    df = df[fixed + named + tail]
    objectives = (maxi, mini) if (maxi or mini) else (["decode_tokens_per_s_per_gpu"], ["tpot_seconds"])
    ok = df["ok"].to_numpy()
    front = pareto(df[ok], maximize=objectives[0], minimize=objectives[1]).index
    df["pareto"] = df.index.isin(front)
    return df
