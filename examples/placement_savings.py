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

    # One held-out row per (node count, strategy): the experiment pools the held-out requests of every fold.
    held_out = df[df["redundant_slots_per_gpu"] == 0]
    ax = ms.plot.new_axes()
    for strategy, g in held_out.groupby("strategy", sort=False):
        if strategy != "linear":
            ax.plot(g["nodes"], 100 * g["saving_vs_linear"], marker="o", label=strategy)
    ax.set_xscale("log", base=2)
    ax.set_xticks(args.nodes, [str(n) for n in args.nodes])
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel(f"nodes ({args.gpus_per_node} GPUs each)")
    ax.set_ylabel("held-out inter-node dispatch bytes saved vs linear (%)")
    ax.set_title(f"DeepSeek-V2-Lite chat trace, held-out requests of {args.folds} folds")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    ax.figure.savefig(out / "placement_savings.png", dpi=120)
    print(held_out[["nodes", "strategy", "saving_vs_linear"]].to_string(index=False))


if __name__ == "__main__":
    main()
