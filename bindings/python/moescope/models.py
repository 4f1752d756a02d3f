"""The model catalog as a DataFrame: one row per model, architecture fields and exact parameter counts."""
from __future__ import annotations

from . import _core
from ._data import default_session
from .hw import _flatten


def catalog(session: _core.Session | None = None):
    """Models in models/catalog/ with parameters.total and parameters.active_per_token."""
    import pandas as pd
    df = pd.DataFrame([_flatten(m) for m in _core._models(session or default_session())])
    return df.set_index("name", drop=False) if "name" in df.columns else df
