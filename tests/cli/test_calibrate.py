"""End-to-end tests of `moescope calibrate` (docs/calibration.md) on a published suite and on the synthetic CUDA
fixture tests/data/cuda/synthetic-h100-sxm.json (hand-made, not a measurement)."""
import json
import shutil

import pytest

from conftest import REPO

DEEPGEMM = REPO / "validation" / "suites" / "deepgemm-h800.json"
FIXTURE = REPO / "tests" / "data" / "cuda" / "synthetic-h100-sxm.json"


def test_fit_on_published_suite_held_out_error_does_not_get_worse(run, tmp_path):
    out = tmp_path / "h800-sxm-compute.json"
    r = run("--json", "calibrate", DEEPGEMM, "--device", "h800-sxm", "-o", out)
    assert r.returncode == 0, r.stderr
    d = r.json()
    assert d["device"] == "h800-sxm"
    assert d["calibration_cases"] == 21 and d["holdout_cases"] == 7
    before, after = d["errors"]["default"], d["errors"]["fitted"]
    assert before["holdout"]["count"] == after["holdout"]["count"] == 7
    assert after["calibration"]["mape_percent"] <= before["calibration"]["mape_percent"]
    assert after["holdout"]["mape_percent"] <= before["holdout"]["mape_percent"]
    # Written atomically (no temporary left behind), with provenance.
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
    cal = json.loads(out.read_text())
    assert cal["kind"] == "compute_calibration" and cal["accelerator"] == "h800-sxm"
    assert cal["fitted_on"][0]["suite"] == "validation/suites/deepgemm-h800.json"
    held = {c["id"] for c in json.loads(DEEPGEMM.read_text())["cases"] if c.get("split", "holdout") == "holdout"}
    assert len(cal["fitted_on"][0]["case_ids"]) == 21
    assert not held & set(cal["fitted_on"][0]["case_ids"])
    assert cal["fit"]["date_utc"].endswith("Z")
    assert cal["fit"]["inputs"][0]["file"] == "validation/suites/deepgemm-h800.json"
    assert cal["fit"]["errors_fitted"]["holdout"]["mape_percent"] == pytest.approx(after["holdout"]["mape_percent"])
    assert cal["generated_by"].startswith("moescope calibrate")


def test_text_output_reports_held_out_rows_apart(run, tmp_path):
    r = run("calibrate", DEEPGEMM, "--device", "h800-sxm", "-o", tmp_path / "c.json")
    assert r.returncode == 0, r.stderr
    assert "calibration rows" in r.stdout and "held-out rows" in r.stdout
    assert "default (built-in)" in r.stdout and "fitted" in r.stdout


def test_validate_picks_up_the_written_calibration(run, tmp_path):
    # A private data directory: the hardware database without any calibration file.
    data = tmp_path / "data"
    shutil.copytree(REPO / "hwdb", data / "hwdb", ignore=shutil.ignore_patterns("calibrations"))
    env = {"MOESCOPE_DATA_DIR": str(data)}
    v0 = run("--json", "validate", "--summary", DEEPGEMM, env_extra=env)
    assert v0.returncode == 0, v0.stderr
    c = run("--json", "calibrate", DEEPGEMM, "--device", "h800-sxm", env_extra=env)
    assert c.returncode == 0, c.stderr
    written = data / "hwdb" / "calibrations" / "h800-sxm-compute.json"
    assert written.is_file()
    assert c.json()["output"] == str(written)
    v1 = run("--json", "validate", "--summary", DEEPGEMM, env_extra=env)
    assert v1.returncode == 0, v1.stderr
    s0, s1 = v0.json()["suites"][0]["summary"], v1.json()["suites"][0]["summary"]
    errors = c.json()["errors"]
    for split in ("calibration", "holdout"):
        assert s0[split]["mape_percent"] == pytest.approx(errors["default"][split]["mape_percent"])
        assert s1[split]["mape_percent"] == pytest.approx(errors["fitted"][split]["mape_percent"])
    # A second run compares with the calibration now installed.
    c2 = run("--json", "calibrate", DEEPGEMM, "--device", "h800-sxm", "-o", tmp_path / "again.json", env_extra=env)
    assert c2.returncode == 0, c2.stderr
    assert c2.json()["installed_file"] == str(written)
    assert c2.json()["errors"]["installed"]["holdout"]["mape_percent"] == pytest.approx(
        errors["fitted"]["holdout"]["mape_percent"])


