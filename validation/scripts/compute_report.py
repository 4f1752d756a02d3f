#!/usr/bin/python3
"""Produces validation/reports/compute.md: runs `moescope validate` on the compute suites in both time-model modes
and tabulates the errors (calibration, held-out and excluded rows apart). Python 3 standard library only.

    /usr/bin/python3 validation/scripts/compute_report.py [--moescope build/bin/moescope] [--refit]

--refit first refits the compute calibrations (hwdb/calibrations/<accelerator>-compute.json) on the calibration
rows, exactly as committed: h800-sxm on DeepGEMM; h100-sxm on the aiconfigurator tables and the H100 matmul rows;
the other accelerators with matmul rows on those rows.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SUITES = ["deepgemm-h800.json", "aiconfigurator-h100-moe-decode.json", "aiconfigurator-h100-moe-prefill.json",
          "aiconfigurator-h100-mla-decode.json", "matmul-max-achievable.json"]
FITS = [("h800-sxm", ["deepgemm-h800.json"]),
        ("h100-sxm", ["aiconfigurator-h100-moe-decode.json", "aiconfigurator-h100-moe-prefill.json",
                      "aiconfigurator-h100-mla-decode.json", "matmul-max-achievable.json"])]
MATMUL_DEVICES = ["a100-sxm-80gb", "b200", "gb200", "b300", "mi300x", "mi355x", "gaudi3"]
TARGETS = {"deepgemm-h800": 10.0, "aiconfigurator-h100-moe-decode": 15.0, "aiconfigurator-h100-moe-prefill": 15.0,
           "aiconfigurator-h100-mla-decode": 15.0}


def run(binary, args):
    r = subprocess.run([binary] + args, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("moescope %s failed (%d):\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def suite_paths(names):
    return [os.path.join("validation", "suites", n) for n in names]


def fmt(s):
    if not s["count"]:
        return "-", "-", "-", "0"
    return "%.1f" % s["mape_percent"], "%.1f" % s["median_abs_percent"], "%.1f" % s["max_abs_percent"], str(s["count"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moescope", default=os.path.join(ROOT, "build", "bin", "moescope"))
    ap.add_argument("--refit", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "validation", "reports", "compute.md"))
    a = ap.parse_args()
    if a.refit:
        for device, suites in FITS:
            run(a.moescope, ["validate", "--summary", "--fit", device] + suite_paths(suites))
        args = ["validate", "--summary"]
        for d in MATMUL_DEVICES:
            args += ["--fit", d]
        run(a.moescope, args + suite_paths(["matmul-max-achievable.json"]))
    data = json.loads(run(a.moescope, ["--json", "validate", "--mode", "both"] + suite_paths(SUITES)))
    by = {}
    for s in data["suites"]:
        by[(s["suite"], s["mode"])] = s
    lines = ["# Compute model validation", "",
             "Produced by `/usr/bin/python3 validation/scripts/compute_report.py --moescope build/bin/moescope` "
             "(add `--refit` to refit the calibrations first). Do not edit by hand.", "",
             "Suites: `validation/suites/` (converted from `../shared/reference/measurements/` by "
             "`validation/scripts/convert_compute_suites.py`; readings of the data in docs/compute-model.md). "
             "Calibrations: `hwdb/calibrations/*-compute.json`. Errors are (predicted - measured) / measured; MAPE = mean "
             "absolute percentage error. Held-out rows were not used to fit the calibration; excluded rows are faster than "
             "the speed of light of the work they describe (see the suite notes) and are reported but not counted.", "",
             "## Summary (held-out rows)", "",
             "| suite | target (calibrated) | calibrated MAPE % | median % | max % | speed-of-light MAPE % | median % | max % | rows |",
             "|---|---|---|---|---|---|---|---|---|"]
    names = [s["suite"] for s in data["suites"] if s["mode"] == "calibrated"]
    for n in names:
        c, sol = by[(n, "calibrated")]["summary"]["holdout"], by[(n, "speed-of-light")]["summary"]["holdout"]
        t = TARGETS.get(n)
        verdict = "-" if t is None else ("<= %.0f%%: %s" % (t, "met" if c["mape_percent"] <= t else "NOT met"))
        fc, fs = fmt(c), fmt(sol)
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (n, verdict, fc[0], fc[1], fc[2], fs[0], fs[1], fs[2], fc[3]))
    lines += ["", "## All splits", "",
              "| suite | mode | split | rows | MAPE % | median % | max % |", "|---|---|---|---|---|---|---|"]
    for n in names:
        for mode in ("calibrated", "speed-of-light"):
            sm = by[(n, mode)]["summary"]
            for split in ("calibration", "holdout", "excluded"):
                if sm[split]["count"]:
                    f = fmt(sm[split])
                    lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (n, mode, split, f[3], f[0], f[1], f[2]))
    lines += ["", "## Worst held-out rows (calibrated)", ""]
    for n in names:
        cases = [c for c in by[(n, "calibrated")]["cases"] if c["split"] == "holdout"]
        cases.sort(key=lambda c: -abs(c["error_percent"]))
        lines += ["### " + n, "", "| case | measured | predicted | error % |", "|---|---|---|---|"]
        for c in cases[:8]:
            unit = c["unit"]
            scale, u = (1e6, "us") if unit == "seconds" else (1e-12, "TFLOP/s")
            lines.append("| %s | %.2f %s | %.2f %s | %+.1f |" % (c["id"], c["measured"] * scale, u, c["predicted"] * scale, u,
                                                             c["error_percent"]))
        lines.append("")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote " + a.out)


if __name__ == "__main__":
    main()
