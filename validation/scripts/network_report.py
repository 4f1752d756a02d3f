#!/usr/bin/env python3
"""Fit the network calibrations and write validation/reports/network.md in one command.

  python3 validation/scripts/network_report.py [--moescope build/bin/moescope] [--no-fit]

Steps (standard library only):
 1. NCCL: for every (collective, GPU count) of the calibration rows of validation/suites/network-nccl-h100.json, fit
    up to three size regimes (LL, LL128, Simple), each time = latency + bus_bytes / bus_bandwidth, by weighted least
    squares on the relative error, breakpoints chosen by exhaustive search; written to
    hwdb/calibrations/dgx-h100-network.json ("collectives").
 2. DeepEP, per kernel and system, on the calibration rows only:
    - rows that give the kernel's SM budget (num_sms; the H100 normal kernels): the SM model
      time = fixed (dispatch) or combine_fixed (combine) + latency
             + max(busiest link / (bandwidth x efficiency), (busiest GPU rows + sm_rows_per_token x tokens) x row
                   bytes / (num_sms x per_sm_bytes_per_s)),
      i.e. achievable bandwidth = min(link, SMs x per-SM rate). Its terms are read from moescope itself by probe
      runs (calibration files with a huge efficiency and a 1 GB/s per-SM rate in a temporary data directory), then
      efficiency, sm_rows_per_token and per_sm_bytes_per_s are found by grid search and the fixed terms by least
      squares on the relative error;
    - other rows: measured_time = fixed_seconds + speed_of_light_time / efficiency (bandwidth rows: efficiency =
      mean measured / predicted bandwidth, fixed 0), per path: rows inside one node over NVLink give the scale-up
      terms, rows that cross the NICs (several nodes, or pure RDMA) scale_out_efficiency and scale_out_fixed_seconds;
    - a system whose suite has no multi-node rows (dgx-h100) takes the scale-out terms of a donor with the same NIC
      (SCALE_OUT_DONORS: h800-deepseek), recorded as "scale_out_from";
    written as "dispatch_kernels" of the system's calibration.
 3. `moescope validate --mode calibrated` on the three suites; held-out and calibration MAPE per suite, operation and
    message-size bucket into validation/reports/network.md. Errors are reported as measured.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SUITES = ["network-nccl-h100", "network-deepep-h800", "network-deepep-h100"]
KIB = 1024.0
BUCKETS = [(0, 4 * KIB, "< 4 KiB"), (4 * KIB, 64 * KIB, "4-64 KiB"), (64 * KIB, 1024 * KIB, "64 KiB-1 MiB"),
           (1024 * KIB, 16 * 1024 * KIB, "1-16 MiB"), (16 * 1024 * KIB, 1e30, ">= 16 MiB")]


def bus_factor(op, n):
    return 2.0 * (n - 1) / n if op == "nccl_all_reduce" else (n - 1) / n


def wls_line(xs, ts):
    """Fits t = a + x / b minimizing sum(((a + c x) - t) / t)^2; returns (a, b) with a >= 0, b > 0."""
    sw = swx = swxx = swt = swxt = 0.0
    for x, t in zip(xs, ts):
        w = 1.0 / (t * t)
        sw += w; swx += w * x; swxx += w * x * x; swt += w * t; swxt += w * x * t
    det = sw * swxx - swx * swx
    if abs(det) < 1e-300:
        return max(ts[0], 0.0), 1e12
    a = (swt * swxx - swx * swxt) / det
    c = (sw * swxt - swx * swt) / det
    if a < 0 or c <= 0:  # constrain: latency-only or bandwidth-only
        a = max(a, 0.0)
        c = max(sum((t - a) / t / t * x for x, t in zip(xs, ts)) / max(sum(x * x / t / t for x, t in zip(xs, ts)), 1e-300), 1e-18)
    return a, 1.0 / c


def sq_rel_err(xs, ts, a, b):
    return sum(((a + x / b) - t) ** 2 / (t * t) for x, t in zip(xs, ts))


def fit_regimes(points):
    """points: sorted [(bus_bytes, size_bytes, time)]. Up to 3 contiguous regimes."""
    n = len(points)
    best = None
    names = ["ll", "ll128", "simple"]
    for i in range(2, n + 1):
        for j in range(i, n + 1):
            segs = [s for s in ((0, i), (i, j), (j, n)) if s[1] - s[0] > 0]
            if any(s[1] - s[0] < 2 for s in segs):
                continue
            err, regimes = 0.0, []
            for s in segs:
                xs = [p[0] for p in points[s[0]:s[1]]]
                ts = [p[2] for p in points[s[0]:s[1]]]
                a, b = wls_line(xs, ts)
                err += sq_rel_err(xs, ts, a, b)
                regimes.append((s, a, b))
            if best is None or err < best[0] - 1e-12:
                best = (err, regimes)
    out = []
    for k, (s, a, b) in enumerate(best[1]):
        last = k == len(best[1]) - 1
        # Boundary halfway (geometrically) between the last point of this regime and the first of the next.
        hi = 1e18 if last else (points[s[1] - 1][1] * points[s[1]][1]) ** 0.5
        out.append({"protocol": names[3 - len(best[1]) + k], "max_bytes": hi, "latency_seconds": a,
                    "bus_bandwidth_bytes_per_s": b})
    return out


def load_suite(name):
    return json.load(open(os.path.join(ROOT, "validation/suites", name + ".json")))


def fit_nccl():
    suite = load_suite("network-nccl-h100")
    groups = {}
    for c in suite["cases"]:
        if c["split"] != "calibration":
            continue
        p = c["parameters"]
        groups.setdefault((c["operation"], p["num_gpus"]), []).append(
            (bus_factor(c["operation"], p["num_gpus"]) * p["message_size_bytes"], p["message_size_bytes"], c["measured"]))
    coll = {}
    for (op, n), pts in sorted(groups.items()):
        # Average repeated measurements of one size.
        by = {}
        for x, s, t in pts:
            by.setdefault(s, []).append((x, t))
        pts = sorted((v[0][0], s, sum(t for _, t in v) / len(v)) for s, v in by.items())
        coll.setdefault(op[len("nccl_"):], []).append({"ranks": n, "regimes": fit_regimes(pts)})
    return coll, sum(len(v) for v in groups.values())


def run_validate(moescope, suites, mode, data_dir=ROOT):
    files = [os.path.join(ROOT, "validation/suites", s + ".json") for s in suites]
    env = dict(os.environ, MOESCOPE_DATA_DIR=data_dir)
    out = subprocess.run([moescope, "--json", "validate", "--mode", mode] + files, capture_output=True, text=True,
                         env=env)
    if out.returncode != 0:
        sys.exit("moescope validate failed:\n" + out.stderr + out.stdout[-2000:])
    return json.loads(out.stdout)


def case_index(suites):
    idx = {}
    for s in suites:
        for c in load_suite(s)["cases"]:
            idx[(s, c["id"])] = c
    return idx


# SM budget a caller gets when it does not set one (DeepEP's Buffer.num_sms default); rows override it.
DEFAULT_SMS = {"deepep-normal": 20}


def probe_dir(kernel_costs_by_system):
    """A data directory mirroring the tree, whose hwdb/calibrations/<system>-network.json hold `kernel_costs`."""
    tmp = tempfile.mkdtemp(prefix="moescope-network-probe-")
    for entry in os.listdir(ROOT):
        if entry != "hwdb":
            os.symlink(os.path.join(ROOT, entry), os.path.join(tmp, entry))
    os.makedirs(os.path.join(tmp, "hwdb", "calibrations"))
    for entry in os.listdir(os.path.join(ROOT, "hwdb")):
        if entry != "calibrations":
            os.symlink(os.path.join(ROOT, "hwdb", entry), os.path.join(tmp, "hwdb", entry))
    for entry in os.listdir(os.path.join(ROOT, "hwdb", "calibrations")):
        if not entry.endswith("-network.json"):
            os.symlink(os.path.join(ROOT, "hwdb", "calibrations", entry), os.path.join(tmp, "hwdb", "calibrations", entry))
    for system, kernels in kernel_costs_by_system.items():
        with open(os.path.join(tmp, "hwdb", "calibrations", system + "-network.json"), "w") as f:
            json.dump({"kind": "network_calibration", "name": system + "-probe", "system": system,
                       "description": "probe", "fitted_by": "network_report.py", "fitted_on": [],
                       "collectives": {}, "dispatch_kernels": kernels}, f)
    return tmp


def probe(moescope, suites, kernels, systems):
    """Predictions of `suites` with every system's kernels set to `kernels` (calibrated mode): {(suite, id): s}."""
    tmp = probe_dir({system: kernels for system in systems})
    try:
        res = run_validate(moescope, suites, "calibrated", data_dir=tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {(s["suite"], r["id"]): r["predicted"] for s in res["suites"] for r in s["cases"]}


def rel_mape(pred, meas):
    return sum(abs(p - m) / m for p, m in zip(pred, meas)) / len(meas)


def wls_constant(xs, ts):
    """F >= 0 minimizing sum(((F + x) - t) / t)^2."""
    return max(sum((t - x) / (t * t) for x, t in zip(xs, ts)) / sum(1.0 / (t * t) for t in ts), 0.0)


def fit_sm_model(rows):
    """rows: dicts with t (measured), lat, link (busiest-link seconds at efficiency 1), sm (busiest GPU's rows x
    bytes / SMs at 1 GB/s per SM), tok (tokens x bytes per row / SMs at 1 GB/s per SM), combine (bool).
    Model: t = F_phase + lat + max(link / eff, (sm + kappa tok) / rate) with rate in GB/s per SM. Grid search over
    eff, kappa, rate (then a finer rate grid); F per phase by weighted least squares on the relative error."""
    def evaluate(eff, kappa, rate):
        out = {}
        for phase in (False, True):
            rs = [r for r in rows if r["combine"] == phase]
            if not rs:
                continue
            xs = [r["lat"] + max(r["link"] / eff, (r["sm"] + kappa * r["tok"]) / rate) for r in rs]
            ts = [r["t"] for r in rs]
            f = wls_constant(xs, ts)
            out[phase] = (f, [f + x for x in xs], ts)
        preds = [p for v in out.values() for p in v[1]]
        meas = [t for v in out.values() for t in v[2]]
        return rel_mape(preds, meas), {k: v[0] for k, v in out.items()}
    best = None
    for eff in [0.5 + 0.05 * i for i in range(11)]:
        for kappa in [0.25 * i for i in range(17)]:
            for rate in [4.0 + 2.0 * i for i in range(24)]:
                m, fixed = evaluate(eff, kappa, rate)
                if best is None or m < best[0]:
                    best = (m, eff, kappa, rate, fixed)
    _, eff, kappa, rate0, _ = best
    for rate in [rate0 - 2.0 + 0.1 * i for i in range(41)]:
        if rate > 0:
            m, fixed = evaluate(eff, kappa, rate)
            if m < best[0]:
                best = (m, eff, kappa, rate, fixed)
    return best


def fit_kernels(moescope):
    suites = ["network-deepep-h800", "network-deepep-h100"]
    res = run_validate(moescope, suites, "speed-of-light")
    idx = case_index(suites)
    groups = {}
    for s in res["suites"]:
        for r in s["cases"]:
            c = idx[(s["suite"], r["id"])]
            if c["split"] != "calibration":
                continue
            kernel = "deepep-low-latency" if "low_latency" in c["operation"] else "deepep-normal"
            groups.setdefault((c["parameters"]["system"], kernel), []).append((s["suite"], c, r["predicted"]))
    systems = sorted({system for system, _ in groups})
    # Probes of the SM model's terms (transfer time suppressed by a huge efficiency; per-SM rate 1 GB/s).
    huge = 1e9
    base = {"fixed_seconds": 0.0, "per_message_seconds": 0.0, "scale_up_efficiency": huge, "scale_out_efficiency": huge}
    lat = probe(moescope, suites, {k: dict(base) for k in ("deepep-normal", "deepep-low-latency")}, systems)
    sm1 = probe(moescope, suites, {k: dict(base, per_sm_bytes_per_s=1e9) for k in ("deepep-normal", "deepep-low-latency")},
                systems)
    sm2 = probe(moescope, suites, {k: dict(base, per_sm_bytes_per_s=1e9, sm_rows_per_token=1.0)
                                   for k in ("deepep-normal", "deepep-low-latency")}, systems)
    out, per_path = {}, set()
    for (system, kernel), rows in sorted(groups.items()):
        times = [(suite, c, p) for suite, c, p in rows if c["unit"] == "seconds"]
        with_sms = [x for x in times if x[1]["parameters"].get("num_sms")]
        if with_sms and len(with_sms) == len(times):
            # SM budget known on every row: achievable bandwidth = min(link, SMs x per-SM rate).
            pts = []
            for suite, c, p in times:
                key = (suite, c["id"])
                pts.append({"t": c["measured"], "lat": lat[key], "link": max(p - lat[key], 0.0),
                            "sm": max(sm1[key] - lat[key], 0.0), "tok": max(sm2[key] - sm1[key], 0.0),
                            "combine": c["operation"].endswith("combine")})
            m, eff, kappa, rate, fixed = fit_sm_model(pts)
            out.setdefault(system, {})[kernel] = {
                "fixed_seconds": fixed.get(False, 0.0), "combine_fixed_seconds": fixed.get(True, fixed.get(False, 0.0)),
                "per_message_seconds": 0.0, "scale_up_efficiency": eff, "scale_out_efficiency": eff,
                "per_sm_bytes_per_s": rate * 1e9, "num_sms": DEFAULT_SMS.get(kernel, 0), "sm_rows_per_token": kappa,
                "note": "fitted on {} calibration rows (MAPE {:.1f}%): time = fixed + latency + max(busiest link / "
                        "(bandwidth x efficiency), (busiest GPU rows + sm_rows_per_token x tokens) x row bytes / "
                        "(num_sms x per_sm_bytes_per_s)); num_sms from each row (default: DeepEP's 20)".format(len(times), 100 * m)}
            continue
        # Per path: rows that stay inside one node over the scale-up fabric fit the scale-up terms; rows that cross
        # the scale-out network (several nodes, or pure RDMA) fit the scale-out ones. Each path: measured = fixed +
        # speed_of_light / efficiency (time rows), or efficiency = mean measured / predicted bandwidth.
        paths = {}
        for _, c, p in rows:
            paths.setdefault("scale_out" if crosses_scale_out(c) else "scale_up", []).append((c, p))
        fits = {path: fit_path(pts) for path, pts in paths.items()}
        up = fits.get("scale_up") or fits.get("scale_out")
        entry = {"fixed_seconds": up["fixed"], "per_message_seconds": 0.0, "scale_up_efficiency": up["eff"],
                 "scale_out_efficiency": up["eff"], "per_sm_bytes_per_s": 0.0, "num_sms": 0}
        note = "fitted on {} calibration rows: measured = fixed + speed_of_light / efficiency".format(len(rows))
        if "scale_up" in fits and "scale_out" in fits:
            out_fit = fits["scale_out"]
            entry["scale_out_efficiency"] = out_fit["eff"]
            if out_fit["timed"]:
                entry["scale_out_fixed_seconds"] = out_fit["fixed"]
            note += " per path ({} scale-up rows, {} scale-out rows)".format(len(paths["scale_up"]),
                                                                             len(paths["scale_out"]))
            per_path.add((system, kernel))
        out.setdefault(system, {})[kernel] = dict(entry, note=note)
    # Systems whose suites have no multi-node rows take the scale-out terms of a donor with the same NIC.
    for system, (donor, why) in SCALE_OUT_DONORS.items():
        for kernel, entry in out.get(system, {}).items():
            d = out.get(donor, {}).get(kernel)
            if d is None or (donor, kernel) not in per_path:
                continue
            entry["scale_out_efficiency"] = d["scale_out_efficiency"]
            if "scale_out_fixed_seconds" in d:
                entry["scale_out_fixed_seconds"] = d["scale_out_fixed_seconds"]
            entry["scale_out_from"] = donor
            entry["note"] += "; scale-out terms from {}: {}".format(donor, why)
    return out


def crosses_scale_out(case):
    """Whether a DeepEP row's transfers go over the NICs: several nodes, or pure RDMA (NVLink not used)."""
    p = case["parameters"]
    return p["ep"] > p.get("gpus_per_node", 8) or not p.get("use_nvlink", True)


def fit_path(pts):
    """pts: [(case, speed-of-light prediction)] of one path; time rows fit fixed and efficiency, bandwidth rows
    the efficiency only (their fixed term is not identifiable)."""
    times = [(c, p) for c, p in pts if c["unit"] == "seconds"]
    if times:
        fixed, eff = wls_line([p for _, p in times], [c["measured"] for c, _ in times])
        return {"fixed": fixed, "eff": eff, "timed": True}
    return {"fixed": 0.0, "eff": sum(c["measured"] / p for c, p in pts) / len(pts), "timed": False}


# The DGX H100 suite is single-node (aiconfigurator runs on one node of 8 GPUs), so nothing in it constrains the
# RDMA path. The H800 nodes DeepSeek measured DeepEP on have the same NIC per GPU (one ConnectX-7 400 Gb/s; hwdb
# systems dgx-h100 and h800-deepseek both name cx7-ndr400) and run the same kernels; H800 differs from H100 in
# NVLink bandwidth and FP64, which the scale-out path does not use.
SCALE_OUT_DONORS = {"dgx-h100": ("h800-deepseek", "same ConnectX-7 400 Gb/s NIC per GPU and the same DeepEP kernels; "
                                                  "the H100 suite has no multi-node rows")}


def write_calibration(system, collectives, kernels, fitted_on):
    path = os.path.join(ROOT, "hwdb/calibrations", system + "-network.json")
    doc = {"kind": "network_calibration", "name": system + "-network", "system": system,
           "description": "Network-model calibration of " + system + " (docs/network-model.md)",
           "fitted_by": "validation/scripts/network_report.py", "fitted_on": fitted_on,
           "collectives": collectives, "dispatch_kernels": kernels}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return path


def mape(errs):
    return sum(abs(e) for e in errs) / len(errs) if errs else float("nan")


def report(moescope):
    res = run_validate(moescope, SUITES, "calibrated")
    idx = case_index(SUITES)
    lines = ["# Network model validation", "",
             "Produced by `python3 validation/scripts/network_report.py` (moescope validate --mode calibrated on "
             "validation/suites/network-*.json, after fitting hwdb/calibrations/*-network.json on the calibration "
             "rows). Errors are (predicted - measured) / measured; MAPE = mean absolute percentage error. Targets on "
             "held-out rows: MAPE <= 15% for messages >= 64 KiB, <= 25% below. Message size: nccl-tests bytes "
             "(NCCL); tokens x top-k x row bytes per rank (DeepEP).", ""]
    for s in res["suites"]:
        name = s["suite"]
        lines += ["## " + name, "", "| operation | split | rows | MAPE | " + " | ".join(b[2] for b in BUCKETS) + " |",
                  "|---|---|---|---|" + "---|" * len(BUCKETS)]
        by = {}
        for r in s["cases"]:
            c = idx[(name, r["id"])]
            size = c["parameters"].get("message_size_bytes", 0)
            for op in (c["operation"], "all"):
                by.setdefault((op, c["split"]), []).append((size, r["error_percent"]))
        for (op, split) in sorted(by, key=lambda k: (k[0] == "all", k[0], k[1] != "holdout")):
            rows = by[(op, split)]
            cells = []
            for lo, hi, _ in BUCKETS:
                e = [x for sz, x in rows if lo <= sz < hi]
                cells.append("{:.1f}% ({})".format(mape(e), len(e)) if e else "-")
            lines.append("| {} | {} | {} | {:.1f}% | {} |".format(op, split, len(rows), mape([x for _, x in rows]),
                                                                    " | ".join(cells)))
        ho = [x for sz, x in by.get(("all", "holdout"), [])]
        big = [x for sz, x in by.get(("all", "holdout"), []) if sz >= 64 * KIB]
        small = [x for sz, x in by.get(("all", "holdout"), []) if sz < 64 * KIB]
        fmt = lambda e: "{:.1f}%".format(mape(e)) if e else "-"
        lines += ["", "Held out: MAPE {} over {} rows; >= 64 KiB {} (target 15%: {}); < 64 KiB {} "
                  "(target 25%: {}).".format(fmt(ho), len(ho), fmt(big), "met" if not big or mape(big) <= 15 else "NOT met",
                                             fmt(small), "met" if not small or mape(small) <= 25 else "NOT met"), ""]
        # Held-out error by the kernel's SM budget, where the rows give it.
        sms = {}
        for r in s["cases"]:
            c = idx[(name, r["id"])]
            if c["split"] == "holdout" and "num_sms" in c["parameters"]:
                sms.setdefault((c["operation"], c["parameters"]["num_sms"]), []).append(r["error_percent"])
        if sms:
            counts = sorted({n for _, n in sms})
            lines += ["Held out by SM budget (num_sms): MAPE and mean signed error.", "",
                      "| operation | " + " | ".join("{} SMs".format(n) for n in counts) + " |",
                      "|---|" + "---|" * len(counts)]
            for op in sorted({o for o, _ in sms}):
                cells = []
                for n in counts:
                    e = sms.get((op, n), [])
                    cells.append("{:.1f}% ({:+.1f}%)".format(mape(e), sum(e) / len(e)) if e else "-")
                lines.append("| {} | {} |".format(op, " | ".join(cells)))
            lines.append("")
        worst = sorted((r for r in s["cases"] if idx[(name, r["id"])]["split"] == "holdout"),
                       key=lambda r: -abs(r["error_percent"]))[:5]
        lines += ["Largest held-out errors: " + "; ".join("{} {:+.1f}%".format(r["id"], r["error_percent"])
                                                         for r in worst), ""]
    lines += ["## Dispatch-kernel calibrations", "",
              "| system | kernel | fixed (dispatch / combine; scale-out) | efficiency (scale-up / scale-out) | per-SM rate | "
              "SM rows per token | fit |",
              "|---|---|---|---|---|---|---|"]
    for system in ("dgx-h100", "h800-deepseek"):
        path = os.path.join(ROOT, "hwdb/calibrations", system + "-network.json")
        if not os.path.exists(path):
            continue
        for kernel, k in sorted(json.load(open(path)).get("dispatch_kernels", {}).items()):
            comb = k.get("combine_fixed_seconds", -1)
            fixed = "{:.1f} us".format(k["fixed_seconds"] * 1e6) + (
                " / {:.1f} us".format(comb * 1e6) if comb is not None and comb >= 0 else "")
            out_fixed = k.get("scale_out_fixed_seconds", -1)
            if out_fixed is not None and out_fixed >= 0:
                fixed += "; {:.1f} us".format(out_fixed * 1e6)
            rate = "{:.1f} GB/s".format(k["per_sm_bytes_per_s"] / 1e9) if k.get("per_sm_bytes_per_s") else "-"
            lines.append("| {} | {} | {} | {:.3f} / {:.3f} | {} | {} | {} |".format(
                system, kernel, fixed, k["scale_up_efficiency"], k["scale_out_efficiency"], rate,
                "{:.2f}".format(k["sm_rows_per_token"]) if k.get("sm_rows_per_token") else "-", k.get("note", "")))
    lines.append("")
    path = os.path.join(ROOT, "validation/reports/network.md")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines))
    print("wrote " + path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = next((p for p in (os.path.join(ROOT, d, "bin/moescope") for d in ("build", "build-network"))
                    if os.path.exists(p)), "moescope")
    ap.add_argument("--moescope", default=os.environ.get("MOESCOPE_BIN", default))
    ap.add_argument("--no-fit", action="store_true", help="keep the existing calibration files")
    a = ap.parse_args()
    if not a.no_fit:
        collectives, n = fit_nccl()
        # Fit the kernels against speed-of-light predictions (calibration files do not affect that mode).
        kernels = fit_kernels(a.moescope)
        fitted = {"dgx-h100": [{"suite": "validation/suites/network-nccl-h100.json", "split": "calibration",
                                "cases": n},
                               {"suite": "validation/suites/network-deepep-h100.json", "split": "calibration"}],
                  "h800-deepseek": [{"suite": "validation/suites/network-deepep-h800.json", "split": "calibration"}]}
        print(write_calibration("dgx-h100", collectives, kernels.get("dgx-h100", {}), fitted["dgx-h100"]))
        print(write_calibration("h800-deepseek", {}, kernels.get("h800-deepseek", {}), fitted["h800-deepseek"]))
    report(a.moescope)


if __name__ == "__main__":
    main()
