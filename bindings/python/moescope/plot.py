"""Plot helpers (matplotlib is imported on first call, so `import moescope` stays light). Each returns the Axes."""
from __future__ import annotations

from typing import Any


def new_axes(figsize: tuple[float, float] = (7, 4.5)):
    """A fresh matplotlib Axes (Agg backend when no display is usable), for scripts that compose several plots."""
    import matplotlib
    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        try:
            import matplotlib.pyplot as plt
        except Exception:
            matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.subplots(figsize=figsize)[1]


def _axes(ax):
    return ax if ax is not None else new_axes()


def roofline(evaluation, phase: str = "decode", ax=None):
    """Operators of every layer type at (FLOP/byte, attained FLOP/s), log-log; marker per bound."""
    ax = _axes(ax)
    df = getattr(evaluation, phase).layers.to_frame()
    df = df[(df["flop"] > 0) & (df["bytes"] > 0) & (df["seconds"] > 0)]
    for bound, g in df.groupby("bound"):
        ax.scatter(g["flop"] / g["bytes"], g["flop"] / g["seconds"], label=bound, s=18)
    ax.set_xscale("log"), ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP/byte)"), ax.set_ylabel("attained FLOP/s")
    ax.set_title(f"roofline, {phase}"), ax.legend()
    return ax


def time_breakdown(evaluation, phase: str = "decode", ax=None):
    """Seconds per step of each bucket (attention, routed experts, dispatch, combine, ...), no overlap."""
    ax = _axes(ax)
    parts = getattr(evaluation, phase).step_component_seconds
    names = sorted(parts, key=parts.get, reverse=True)
    ax.barh(names, [parts[n] * 1e3 for n in names])
    ax.invert_yaxis(), ax.set_xlabel("ms per step"), ax.set_title(f"time breakdown, {phase}")
    return ax


def traffic_heatmap(evaluation, phase: str = "decode", level: str = "node", direction: str = "dispatch", ax=None):
    """Bytes of one MoE layer between every pair of nodes (or GPUs)."""
    ax = _axes(ax)
    m = getattr(evaluation, phase).moe.traffic(level=level, phase=direction)
    im = ax.imshow(m, cmap="viridis")
    ax.figure.colorbar(im, ax=ax, label="bytes")
    ax.set_xlabel(f"destination {level}"), ax.set_ylabel(f"source {level}")
    ax.set_title(f"{direction} traffic, one MoE layer ({phase})")
    return ax


def pareto_front(df, x: str = "tpot_seconds", y: str = "decode_tokens_per_s_per_gpu", label: str | None = None,
                 ax=None, **kwargs: Any):
    """Points of a sweep frame, the Pareto rows (column `pareto`) joined by a line."""
    ax = _axes(ax)
    ok = df[df["ok"]] if "ok" in df else df
    pts = ax.scatter(ok[x], ok[y], s=8, alpha=0.3, **kwargs)
    if "pareto" in ok:
        f = ok[ok["pareto"]].sort_values(x)
        # The points' colour without their transparency, so that the front stands out of the cloud.
        ax.plot(f[x], f[y], marker="o", ms=4, color=pts.get_facecolor()[0][:3], label=label)
    ax.set_xlabel(x), ax.set_ylabel(y)
    if label:
        ax.legend()
    return ax


def tornado(sensitivity_frame, metric: str = "latency_seconds", top: int = 10, ax=None):
    """Elasticity of one metric of ms.sensitivity (latency_seconds, tokens_per_s_per_gpu) to each hardware figure,
    largest first."""
    d = sensitivity_frame[sensitivity_frame["metric"] == metric].copy()
    if d.empty:
        from ._core import InputError
        raise InputError(f"no metric '{metric}' in the sensitivity frame; it has "
                         f"{', '.join(sorted(sensitivity_frame['metric'].unique()))}")
    ax = _axes(ax)
    d = d.reindex(d["elasticity"].abs().sort_values(ascending=False).index).head(top)
    ax.barh(d["parameter"], d["elasticity"])
    ax.invert_yaxis(), ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(f"elasticity of {metric}"), ax.set_title("sensitivity")
    return ax
