#!/usr/bin/python3
"""Converts the published kernel measurements in ../shared/reference/measurements/ into moescope validation
suites (validation/suites/*.json, format: docs/validation-format.md). Python 3 standard library only.

    /usr/bin/python3 validation/scripts/convert_compute_suites.py [--shared ../shared] [--out validation/suites]

Readings of undocumented semantics (justified in docs/compute-model.md, "Validation data"):
- aiconfigurator MoE tables: num_tokens is GLOBAL (tokens per rank x moe_ep_size, as the SGLang collector logs
  it); the measured GPU holds num_experts / moe_ep_size experts and receives num_tokens * topk / moe_ep_size
  token-expert pairs on average. latency is in milliseconds.
- uniform rows reproduce the collector's per-expert counts; power_law_<a> rows reproduce its sampler (per-expert
  loads drawn from a bounded power law, normalized to num_tokens * topk, the busiest rank measured) with a fixed
  seed, 5 samples per row as the collector averages 5.
- MLA table: isl is the KV length of the decode step, num_heads the heads on the GPU (tp_size 1), latency in ms.
- DeepGEMM: the time is FLOPs / reported TFLOPS (the README's throughput is computed from the measured time).
Held-out rows: after a deterministic sort, every 4th row (index % 4 == 3); the others are calibration rows.
Excluded rows: a MoE row whose measured time is below the speed-of-light time of the work its parameters describe
(the weights of the experts that receive tokens cannot be read from HBM faster than the device's peak bandwidth)
is physically inconsistent with the stated reading; it is kept with "split": "excluded" and a note, reported by
`moescope validate` separately, and used neither for calibration nor in the held-out figures.
"""
import argparse
import csv
import json
import math
import os
import random
import sys

HOLDOUT_EVERY = 4
H100_HBM_BYTES_PER_S = 3.35e12  # hwdb/accelerators/h100-sxm.json
H100_FP8_FLOP_PER_S = 1.9789e15
AIC = "github ai-dynamo/aiconfigurator @ 095f58a, systems/data/h100_sxm (shared/reference/measurements/aiconfigurator/h100_sxm/{})"
DEEPGEMM = "github deepseek-ai/DeepGEMM README @ 989c9e3 (shared/reference/measurements/deepgemm_h800.csv)"
MAMF = "github stas00/ml-engineering compute/accelerator README @ 744d01e, mamf-finder (shared/reference/measurements/matmul_max_achievable.csv)"


def split_of(i):
    return "holdout" if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1 else "calibration"


def read_csv_rows(path):
    with open(path) as f:
        lines = [l for l in f if not l.startswith("#") and l.strip()]
    return list(csv.DictReader(lines))


def deepgemm_suite(shared):
    rows = read_csv_rows(os.path.join(shared, "reference/measurements/deepgemm_h800.csv"))
    cases = []
    for i, r in enumerate(rows):
        kind, groups, m, n, k = r["kind"], int(r["groups"]), int(r["m_per_group"]), int(r["n"]), int(r["k"])
        flop = 2.0 * groups * m * n * k
        seconds = flop / (float(r["tflops"]) * 1e12)
        case = {"id": "%s-g%d-m%d-n%d-k%d" % (kind, groups, m, n, k), "device": "h800-sxm"}
        if kind == "dense":
            case["operation"] = "gemm"
            case["parameters"] = {"m": m, "n": n, "k": k, "dtype": "fp8", "output_dtype": "bf16"}
        else:
            case["operation"] = "grouped_gemm"
            case["parameters"] = {"n": n, "k": k, "dtype": "fp8", "output_dtype": "bf16",
                                  "layout": "contiguous" if kind == "grouped_contiguous" else "masked",
                                  "tokens_per_group": [m] * groups}
        case.update({"measured": seconds, "unit": "seconds", "source": DEEPGEMM, "split": split_of(i),
                     "note": "reported %s TFLOPS, %s GB/s" % (r["tflops"], r["gbps"])})
        cases.append(case)
    return {"kind": "validation_suite", "name": "deepgemm-h800",
            "description": "DeepGEMM FP8 (fine-grained scaling, BF16 output) dense and grouped GEMMs on H800 SXM5",
            "units_reading": "time = 2*groups*m*n*k / (tflops * 1e12)",
            "split_rule": "every 4th row of the CSV (index % 4 == 3) held out", "cases": cases}


