#!/usr/bin/env python3
"""Convert the network measurements in ../shared/reference/measurements into moescope validation suites.

Writes validation/suites/network-nccl-h100.json, network-deepep-h800.json and network-deepep-h100.json.
Standard library only. Usage: python3 validation/scripts/convert_network_suites.py [--shared DIR] [--out DIR]

Readings (see docs/network-model.md):
- nccl_perf.json message_size is a count of elements of nccl_dtype (half = 2 bytes, int8 = 1 byte), the full buffer
  as nccl-tests sizes it. Evidence: the int8 rows have twice the half rows' message_size and the same latencies at each
  step (same bytes), and the element reading gives 445 GB/s all-reduce bus bandwidth on 8 H100 at 512 MiB (NVLS; NCCL
  maintainers quote about 480), where a byte reading would give 222 GB/s.
- latency is in milliseconds; DeepEP *_us are microseconds; DeepEP README bandwidths are DeepEP's logical GB/s.
Splits: NCCL: for each (op, GPUs), the half-precision rows at even positions of the ascending byte sizes are the
calibration set; every other row (half at odd positions, all int8 rows) is held out. DeepEP H800 normal: EP 8 and 64
calibrate, EP 16 and 32 are held out; H800 low-latency: EP 8, 32, 128 calibrate, 16, 64, 256 held out; H100
aiconfigurator DeepEP: rows sorted by (hidden, top-k, experts, SMs, tokens), index % 4 == 3 held out.
"""
import argparse
import csv
import json
import os

AIC = "github ai-dynamo/aiconfigurator @ 095f58a systems/data/h100_sxm/{} (shared/reference/measurements/aiconfigurator)"
DEEPEP = "github deepseek-ai/DeepEP README @ {} (shared/reference/measurements/deepep_h800.csv)"
OPS = {"all_reduce": "nccl_all_reduce", "all_gather": "nccl_all_gather", "reduce_scatter": "nccl_reduce_scatter",
       "alltoall": "nccl_all_to_all"}


def nccl_suite(shared):
    rows = json.load(open(os.path.join(shared, "aiconfigurator/h100_sxm/nccl_perf.json")))
    cases = []
    groups = {}
    for r in rows:
        groups.setdefault((r["op_name"], r["num_gpus"]), []).append(r)
    for (op, n), rs in sorted(groups.items()):
        sizes = sorted({r["message_size"] * (2 if r["nccl_dtype"] == "half" else 1) for r in rs})
        pos = {b: i for i, b in enumerate(sizes)}
        seen = {}
        for r in rs:
            eb = 2 if r["nccl_dtype"] == "half" else 1
            b = r["message_size"] * eb
            key = (r["nccl_dtype"], b)
            seen[key] = seen.get(key, 0) + 1
            split = "calibration" if r["nccl_dtype"] == "half" and pos[b] % 2 == 0 else "holdout"
            cases.append({
                "id": "{}-{}gpu-{}-{}B-r{}".format(op, n, r["nccl_dtype"], b, seen[key]),
                "device": "h100-sxm", "operation": OPS[op],
                "parameters": {"system": "dgx-h100", "num_gpus": n, "message_size_bytes": b,
                               "message_size_elements": r["message_size"], "dtype": r["nccl_dtype"],
                               "nccl_version": r["version"]},
                "measured": r["latency"] * 1e-3, "unit": "seconds", "source": AIC.format("nccl_perf.json"),
                "split": split})
    return {"kind": "validation_suite", "name": "network-nccl-h100",
            "description": "NCCL all-reduce, all-gather, reduce-scatter, all-to-all on 2, 4, 8 H100 SXM (one DGX node)",
            "units_reading": "message_size = elements of nccl_dtype (bytes = elements x 2 for half, x 1 for int8); "
                             "latency ms -> seconds",
            "split_rule": "half rows at even positions of the ascending byte sizes per (op, GPUs) calibrate; "
                          "all other rows held out",
            "cases": cases}


