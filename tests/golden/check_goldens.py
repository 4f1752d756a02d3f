#!/usr/bin/env python3
"""Golden headline metrics of every bundled scenario (scenarios/*.json, not scenarios/sweeps/).

Check (ctest golden.headline_metrics):
    check_goldens.py [--bin build/bin/moescope]
runs `moescope --json eval` on each scenario, compares every pinned metric of tests/golden/headline_metrics.json
with the value now (relative tolerance 1e-6, absolute floor 1e-12 for zeros), prints a table of every mismatch and
exits 1 on any mismatch, on a pinned scenario that no longer exists and on a bundled scenario without a pin.

Re-pin (scripts/repin_goldens.sh):
    check_goldens.py --write
recomputes the pins, prints the same table against the current file, keeps the existing scenarios in their order,
appends new ones at the end, drops deleted ones and writes the file atomically (temporary file, then rename).
A model change is a reviewed diff of headline_metrics.json.

Metrics are read from the `engine` object of the report only (its keys are stable): dotted paths below it.
"""
import argparse
import concurrent.futures
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PINS = Path(__file__).resolve().parent / "headline_metrics.json"
REPIN_COMMAND = "scripts/repin_goldens.sh"
RELATIVE_TOLERANCE = 1e-6
ABSOLUTE_FLOOR = 1e-12  # below every nonzero headline figure (seconds >= 1e-7, bytes and tokens/s >= 1)

# Paths below the report's `engine` object. The MoE ones exist only for MoE models.
METRICS = [
    "summary.ttft_seconds",
    "summary.tpot_seconds",
    "summary.prefill_tokens_per_s_per_gpu",
    "summary.decode_tokens_per_s_per_gpu",
    "summary.prefill_memory_per_gpu_bytes",
    "summary.decode_memory_per_gpu_bytes",
] + [f"{phase}.moe.{key}" for phase in ("prefill", "decode")
     for key in ("dispatch_seconds", "combine_seconds", "scale_out_bytes_per_gpu", "scale_up_bytes_per_gpu",
                 "busiest_gpu_expert_tokens")]

COMMENT = ("Golden headline metrics of every scenarios/*.json, from `moescope --json eval` (keys: paths below the "
           "report's engine object). Checked by tests/golden/check_goldens.py (ctest golden.headline_metrics, "
           f"relative tolerance {RELATIVE_TOLERANCE:g}). Re-pin after a deliberate model change with "
           f"{REPIN_COMMAND} (MOESCOPE_BUILD_DIR selects the build) and commit the diff for review.")


def bundled_scenarios(directory):
    return sorted(p.name for p in Path(directory).glob("*.json"))


def extract(engine):
    """The pinned metrics present in one report's engine object, in METRICS order."""
    out = {}
    for path in METRICS:
        node = engine
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            out[path] = float(node)
    return out


