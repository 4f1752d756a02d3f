#!/usr/bin/env bash
# End-to-end validation against SGLang's published 96 x H100 DeepSeek-V3 deployment (lmsys blog, 2025-05-05;
# ../shared/reference/measurements/e2e_sglang_96xh100.md). Evaluates scenarios/sglang-*.json with the step model
# (nothing in them is fitted to the published figures; calibrations come from the kernel-level suites only) and
# writes validation/reports/e2e.md with the predictions, the errors and the breakdown that explains them.
#
# Usage: validation/scripts/e2e_report.sh [path/to/moescope [report.md]]
#   (binary default: $MOESCOPE_BIN, else the newest build; report default: validation/reports/e2e.md)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-${MOESCOPE_BIN:-}}"
if [[ -z "$bin" ]]; then
  for b in "$root"/build*/bin/moescope; do
    [[ -x "$b" && ( -z "$bin" || "$b" -nt "$bin" ) ]] && bin="$b"
  done
fi
[[ -x "$bin" ]] || { echo "e2e_report.sh: no moescope binary (build it, or pass its path)" >&2; exit 1; }
export MOESCOPE_DATA_DIR="$root"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Each scenario is evaluated through a one-point sweep (its "details" carry the full engine result, the same JSON as
# the "engine" section of `moescope eval`).
one() { # name scenario [axis]
  local axis="${3:-{ \"path\": \"/description\", \"values\": [\"e2e validation\"] \}}"
  cat > "$work/$1.sweep.json" <<JSON
{ "base": "$2", "axes": [ $axis ], "details": true, "threads": 1 }
JSON
  "$bin" --json sweep "$work/$1.sweep.json" > "$work/$1.out.json"
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); p=j['points'][0]; assert p['status']=='ok', p.get('error'); json.dump({'engine': p['result']}, open(sys.argv[2],'w'))" "$work/$1.out.json" "$work/$1.json"
}
for s in prefill-1k prefill-2k prefill-4k; do one "$s" "$root/scenarios/sglang-$s-4x8-h100.json"; done
one decode "$root/scenarios/sglang-decode-9x8-h100.json"
# Decode with multi-token prediction (the blog's "simulated MTP" figure): the decode scenario with one draft token
# accepted with probability 0.85 (DeepSeek-V3 technical report: 85-90% for the second token), 4K input, batch 128.
one decode-mtp "$root/scenarios/sglang-decode-9x8-h100.json" \
  '{ "paths": ["/engine/mtp", "/workload/input_tokens", "/workload/batch_per_gpu"], "values": [[{ "draft_tokens": 1, "acceptance_rate": 0.85 }, 4096, 128]] }'
# Secondary, balanced-routing measurements from the same blog's "Profile Results" section
# (https://lmsys.org/blog/2025-05-05-large-scale-ep/): SGLang at 4K with simulated perfect EPLB (random expert selection
# with group-limited routing: the prefill scenarios' own routing) and DeepSeek's published prefill profile (4 x 8 H800,
# EP32, 4K prompts, 16,384 tokens per GPU, absolutely balanced routing).
one ds-profile "$root/scenarios/deepseek-profile-prefill-4x8-h800.json"
# The prefill scenarios without DeepSeek-V3's group limit (top-8 of all 256 experts), to show what it changes.
for s in prefill-1k prefill-2k prefill-4k; do
  one "nogroup-$s" "$root/scenarios/sglang-$s-4x8-h100.json" '{ "path": "/routing/group_limited", "values": [false] }'
done
# Two-batch overlap at 32 and 256 tokens per device (the blog's TBO ablation), through a sweep.
cat > "$work/tbo.json" <<JSON
{ "base": "$root/scenarios/sglang-decode-9x8-h100.json",
  "axes": [ { "path": "/workload/batch_per_gpu", "values": [32, 256] } ],
  "details": true }
