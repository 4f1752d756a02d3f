#!/usr/bin/env python3
"""Design study 1: the smallest scale-out bandwidth per GPU link that meets a TPOT target, against node count, for
two accelerators (DeepSeek-V3 decode, EP over all GPUs). Each point is a bisection (ms.solve) on
/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s; a missing point means no bandwidth in the
bracket meets the target. Writes scale_out_bandwidth.png and scale_out_bandwidth.csv into --out."""
import moescope as ms
import study_cli

PATH = "/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s"
SYSTEMS = {"dgx-h100": "H100 (DGX H100)", "dgx-b200": "B200 (DGX B200)"}


def main():
    ap = study_cli.parser(__doc__, cluster=False)
    ap.add_argument("--tpot-ms", type=float, default=50.0, help="TPOT target in milliseconds")
    ap.add_argument("--nodes", type=int, nargs="+", default=[2, 4, 8, 16])
    args = ap.parse_args()
    out = study_cli.out_dir(args)

    base = ms.Scenario.load(ms.data_file("scenarios/default.json"))
    target_seconds = args.tpot_ms * 1e-3
    rows = []
    for system, label in SYSTEMS.items():
        for nodes in args.nodes:
            s = base.replace({"/system": system, "/deployment/nodes": nodes})
            r = ms.solve(s, PATH, metric="tpot_seconds", at_most=target_seconds, lo=1e9, hi=1e13, rel_tol=1e-3)
            rows.append({"system": system, "accelerator": label, "nodes": nodes, "gpus": nodes * 8,
                         "tpot_target_seconds": target_seconds, "found": r.found,
                         # below 128 when the KV cache bounds the batch (fewer nodes, less HBM for it)
                         "decode_batch_per_gpu_at_min": r.metrics.get("decode_batch_per_gpu", float("nan")),
                         "min_scale_out_bytes_per_s": r.value if r.found else float("nan"),
                         "tpot_seconds_at_min": r.metrics.get("tpot_seconds", float("nan")) if r.found
                         else float("nan"),
                         "decode_tokens_per_s_per_gpu_at_min": r.metrics.get("decode_tokens_per_s_per_gpu",
                                                                             float("nan")) if r.found
                         else float("nan")})

    import pandas as pd
    df = pd.DataFrame(rows)
    df.to_csv(out / "scale_out_bandwidth.csv", index=False)

    ax = ms.plot.new_axes()
    for system, label in SYSTEMS.items():
        d = df[df["system"] == system]
        ax.plot(d["nodes"], d["min_scale_out_bytes_per_s"] * 8 / 1e9, marker="o", label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(args.nodes, [str(n) for n in args.nodes])
    ax.set_xlabel("nodes (8 GPUs each)")
    ax.set_ylabel("smallest scale-out bandwidth per GPU (Gbit/s per direction)")
    ax.yaxis.set_major_formatter("{x:g}")
    ax.yaxis.set_minor_formatter("{x:g}")
    ax.set_title(f"DeepSeek-V3 decode, 128 sequences/GPU, TPOT <= {args.tpot_ms:g} ms")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.figure.tight_layout()
    ax.figure.savefig(out / "scale_out_bandwidth.png", dpi=120)
    print(df.to_string(index=False))


if __name__ == "__main__":
    main()