def deepep_h800_suite(shared):
    cases = []
    with open(os.path.join(shared, "deepep_h800.csv")) as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    for r in rows:
        ep, kernel, commit = int(r["ep"]), r["kernel"], r["readme_commit"]
        tokens, hidden, topk = int(r["tokens_per_rank"]), int(r["hidden"]), int(r["topk"])
        for phase in ("dispatch", "combine"):
            row_bytes = hidden * (1 + 4 / 128) if phase == "dispatch" else hidden * 2
            params = {"system": "h800-deepseek", "ep": ep, "tokens_per_rank": tokens, "hidden": hidden,
                      "top_k": topk, "num_experts": 256, "gpus_per_node": 8, "readme_commit": commit,
                      "dispatch_dtype": "fp8", "combine_dtype": "bf16",
                      "message_size_bytes": tokens * topk * row_bytes}
            if kernel == "normal":
                params["bandwidth_kind"] = r["bandwidth_kind"]
                params["num_topk_groups"] = min(max(ep // 8, 1), 4)
                measured, unit = float(r[phase + "_gbps"]) * 1e9, "bytes_per_s"
                split = "calibration" if ep in (8, 64) else "holdout"
            else:
                params["use_nvlink"] = r["bandwidth_kind"] != "rdma"
                measured, unit = float(r[phase + "_us"]) * 1e-6, "seconds"
                split = "calibration" if ep in (8, 32, 128) else "holdout"
            cases.append({"id": "{}-{}-{}-ep{}".format(kernel, phase, commit, ep), "device": "h800-sxm",
                          "operation": "deepep_{}_{}".format(kernel, phase), "parameters": params,
                          "measured": measured, "unit": unit, "source": DEEPEP.format(commit), "split": split})
    return {"kind": "validation_suite", "name": "network-deepep-h800",
            "description": "DeepEP normal (logical bandwidth) and low-latency (time) kernels on H800 + CX7 400G",
            "units_reading": "normal: DeepEP logical GB/s (RDMA: (token, node) pairs incl. own node; NVLink: rows "
                             "received) -> bytes/s; low-latency: us -> seconds; 256 experts assumed",
            "split_rule": "normal: EP 8, 64 calibrate; low-latency: EP 8, 32, 128 calibrate; the rest held out",
            "cases": cases}


def deepep_h100_suite(shared):
    cases = []
    base = os.path.join(shared, "aiconfigurator/h100_sxm")
    ll = json.load(open(os.path.join(base, "deepep_low_latency_perf.json")))
    ll.sort(key=lambda r: (r["hidden_size"], r["num_topk"], r["num_experts"], r["num_token"]))
    for i, r in enumerate(ll):
        for phase in ("dispatch", "combine"):
            row_bytes = r["hidden_size"] * ((1 + 4 / 128) if phase == "dispatch" else 2)
            cases.append({
                "id": "ll-{}-h{}-k{}-e{}-t{}".format(phase, r["hidden_size"], r["num_topk"], r["num_experts"],
                                                     r["num_token"]),
                "device": "h100-sxm", "operation": "deepep_low_latency_" + phase,
                "parameters": {"system": "dgx-h100", "ep": 8, "tokens_per_rank": r["num_token"],
                               "hidden": r["hidden_size"], "top_k": r["num_topk"], "num_experts": r["num_experts"],
                               "gpus_per_node": 8, "use_nvlink": True, "framework": "sglang " + r["version"],
                               "message_size_bytes": r["num_token"] * r["num_topk"] * row_bytes},
                "measured": r[phase + "_avg_t_us"] * 1e-6, "unit": "seconds",
                "source": AIC.format("deepep_low_latency_perf.json"), "split": "holdout" if i % 4 == 3 else "calibration"})
    nm = json.load(open(os.path.join(base, "deepep_normal_perf.json")))
    nm.sort(key=lambda r: (r["hidden_size"], r["num_topk"], r["num_experts"], r["dispatch_sms"], r["num_token"]))
    for i, r in enumerate(nm):
        for phase in ("dispatch", "combine"):
            row_bytes = r["hidden_size"] * ((1 + 4 / 128) if phase == "dispatch" else 2)
            cases.append({
                "id": "normal-{}-h{}-k{}-e{}-sm{}-t{}".format(phase, r["hidden_size"], r["num_topk"], r["num_experts"],
                                                             r[phase + "_sms"], r["num_token"]),
                "device": "h100-sxm", "operation": "deepep_normal_" + phase,
                "parameters": {"system": "dgx-h100", "ep": 8, "tokens_per_rank": r["num_token"],
                               "hidden": r["hidden_size"], "top_k": r["num_topk"], "num_experts": r["num_experts"],
                               "gpus_per_node": 8, "num_sms": r[phase + "_sms"], "framework": "sglang " + r["version"],
                               "message_size_bytes": r["num_token"] * r["num_topk"] * row_bytes},
                "measured": (r[phase + "_transmit_us"] + r[phase + "_notify_us"]) * 1e-6, "unit": "seconds",
                "source": AIC.format("deepep_normal_perf.json"), "split": "holdout" if i % 4 == 3 else "calibration"})
    return {"kind": "validation_suite", "name": "network-deepep-h100",
            "description": "DeepEP low-latency and normal kernels, intranode on 8 H100 SXM (aiconfigurator, sglang)",
            "units_reading": "num_token per rank; time = avg_t_us (low-latency) or transmit_us + notify_us (normal); "
                             "fp8 dispatch, bf16 combine (the combine/dispatch time ratio is about 2)",
            "split_rule": "rows sorted by (hidden, top-k, experts, SMs, tokens); index % 4 == 3 held out",
            "cases": cases}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(root), "shared/reference/measurements"))
    ap.add_argument("--out", default=os.path.join(root, "validation/suites"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for suite in (nccl_suite(a.shared), deepep_h800_suite(a.shared), deepep_h100_suite(a.shared)):
        path = os.path.join(a.out, suite["name"] + ".json")
        with open(path, "w") as f:
            json.dump(suite, f, indent=1)
            f.write("\n")
        print("wrote {} ({} cases)".format(path, len(suite["cases"])))


if __name__ == "__main__":
    main()