JSON
"$bin" --json sweep "$work/tbo.json" > "$work/tbo-out.json"
# The prefill scenarios again without the SM budget of the communication kernels (the network calibration's
# deepep-normal num_sms set to 0 in a copy of the data directory), to separate its effect from the schedule's.
nosm="$work/data-no-sm"
mkdir -p "$nosm/hwdb/calibrations"
for f in "$root"/*; do [[ "$(basename "$f")" == hwdb ]] || ln -s "$f" "$nosm/"; done
for f in "$root"/hwdb/*; do [[ "$(basename "$f")" == calibrations ]] || ln -s "$f" "$nosm/hwdb/"; done
cp "$root"/hwdb/calibrations/* "$nosm/hwdb/calibrations/"
python3 -c "import json,sys; p=sys.argv[1]; j=json.load(open(p)); j['dispatch_kernels']['deepep-normal']['num_sms']=0; json.dump(j, open(p,'w'), indent=1)" \
  "$nosm/hwdb/calibrations/dgx-h100-network.json"
for s in prefill-1k prefill-2k prefill-4k; do
  MOESCOPE_DATA_DIR="$nosm" one "nosm-$s" "$root/scenarios/sglang-$s-4x8-h100.json"
done
# Sensitivity, not a prediction: the balanced 4K scenarios with MoE dispatch and combine f times slower while they
# overlap compute (engine.overlap_communication_slowdown, a what-if setting; 1 in every bundled scenario).
one "slow1.2-decode" "$root/scenarios/sglang-decode-9x8-h100.json" \
  '{ "path": "/engine/overlap_communication_slowdown", "values": [1.2] }'
for f in 1.5 2.0; do
  one "slow$f-prefill-4k" "$root/scenarios/sglang-prefill-4k-4x8-h100.json" \
    "{ \"path\": \"/engine/overlap_communication_slowdown\", \"values\": [$f] }"
  one "slow$f-ds-profile" "$root/scenarios/deepseek-profile-prefill-4x8-h800.json" \
    "{ \"path\": \"/engine/overlap_communication_slowdown\", \"values\": [$f] }"
done

report="${2:-$root/validation/reports/e2e.md}"
python3 - "$work" "$report" "$bin" "$root" <<'PY'
import json, sys, os, datetime, subprocess
work, out, binpath, root = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def load(n): return json.load(open(os.path.join(work, n)))["engine"]
rows = []
published = {"prefill-1k": 57674, "prefill-2k": 54543, "prefill-4k": 50302, "decode": 22282}
res = {k: load(k + ".json") for k in published}
mtp = load("decode-mtp.json")
def phase(r): return r["prefill"] if "prefill" in r else r["decode"]
L = []
L.append("# End-to-end validation: SGLang, DeepSeek-V3 on 96 H100 (prefill 4 nodes EP32, decode 9 nodes EP72)\n")
L.append("Generated by `validation/scripts/e2e_report.sh` (one command) from `scenarios/sglang-*.json` with the step model (`moescope sweep`, one point each; the same result as the engine section of `moescope eval`). "
         "Reference: `../shared/reference/measurements/e2e_sglang_96xh100.md` (lmsys blog, 2025-05-05). "
         "Nothing in the scenarios or the model is fitted to these figures: compute timing uses the accelerator's compute "
         "calibration and the dispatch kernels the system's network calibration, both fitted only on kernel-level suites "
         "(see the calibration files named below). Target: within 15% of each published figure.\n")
L.append("## Predictions\n")
L.append("| configuration | published tokens/s per node | predicted (configured: two-batch overlap, dependency-aware schedule) | error | two-batch, ideal overlap | no overlap | intra-layer overlap |")
L.append("|---|---:|---:|---:|---:|---:|---:|")
for k, pub in published.items():
    p = phase(res[k])
    per_step = p["tokens_per_gpu_per_step"] if p["phase"] == "decode" else p["sequences_per_gpu_per_step"] * (int(k.split('-')[1][0]) * 1024)
    g = p["gpus_per_node"]
    def tps(sec):
        return per_step / sec * g if sec > 0 else 0
    by = p["step_seconds_by_overlap"]
    pred = p["tokens_per_s_per_node"]
    err = (pred - pub) / pub * 100
    mark = "" if abs(err) <= 15 else " (miss)"
    name = {"prefill-1k": "prefill, 1K prompts", "prefill-2k": "prefill, 2K prompts", "prefill-4k": "prefill, 4K prompts",
            "decode": "decode, 2K input, batch 256/GPU"}[k]
    def cell(key):
        v = tps(by[key])
        e = (v - pub) / pub * 100
        return f"{v:,.0f} ({e:+.1f}%{'' if abs(e) <= 15 else ', miss'})"
    L.append(f"| {name} | {pub:,} | {pred:,.0f} | {err:+.1f}%{mark} | {cell('two_batch_ideal')} | {cell('none')} | {cell('intra_layer')} |")
    rows.append((k, pub, pred, err))
L.append("")
misses = [r for r in rows if abs(r[3]) > 15]
L.append(f"Within 15%: {len(rows) - len(misses)} of {len(rows)}." + (" Misses: " + ", ".join(f"{k} ({e:+.1f}%)" for k, _, _, e in misses) + "." if misses else ""))
L.append("")
d = res["decode"]["decode"]
L.append(f"Latencies: predicted TPOT {d['tpot_seconds']*1e3:.1f} ms (published inter-token latency about 100 ms); "
         f"predicted TTFT (one prefill step of 16,384 tokens per GPU) " +
         ", ".join(f"{phase(res[k])['ttft_seconds']:.2f} s ({k.split('-')[1].upper()})" for k in ("prefill-1k", "prefill-2k", "prefill-4k")) +
         " (published 2-5 s, under load).\n")
L.append(f"Dispatch time in decode: predicted {d['moe']['dispatch_seconds']*1e3/2:.3f} ms per layer per micro-batch of 128 tokens "
         f"({d['moe']['dispatch_seconds']*1e3:.3f} ms for the full 256), published about 0.17 ms per layer.\n")
# Secondary: MTP and TBO ablation (not part of the 15% target).
m = mtp["decode"]
L.append("## Secondary figures (not in the target)\n")
L.append(f"- Decode with MTP (1 draft token, acceptance 0.85: DeepSeek-V3 technical report's 85-90% for the second token), 4K input, "
         f"batch 128/GPU: predicted {m['tokens_per_s_per_node']:,.0f} tokens/s per node, published 17,373 "
         f"({(m['tokens_per_s_per_node']-17373)/17373*100:+.1f}%).")
L.append("")
# Balanced-routing measurements (secondary).
ds = phase(load("ds-profile.json"))
p4 = phase(res["prefill-4k"])
def per_node(p, key): return p["tokens_per_s_per_node"] * p["step_seconds"] / p["step_seconds_by_overlap"][key]
L.append("## Prefill with balanced routing (secondary: the blog's \"Profile Results\", 4K prompts, 16,384 tokens per GPU)\n")
L.append("The primary prefill figures were measured with SGLang's default expert distribution; the same blog also reports the 4K "
         "configuration with simulated perfect EPLB (random expert selection following group-limited routing, which is exactly the "
         "scenarios' routing) and the throughput of DeepSeek's own published prefill profile (H800, absolutely balanced routing). "
         "Source: https://lmsys.org/blog/2025-05-05-large-scale-ep/ (\"Overall Throughput\" table); these are not in "
         "`../shared/reference` and are not part of the target.\n")
L.append("| measurement | scenario | published tokens/s per node | predicted (schedule) | error | no overlap |")
L.append("|---|---|---:|---:|---:|---:|")
for name, scen, pub, p in (("SGLang, default expert distribution (the primary 4K figure)", "sglang-prefill-4k-4x8-h100", 50302, p4),
                           ("SGLang, simulated perfect EPLB", "sglang-prefill-4k-4x8-h100", 59337, p4),
                           ("DeepSeek profile (4 x 8 H800)", "deepseek-profile-prefill-4x8-h800", 62713, ds)):
    pred = p["tokens_per_s_per_node"]; none = per_node(p, "none")
    L.append(f"| {name} | `{scen}` | {pub:,} | {pred:,.0f} | {(pred-pub)/pub*100:+.1f}% | {none:,.0f} ({(none-pub)/pub*100:+.1f}%) |")
L.append("")
dsl = ds["layers"][-1]
L.append(f"The published default/perfect ratio ({59337/50302:.2f}x) is the real routing's residual imbalance after EPLB, which the "
         "uniform scenarios do not contain. Against the two balanced measurements the model is still "
         f"{(p4['tokens_per_s_per_node']/59337-1)*100:+.0f}% (SGLang) and {(ds['tokens_per_s_per_node']/62713-1)*100:+.0f}% (DeepSeek's own "
         f"system): per MoE layer on H800 the model's compute stream is {dsl['compute_seconds']*1e3:.1f} ms and its communication stream "
         f"{dsl['communication_seconds']*1e3:.1f} ms, and the schedule {dsl['seconds_overlap_two_batch']*1e3:.1f} ms, where DeepSeek's profile "
         f"implies about {(16384*8/62713 - (ds['step_seconds'] - 58*dsl['seconds_overlap_two_batch']))/58*1e3:.0f} ms (its step of "
         f"{16384*8/62713*1e3:.0f} ms less the model's dense layers, embedding and LM head). The missing time is therefore not SGLang-specific "
         "and not routing imbalance: it is in the two-batch overlap of prefill in both implementations. The blog says so for its "
         "profiles: \"Both DeepSeek and SGLang have a communication time slower than unit test results, while the latter is achievable "
         "when disabling TBO\"; the model's communication comes from unit tests (DeepEP's kernel-level figures) and runs at that speed "
         "under overlap.\n")
L.append("How much slower the communication would have to run under overlap to account for the balanced measurements (a "
         "sensitivity, not a prediction: `engine.overlap_communication_slowdown` = f, MoE dispatch and combine f times their "
         "calibrated time while they overlap compute; no bundled scenario sets it):\n")
L.append("| communication | SGLang 4K, balanced (59,337) | DeepSeek profile (62,713) |")
L.append("|---|---:|---:|")
for f, a, b in (("1.0 (calibrated)", p4, ds), ("1.5", phase(load("slow1.5-prefill-4k.json")), phase(load("slow1.5-ds-profile.json"))),
                ("2.0", phase(load("slow2.0-prefill-4k.json")), phase(load("slow2.0-ds-profile.json")))):
    L.append(f"| {f} x | {a['tokens_per_s_per_node']:,.0f} ({(a['tokens_per_s_per_node']/59337-1)*100:+.1f}%) | "
             f"{b['tokens_per_s_per_node']:,.0f} ({(b['tokens_per_s_per_node']/62713-1)*100:+.1f}%) |")
L.append("")
def crossing(name, pub):  # f where the prediction meets the published figure, linear between the table's rows
    pts = [(1.0, phase(res["prefill-4k"]) if name == "sglang" else ds)] + \
          [(f, phase(load(f"slow{f}-{'prefill-4k' if name == 'sglang' else 'ds-profile'}.json"))) for f in (1.5, 2.0)]
    for (f0, a0), (f1, a1) in zip(pts, pts[1:]):
        y0, y1 = a0["tokens_per_s_per_node"], a1["tokens_per_s_per_node"]
        if (y0 - pub) * (y1 - pub) <= 0 and y0 != y1:
            return f0 + (pub - y0) / (y1 - y0) * (f1 - f0)
    return None
cs, cd = crossing("sglang", 59337), crossing("ds", 62713)
if cs and cd:
    none4 = per_node(p4, "none")
    L.append(f"Both balanced measurements correspond to the communication running about {cs:.1f} (SGLang) and {cd:.1f} (DeepSeek) "
             "times slower than its kernel-level calibration, but only under overlap: the blog's TBO gain of 27-35% puts the balanced 4K "
             f"configuration without TBO at {59337/1.35:,.0f}-{59337/1.27:,.0f} tokens/s per node, and the model's no-overlap prediction, "
             f"{none4:,.0f}, is {(none4/(59337/1.27)-1)*100:+.0f}% to {(none4/(59337/1.35)-1)*100:+.0f}% from it: in sequence the "
             "kernels run close to their calibrations. The blog's observation that communication under two-batch overlap is "
             "slower than in unit tests, and matches them with overlap off, points at what the kernels do to each other under "
             "overlap (sharing HBM, L2 and clocks, compute kernels keeping SMs from the communication, or waiting on ranks that run "
             "behind). A kernel-level measurement of DeepEP normal running beside DeepGEMM and attention would settle it and would "
             "enter the model as a calibration term, not as a fit to these figures; the CUDA suite's `overlap` family measures the "
             "part one GPU can show (docs/cuda-microbenchmarks.md), and has not been run yet.\n")
    d0, d1 = phase(res["decode"])["tokens_per_s_per_node"], phase(load("slow1.2-decode.json"))["tokens_per_s_per_node"]
    fd = 1.0 + (22282 - d0) / (d1 - d0) * 0.2 if d1 != d0 else None
    if fd:
        L.append(f"For comparison, decode (DeepEP low-latency, whose kernels hold no SMs while the data is in flight) meets its "
                 f"published figure at f = {fd:.2f} by the same linear reading (f = 1.2: {d1:,.0f} tokens/s per node): the factor "
                 "is not one number for every kernel, as expected if it comes from SM-holding communication beside compute.")
    L.append("")
L.append("## Two-batch overlap: gain over no overlap, predicted (schedule and ideal) and published\n")
L.append("| configuration | schedule (configured) | ideal overlap | published |")
L.append("|---|---:|---:|---:|")
for k in ("prefill-1k", "prefill-2k", "prefill-4k"):
    by = phase(res[k])["step_seconds_by_overlap"]
    L.append(f"| prefill, {k.split('-')[1].upper()} prompts | {(by['none']/by['two_batch']-1)*100:+.1f}% | {(by['none']/by['two_batch_ideal']-1)*100:+.1f}% | +27% to +35% |")
tbo = json.load(open(os.path.join(work, "tbo-out.json")))
for pt in tbo["points"]:
    r = pt["result"]["decode"]; b = pt["values"]["/workload/batch_per_gpu"]
    by = r["step_seconds_by_overlap"]
    pubgain = {32: -27.0, 256: 25.5}[b]
    L.append(f"| decode, {b} tokens per device | {(by['none']/by['two_batch']-1)*100:+.1f}% | {(by['none']/by['two_batch_ideal']-1)*100:+.1f}% | {pubgain:+.1f}% |")
L.append("")
def tput(k, key):
    p = phase(res[k]); return p["tokens_per_s_per_node"] * p["step_seconds"] / p["step_seconds_by_overlap"][key]
L.append("Where the prefill schedule's time goes (ms per step; `no SM budget`: the same scenario with the network calibration's deepep-normal `num_sms` set to 0):\n")
L.append("| prompts | ideal overlap, no SM budget | schedule, no SM budget | schedule (configured) | no overlap |")
L.append("|---|---:|---:|---:|---:|")
for k in ("prefill-1k", "prefill-2k", "prefill-4k"):
    by = phase(res[k])["step_seconds_by_overlap"]; bn = phase(load("nosm-" + k + ".json"))["step_seconds_by_overlap"]
    L.append(f"| {k.split('-')[1].upper()} | {bn['two_batch_ideal']*1e3:.0f} | {bn['two_batch']*1e3:.0f} ({(bn['two_batch']/bn['two_batch_ideal']-1)*100:+.1f}%: dependencies) | "
             f"{by['two_batch']*1e3:.0f} ({(by['two_batch']/bn['two_batch']-1)*100:+.1f}%: 20 SMs held by DeepEP) | {by['none']*1e3:.0f} |")
L.append("")
L.append("Prefill from 1K to 4K prompts: predicted " + ", ".join(f"{(tput('prefill-4k', key)/tput('prefill-1k', key)-1)*100:+.1f}% ({name})" for key, name in (("two_batch", "schedule"), ("two_batch_ideal", "ideal overlap"), ("none", "no overlap"))) +
         f", published {(50302/57674-1)*100:+.1f}%.\n")
# Breakdowns.
def breakdown(name, p):
    L.append(f"### {name}\n")
    L.append(f"{p['gpus']} GPUs, {p['tokens_per_gpu_per_step']:.0f} tokens per GPU per step; step {p['step_seconds']*1e3:.1f} ms "
             f"(no overlap {p['step_seconds_by_overlap']['none']*1e3:.1f} ms, two-batch {p['step_seconds_by_overlap']['two_batch']*1e3:.1f} ms, "
             f"two-batch ideal {p['step_seconds_by_overlap']['two_batch_ideal']*1e3:.1f} ms, "
             f"intra-layer {p['step_seconds_by_overlap']['intra_layer']*1e3:.1f} ms). MoE: {p['moe']['kernel']} ({p['moe']['kernel_costs']} kernel costs), "
             f"placement {p['moe']['placement']}, routing {p['moe']['routing']}, busiest GPU {p['moe']['busiest_gpu_expert_tokens']:.0f} "
             f"token-expert pairs (mean {p['moe']['mean_gpu_expert_tokens']:.0f}) in {p['moe']['busiest_gpu_received_rows']:.0f} received token rows. Utilization: compute {p['utilization']['compute']*100:.1f}%, "
             f"HBM {p['utilization']['hbm_bandwidth']*100:.1f}%, scale-up {p['utilization']['scale_up']*100:.1f}%, scale-out {p['utilization']['scale_out']*100:.1f}%. "
             f"Memory per GPU {p['memory_per_gpu']['total_bytes']/1e9:.1f} GB of {p['memory_per_gpu']['capacity_bytes']/1e9:.0f} GB.\n")
    layers = p["layers"]
    L.append("| component | " + " | ".join(f"{l['id']} (x{l['count']}), ms per layer" for l in layers) + " | per step, ms (no overlap) |")
    L.append("|---|" + "---:|" * (len(layers) + 1))
    comps = p["step_seconds_by_component_no_overlap"]
    for c in ["attention", "tp_all_reduce", "norms", "gate", "dispatch", "routed_experts", "combine", "shared_experts", "moe_tp_all_reduce", "dense_ffn", "embedding", "lm_head", "mtp"]:
        if c not in comps or comps[c] <= 0: continue
        cells = [f"{l['seconds_by_component'][c]*1e3:.3f}" if c in l['seconds_by_component'] else "-" for l in layers]
        L.append(f"| {c} | " + " | ".join(cells) + f" | {comps[c]*1e3:.2f} |")
    L.append("| compute stream | " + " | ".join(f"{l['compute_seconds']*1e3:.3f}" for l in layers) + " | |")
    L.append("| communication stream | " + " | ".join(f"{l['communication_seconds']*1e3:.3f}" for l in layers) + " | |")
    L.append("| layer, two-batch overlap (schedule) | " + " | ".join(f"{l['seconds_overlap_two_batch']*1e3:.3f}" for l in layers) + " | |")
    L.append("| layer, two-batch overlap (ideal) | " + " | ".join(f"{l['seconds_overlap_two_batch_ideal']*1e3:.3f}" for l in layers) + " | |")
    L.append("")
    L.append(f"Two-batch schedule: the compute stream waits {p['two_batch_compute_idle_seconds']*1e3:.1f} ms per step for communication"
             + (f"; the dispatch/combine kernels hold {p['communication_sms']:.0f} SMs, so concurrent compute runs on the remaining SMs." if p.get('communication_sms', 0) > 0 else "; the dispatch/combine kernels hold no SMs (DeepEP low-latency: the transfer is in flight between send and receive kernels).") + "\n")
L.append("## Breakdown\n")
for k in ("prefill-1k", "prefill-4k", "decode"):
    breakdown({"prefill-1k": "Prefill, 1K prompts", "prefill-4k": "Prefill, 4K prompts", "decode": "Decode"}[k], phase(res[k]))
L.append("## Reading the result\n")
dd = d["layers"][-1]
p1 = phase(res["prefill-1k"]); p4 = phase(res["prefill-4k"])
pf = p4["layers"][-1]
def gain(p, key): return p["step_seconds_by_overlap"]["none"] / p["step_seconds_by_overlap"][key] - 1
L.append("- Two-batch overlap is a schedule, not a max: each MoE layer of each micro-batch is attention, dispatch, shared experts, routed experts, combine, "
         "issued in SGLang's order (`python/sglang/srt/batch_overlap/operations_strategy.py`, the DeepSeek \"blog\" strategies: prefill with "
         "`tbo_delta_stages` 0 and yields after launching dispatch and combine; decode with `tbo_delta_stages` 2, attention split in two stages "
         "and the shared experts issued after the dispatch send) to an in-order compute stream, where waiting for a communication op blocks every later kernel, "
         "and an in-order communication stream. The ideal overlap (the longer stream) is kept as `two_batch_ideal`.")
L.append(f"- Decode: the MoE layer's communication (DeepEP low-latency dispatch and combine, {dd['communication_seconds']*1e3:.2f} ms for 256 tokens, "
         f"calibrated kernel costs) against its compute ({dd['compute_seconds']*1e3:.2f} ms). In SGLang's decode order each communication op of one "
         "micro-batch overlaps only the one compute stage of the other micro-batch issued before the wait for it (combine of a with attention of b, "
         "dispatch of a with the shared experts of a and the attention projections of b), and the routed experts wait for their own dispatch with nothing to hide "
         f"it: the schedule takes {dd['seconds_overlap_two_batch']*1e3:.2f} ms per MoE layer against {dd['seconds_overlap_two_batch_ideal']*1e3:.2f} ms ideal "
         f"(compute stream waiting {d['two_batch_compute_idle_seconds']*1e3:.0f} ms per step), which is why the schedule predicts {rows[3][3]:+.1f}% where the "
         f"ideal overlap would predict {(tput('decode', 'two_batch_ideal') - 22282) / 22282 * 100:+.1f}%. The predicted dispatch per 128-token micro-batch "
         f"({d['moe']['dispatch_seconds']*1e3/2:.3f} ms) agrees with the published ~0.17 ms without being fitted to it: the low-latency kernel's scale-out "
         "terms come from DeepEP's multi-node H800 rows (the same ConnectX-7 400 Gb/s NIC per GPU; docs/network-model.md), where the first version of this "
         "report applied the single-node H100 NVLink terms to the 9-node RDMA path and predicted 0.262 ms and -17.1%. The overlap gain at 256 tokens per device "
         f"is still above the published one ({gain(d, 'two_batch')*100:+.0f}% against +25.5%) and the loss at 32 tokens smaller (see the table above).")
def step_ms(k, key): return phase(res[k])["step_seconds_by_overlap"][key] * 1e3
def comm_ms(k):
    c = phase(res[k])["step_seconds_by_component_no_overlap"]; return (c.get("dispatch", 0) + c.get("combine", 0)) * 1e3
L.append("- Prefill: what the published figures imply, against the model (ms per step of 16,384 tokens per GPU; the published step is "
         "16,384 x 8 / tokens per second per node, the step without TBO that step x 1.27-1.35, the blog's TBO gain):\n")
L.append("  | prompts | published step | implied without TBO | model: no overlap | model: compute only | model: communication only | model: schedule |")
L.append("  |---|---:|---:|---:|---:|---:|---:|")
for k in ("prefill-1k", "prefill-2k", "prefill-4k"):
    pub = 16384 * 8 / published[k] * 1e3
    L.append(f"  | {k.split('-')[1].upper()} | {pub:.0f} | {pub*1.27:.0f}-{pub*1.35:.0f} | {step_ms(k, 'none'):.0f} | "
             f"{step_ms(k, 'none') - comm_ms(k):.0f} | {comm_ms(k):.0f} | {step_ms(k, 'two_batch'):.0f} |")
L.append("")
pub1 = 16384 * 8 / published["prefill-1k"] * 1e3
L.append(f"  The deployment without TBO is {(pub1 * 1.27 / step_ms('prefill-1k', 'none') - 1) * 100:.0f}-"
         f"{(pub1 * 1.35 / step_ms('prefill-1k', 'none') - 1) * 100:.0f}% longer than the modelled kernels in sequence "
         f"({step_ms('prefill-1k', 'none'):.0f} ms at 1K), and with TBO it hides "
         f"{pub1 * 1.27 - pub1:.0f}-{pub1 * 1.35 - pub1:.0f} ms of the {comm_ms('prefill-1k'):.0f} ms of modelled communication per step, where any "
         "dependency-aware schedule of the modelled kernels hides most of it (per MoE layer, compute / communication stream: " +
         ", ".join(f"{phase(res[k])['layers'][-1]['compute_seconds']*1e3:.1f} / {phase(res[k])['layers'][-1]['communication_seconds']*1e3:.1f} ms "
                   f"at {k.split('-')[1].upper()}" for k in ("prefill-1k", "prefill-2k", "prefill-4k")) + "). "
         "The model therefore lacks time in the real deployment that its kernel-level calibrations do not contain, and more of it with TBO than "
         "without. Checked and ruled out as the main cause: the 20 SMs DeepEP normal holds (modelled, table above: " +
         " to ".join(f"{(phase(res[k])['step_seconds_by_overlap']['two_batch'] / phase(load('nosm-' + k + '.json'))['step_seconds_by_overlap']['two_batch'] - 1) * 100:+.0f}%" for k in ("prefill-1k", "prefill-4k")) +
         "); the scatter and gather of "
         "the contiguous layout (modelled since this version: 2.2 ms per layer); DeepEP normal's host synchronisation (its dispatch waits on the "
         "CPU for the receive counts, and its notify queues behind the previous communication op): a hand simulation of SGLang's prefill order "
         "with that constraint and the 1K per-micro-batch times gave about 25 ms per MoE layer against the schedule's 26.2 ms (both with the "
         "communication times before the group limit). Not modelled, no kernel-level data here: "
         "communication slowing while compute runs (the NVLink forwarding SMs sharing L2 and HBM with DeepGEMM; GPU clocks under the power "
         "limit when both run), the real routing's load imbalance after EPLB (the scenarios route uniformly; the blog measures "
         f"{59337/50302:.2f}x at 4K, table above), eager launches and host "
         "work between kernels. DeepSeek-V3's group-limited routing is modelled (a token picks its 8 experts from 4 of the 8 expert groups, "
         "and EPLB's hierarchical packing puts 2 groups on each node, so a token reaches fewer nodes): without it the model sends " +
         ", ".join(f"{(phase(load('nogroup-' + k + '.json'))['moe']['scale_out_bytes_per_gpu'] / phase(res[k])['moe']['scale_out_bytes_per_gpu'] - 1) * 100:+.0f}% "
                   f"RDMA bytes and predicts {phase(load('nogroup-' + k + '.json'))['tokens_per_s_per_node']:,.0f} tokens/s per node at {k.split('-')[1].upper()}"
                   for k in ("prefill-1k", "prefill-4k")) + " (the group limit raises the prediction).")
L.append("- Assumptions that are not fitted but matter: 16,384 prefill tokens per GPU per step; 100 output tokens for decode (context 2,048 + 50 at "
         "mid-generation); uniform routing with DeepSeek-V3's group limit (EPLB with 32 redundant experts is modelled on the expected loads, "
         "which balances uniform routing only up to sampling noise); bf16 KV cache; DP attention (TP 1).")
cal = sorted(set(v.get("compute_calibration", "") for v in list(res.values()) + [load("ds-profile.json")]))
L.append(f"\nCompute calibration used: {', '.join(os.path.relpath(c, root) if c else 'built-in default' for c in cal)}; "
         "network calibrations: hwdb/calibrations/dgx-h100-network.json (the SGLang scenarios), "
         "hwdb/calibrations/h800-deepseek-network.json (the DeepSeek profile).\n")
L.append(f"_Generated {datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M UTC')} with `{os.path.relpath(binpath, root)}`._")
open(out + ".tmp", "w").write("\n".join(L) + "\n")
os.replace(out + ".tmp", out)
print("wrote", out)
for k, pub, pred, err in rows: print(f"{k}: published {pub}, predicted {pred:.0f}, error {err:+.1f}%")
PY
