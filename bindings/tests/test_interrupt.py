"""Ctrl-C during a long sweep: the sweep stops soon with KeyboardInterrupt and the process stays usable."""
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHILD = r"""
import sys, time, numpy as np, moescope as ms
s = ms.Scenario.load(sys.argv[1])
before = ms.evaluate(s).decode.tpot_seconds
print("started", flush=True)
t0 = time.monotonic()
try:
    ms.sweep(s, axes={"/workload/batch_per_gpu": np.arange(1, 200001)}, threads=1)
    print("finished", flush=True)
except KeyboardInterrupt:
    print(f"interrupted {time.monotonic() - t0:.3f}", flush=True)
after = ms.evaluate(s).decode.tpot_seconds
df = ms.sweep(s, axes={"/deployment/nodes": [2, 4]})
assert after == before and len(df) == 2 and df["ok"].all()
print("usable", flush=True)
"""


def test_ctrl_c_stops_a_sweep_and_leaves_the_process_usable():
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(REPO / "scenarios" / "default.json")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "started"
    time.sleep(1.0)
    sent = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    latency = time.monotonic() - sent
    assert p.returncode == 0, err
    lines = out.split()
    assert "interrupted" in lines, out  # 200000 points take minutes; the interrupt came first
    assert lines[-1] == "usable"
    assert latency < 10, f"{latency:.1f} s from SIGINT to exit"