def evaluate(binary, scenario):
    env = dict(os.environ)
    env.setdefault("MOESCOPE_DATA_DIR", str(REPO))
    proc = subprocess.run([binary, "--json", "eval", str(scenario)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"moescope eval {scenario} exited with {proc.returncode}: {proc.stderr.strip()}")
    return extract(json.loads(proc.stdout)["engine"])


def evaluate_all(binary, directory, names, jobs):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {name: pool.submit(evaluate, binary, Path(directory) / name) for name in names}
        return {name: f.result() for name, f in futures.items()}


def matches(pinned, now):
    return abs(now - pinned) <= max(RELATIVE_TOLERANCE * max(abs(pinned), abs(now)), ABSOLUTE_FLOOR)


def fmt(v):
    return "-" if v is None else f"{v:.9g}"


def relative_change(pinned, now):
    if pinned is None or now is None:
        return "-"
    if pinned == 0:
        return "inf" if now != 0 else "0"
    return f"{(now - pinned) / abs(pinned):+.3e}"


def compare(pins, current):
    """Rows (scenario, metric, pinned, now, relative change) of every difference between two {scenario: metrics}."""
    rows = []
    for scenario in list(pins) + [s for s in current if s not in pins]:
        old, new = pins.get(scenario), current.get(scenario)
        if old is None:
            rows.append((scenario, "(no pin)", "-", "-", "new scenario"))
            continue
        if new is None:
            rows.append((scenario, "(scenario gone)", "-", "-", "removed"))
            continue
        for metric in list(old) + [m for m in new if m not in old]:
            a, b = old.get(metric), new.get(metric)
            if a is not None and b is not None and matches(a, b):
                continue
            change = relative_change(a, b) if a is not None and b is not None else (
                "not reported now" if b is None else "not pinned")
            rows.append((scenario, metric, fmt(a), fmt(b), change))
    return rows


def table(rows):
    header = ("scenario", "metric", "pinned", "now", "relative change")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def load_pins(path):
    data = json.loads(Path(path).read_text())
    scenarios = data.get("scenarios")
    if not isinstance(scenarios, dict):
        raise ValueError(f"{path}: expected an object \"scenarios\"")
    for name, metrics in scenarios.items():
        if not isinstance(metrics, dict) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in metrics.values()):
            raise ValueError(f"{path}: /scenarios/{name}: expected an object of finite numbers")
    return {name: {k: float(v) for k, v in metrics.items()} for name, metrics in scenarios.items()}


def write_atomically(path, text):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def repinned(pins, current):
    """Existing scenarios in their order (deleted ones dropped), then new ones in name order."""
    order = [s for s in pins if s in current] + [s for s in current if s not in pins]
    return {"comment": COMMENT, "scenarios": {s: current[s] for s in order}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.environ.get("MOESCOPE_BIN", str(REPO / "build" / "bin" / "moescope")),
                    help="the moescope CLI (default: $MOESCOPE_BIN, else build/bin/moescope)")
    ap.add_argument("--pins", default=str(PINS), help="pin file (default: tests/golden/headline_metrics.json)")
    ap.add_argument("--scenarios", default=str(REPO / "scenarios"), help="scenario folder (default: scenarios/)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="CLI runs in parallel")
    ap.add_argument("--write", action="store_true", help="re-pin: recompute and rewrite the pin file")
    args = ap.parse_args(argv)

    if not Path(args.bin).is_file():
        print(f"check_goldens: no CLI at {args.bin} (build it: scripts/build.sh)", file=sys.stderr)
        return 2
    pins_path = Path(args.pins)
    pins = load_pins(pins_path) if pins_path.exists() or not args.write else {}
    names = bundled_scenarios(args.scenarios)
    try:
        current = evaluate_all(args.bin, args.scenarios, names, args.jobs)
    except RuntimeError as e:
        print(f"check_goldens: {e}", file=sys.stderr)
        return 2
    rows = compare(pins, current)

    if args.write:
        if rows:
            print(f"{len(rows)} change(s) against {pins_path}:\n{table(rows)}")
        else:
            print(f"no change against {pins_path}")
        write_atomically(pins_path, json.dumps(repinned(pins, current), indent=2) + "\n")
        print(f"wrote {len(current)} scenario(s) to {pins_path}; review and commit the diff")
        return 0

    checked = sum(len(m) for s, m in pins.items() if s in current)
    if not rows:
        print(f"golden headline metrics: {len(current)} scenarios, {checked} metrics match {pins_path.name}")
        return 0
    print(f"golden headline metrics: {len(rows)} mismatch(es) against {pins_path} "
          f"(relative tolerance {RELATIVE_TOLERANCE:g}):\n{table(rows)}")
    if any(r[1] in ("(no pin)", "(scenario gone)") for r in rows):
        print(f"\na bundled scenario has no pin or a pinned scenario no longer exists: run {REPIN_COMMAND}")
    print(f"\nif the change is intended, run {REPIN_COMMAND} and commit the diff of {PINS.relative_to(REPO)}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