def sample_power_law(rng, size, alpha, xmin, xmax):
    out = []
    for _ in range(size):
        u = rng.random()
        out.append(((xmax ** (1 - alpha) - xmin ** (1 - alpha)) * u + xmin ** (1 - alpha)) ** (1 / (1 - alpha)))
    return out


def power_law_counts(rng, num_tokens, num_experts, topk, ep, alpha):
    """Per-expert counts of the busiest EP rank, as aiconfigurator's _generate_power_law_distribution."""
    if num_tokens * topk > num_experts:
        raw = sample_power_law(rng, num_experts, alpha, 1.0, num_tokens * 0.8)
    else:
        raw = sample_power_law(rng, num_experts, alpha, 0.01, 2.0)
    target = num_tokens * topk
    total = sum(raw)
    counts = [int(round(x / total * target)) for x in raw]
    delta = target - sum(counts)
    order = sorted(range(num_experts), key=lambda i: -counts[i])
    if delta > 0:
        for i in range(delta):
            counts[order[i % num_experts]] += 1
    elif delta < 0:
        for i in range(-delta):
            idx = order[-(i % num_experts) - 1]
            if counts[idx] > 0:
                counts[idx] -= 1
            else:
                counts[max(range(num_experts), key=lambda j: counts[j])] -= 1
    per = num_experts // ep
    ranks = [counts[r * per:(r + 1) * per] for r in range(ep)]
    return max(ranks, key=sum)


