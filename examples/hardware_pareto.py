#!/usr/bin/env python3
"""Design study 3: hardware comparison, decode tokens/s per GPU against TPOT Pareto fronts of several systems in
hwdb/ for DeepSeek-V3 (one sweep per system over batch per GPU and node count, the Pareto front of each marked by the
sweep). Writes hardware_pareto.png and hardware_pareto.csv (every point, with its system) into --out."""
import numpy as np

import moescope as ms
import study_cli

SYSTEMS = ["dgx-h100", "hgx-h200", "dgx-b200", "mi300x-platform"]


def main():
    ap = study_cli.parser(__doc__)
    ap.add_argument("--systems", nargs="+", default=SYSTEMS)
    args = ap.parse_args()
    out = study_cli.out_dir(args)

    client = study_cli.client(args)
    base = ms.Scenario.load(ms.data_file("scenarios/default.json"))
    axes = {"/workload/batch_per_gpu": np.unique(np.geomspace(4, 512, 24).round().astype(int)),
            "/deployment/nodes": [2, 4, 8, 16]}
    import pandas as pd
    frames = []
    for system in args.systems:
        df = ms.sweep(base.replace({"/system": system}), axes, client=client)
        df.insert(0, "system", system)
        frames.append(df)
    all_points = pd.concat(frames, ignore_index=True)
    all_points.to_csv(out / "hardware_pareto.csv", index=False)

    ax = ms.plot.new_axes()
    for system, df in zip(args.systems, frames):
        ms.plot.pareto_front(df, x="tpot_seconds", y="decode_tokens_per_s_per_gpu", label=system, ax=ax)
    ax.set_xscale("log")
    ax.set_xlabel("TPOT (s)")
    ax.set_ylabel("decode tokens/s per GPU")
    ax.set_title("DeepSeek-V3 decode: Pareto fronts over batch/GPU and nodes")
    ax.grid(True, which="both", alpha=0.3)
    ax.figure.tight_layout()
    ax.figure.savefig(out / "hardware_pareto.png", dpi=120)
    front = all_points[all_points["pareto"]]
    print(front[["system", "/deployment/nodes", "/workload/batch_per_gpu", "tpot_seconds",
                 "decode_tokens_per_s_per_gpu"]].to_string(index=False))


if __name__ == "__main__":
    main()
