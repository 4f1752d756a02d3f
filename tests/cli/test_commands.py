"""End-to-end tests of the CLI on the files in hwdb/, models/ and scenarios/."""
import json

import pytest

from conftest import REPO

SCENARIOS = sorted((REPO / "scenarios").glob("*.json"))


def test_hw_list_has_every_accelerator_with_sources(run):
    r = run("--json", "hw", "list")
    assert r.returncode == 0, r.stderr
    data = r.json()
    assert len(data["accelerators"]) >= 18
    for acc in data["accelerators"]:
        assert acc["peak_dense_flop_per_s"]["bf16"]["source"], acc["name"]
        assert acc["hbm_bandwidth_bytes_per_s"]["source"], acc["name"]
    names = {s["name"] for s in data["systems"]}
    for system in ["dgx-h100", "hgx-h200", "h800-deepseek", "dgx-b200", "gb200-nvl72", "gb300-nvl72",
                   "mi300x-platform", "mi325x-platform", "mi355x-platform", "tpu-v5p-slice", "tpu-v6e-slice",
                   "tpu7x-ironwood-slice", "gaudi3-platform", "trn2-ultraserver"]:
        assert system in names


def test_hw_list_text_is_a_table(run):
    r = run("hw", "list")
    assert r.returncode == 0, r.stderr
    assert "h100-sxm" in r.stdout and "Accelerators" in r.stdout


def test_scale_up_domains(run):
    nvl72 = run("--json", "hw", "show", "gb200-nvl72").json()
    assert nvl72["node"]["scale_up"]["domain_size"]["value"] == 72
    dgx = run("--json", "hw", "show", "dgx-h100").json()
    assert dgx["node"]["scale_up"]["domain_size"]["value"] == 8


def test_model_show_deepseek_v3_parameters(run):
    r = run("--json", "model", "show", "deepseek-v3")
    assert r.returncode == 0, r.stderr
    p = r.json()["parameters"]
    assert p["total"] == pytest.approx(671e9, rel=0.02)
    assert p["active_per_token"] == pytest.approx(37e9, rel=0.02)


def test_model_list(run):
    r = run("--json", "model", "list")
    assert r.returncode == 0, r.stderr
    names = {m["name"] for m in r.json()["models"]}
    for name in ["deepseek-v3", "deepseek-v2-lite", "kimi-k2", "glm-4.5", "qwen3-235b-a22b", "qwen3-30b-a3b",
                 "llama-4-maverick", "llama-4-scout", "mixtral-8x7b", "mixtral-8x22b", "gpt-oss-120b",
                 "olmoe-1b-7b", "llama-3-70b"]:
        assert name in names


def test_model_import_matches_catalog(run, tmp_path):
    out = tmp_path / "deepseek-v3.json"
    r = run("model", "import", REPO / "models" / "configs" / "deepseek-ai--DeepSeek-V3.json", "-o", out)
    assert r.returncode == 0, r.stderr
    imported = json.loads(out.read_text())
    catalog = json.loads((REPO / "models" / "catalog" / "deepseek-v3.json").read_text())
    assert imported == catalog


def test_check_passes_on_the_repo(run):
    r = run("check")
    assert r.returncode == 0, r.stderr
    assert "no problems found" in r.stdout


def test_check_flags_calibrations_with_fewer_rows_than_parameters(run):
    r = run("--json", "check")
    assert r.returncode == 0, r.stderr
    flags = r.json()["flags"]
    by_file = {}
    for f in flags:
        by_file.setdefault(f["file"].rsplit("/", 1)[-1], []).append(f)
    # b200: 2 measured rows for 11 fitted parameters; h100 (1,577 rows) and h800 (21) are not flagged for rows.
    b200 = [f for f in by_file["b200-compute.json"] if f["location"] == "/fit/cases"]
    assert b200 and "fitted on 2 measured row(s) for the 11 parameters" in b200[0]["message"]
    for well_fitted in ["h100-sxm-compute.json", "h800-sxm-compute.json"]:
        assert not [f for f in by_file.get(well_fitted, []) if f["location"] == "/fit/cases"]
    # A parameter at a bound of its range is named with the range.
    gb200 = {f["location"]: f["message"] for f in by_file["gb200-compute.json"]}
    assert "at the lower bound of its fit range [0.4, 1]" in gb200["/parameters/memory_bandwidth_efficiency"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.stem for s in SCENARIOS])
