"""The layering check fails on a forbidden include and on a dependency cycle, and passes on a clean tree."""
import pathlib
import subprocess
import sys

CHECK = pathlib.Path(__file__).with_name("check_includes.py")

CMAKE = """
moescope_core_module(util LIBS nlohmann_json::nlohmann_json)
moescope_core_module(scenario DEPS util)
moescope_core_module(engine DEPS scenario)
moescope_core_module(study DEPS engine)
"""


def tree(tmp_path, files, cmake=CMAKE):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "CMakeLists.txt").write_text(cmake)
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return subprocess.run([sys.executable, str(CHECK), "--root", str(tmp_path)], capture_output=True, text=True)


def test_clean_tree_passes(tmp_path):
    r = tree(tmp_path, {"core/engine/a.cpp": '#include "scenario/s.hpp"\n#include "util/u.hpp"\n',
                        "core/study/b.cpp": '#include "util/u.hpp"\n',  # transitive through engine
                        "cli/main.cpp": '#include "study/session.hpp"\n#include <vector>\n'})
    assert r.returncode == 0, r.stdout


def test_upward_include_in_core_fails(tmp_path):
    r = tree(tmp_path, {"core/scenario/s.cpp": '#include "engine/step_model.hpp"\n'})
    assert r.returncode == 1
    assert "core/scenario/s.cpp:1: module 'scenario' includes \"engine/step_model.hpp\"" in r.stdout


def test_front_end_below_the_facade_fails(tmp_path):
    r = tree(tmp_path, {"gui/view.cpp": '\n#include "engine/step_model.hpp"\n'})
    assert r.returncode == 1
    assert "gui/view.cpp:2: front end 'gui'" in r.stdout


def test_cycle_fails(tmp_path):
    r = tree(tmp_path, {}, cmake=CMAKE + "moescope_core_module(util2 DEPS util3)\nmoescope_core_module(util3 DEPS util2)\n")
    assert r.returncode == 1
    assert "dependency cycle" in r.stdout


def test_the_repository_passes():
    r = subprocess.run([sys.executable, str(CHECK)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
