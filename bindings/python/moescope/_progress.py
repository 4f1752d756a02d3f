"""tqdm progress for long calls (terminal and Jupyter), as a callback the C++ side calls about every 100 ms."""
from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator


def _interactive() -> bool:
    try:
        from IPython import get_ipython  # type: ignore
        if get_ipython() is not None:
            return True
    except Exception:
        pass
    return sys.stderr.isatty()


@contextlib.contextmanager
def progress_bar(total: int, what: str, enabled: bool | None) -> Iterator[Callable[[int, int], None] | None]:
    if enabled is None:
        enabled = _interactive()
    if not enabled:
        yield None
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:  # progress is a convenience, never a requirement
        yield None
        return
    bar = tqdm(total=total, desc=what, unit="pt")

    def update(done: int, _total: int) -> None:
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()
