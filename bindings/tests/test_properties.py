"""hypothesis property tests: replace round-trips, sweep rows are single evaluations, traffic matrices sum to the
reported bytes, the Pareto front is exactly the non-dominated rows."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import moescope as ms

REPO = Path(__file__).resolve().parents[2]
BASE = ms.Scenario.load(str(REPO / "scenarios" / "default.json"))
# Evaluations take milliseconds: few examples, no per-example deadline.
# derandomize: the same examples on every run, so that CI is not flaky; a new property bug shows up on a change.
FEW = settings(max_examples=15, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

edits = st.builds(lambda n, b, i, h: {"/deployment/nodes": n, "/workload/batch_per_gpu": b,
                                      "/workload/input_tokens": i, "/workload/kv_cache_hit_rate": h},
                  st.sampled_from([1, 2, 4, 8, 16]), st.integers(1, 512), st.integers(16, 32768),
                  st.floats(0.0, 0.9))


@FEW
@given(edits)
def test_replace_round_trips(e):
    s = BASE.replace(e)
    for path, value in e.items():
        assert s.get(path) == value
    again = ms.Scenario.from_dict(s.to_dict())
    assert again.to_dict() == s.to_dict()
    assert BASE.get("/deployment/nodes") == 8  # the original is untouched


@settings(max_examples=8, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 384), min_size=1, max_size=4, unique=True), st.sampled_from([2, 4, 8]))
def test_sweep_rows_are_single_evaluations(batches, nodes):
    s = BASE.replace({"/deployment/nodes": nodes})
    df = ms.sweep(s, axes={"/workload/batch_per_gpu": batches})
    assert list(df["/workload/batch_per_gpu"]) == batches
    for _, row in df.iterrows():
        single = ms.evaluate(s.replace({"/workload/batch_per_gpu": int(row["/workload/batch_per_gpu"])})).metrics()
        # A sweep evaluates the scenario's phase only; ms.evaluate also runs prefill (for TTFT).
        swept = [c for c in df.columns if c in single]
        assert {"tpot_seconds", "decode_tokens_per_s_per_gpu", "decode_fits"} <= set(swept)
        for name in swept:
            assert row[name] == single[name], name


@FEW
@given(st.sampled_from([1, 2, 4, 8, 16]), st.integers(1, 256), st.sampled_from(["dispatch", "combine"]))
def test_traffic_matrices_sum_to_the_reported_bytes(nodes, batch, direction):
    d = ms.evaluate(BASE.replace({"/deployment/nodes": nodes, "/workload/batch_per_gpu": batch})).decode
    node = d.moe.traffic(level="node", phase=direction)
    gpu = d.moe.traffic(level="gpu", phase=direction)
    a2a = getattr(d.moe, direction)
    assert node.shape == (nodes, nodes) and gpu.shape == (d.gpus, d.gpus)
    assert (node >= 0).all()
    assert node.sum() == pytest.approx(gpu.sum(), rel=1e-9)
    assert node.sum() == pytest.approx(a2a.scale_up_bytes + a2a.scale_out_bytes, rel=1e-9)
    # Off-diagonal node blocks are what crosses scale-out.
    assert node.sum() - np.trace(node) == pytest.approx(a2a.scale_out_bytes, rel=1e-9, abs=1e-6)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100)), min_size=1, max_size=30))
def test_pareto_front_is_exactly_the_non_dominated_rows(points):
    df = pd.DataFrame(points, columns=["up", "down"])
    front = set(ms.pareto(df, maximize="up", minimize="down").index)

    def dominated(i):
        a = df.loc[i]
        return any((b.up >= a.up and b.down <= a.down) and (b.up > a.up or b.down < a.down)
                   for _, b in df.iterrows())

    for i in df.index:
        assert (i in front) == (not dominated(i)), (i, df.loc[i].tolist())
