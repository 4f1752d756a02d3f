"""Where the package finds hwdb/, models/catalog/, the bundled scenarios and trace, and its default Session."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from . import _core

_default: _core.Session | None = None


def _packaged_root() -> str | None:
    """moescope/data in an installed package (pip copies hwdb/, models/catalog/, scenarios/, the trace there)."""
    packaged = Path(str(resources.files("moescope") / "data"))
    return str(packaged) if (packaged / "hwdb").is_dir() else None


# Set once at import, before any Session exists: core then resolves every data path against the packaged data.
_packaged = _packaged_root()
if _packaged:
    _core._set_default_data_root(_packaged)


def data_root() -> str:
    """The folder holding hwdb/ and models/: $MOESCOPE_DATA_DIR, else the data installed with the package, else
    the source tree the extension was built from."""
    return _core._data_root()


def data_file(relative: str) -> str:
    """Absolute path of a bundled file, e.g. data_file("scenarios/default.json") or
    data_file("traces/deepseek-v2-lite-chat-20.mst") (kept under tests/data/ as in the source tree, so that the
    scenarios' relative trace paths hold in both)."""
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