def test_cuda_fixture(run, tmp_path):
    out = tmp_path / "c.json"
    r = run("--json", "calibrate", FIXTURE, "--device", "h100-sxm", "-o", out)
    assert r.returncode == 0, r.stderr
    d = r.json()
    cuda = d["inputs"][0]["cuda"]
    assert d["inputs"][0]["kind"] == "cuda_measurements"
    assert cuda["cases"] == 29 and cuda["errored"] == 6 and cuda["converted"] == 20
    assert cuda["converted_by_operation"] == {"gemm": 12, "grouped_gemm": 4, "attention_decode": 2, "memory_stream": 2}
    assert cuda["errors_by_kind"] == {"skipped": 4, "unsupported": 1, "verification failed": 1}
    # Every converted family has a predictor; L2-resident read, launch overhead and memcpy are not modeled.
    assert cuda["without_predictor"] == 0 and cuda["not_modeled"] == 3
    assert cuda["grouped_as_single_kernel"] == 0
    assert cuda["converted"] + cuda["errored"] + cuda["without_predictor"] + cuda["not_modeled"] == cuda["cases"]
    assert d["calibration_cases"] == 16 and d["holdout_cases"] == 4
    assert "SYNTHETIC" in cuda["gpu"]
    cal = json.loads(out.read_text())
    assert cal["fitted_on"][0]["suite"] == "tests/data/cuda/synthetic-h100-sxm.json"
    assert len(cal["fitted_on"][0]["case_ids"]) == 16
    # Text mode names what was skipped.
    t = run("calibrate", FIXTURE, "--device", "h100-sxm", "-o", out)
    assert t.returncode == 0, t.stderr
    assert "6 with an error" in t.stdout and "without a compute predictor" in t.stdout


def _variant(tmp_path, name, edit):
    d = json.loads(FIXTURE.read_text())
    edit(d)
    p = tmp_path / name
    p.write_text(json.dumps(d))
    return p


@pytest.mark.parametrize("name,edit,pointer", [
    ("schema.json", lambda d: d.update(schema="moescope-cuda-measurements/2"), "/schema"),
    ("median.json", lambda d: d["cases"][4].pop("median_seconds"), "/cases/4/median_seconds"),
    ("param.json", lambda d: d["cases"][1]["params"].pop("k"), "/cases/1/params/k"),
    ("family.json", lambda d: d["cases"][0].pop("family"), "/cases/0/family"),
    ("error.json", lambda d: d["cases"][2].update(error=7), "/cases/2/error"),
    ("groups.json", lambda d: d["cases"][13]["params"]["m_per_group"].__setitem__(0, "x"), "/cases/13/params/m_per_group/0"),
])
def test_bad_cuda_file_exits_2_with_file_and_pointer(run, tmp_path, name, edit, pointer):
    bad = _variant(tmp_path, name, edit)
    out = tmp_path / "out.json"
    r = run("calibrate", bad, "--device", "h100-sxm", "-o", out)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{bad}: {pointer}" in r.stderr
    assert not out.exists()


def test_bad_inputs_exit_2(run, tmp_path):
    out = tmp_path / "out.json"
    not_json = tmp_path / "broken.json"
    not_json.write_text('{"schema": ')
    r = run("calibrate", not_json, "--device", "h100-sxm", "-o", out)
    assert r.returncode == 2 and str(not_json) in r.stderr
    r = run("calibrate", tmp_path / "missing.json", "--device", "h100-sxm", "-o", out)
    assert r.returncode == 2 and "missing.json" in r.stderr
    r = run("calibrate", DEEPGEMM, "--device", "h999", "-o", out)
    assert r.returncode == 2 and "h999" in r.stderr
    r = run("calibrate", DEEPGEMM, "--device", "h100-sxm", "-o", out)  # the suite measures h800-sxm only
    assert r.returncode == 2 and "no calibration row" in r.stderr
    suite = tmp_path / "suite.json"
    suite.write_text(json.dumps({"kind": "validation_suite", "name": "s", "cases": [{"id": "a", "device": "h800-sxm"}]}))
    r = run("calibrate", suite, "--device", "h800-sxm", "-o", out)
    assert r.returncode == 2 and f"{suite}: /cases/0/operation" in r.stderr
    assert not out.exists()


def test_operation_filter(run, tmp_path):
    r = run("--json", "calibrate", DEEPGEMM, "--device", "h800-sxm", "--operation", "gemm", "-o", tmp_path / "c.json")
    assert r.returncode == 0, r.stderr
    d = r.json()
    assert d["cases_by_operation"] == {"gemm": 18}
    assert d["calibration_cases"] == 14 and d["holdout_cases"] == 4
    r = run("calibrate", DEEPGEMM, "--device", "h800-sxm", "--operation", "gemmm", "-o", tmp_path / "c.json")
    assert r.returncode == 2 and "--operation" in r.stderr and "gemmm" in r.stderr
