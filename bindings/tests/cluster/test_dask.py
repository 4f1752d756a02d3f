"""ctest python.dask: sweeps and batches of placement experiments on a real dask.distributed LocalCluster (two worker
processes) give the same DataFrame as the local run."""
from pathlib import Path

import numpy as np
import pandas.testing as pdt
import pytest

import moescope as ms

distributed = pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[3]
DEFAULT = str(REPO / "scenarios" / "default.json")
TRACE = str(REPO / "tests" / "data" / "traces" / "deepseek-v2-lite-chat-20.mst")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        with distributed.Client(c) as cl:
            yield cl


def test_two_worker_processes(client):
    pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2


@pytest.mark.parametrize("chunk_size", [None, 7])
def test_sweep_equals_the_local_sweep(client, chunk_size):
    s = ms.Scenario.load(DEFAULT)
    axes = {"/workload/batch_per_gpu": np.array([8, 32, 64, 128, 256]), "/deployment/nodes": [2, 3, 4, 8]}
    local = ms.sweep(s, axes)
    remote = ms.sweep(s, axes, client=client, chunk_size=chunk_size)
    assert not local["ok"].all(), "the grid should hold invalid points (EP does not divide 3 nodes)"
    pdt.assert_frame_equal(local, remote)


def test_zipped_axes_and_named_objectives(client):
    s = ms.Scenario.load(DEFAULT)
    axes = {("/deployment/nodes", "/workload/batch_per_gpu"): [(2, 64), (4, 32), (8, 16)],
            "/workload/input_tokens": [1024, 4096]}
    kw = dict(metrics=["tpot_seconds", "decode_step_seconds", "decode_tokens_per_s_per_node"],
              maximize="decode_tokens_per_s_per_node", minimize="tpot_seconds")
    pdt.assert_frame_equal(ms.sweep(s, axes, **kw), ms.sweep(s, axes, client=client, chunk_size=2, **kw))


def test_placement_batch_equals_the_local_batch(client):
    kw = dict(nodes=[2, 4], gpus_per_node=4, folds=2, strategies=["linear", "coact-partition"])
    local = ms.compare_placements(TRACE, **kw)
    remote = ms.compare_placements(TRACE, client=client, **kw)
    assert list(local["nodes"].unique()) == [2, 4]
    # fit_seconds is a wall-clock time, the one column that may differ.
    pdt.assert_frame_equal(local.drop(columns="fit_seconds"), remote.drop(columns="fit_seconds"))
