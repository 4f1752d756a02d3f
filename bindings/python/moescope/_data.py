"""Where the package finds hwdb/, models/catalog/, the bundled scenarios and trace, and its default Session."""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from . import _core

_default: _core.Session | None = None


def data_root() -> str:
    """The folder holding hwdb/ and models/: $MOESCOPE_DATA_DIR, else the data installed with the package, else
    the source tree the extension was built from."""
    env = os.environ.get("MOESCOPE_DATA_DIR")
    if env:
        return env
    packaged = resources.files("moescope") / "data"
    if (Path(str(packaged)) / "hwdb").is_dir():
        return str(packaged)
    return _core.Session().data_root


def data_file(relative: str) -> str:
    """Absolute path of a bundled file, e.g. data_file("scenarios/default.json") or
    data_file("traces/deepseek-v2-lite-chat-20.mst") (the source tree keeps the trace under tests/data/)."""
    root = Path(data_root())
    for candidate in (root / relative, root / "tests" / "data" / relative):
        if candidate.exists():
            return str(candidate)
    raise FileNotFoundError(f"{relative} is not among the data files under {root}")


def default_session() -> _core.Session:
    """The Session every call uses unless given one: caches by file version, so edited files are read again."""
    global _default
    if _default is None:
        _default = _core.Session(data_root())
    return _default