def test_every_bundled_scenario_evaluates(run, scenario, tmp_path):
    out = tmp_path / "report.json"
    r = run("eval", scenario, "-o", out)
    assert r.returncode == 0, r.stderr
    report = json.loads(out.read_text())
    assert report["memory"]["total_per_gpu_bytes"] > 0


def test_default_scenario_memory(run, tmp_path):
    out = tmp_path / "default.json"
    r = run("eval", REPO / "scenarios" / "default.json", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "Memory per GPU" in r.stdout
    mem = json.loads(out.read_text())["memory"]
    # DeepSeek-V3 on EP64: 4 routed experts per GPU; 58 MoE layers x 4 x 44.04M params x (1 + 4/128) bytes (fp8 + scales)
    expert_params = 3 * 7168 * 2048
    assert mem["weights_per_gpu_bytes"]["routed_experts"] == pytest.approx(58 * 4 * expert_params * (1 + 4 / 128), rel=1e-9)
    # MLA KV cache: (512 + 64) bf16 values per token per layer, 61 layers, 128 sequences of 3072 tokens
    assert mem["kv_cache_per_gpu_bytes"] == pytest.approx(576 * 2 * 61 * 128 * 3072, rel=1e-9)
    assert mem["fits"] is True


def test_trace_scenario_uses_the_named_strategy(run, tmp_path):
    out = tmp_path / "trace.json"
    r = run("eval", REPO / "scenarios" / "deepseek-v2-lite-trace-2x8-h100.json", "-o", out)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "joint-minmax" in text
    assert "deepseek-v2-lite-chat-20.mst" in text


def test_unknown_placement_strategy_is_named(run, tmp_path):
    scenario = json.loads((REPO / "scenarios" / "deepseek-v2-lite-trace-2x8-h100.json").read_text())
    scenario["placement"]["strategy"] = "joint-maxmin"
    scenario["routing"]["file"] = str(REPO / "tests" / "data" / "traces" / "deepseek-v2-lite-chat-20.mst")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(scenario))
    r = run("eval", path)
    assert r.returncode == 2
    assert "/placement/strategy" in r.stderr and 'unknown placement strategy "joint-maxmin"' in r.stderr
    assert "joint-minmax" in r.stderr


def test_traffic_matrices_match_the_network_view(run, tmp_path):
    out = tmp_path / "traffic.json"
    r = run("--json", "traffic", "scenarios/default.json", "--phase", "decode", "-o", out)
    assert r.returncode == 0, r.stderr
    t = r.json()
    assert json.loads(out.read_text()) == t
    assert t["gpus"] == 64 and t["nodes"] == 8
    assert len(t["dispatch_gpu_bytes"]) == 64 and len(t["dispatch_node_bytes"][0]) == 8
    off_node = sum(v for a, row in enumerate(t["dispatch_node_bytes"]) for b, v in enumerate(row) if a != b)
    ev = run("--json", "eval", "scenarios/default.json").json()
    scale_out = ev["network"]["decode"]["dispatch"]["bytes_per_tier"]["scale_out"]
    assert abs(off_node - scale_out) <= 1e-9 * scale_out
    assert run("traffic", "scenarios/default.json", "--phase", "sometimes").returncode == 2
    dense = run("traffic", "scenarios/llama-3-70b-dense-1x8-h100.json")
    assert dense.returncode == 2 and "/model" in dense.stderr


def test_nodes_alone_rescales_the_default_scenario(run, tmp_path):
    s = json.loads((REPO / "scenarios" / "default.json").read_text())
    s["deployment"]["nodes"] = 4
    path = tmp_path / "four.json"
    path.write_text(json.dumps(s))
    r = run("--json", "eval", path)
    assert r.returncode == 0, r.stderr
    assert r.json()["deployment"]["moe_ep"] == 32
