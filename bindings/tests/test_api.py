"""pytest for the package, continued (written with helper-4): traffic sums, solve, listings, traces, placement."""
from pathlib import Path

import numpy as np
import pytest

import moescope as ms

REPO = Path(__file__).resolve().parents[2]
DEFAULT = str(REPO / "scenarios" / "default.json")


def test_evaluate_typed_and_traffic_sums_match_reported_bytes():
    r = ms.evaluate(ms.Scenario.load(DEFAULT).replace({"/deployment/nodes": 4}))
    d = r.decode
    assert d.tpot_seconds > 0 and 0 <= d.utilization.scale_out <= 1
    node = d.moe.traffic(level="node", phase="dispatch")
    gpu = d.moe.traffic(level="gpu", phase="dispatch")
    assert node.shape == (4, 4) and gpu.shape == (32, 32)
    assert node.sum() == pytest.approx(gpu.sum())
    assert node.sum() == pytest.approx(d.moe.dispatch.scale_out_bytes + d.moe.dispatch.scale_up_bytes)
    assert not node.flags.writeable
    frame = d.layers.to_frame()
    assert {"layer", "component", "seconds", "flop", "bytes"} <= set(frame.columns)


def test_sweep_over_two_axes_flags_the_pareto_front():
    s = ms.Scenario.load(DEFAULT)
    df = ms.sweep(s, axes={"/workload/batch_per_gpu": np.array([16, 64]), "/deployment/nodes": [4, 8]})
    assert len(df) == 4 and df["ok"].all()
    row = df.iloc[3]
    one = ms.evaluate(s.replace({"/workload/batch_per_gpu": 64, "/deployment/nodes": 8}))
    assert row["tpot_seconds"] == pytest.approx(one.decode.tpot_seconds, rel=1e-12)
    front = ms.pareto(df, maximize="decode_tokens_per_s_per_gpu", minimize="tpot_seconds")
    assert list(front.index) == list(df.index[df["pareto"]])


def test_solve_meets_target():
    r = ms.solve(DEFAULT, "/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s",
                 metric="tpot_seconds", at_most=0.05, lo=1e9, hi=1e12)
    assert r.found and r.metrics["tpot_seconds"] <= 0.05


def test_listings_have_source_columns():
    acc = ms.hw.accelerators()
    assert "h100-sxm" in acc.index
    assert acc.loc["h100-sxm", "hbm_bandwidth_bytes_per_s"] == pytest.approx(3.35e12, rel=1e-6)
    assert "hbm_bandwidth_bytes_per_s_source" in acc.columns
    assert ms.models.catalog().loc["deepseek-v3", "parameters.total"] == pytest.approx(671e9, rel=0.02)
    assert not ms.sensitivity(DEFAULT).empty


def test_trace_routing_and_placement():
    t = ms.Trace.load(str(REPO / "tests" / "data" / "traces" / "deepseek-v2-lite-chat-20.mst"))
    routing = t.routing(0)
    assert routing.shape == (t.num_tokens, t.top_k) and routing.max() < t.num_experts
    train, test = t.split(0.25)
    p = ms.place(train, strategy="linear", nodes=2, gpus_per_node=4)
    m = p.evaluate(test)
    assert 0 < m.inter_node_pairs <= m.pairs


def test_deep_or_huge_python_values_are_input_errors():
    # A 10^5-deep list would overflow the C++ conversion's recursion; a Python int beyond int64 would not convert.
    s = ms.Scenario.load(ms.data_file("scenarios/default.json"))
    deep = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ms.InputError) as e:
        s.replace({"/engine": {"x": deep}})
    assert "nested deeper than 64" in str(e.value)
    with pytest.raises(ms.InputError) as e:
        ms.evaluate(s.replace({"/deployment/nodes": 2 ** 64}))
    assert "/deployment/nodes" in str(e.value)
    with pytest.raises(ms.InputError) as e:
        ms.evaluate(s.replace({"/deployment/nodes": 2 ** 40}))
    assert "integer in [1, 131072]" in str(e.value)
