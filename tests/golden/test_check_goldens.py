"""The golden checker can fail: a pin moved by 1%, a scenario without a pin and a pin without a scenario are each
reported (ctest golden.checker). Runs the CLI on two copied scenarios only, to stay fast."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHECKER = HERE / "check_goldens.py"
PINS = HERE / "headline_metrics.json"
SCENARIOS = ["default.json", "mixtral-8x7b-decode-1x8-mi300x.json"]  # MoE multi-node and MoE single-node


def moescope_bin():
    return os.environ.get("MOESCOPE_BIN", str(REPO / "build" / "bin" / "moescope"))


def run_checker(*args):
    return subprocess.run([sys.executable, str(CHECKER), "--bin", moescope_bin(), "--jobs", "2", *map(str, args)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)


@pytest.fixture
def subset(tmp_path):
    """A scenario folder with two bundled scenarios and a pin file holding exactly their pins."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name in SCENARIOS:
        shutil.copy(REPO / "scenarios" / name, folder / name)
    data = json.loads(PINS.read_text())
    data["scenarios"] = {name: data["scenarios"][name] for name in SCENARIOS}
    pins = tmp_path / "pins.json"
    pins.write_text(json.dumps(data, indent=2))
    return folder, pins, data


def test_the_bundled_pins_cover_every_scenario_with_numbers():
    data = json.loads(PINS.read_text())
    assert "re-pin" in data["comment"].lower() and "scripts/repin_goldens.sh" in data["comment"]
    assert sorted(data["scenarios"]) == sorted(p.name for p in (REPO / "scenarios").glob("*.json"))
    for name, metrics in data["scenarios"].items():
        assert "summary.ttft_seconds" in metrics and "summary.tpot_seconds" in metrics, name
        assert all(isinstance(v, (int, float)) for v in metrics.values()), name


def test_unchanged_pins_pass(subset):
    folder, pins, _ = subset
    r = run_checker("--scenarios", folder, "--pins", pins)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 scenarios" in r.stdout


def test_a_pin_moved_by_one_percent_is_reported(subset):
    folder, pins, data = subset
    old = data["scenarios"]["default.json"]["summary.tpot_seconds"]
    data["scenarios"]["default.json"]["summary.tpot_seconds"] = old * 1.01
    pins.write_text(json.dumps(data, indent=2))
    r = run_checker("--scenarios", folder, "--pins", pins)
    assert r.returncode == 1, r.stdout + r.stderr
    rows = [line.split() for line in r.stdout.splitlines() if line.startswith("default.json")]
    assert len(rows) == 1, r.stdout
    scenario, metric, pinned, now, change = rows[0]
    assert metric == "summary.tpot_seconds"
    assert float(pinned) == pytest.approx(old * 1.01, rel=1e-8) and float(now) == pytest.approx(old, rel=1e-8)
    assert float(change) == pytest.approx(1 / 1.01 - 1, rel=1e-3)  # the value now relative to the pin
    assert "scripts/repin_goldens.sh" in r.stdout


def test_a_scenario_without_a_pin_and_a_pin_without_a_scenario_fail(subset):
    folder, pins, data = subset
    data["scenarios"]["gone.json"] = data["scenarios"].pop("mixtral-8x7b-decode-1x8-mi300x.json")
    pins.write_text(json.dumps(data, indent=2))
    r = run_checker("--scenarios", folder, "--pins", pins)
    assert r.returncode == 1, r.stdout + r.stderr
    assert any(line.startswith("gone.json") and "(scenario gone)" in line for line in r.stdout.splitlines())
    assert any(line.startswith("mixtral-8x7b") and "(no pin)" in line for line in r.stdout.splitlines())
    assert "run scripts/repin_goldens.sh" in r.stdout


def test_repin_keeps_the_order_appends_new_scenarios_and_restores_the_values(subset):
    folder, pins, data = subset
    # Reverse order, drop one scenario and perturb one value: re-pinning restores the value, keeps the order of the
    # existing entries and appends the missing scenario at the end.
    kept = data["scenarios"]["mixtral-8x7b-decode-1x8-mi300x.json"]
    kept_value = kept["summary.ttft_seconds"]
    kept["summary.ttft_seconds"] = kept_value * 1.01
    data["scenarios"] = {"mixtral-8x7b-decode-1x8-mi300x.json": kept, "gone.json": {"summary.ttft_seconds": 1.0}}
    pins.write_text(json.dumps(data, indent=2))
    r = run_checker("--scenarios", folder, "--pins", pins, "--write")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "summary.ttft_seconds" in r.stdout and "(no pin)" in r.stdout and "(scenario gone)" in r.stdout
    written = json.loads(pins.read_text())
    assert list(written["scenarios"]) == ["mixtral-8x7b-decode-1x8-mi300x.json", "default.json"]
    assert written["scenarios"]["mixtral-8x7b-decode-1x8-mi300x.json"]["summary.ttft_seconds"] == pytest.approx(
        kept_value, rel=1e-12)
    assert sorted(p.name for p in pins.parent.iterdir()) == ["pins.json", "scenarios"]  # no temporary left behind
    assert run_checker("--scenarios", folder, "--pins", pins).returncode == 0
