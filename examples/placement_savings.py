#!/usr/bin/env python3
"""Design study 2: held-out inter-node traffic savings of each expert-placement strategy against node count, on the
bundled DeepSeek-V2-Lite chat trace. Every strategy is fitted on training requests and scored on held-out ones
(ms.compare_placements, the same experiment as `moescope place compare`); the saving is 1 - the strategy's
node-deduplicated dispatch bytes over linear placement's. Writes placement_savings.png and placement_savings.csv."""
import moescope as ms
import study_cli


def main():
    ap = study_cli.parser(__doc__)
    ap.add_argument("--nodes", type=int, nargs="+", default=[2, 4, 8])
    ap.add_argument("--gpus-per-node", type=int, default=8)
    ap.add_argument("--folds", type=int, default=3)
    args = ap.parse_args()
    out = study_cli.out_dir(args)

    client = study_cli.client(args)
    trace = ms.data_file("traces/deepseek-v2-lite-chat-20.mst")
    df = ms.compare_placements(trace, nodes=args.nodes, gpus_per_node=args.gpus_per_node, folds=args.folds,
                               client=client)
    df["saving_vs_linear"] = 1.0 - df["dedup_bytes_ratio_to_linear"]
    df.to_csv(out / "placement_savings.csv", index=False)

    # Mean and spread over the held-out folds, per strategy and node count.
    held_out = df[df["redundant_slots_per_gpu"] == 0]
    stats = held_out.groupby(["strategy", "nodes"])["saving_vs_linear"].agg(["mean", "min", "max"]).reset_index()
    ax = ms.plot.new_axes()
    for strategy, g in stats.groupby("strategy"):
        if strategy == "linear":
            continue
        ax.errorbar(g["nodes"], 100 * g["mean"], yerr=[100 * (g["mean"] - g["min"]), 100 * (g["max"] - g["mean"])],
                    marker="o", capsize=3, label=strategy)
    ax.set_xscale("log", base=2)
    ax.set_xticks(args.nodes, [str(n) for n in args.nodes])
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel(f"nodes ({args.gpus_per_node} GPUs each)")
    ax.set_ylabel("held-out inter-node dispatch bytes saved vs linear (%)")
    ax.set_title(f"DeepSeek-V2-Lite chat trace, {args.folds} held-out folds (bars: min..max)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    ax.figure.savefig(out / "placement_savings.png", dpi=120)
    print(stats.to_string(index=False))


if __name__ == "__main__":
    main()