def moe_suite(shared, phase):
    fname = "moe_generation_perf.json" if phase == "decode" else "moe_context_perf.json"
    with open(os.path.join(shared, "reference/measurements/aiconfigurator/h100_sxm", fname)) as f:
        rows = json.load(f)
    rows.sort(key=lambda r: (r["moe_ep_size"], r["distribution"], r["num_tokens"]))
    cases = []
    for i, r in enumerate(rows):
        nt, topk, ne, ep = r["num_tokens"], r["topk"], r["num_experts"], r["moe_ep_size"]
        local = ne // ep
        dist = r["distribution"]
        samples = []
        if dist == "uniform":
            base = nt * topk // ne
            if base > 0:
                samples.append([base] * local)
            else:
                active = min(local, nt * topk // ep)
                samples.append([1] * active + [0] * (local - active))
        else:
            alpha = float(dist[len("power_law_"):])
            rng = random.Random("%s-%d-%d-%s" % (phase, nt, ep, dist))
            for _ in range(5):
                c = power_law_counts(rng, nt, ne, topk, ep, alpha)
                if phase == "prefill":
                    c = [(x + 127) // 128 * 128 for x in c]
                samples.append(c)
        # Speed-of-light lower bound of the described work (weights of the experts with tokens, FP8 + block scales).
        h, inter = r["hidden_size"], r["inter_size"]
        sol = 0.0
        for c in samples:
            active = sum(1 for x in c if x > 0)
            wbytes = active * 3 * h * inter * (1 + 4 / 128)
            sol += max(wbytes / H100_HBM_BYTES_PER_S, 2.0 * sum(c) * 3 * h * inter / H100_FP8_FLOP_PER_S)
        sol /= len(samples)
        split = split_of(i)
        note = None
        if r["latency"] * 1e-3 < sol:
            split = "excluded"
            note = ("measured %.3f ms is below the speed-of-light %.3f ms of the described work (weights of the experts "
                    "with tokens at peak HBM bandwidth): inconsistent with the collector's stated per-expert counts"
                    % (r["latency"], sol * 1e3))
        params = {"phase": phase, "hidden_size": r["hidden_size"], "inter_size": r["inter_size"], "topk": topk,
                  "num_experts": ne, "ep": ep, "tp": r["moe_tp_size"], "dtype": "fp8", "num_tokens": nt,
                  "distribution": dist, "tokens_per_expert_samples": samples,
                  "cuda_graphs": phase == "decode"}
        if phase == "prefill":
            params["received_tokens"] = nt
        cases.append({"id": "moe-%s-ep%d-%s-t%d" % (phase, ep, dist, nt), "device": "h100-sxm",
                      "operation": "moe_experts", "parameters": params, "measured": r["latency"] * 1e-3,
                      "unit": "seconds", "source": AIC.format(fname), "split": split})
        if note:
            cases[-1]["note"] = note
    return {"kind": "validation_suite", "name": "aiconfigurator-h100-moe-" + phase,
            "description": "DeepSeek-V3 routed-expert compute (SGLang %s, DeepEP %s mode, DeepGEMM %s layout, FP8 block) on one H100 SXM"
                           % (r["version"], "low-latency" if phase == "decode" else "normal",
                              "masked" if phase == "decode" else "contiguous"),
            "units_reading": "num_tokens global over the EP group (per-rank x moe_ep_size); latency milliseconds",
            "split_rule": "rows sorted by (moe_ep_size, distribution, num_tokens); index % 4 == 3 held out; rows faster than the speed of light of their described work excluded",
            "cases": cases}


def mla_suite(shared):
    fname = "mla_generation_perf.json"
    with open(os.path.join(shared, "reference/measurements/aiconfigurator/h100_sxm", fname)) as f:
        rows = json.load(f)
    rows.sort(key=lambda r: (r["kernel_source"], r["num_heads"], r["batch_size"], r["isl"]))
    cases = []
    for i, r in enumerate(rows):
        params = {"batch": r["batch_size"], "kv_length": r["isl"], "num_heads": r["num_heads"], "hidden_size": 7168,
                  "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
                  "v_head_dim": 128, "weight_dtype": "fp8", "kv_cache_dtype": "fp8",
                  "kernel_source": r["kernel_source"], "cuda_graphs": True}
        cases.append({"id": "mla-%s-h%d-b%d-kv%d" % (r["kernel_source"], r["num_heads"], r["batch_size"], r["isl"]),
                      "device": "h100-sxm", "operation": "mla_decode_module", "parameters": params,
                      "measured": r["latency"] * 1e-3, "unit": "seconds", "source": AIC.format(fname),
                      "split": split_of(i)})
    return {"kind": "validation_suite", "name": "aiconfigurator-h100-mla-decode",
            "description": "DeepSeek-V3 MLA attention block, decode step (SGLang, FP8 block GEMMs, FP8 KV cache) on one H100 SXM",
            "units_reading": "isl = KV length; num_heads = heads on the GPU; latency milliseconds",
            "split_rule": "rows sorted by (kernel_source, num_heads, batch_size, isl); index % 4 == 3 held out",
            "cases": cases}


DEVICES = {"A100-SXM": "a100-sxm-80gb", "H100-SXM": "h100-sxm", "H200-SXM": "h200-sxm", "B200": "b200",
           "GB200": "gb200", "B300": "b300", "MI300X": "mi300x", "MI325X": "mi325x", "MI355X": "mi355x",
           "Gaudi3": "gaudi3"}


def matmul_suite(shared):
    rows = read_csv_rows(os.path.join(shared, "reference/measurements/matmul_max_achievable.csv"))
    cases = []
    i = 0
    for r in rows:
        for dtype in ("bf16", "fp8"):
            v = r[dtype + "_tflops"].strip()
            if not v:
                continue
            cases.append({"id": "mamf-%s-%s" % (DEVICES[r["accelerator"]], dtype), "device": DEVICES[r["accelerator"]],
                          "operation": "gemm_max_achievable", "parameters": {"dtype": dtype},
                          "measured": float(v) * 1e12, "unit": "flop_per_s", "source": MAMF, "split": split_of(i)})
            i += 1
    return {"kind": "validation_suite", "name": "matmul-max-achievable",
            "description": "Measured maximum achievable dense matmul throughput per accelerator (mamf-finder)",
            "split_rule": "rows in CSV order, bf16 before fp8; index % 4 == 3 held out", "cases": cases}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(root), "shared"))
    ap.add_argument("--out", default=os.path.join(root, "validation", "suites"))
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(a.shared, "reference", "measurements")):
        sys.exit("no %s/reference/measurements" % a.shared)
    os.makedirs(a.out, exist_ok=True)
    suites = {"deepgemm-h800.json": deepgemm_suite(a.shared),
              "aiconfigurator-h100-moe-decode.json": moe_suite(a.shared, "decode"),
              "aiconfigurator-h100-moe-prefill.json": moe_suite(a.shared, "prefill"),
              "aiconfigurator-h100-mla-decode.json": mla_suite(a.shared),
              "matmul-max-achievable.json": matmul_suite(a.shared)}
    for name, s in suites.items():
        s["generated_by"] = "validation/scripts/convert_compute_suites.py"
        with open(os.path.join(a.out, name), "w") as f:
            json.dump(s, f, indent=1)
            f.write("\n")
        print("%s: %d cases" % (name, len(s["cases"])))


if __name__ == "__main__":
    main()
