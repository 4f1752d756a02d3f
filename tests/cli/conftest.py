import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BAD = REPO / "tests" / "data" / "bad"


def moescope_bin():
    return os.environ.get("MOESCOPE_BIN", str(REPO / "build" / "bin" / "moescope"))


class Result:
    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def run():
    def _run(*args, cwd=REPO, env_extra=None):
        env = dict(os.environ)
        env.setdefault("MOESCOPE_DATA_DIR", str(REPO))
        if env_extra:
            env.update(env_extra)
        proc = subprocess.run([moescope_bin(), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=300)
        # A crash (signal) is never acceptable, whatever the input.
        assert proc.returncode >= 0, f"moescope died with signal {-proc.returncode}: {proc.stderr}"
        return Result(proc)

    return _run
