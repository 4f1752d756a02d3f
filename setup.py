"""Builds the moescope wheel: CMake compiles only the extension moescope._core (tests, GUI, benchmarks and CUDA off)
into build-pip/ (or $MOESCOPE_PIP_BUILD_DIR, e.g. an existing build tree, which is then built, not reconfigured);
the pure-Python package comes from bindings/python/moescope and the data the package needs (hwdb/, models/catalog/,
scenarios/, the bundled trace) is copied into moescope/data, found at run time through importlib.resources."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# Kept at their source-tree paths so that a scenario's relative trace path ("../tests/data/traces/...") holds.
DATA = ["hwdb", "models/catalog", "scenarios", "tests/data/traces/deepseek-v2-lite-chat-20.mst"]


def cmake_version() -> str:
    m = re.search(r"project\(\s*moescope\s+VERSION\s+([0-9.]+)", (ROOT / "CMakeLists.txt").read_text())
    if not m:
        raise RuntimeError("no `project(moescope VERSION x.y.z` in CMakeLists.txt")
    return m.group(1)


def cmake_build_dir() -> Path:
    return Path(os.environ.get("MOESCOPE_PIP_BUILD_DIR") or ROOT / "build-pip").resolve()


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = cmake_build_dir()
        if not (build / "CMakeCache.txt").exists():
            generator = ["-G", "Ninja"] if shutil.which("ninja") else []
            subprocess.check_call(["cmake", "-S", str(ROOT), "-B", str(build), *generator,
                                   "-DCMAKE_BUILD_TYPE=Release", "-DMOESCOPE_BUILD_TESTS=OFF",
                                   "-DMOESCOPE_BUILD_BENCH=OFF", "-DMOESCOPE_BUILD_GUI=OFF",
                                   "-DMOESCOPE_BUILD_CUDA=OFF", f"-DPython_EXECUTABLE={sys.executable}"])
        jobs = os.environ.get("MOESCOPE_JOBS") or str(os.cpu_count() or 1)
        subprocess.check_call(["cmake", "--build", str(build), "--target", "moescope_py", "-j", jobs])
        built = sorted((build / "python" / "moescope").glob("_core*.so"))
        if not built:
            raise RuntimeError(f"CMake built no moescope/_core*.so under {build}")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[-1], target)


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        data = Path(self.build_lib) / "moescope" / "data"
        for rel in DATA:
            src, dst = ROOT / rel, data / rel
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)


# setuptools' own scratch (and its egg-info) goes next to the CMake tree, not into the source tree or ./build (the
# CMake build folder by convention).
scratch = cmake_build_dir() / "setuptools"
scratch.mkdir(parents=True, exist_ok=True)
setup(
    version=cmake_version(),
    packages=["moescope"],
    package_dir={"moescope": "bindings/python/moescope"},
    package_data={"moescope": ["*.pyi", "py.typed"]},
    ext_modules=[Extension("moescope._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild, "build_py": BuildPyWithData},
    options={"build": {"build_base": str(scratch)}, "egg_info": {"egg_base": str(scratch)}},
    zip_safe=False,
)
