#!/usr/bin/env python3
"""Checks the layering of the tree by its #include lines, so that it holds by test, not by discipline.

- A core module (core/<module>/) may include only its own headers and those of the modules named (directly or
  through them) in its moescope_core_module(... DEPS ...) call in core/CMakeLists.txt; the declared graph must have no
  cycle.
- The front ends (cli/, bindings/, gui/) may include only the study facade (core/study/) and util/ from core/.

Prints every forbidden include as FILE:LINE: what, and exits 1 if there is one. `--root DIR` checks another tree
(the tests run it on a tree with a planted violation)."""
import argparse
import pathlib
import re
import sys

FRONT_ENDS = ("cli", "bindings", "gui")
FRONT_END_ALLOWED = {"study", "util"}
# (front-end file, core module) pairs allowed while a command is moved behind the facade; empty now. An entry that no
# longer occurs is an error too, so that the list only shrinks.
PENDING: set = set()
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def declared_modules(cmake_text):
    modules = {}
    for m in re.finditer(r"moescope_core_module\(\s*(\w+)([^)]*)\)", cmake_text):
        name, rest = m.group(1), m.group(2)
        deps = []
        dm = re.search(r"\bDEPS\b(.*?)(?:\bLIBS\b|$)", rest, re.S)
        if dm:
            deps = dm.group(1).split()
        modules[name] = deps
    return modules


def closure(modules):
    out = {}

    def visit(name, stack):
        if name in out:
            return out[name]
        if name in stack:
            raise ValueError("dependency cycle: " + " -> ".join(stack + [name]))
        reach = set()
        for d in modules.get(name, []):
            if d not in modules:
                raise ValueError(f"module {name} depends on undeclared module {d}")
            reach |= {d} | visit(d, stack + [name])
        out[name] = reach
        return reach

    for n in modules:
        visit(n, [])
    return out


def includes(folder):
    """(file, line number, included path) of every quoted #include below `folder`."""
    for f in sorted(p for p in folder.rglob("*") if p.suffix in (".cpp", ".hpp", ".h", ".cc")) if folder.exists() else []:
        for no, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if m:
                yield f, no, m.group(1)



def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(pathlib.Path(__file__).resolve().parents[2]))
    root = pathlib.Path(ap.parse_args().root)
    core = root / "core"
    modules = declared_modules((core / "CMakeLists.txt").read_text())
    try:
        reach = closure(modules)
    except ValueError as e:
        print(f"core/CMakeLists.txt: {e}")
        return 1
    problems = []
    checked = 0
    for name in modules:
        allowed = {name} | reach[name]
        for f, no, inc in includes(core / name):
            checked += 1
            top = inc.split("/")[0]
            if top in modules and top not in allowed:
                problems.append(f"{f.relative_to(root)}:{no}: module '{name}' includes \"{inc}\" but does "
                                f"not depend on '{top}' (core/CMakeLists.txt: {name} DEPS {' '.join(modules[name])})")
    pending_seen = set()
    for fe in FRONT_ENDS:
        for f, no, inc in includes(root / fe):
            checked += 1
            top = inc.split("/")[0]
            rel = f.relative_to(root).as_posix()
            if top in modules and (rel, top) in PENDING:
                pending_seen.add((rel, top))
            elif top in modules and top not in FRONT_END_ALLOWED:
                problems.append(f"{rel}:{no}: front end '{fe}' includes \"{inc}\"; front "
                                f"ends call the study facade (core/study/) and util/ only")
    for rel, top in sorted(PENDING - pending_seen):
        if (root / rel).exists():
            problems.append(f"{rel}: no longer includes module '{top}': remove it from PENDING in {__file__}")
    for p in problems:
        print(p)
    print(f"layering: {checked} includes checked, {len(problems)} forbidden, {len(pending_seen)} pending front-end "
          f"includes (PENDING)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
