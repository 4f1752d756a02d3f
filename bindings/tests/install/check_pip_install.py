#!/usr/bin/env python3
"""ctest python.pip_install: `pip install --no-build-isolation --no-index <repo>` into a fresh virtual environment
(--system-site-packages, for Debian's numpy and pandas) in a temporary folder, then an example run from another
folder with no MOESCOPE_DATA_DIR and no PYTHONPATH, so that it can only work from the installed package and its
packaged data. $MOESCOPE_PIP_BUILD_DIR (the ctest build tree) lets setup.py reuse the compiled extension."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

CHECK = """
import sys, moescope as ms
from pathlib import Path
prefix = Path(sys.prefix).resolve()
assert Path(ms.__file__).resolve().is_relative_to(prefix), ms.__file__
assert Path(ms.data_root()).resolve().is_relative_to(prefix), ms.data_root()
assert ms.__version__ == sys.argv[1], (ms.__version__, sys.argv[1])
trace_scenario = ms.evaluate(ms.data_file("scenarios/deepseek-v2-lite-trace-2x8-h100.json"))
assert trace_scenario.decode.moe.mode == "trace", trace_scenario.decode.moe.mode
print("installed", ms.__version__, "data", ms.data_root())
"""


def cmake_version() -> str:
    import re
    return re.search(r"project\(\s*moescope\s+VERSION\s+([0-9.]+)", (REPO / "CMakeLists.txt").read_text()).group(1)


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MOESCOPE_DATA_DIR")}
    with tempfile.TemporaryDirectory(prefix="moescope-pip-") as tmp:
        venv, elsewhere = Path(tmp) / "venv", Path(tmp) / "elsewhere"
        elsewhere.mkdir()
        t0 = time.monotonic()
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
        py = str(venv / "bin" / "python3")
        subprocess.run([py, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index", str(REPO)],
                       check=True, env=env, cwd=elsewhere)
        print(f"venv and pip install: {time.monotonic() - t0:.1f} s")
        subprocess.run([py, "-c", CHECK, cmake_version()], check=True, env=env, cwd=elsewhere)
        out = elsewhere / "out"
        subprocess.run([py, str(REPO / "examples" / "hardware_pareto.py"), "--out", str(out), "--systems",
                        "dgx-h100", "hgx-h200"], check=True, env=env, cwd=elsewhere, stdout=subprocess.DEVNULL)
        for name in ("hardware_pareto.png", "hardware_pareto.csv"):
            size = (out / name).stat().st_size
            assert size > 1000, f"{name}: {size} bytes"
        print("example ran from", elsewhere)
    return 0


if __name__ == "__main__":
    sys.exit(main())
