import copy
import json
from pathlib import Path

import pytest

import moescope

REPO = Path(__file__).resolve().parents[2]


def test_accelerators_listed():
    names = moescope.accelerator_names()
    assert "h100-sxm" in names
    assert len(names) >= 18


def test_hbm_bandwidth_in_si_units():
    # H100 SXM: 3.35 TB/s (hwdb/accelerators/h100-sxm.json)
    assert moescope.hbm_bandwidth_bytes_per_s("h100-sxm") == pytest.approx(3.35e12, rel=1e-6)
    acc = moescope.accelerator("h100-sxm")
    assert acc["peak_dense_flop_per_s"]["bf16"]["source"].startswith("https://")


def test_unknown_accelerator_is_a_value_error():
    with pytest.raises(ValueError, match="unknown accelerator"):
        moescope.hbm_bandwidth_bytes_per_s("h1000")


def test_model_parameters():
    m = moescope.model("deepseek-v3")
    assert m["parameters"]["total"] == pytest.approx(671e9, rel=0.02)


def test_evaluate_file_and_dict_agree():
    path = REPO / "scenarios" / "default.json"
    from_file = moescope.evaluate(str(path))
    from_dict = moescope.evaluate(json.loads(path.read_text()))
    assert from_file["memory"] == from_dict["memory"]
    assert from_file["memory"]["fits"] is True


def test_design_study_kv_cache_scales_with_batch():
    base = json.loads((REPO / "scenarios" / "default.json").read_text())
    kv = []
    for batch in (32, 64, 128):
        s = copy.deepcopy(base)
        s["workload"]["batch_per_gpu"] = batch
        kv.append(moescope.evaluate(s)["memory"]["kv_cache_per_gpu_bytes"])
    assert kv[1] == pytest.approx(2 * kv[0])
    assert kv[2] == pytest.approx(4 * kv[0])


def test_bad_scenario_dict_names_the_path():
    base = json.loads((REPO / "scenarios" / "default.json").read_text())
    base["deployment"]["nodes"] = 0
    with pytest.raises(ValueError, match="/deployment/nodes"):
        moescope.evaluate(base)
