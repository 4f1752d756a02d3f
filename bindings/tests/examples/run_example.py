#!/usr/bin/env python3
"""ctest python.example.<name>: runs examples/<name>.py with --out in a temporary folder and checks that it wrote a
real PNG and a CSV with a header and at least --min-rows rows of data."""
import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("--min-rows", type=int, default=4)
    ap.add_argument("args", nargs="*", help="passed to the example")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix=f"moescope-{a.name}-") as out:
        subprocess.run([sys.executable, str(REPO / "examples" / f"{a.name}.py"), "--out", out, *a.args],
                       check=True, cwd=out)
        png, table = Path(out) / f"{a.name}.png", Path(out) / f"{a.name}.csv"
        data = png.read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 20000, f"{png}: not a plotted PNG ({len(data)} bytes)"
        with table.open() as f:
            rows = list(csv.reader(f))
        assert len(rows) - 1 >= a.min_rows, f"{table}: {len(rows) - 1} rows"
        numeric = sum(1 for v in rows[1] if v.replace(".", "", 1).replace("e-", "").replace("e+", "").isdigit())
        assert numeric >= 2, f"{table}: first row has no numbers: {rows[1]}"
        print(f"{a.name}: {len(data)} byte PNG, {len(rows) - 1} CSV rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
