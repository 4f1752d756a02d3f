"""The end-to-end validation report (validation/reports/e2e.md) is produced by one command,
validation/scripts/e2e_report.sh; its predictions are the step model's, the same as `moescope eval`."""
import os
import re
import subprocess

from conftest import REPO, moescope_bin

SCRIPT = REPO / "validation" / "scripts" / "e2e_report.sh"


def run_script(*args):
    env = dict(os.environ)
    env.pop("MOESCOPE_BIN", None)
    return subprocess.run(["bash", str(SCRIPT), *map(str, args)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def table_row(text, label):
    for line in text.splitlines():
        if line.startswith(f"| {label} |"):
            return [c.strip() for c in line.strip("|").split("|")]
    raise AssertionError(f"no row {label!r} in the report")


def number(cell):
    return float(re.match(r"[+-]?[\d,.]+", cell).group(0).replace(",", ""))


def test_report_matches_eval_and_published_figures(run, tmp_path):
    out = tmp_path / "e2e.md"
    r = run_script(moescope_bin(), out)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e2e.md"]  # written through a temporary, then renamed
    text = out.read_text()
    for name, scenario, published in (("prefill, 1K prompts", "sglang-prefill-1k-4x8-h100", 57674),
                                      ("prefill, 4K prompts", "sglang-prefill-4k-4x8-h100", 50302),
                                      ("decode, 2K input, batch 256/GPU", "sglang-decode-9x8-h100", 22282)):
        row = table_row(text, name)
        assert number(row[1]) == published
        e = run("--json", "eval", REPO / "scenarios" / f"{scenario}.json")
        assert e.returncode == 0, e.stderr
        engine = e.json()["engine"]
        phase = engine["decode"] if "decode" in name else engine["prefill"]
        assert abs(number(row[2]) - phase["tokens_per_s_per_node"]) <= 0.5
        assert abs(number(row[3]) - (phase["tokens_per_s_per_node"] / published - 1) * 100) <= 0.05
    # The secondary balanced-routing table evaluates the DeepSeek profile scenario on its own system.
    row = table_row(text, "DeepSeek profile (4 x 8 H800)")
    e = run("--json", "eval", REPO / "scenarios" / "deepseek-profile-prefill-4x8-h800.json")
    assert abs(number(row[3]) - e.json()["engine"]["prefill"]["tokens_per_s_per_node"]) <= 0.5
    assert "routing expected:uniform:group_limited" in text


def test_missing_binary_is_a_clear_error(tmp_path):
    r = run_script(tmp_path / "no-such-moescope", tmp_path / "e2e.md")
    assert r.returncode != 0
    assert "no moescope binary" in r.stderr
    assert not (tmp_path / "e2e.md").exists()
