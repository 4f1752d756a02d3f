"""Hostile input through the real CLI (issue 19): each class gives exit status 2, a message naming the file and the
JSON pointer (or line), no crash, and nothing left on disk. Inputs are generated here, so that a 2 MB nesting bomb
is not committed."""
import json
import os
import signal
import subprocess
import time

import pytest
from conftest import REPO, moescope_bin

DEFAULT = json.loads((REPO / "scenarios" / "default.json").read_text())


def scenario(**edits):
    """The default scenario with edits given as {"/json/pointer": value}."""
    s = json.loads(json.dumps(DEFAULT))
    for pointer, value in edits.items():
        keys = pointer.strip("/").split("/")
        node = s
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return s


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def expect_error(result, *fragments):
    assert result.returncode == 2, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in:\n{result.stderr}"
    assert "internal error" not in result.stderr


def leftovers(folder, inputs):
    return sorted(p.name for p in folder.iterdir() if p.name not in inputs)


DEEP = "[" * 1_000_000 + "]" * 1_000_000

# (case id, file name, content, fragments the message must contain)
SCENARIO_CASES = [
    ("deep-engine", "deep.json", json.dumps(DEFAULT)[:-1] + ', "engine": ' + DEEP + "}",
     ["deep.json", "line 1", "nested deeper than 64"]),
    ("deep-placement-options", "deep_opts.json",
     json.dumps(DEFAULT).replace('"strategy": "linear"', '"strategy": "linear", "options": ' + DEEP),
     ["deep_opts.json", "nested deeper than 64"]),
    ("nodes-2^64", "n64.json", json.dumps(scenario(**{"/deployment/nodes": 18446744073709551615})),
     ["n64.json", "/deployment/nodes", "integer in [1, 131072]"]),
    ("nodes-2^31", "n31.json", json.dumps(scenario(**{"/deployment/nodes": 2 ** 31})),
     ["n31.json", "/deployment/nodes", "integer in [1, 131072]"]),
    ("too-many-gpus", "gpus.json", json.dumps(scenario(**{"/deployment/nodes": 131072})),
     ["gpus.json", "/deployment/nodes", "at most 131072 GPUs in all"]),
    ("batch-2^62", "batch.json", json.dumps(scenario(**{"/workload/batch_per_gpu": 2 ** 62})),
     ["batch.json", "/workload/batch_per_gpu", "integer in [1, 65536]"]),
    ("input-2^62", "tokens.json", json.dumps(scenario(**{"/workload/input_tokens": 2 ** 62})),
     ["tokens.json", "/workload/input_tokens", "integer in [1, 16777216]"]),
    ("denormal-bandwidth", "denormal.json",
     json.dumps(scenario(**{"/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s": 1e-310})),
     ["denormal.json", "/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s", "in [1000, 1e+15]"]),
    ("denormal-flops", "flops.json",
     json.dumps(scenario(**{"/hardware_overrides/accelerator_fields/peak_dense_flop_per_s": {"fp8": 5e-324}})),
     ["flops.json", "/hardware_overrides/accelerator_fields/peak_dense_flop_per_s/fp8", "in [1e+09, 1e+19]"]),
    ("huge-number", "e400.json", json.dumps(DEFAULT).replace('"batch_per_gpu": 128', '"batch_per_gpu": 1e400'),
     ["e400.json", "malformed JSON"]),
    ("multi-node-without-scale-out", "tpu.json",
     json.dumps(scenario(**{"/system": "tpu7x-ironwood-slice", "/deployment/nodes": 2})),
     ["tpu.json", "/deployment/nodes", "has no scale-out network"]),
]


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=[c[0] for c in SCENARIO_CASES])
def test_scenario_class(run, tmp_path, case):
    _, name, content, fragments = case
    path = write(tmp_path, name, content)
    out = tmp_path / "out.json"
    r = run("eval", path, "-o", out)
    expect_error(r, *fragments)
    assert leftovers(tmp_path, {name}) == []


def test_directory_given_as_scenario(run, tmp_path):
    r = run("eval", tmp_path)
    expect_error(r, str(tmp_path), "expected a JSON file, got a directory")


@pytest.mark.parametrize("where", ["directory", "under-a-file", "unwritable"])
def test_output_path_problems_are_input_errors(run, tmp_path, where):
    (tmp_path / "file").write_text("x")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    target = {"directory": tmp_path, "under-a-file": tmp_path / "file" / "out.json",
              "unwritable": locked / "out.json"}[where]
    if where == "unwritable" and os.access(locked, os.W_OK):
        pytest.skip("running as a user that can write anywhere (root)")
    r = run("eval", REPO / "scenarios" / "default.json", "-o", target)
    expect_error(r, str(target), "cannot write this output")
    assert "Success" not in r.stderr
    assert leftovers(tmp_path, {"file", "locked"}) == []
    assert list(locked.iterdir()) == []


def sweep_file(tmp_path, axes, name="sweep.json"):
    return write(tmp_path, name, {"base": str(REPO / "scenarios" / "default.json"), "axes": axes})


