#!/usr/bin/env python3
"""Benchmarks of the Python package (run by hand, not a test; figures in docs/python.md):

1. ms.evaluate on the default scenario with a warm session: milliseconds per call (target <= 2 ms).
2. ms.sweep throughput against the CLI `moescope sweep` on the same grid and thread count (target: within 10%).
3. ms.sweep on a dask.distributed LocalCluster of 2 worker processes against the local sweep on the same grid.

Usage: PYTHONPATH=build/python MOESCOPE_CLI=build/bin/moescope python3 bindings/bench/bench_python.py [--threads N]"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import moescope as ms

REPO = Path(__file__).resolve().parents[2]
DEFAULT = str(REPO / "scenarios" / "default.json")
# 4 x 256 x 2 = 2048 points of DeepSeek-V3 decode.
GRID = [("/deployment/nodes", [2, 4, 8, 16]), ("/workload/batch_per_gpu", list(range(1, 257))),
        ("/engine/overlap", ["none", "two-batch"])]


def bench_evaluate(calls: int) -> float:
    s = ms.Scenario.load(DEFAULT)
    for _ in range(20):  # warm: hwdb, catalog and calibrations read and cached by the session
        ms.evaluate(s)
    rounds = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(calls):
            ms.evaluate(s)
        rounds.append((time.perf_counter() - t0) / calls)
    return statistics.median(rounds) * 1e3


COLD = """
import sys, time, moescope as ms
from bench_python import DEFAULT, GRID
s = ms.Scenario.load(DEFAULT)
ms.hw.accelerators(), ms.models.catalog()  # the CLI's clock starts with hwdb and catalog read (core/study/sweep.cpp)
t0 = time.perf_counter()
df = ms.sweep(s, dict(GRID), threads=int(sys.argv[1]))
print(len(df) / (time.perf_counter() - t0))
"""


def cli_and_cold_python_points_per_s(cli: str, threads: int, pairs: int) -> tuple[float, float]:
    """Medians over `pairs` alternating runs of the CLI sweep and of the first ms.sweep of a fresh Python process,
    both with hwdb and catalog read and calibrations read on first use (alternating, so that the load of this
    shared machine weighs on both alike)."""
    # This moescope and this file importable whatever PYTHONPATH said (it may be relative).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(ms.__file__).parents[1]), str(Path(__file__).parent)]))
    with tempfile.TemporaryDirectory() as d:
        spec = {"base": DEFAULT, "axes": [{"path": p, "values": v} for p, v in GRID],
                "pareto": [{"metric": "decode_tokens_per_s_per_gpu", "goal": "max"},
                           {"metric": "tpot_seconds", "goal": "min"}]}
        f = Path(d) / "grid.json"
        f.write_text(json.dumps(spec))
        cli_rates, py_rates = [], []
        for _ in range(pairs):
            out = subprocess.run([cli, "sweep", str(f), "--threads", str(threads), "-o", str(Path(d) / "out")],
                                 capture_output=True, text=True, check=True).stdout
            cli_rates.append(float(re.search(r"\(([0-9.]+) points/s\)", out).group(1)))
            py_rates.append(float(subprocess.run([sys.executable, "-c", COLD, str(threads)], capture_output=True,
                                                 text=True, check=True, env=env).stdout))
        return statistics.median(cli_rates), statistics.median(py_rates)


def python_points_per_s(threads: int, client=None, repeats: int = 3):
    s = ms.Scenario.load(DEFAULT)
    axes = dict(GRID)
    rates, df = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        df = ms.sweep(s, axes, threads=threads, client=client)
        rates.append(len(df) / (time.perf_counter() - t0))
    return statistics.median(rates), df


def layer_overhead_percent(threads: int, repeats: int = 5) -> float:
    """What the Python layer adds to the C++ sweep in a warm session: ms.sweep against _core._sweep, alternating."""
    from moescope._study import _normalise_axes
    s, axes = ms.Scenario.load(DEFAULT), dict(GRID)
    norm = _normalise_axes(axes)
    inner, outer = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ms._core._sweep(s, norm, [], [], [], threads, None, None)
        t1 = time.perf_counter()
        ms.sweep(s, axes, threads=threads)
        inner.append(t1 - t0)
        outer.append(time.perf_counter() - t1)
    return 100 * (statistics.median(outer) / statistics.median(inner) - 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2, help="sweep threads (CLI and Python alike)")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--pairs", type=int, default=7, help="alternating CLI and fresh-process Python sweeps")
    ap.add_argument("--cli", default=os.environ.get("MOESCOPE_CLI", str(REPO / "build" / "bin" / "moescope")))
    a = ap.parse_args()
    points = int(np.prod([len(v) for _, v in GRID]))

    ms_per_call = bench_evaluate(a.calls)
    print(f"evaluate, default scenario, warm session: {ms_per_call:.3f} ms per call (target <= 2 ms)")

    cli, cold = cli_and_cold_python_points_per_s(a.cli, a.threads, a.pairs)
    py, local = python_points_per_s(a.threads)
    print(f"sweep, {points} points, {a.threads} threads: CLI {cli:.0f} points/s; ms.sweep first call in a fresh "
          f"process {cold:.0f} points/s ({100 * (cold / cli - 1):+.1f}%, target within 10%), warm session "
          f"{py:.0f} points/s ({100 * (py / cli - 1):+.1f}%); the Python layer over the C++ sweep (warm): "
          f"{layer_overhead_percent(a.threads):+.1f}%")

    from dask.distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        python_points_per_s(1, client, repeats=1)  # workers import moescope and warm their sessions
        dask_rate, remote = python_points_per_s(1, client)
    one, _ = python_points_per_s(1)
    same = remote.equals(local)
    print(f"sweep, {points} points: Dask 2 workers x 1 thread {dask_rate:.0f} points/s, local 1 thread {one:.0f} "
          f"points/s, local {a.threads} threads {py:.0f} points/s; frames identical: {same}")


if __name__ == "__main__":
    main()
