"""The hardware database as DataFrames: one row per item, each figure's value beside a `<figure>_source` column
(and `<figure>_note` where the file has one), in SI units."""
from __future__ import annotations

from typing import Any

from . import _core
from ._data import default_session


def _flatten(item: dict, prefix: str = "") -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, v in item.items():
        name = f"{prefix}{key}"
        if isinstance(v, dict) and "value" in v and ("source" in v or "note" in v):
            row[name] = v["value"]
            row[f"{name}_source"] = v.get("source")
            if "note" in v:
                row[f"{name}_note"] = v["note"]
        elif isinstance(v, dict):
            row.update(_flatten(v, f"{name}."))
        else:
            row[name] = v
    return row


def _frame(kind: str, session: _core.Session | None):
    import pandas as pd
    rows = [_flatten(x) for x in _core._hw_items(kind, session or default_session())]
    df = pd.DataFrame(rows)
    return df.set_index("name", drop=False) if "name" in df.columns else df


def accelerators(session: _core.Session | None = None):
    """Accelerators in hwdb/: peak FLOP/s per data type, HBM bandwidth and capacity, ... with *_source columns."""
    return _frame("accelerators", session)


def interconnects(session: _core.Session | None = None):
    """Scale-up and scale-out interconnects in hwdb/ with *_source columns."""
    return _frame("interconnects", session)


def systems(session: _core.Session | None = None):
    """Systems (node and cluster) in hwdb/."""
    return _frame("systems", session)
