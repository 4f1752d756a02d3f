"""Bad input: every message names the file, the JSON path and what was expected; exit status 2; no crash."""
from conftest import BAD, REPO


def expect_error(result, *fragments):
    assert result.returncode == 2, result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in:\n{result.stderr}"


def test_malformed_json_names_line_and_column(run):
    r = run("eval", BAD / "malformed.json")
    expect_error(r, "malformed.json", "line 4", "malformed JSON")


def test_unknown_key_is_an_error(run):
    r = run("eval", BAD / "unknown_key.json")
    expect_error(r, "unknown_key.json", "/deployment/moe/expert_parallel", "unknown field")


def test_missing_field(run):
    r = run("eval", BAD / "missing_field.json")
    expect_error(r, "missing_field.json", "/deployment/nodes", "missing required field", "integer in [1, 131072]")


def test_wrong_type(run):
    r = run("eval", BAD / "wrong_type.json")
    expect_error(r, "/deployment/nodes", 'expected an integer in [1, 131072], got the string "eight"')


def test_negative_and_zero_sizes_all_reported(run):
    r = run("eval", BAD / "negative_size.json")
    expect_error(r, "/workload/input_tokens", "got -5", "/workload/batch_per_gpu", "got 0", "2 problem(s)")


def test_unknown_model_lists_known_names(run):
    r = run("eval", BAD / "unknown_model.json")
    expect_error(r, "unknown_model.json", "/model", 'unknown model "deepseek-v9"', "deepseek-v3")


def test_unknown_system_lists_known_names(run):
    r = run("eval", BAD / "unknown_system.json")
    expect_error(r, "/system", 'unknown system "dgx-h1000"', "dgx-h100")


def test_ep_must_divide_gpus(run):
    r = run("eval", BAD / "ep_not_dividing_gpus.json")
    expect_error(r, "/deployment/moe/ep", "expected MoE EP x TP = 64", "48 x 1")


def test_ep_must_divide_experts_or_slots_given(run):
    r = run("eval", BAD / "ep_not_dividing_experts.json")
    expect_error(r, "/deployment/moe/ep", "divides the 256 routed experts, got 72", "expert_slots_per_gpu", "32 of them redundant")


def test_tp_must_divide_heads(run):
    r = run("eval", BAD / "tp_not_dividing_heads.json")
    expect_error(r, "/deployment/attention/tp", "divides the model's 64 attention heads, got 3")


def test_node_larger_than_scale_up_domain(run):
    r = run("eval", BAD / "gpus_per_node_too_large.json")
    expect_error(r, "/deployment/gpus_per_node", "scale-up domain size", "(8), got 16")


def test_unknown_data_type(run):
    r = run("eval", BAD / "bad_dtype.json")
    expect_error(r, "/workload/dtypes/weights", '"bf16"', 'got "fp7"')


def test_top_level_not_an_object(run):
    r = run("eval", BAD / "not_an_object.json")
    expect_error(r, "not_an_object.json", "expected an object, got an array")


def test_out_of_range_fraction_and_missing_exponent(run):
    r = run("eval", BAD / "bad_hit_rate.json")
    expect_error(r, "/workload/kv_cache_hit_rate", "in [0, 1], got 1.5", "/routing/exponent", "missing required field")


def test_fractional_count(run):
    r = run("eval", BAD / "fractional_nodes.json")
    expect_error(r, "/deployment/nodes", "integer in [1, 131072], got the number 2.5")


def test_missing_scenario_file(run):
    r = run("eval", BAD / "does_not_exist.json")
    expect_error(r, "does_not_exist.json", "cannot open file")


def test_hwdb_problems_all_reported(run):
    r = run("--data-dir", REPO / "tests" / "data" / "bad-root", "check")
    expect_error(
        r,
        "gpu-x.json: /name",  # name does not match the file
        "/peak_dense_flop_per_s/bf16/source: missing required field",
        "/hbm_capacity_bytes/value: expected a number in [1e+06, 1e+14], got -1",
        "/hbm_bandwidth_bytes_per_s/source: expected a non-empty source",
        "/hbm_speed: unknown field",
        "box.json: /node/scale_up/topology",
        '"torus_3d", got "ring"',
        'unknown accelerator "gpu-z"',
        'unknown interconnect "warp-link"',
        "gpu-z-compute.json: /parameters/memory_bandwidth_efficiency",
        "oops.json: expected a name ending in -compute.json or -network.json",
    )


def test_unknown_hardware_name_in_hw_show(run):
    r = run("hw", "show", "h1000")
    expect_error(r, 'unknown hardware item "h1000"', "h100-sxm")


def test_output_written_atomically_and_not_on_error(run, tmp_path):
    out = tmp_path / "report.json"
    r = run("eval", BAD / "unknown_model.json", "-o", out)
    assert r.returncode == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_expert_parallel_domain_beyond_the_traffic_matrices_is_a_clear_error(run):
    # 8000 GPUs with redundant experts: GPU x GPU matrices would take gigabytes; reported on the deployment, exit 2.
    r = run("eval", BAD / "ep_domain_too_large.json")
    expect_error(r, "ep_domain_too_large.json", "/deployment/nodes", "at most 4096 GPUs", "got 8000")