def test_sweep_range_that_never_advances(run, tmp_path):
    path = sweep_file(tmp_path, [{"path": "/workload/batch_per_gpu",
                                  "range": {"start": 1e20, "stop": 1e20 + 1e6, "step": 1}}])
    r = run("sweep", path)
    expect_error(r, "sweep.json", "/axes/0/range/step", "changes")


def test_sweep_grid_too_large(run, tmp_path):
    axis = {"geometric": {"start": 1, "stop": 100, "count": 1000}}
    axes = [dict(axis, path=p) for p in ("/workload/batch_per_gpu", "/workload/input_tokens", "/workload/output_tokens")]
    r = run("sweep", sweep_file(tmp_path, axes))
    expect_error(r, "sweep.json", "/axes", "at most 10,000,000 grid points")


def test_sweep_deep_axis_value(run, tmp_path):
    path = write(tmp_path, "sweep.json", '{"base": "%s", "axes": [{"path": "/engine", "values": [%s]}]}'
                 % (REPO / "scenarios" / "default.json", DEEP))
    expect_error(run("sweep", path), "sweep.json", "nested deeper than 64")


def test_sweep_threads_bounded(run, tmp_path):
    path = write(tmp_path, "sweep.json", {"base": str(REPO / "scenarios" / "default.json"), "threads": 10 ** 6,
                                          "axes": [{"path": "/workload/batch_per_gpu", "values": [1, 2]}]})
    expect_error(run("sweep", path), "sweep.json", "/threads", "in [0, 1024]")


def test_failed_sweep_output_leaves_neither_file(run, tmp_path):
    # The CSV is written beside a JSON that cannot be: neither may appear.
    (tmp_path / "res.json").mkdir()
    path = write(tmp_path, "sweep.json", {"base": str(REPO / "scenarios" / "default.json"), "output": "res",
                                          "axes": [{"path": "/workload/batch_per_gpu", "values": [1, 2]}]})
    r = run("sweep", path)
    expect_error(r, "res.json", "is a directory")
    assert leftovers(tmp_path, {"sweep.json", "res.json"}) == []


def test_interrupted_sweep_leaves_nothing(tmp_path):
    values = list(range(1, 65537, 1))
    path = write(tmp_path, "sweep.json", {"base": str(REPO / "scenarios" / "default.json"), "output": "res",
                                          "threads": 1, "axes": [{"path": "/workload/batch_per_gpu",
                                                                  "values": values}]})
    env = dict(os.environ, MOESCOPE_DATA_DIR=str(REPO))
    proc = subprocess.Popen([moescope_bin(), "sweep", str(path)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert leftovers(tmp_path, {"sweep.json"}) == []


def test_catalog_model_with_absurd_sizes(run, tmp_path):
    catalog = json.loads((REPO / "models" / "catalog" / "deepseek-v3.json").read_text())
    catalog["name"] = "huge"
    catalog["num_layers"] = 5_000_000
    catalog["moe"]["num_routed_experts"] = 10 ** 9
    (tmp_path / "models" / "catalog").mkdir(parents=True)
    write(tmp_path / "models" / "catalog", "huge.json", catalog)
    os.symlink(REPO / "hwdb", tmp_path / "hwdb")
    r = run("--data-dir", tmp_path, "model", "list")
    expect_error(r, "huge.json", "/num_layers", "integer in [1, 4096]", "/moe/num_routed_experts",
                 "integer in [1, 65536]")


def test_imported_config_with_absurd_experts(run, tmp_path):
    source = REPO.parent / "shared" / "reference" / "model-configs" / "deepseek-ai--DeepSeek-V3.json"
    if not source.exists():
        pytest.skip("../shared/reference is not beside the checkout")
    config = json.loads(source.read_text())
    config["n_routed_experts"] = 1e30
    path = write(tmp_path, "config.json", config)
    r = run("model", "import", path)
    expect_error(r, "config.json", "/n_routed_experts", "at most 65536")


def test_hwdb_fractional_gpus_and_huge_domain(run, tmp_path):
    import shutil
    shutil.copytree(REPO / "hwdb", tmp_path / "hwdb")
    os.symlink(REPO / "models", tmp_path / "models")
    system = tmp_path / "hwdb" / "systems" / "dgx-h100.json"
    s = json.loads(system.read_text())
    s["node"]["accelerators_per_node"]["value"] = 7.5
    s["node"]["scale_up"]["domain_size"]["value"] = 2 ** 63
    system.write_text(json.dumps(s))
    r = run("--data-dir", tmp_path, "check")
    expect_error(r, "dgx-h100.json", "/node/accelerators_per_node/value", "got the number 7.5",
                 "/node/scale_up/domain_size/value", "integer in [1, 131072]")


def test_missing_trace_names_the_scenario_and_field(run, tmp_path):
    trace_scenario = json.loads((REPO / "scenarios" / "deepseek-v2-lite-trace-2x8-h100.json").read_text())
    trace_scenario["routing"]["file"] = str(tmp_path / "gone.mst")
    path = write(tmp_path, "trace.json", trace_scenario)
    expect_error(run("eval", path), "trace.json", "/routing/file", "gone.mst")
