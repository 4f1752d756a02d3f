"""pytest for the moescope Python package: every result is checked against the CLI or a single evaluation of the
same scenario, never against numbers typed here."""
import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

import moescope as ms

REPO = Path(__file__).resolve().parents[2]
DEFAULT = str(REPO / "scenarios" / "default.json")
CLI = os.environ.get("MOESCOPE_CLI", str(REPO / "build" / "bin" / "moescope"))


def run_cli(*args):
    return subprocess.run([CLI, *args], capture_output=True, text=True, check=True)


def test_version_is_the_project_version():
    cmake = (REPO / "CMakeLists.txt").read_text()
    assert f"VERSION {ms.__version__} " in cmake


def test_replace_returns_a_new_scenario_and_round_trips():
    s = ms.Scenario.load(DEFAULT)
    s4 = s.replace({"/deployment/nodes": 4})
    assert s4.get("/deployment/nodes") == 4
    assert s.get("/deployment/nodes") == 8
    again = ms.Scenario.from_dict(s4.to_dict())
    assert again.to_dict() == s4.to_dict()


def test_evaluation_is_the_cli_report():
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "r.json")
        run_cli("eval", DEFAULT, "-o", out)
        expected = json.loads(Path(out).read_text())
    assert ms.evaluate(DEFAULT).to_dict() == expected


def test_typed_attributes_match_the_report():
    r = ms.evaluate(ms.Scenario.load(DEFAULT))
    d = r.to_dict()
    assert r.decode.tpot_seconds == d["engine"]["decode"]["tpot_seconds"] == d["engine"]["summary"]["tpot_seconds"]
    assert r.decode.tpot_seconds > 0 and r.prefill.ttft_seconds > 0
    frame = r.decode.layers.to_frame()
    assert {"layer", "component", "flop", "bytes"} <= set(frame.columns)
    assert (frame["flop"] >= 0).all()


def test_node_traffic_is_the_cli_traffic():
    m = ms.evaluate(DEFAULT).decode.moe.traffic(level="node", phase="dispatch")
    assert isinstance(m, np.ndarray) and m.shape == (8, 8)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "t.json")
        run_cli("traffic", DEFAULT, "--phase", "decode", "-o", out)
        cli = json.loads(Path(out).read_text())
    found = []

    def walk(x):  # every 8 x 8 numeric matrix in the CLI's JSON
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list) and len(x) == 8 and all(isinstance(r, list) and len(r) == 8 for r in x):
            found.append(np.array(x, dtype=float))
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(cli)
    assert any(np.array_equal(m, f) for f in found), "the node x node dispatch matrix is not in `moescope traffic`"


def test_sweep_rows_equal_single_evaluations():
    s = ms.Scenario.load(DEFAULT)
    batches = np.arange(32, 161, 64)
    df = ms.sweep(s, axes={"/workload/batch_per_gpu": batches})
    assert len(df) == len(batches)
    for _, row in df.iterrows():
        b = int(row["/workload/batch_per_gpu"])
        single = ms.evaluate(s.replace({"/workload/batch_per_gpu": b}))
        assert row["tpot_seconds"] == pytest.approx(single.decode.tpot_seconds, rel=1e-12)
    front = ms.pareto(df, maximize="decode_tokens_per_s_per_gpu", minimize="tpot_seconds")
    assert 1 <= len(front) <= len(df)


def test_sensitivity_is_a_tidy_frame():
    df = ms.sensitivity(DEFAULT)
    assert {"parameter", "elasticity"} <= set(df.columns)
    assert len(df) > 0 and np.isfinite(df["elasticity"]).all()


def test_bad_input_raises_input_error_with_diagnostics():
    s = ms.Scenario.load(DEFAULT)
    with pytest.raises(ms.InputError) as e:
        ms.evaluate(s.replace({"/deployment/nodes": -3}))
    assert isinstance(e.value, ValueError)
    files, pointers, messages = zip(*e.value.diagnostics)
    assert "/deployment/nodes" in pointers
    assert any("expected" in m for m in messages)


def test_hardware_frame_has_sources():
    df = ms.hw.accelerators()
    assert "h100-sxm" in set(df.iloc[:, 0]) | set(df.index)
    assert any(c.endswith("_source") for c in df.columns)


def test_works_from_another_directory(tmp_path):
    code = "import moescope as ms; print(repr(ms.evaluate(ms.data_file('scenarios/default.json')).decode.tpot_seconds))"
    out = subprocess.run(["/usr/bin/python3", "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) == ms.evaluate(DEFAULT).decode.tpot_seconds
