"""pytest for the public names not covered elsewhere: data paths, sessions, listings, placements, plots, progress;
and a check that every public name has a docstring and a stub."""
import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

import moescope as ms

REPO = Path(__file__).resolve().parents[2]
DEFAULT = str(REPO / "scenarios" / "default.json")
TRACE = str(REPO / "tests" / "data" / "traces" / "deepseek-v2-lite-chat-20.mst")
PACKAGE = Path(ms.__file__).parent


def public_members(obj):
    return [(n, getattr(obj, n)) for n in dir(obj) if not n.startswith("_")]


def test_every_public_name_has_a_docstring():
    missing = []
    compiled_classes = [n for n in dir(ms._core) if not n.startswith("_") and inspect.isclass(getattr(ms._core, n))]
    for name in sorted(set(ms.__all__) | set(compiled_classes)):
        obj = getattr(ms, name, None) or getattr(ms._core, name)
        if name == "__version__":
            continue
        if not (getattr(obj, "__doc__", None) or "").strip():
            missing.append(name)
        if inspect.ismodule(obj) or inspect.isclass(obj):
            for member, value in public_members(obj):
                if inspect.ismodule(value) or (inspect.ismodule(obj) and getattr(value, "__module__", "") !=
                                               obj.__name__):
                    continue  # imported names are documented where they are defined
                if issubclass(type(obj), type) and issubclass(obj, BaseException) and hasattr(Exception, member):
                    continue  # args, with_traceback: Python's own
                if not (getattr(value, "__doc__", None) or "").strip() or (
                        isinstance(value, property) and value.__doc__.strip() == ""):
                    missing.append(f"{name}.{member}")
    assert not missing, f"no docstring: {missing}"


def test_every_compiled_name_has_a_stub():
    stub = ast.parse((PACKAGE / "_core.pyi").read_text())
    declared = {n.name for n in stub.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    compiled = {n for n in dir(ms._core) if not n.startswith("__")}
    assert compiled - declared == set()
    assert (PACKAGE / "py.typed").exists()


def test_data_root_and_data_file():
    root = Path(ms.data_root())
    assert (root / "hwdb").is_dir() and (root / "models" / "catalog").is_dir()
    assert Path(ms.data_file("scenarios/default.json")).is_file()
    assert Path(ms.data_file("traces/deepseek-v2-lite-chat-20.mst")).is_file()
    with pytest.raises(FileNotFoundError):
        ms.data_file("scenarios/no-such-file.json")


def test_sessions_are_independent_and_default_is_shared():
    assert ms.default_session() is ms.default_session()
    s = ms.Session(ms.data_root())
    assert s.hwdb_dir == str(Path(ms.data_root()) / "hwdb")
    assert s.model_catalog_dir.endswith("models/catalog")
    a = ms.evaluate(DEFAULT, session=s).decode.tpot_seconds
    assert a == ms.evaluate(DEFAULT).decode.tpot_seconds


def test_session_on_a_folder_without_data_is_an_input_error(tmp_path):
    with pytest.raises(ms.InputError):
        ms.evaluate(DEFAULT, session=ms.Session(str(tmp_path)))


def test_all_hardware_listings():
    assert "nvlink4" in ms.hw.interconnects().index
    systems = ms.hw.systems()
    assert {"dgx-h100", "dgx-b200"} <= set(systems.index)
    files = {p.stem for p in (Path(ms.data_root()) / "hwdb" / "systems").glob("*.json")}
    assert set(systems.index) == files


def test_model_catalog_lists_every_file():
    files = {p.stem for p in (Path(ms.data_root()) / "models" / "catalog").glob("*.json")}
    assert set(ms.models.catalog().index) == files


def test_placement_strategies_fit_and_score():
    names = ms.placement_strategies()
    assert "linear" in names and len(names) >= 3
    train, test = ms.Trace.load(TRACE).split(0.25, seed=1)
    linear = ms.place(train, strategy="linear", nodes=2, gpus_per_node=4).evaluate(test)
    for name in names:
        p = ms.place(train, strategy=name, nodes=2, gpus_per_node=4)
        assert p.strategy == name and p.nodes == 2 and p.gpus_per_node == 4
        gpus = {g for layer in p.expert_gpus for experts in layer for g in experts}
        assert gpus <= set(range(8))
        m = p.evaluate(test)
        assert isinstance(m, ms.PlacementMetrics)
        assert m.pairs == linear.pairs  # the same held-out tokens whatever the placement
        assert len(m.layers_frame()) == test.num_layers


def test_trace_metadata_stats_and_requests():
    t = ms.Trace.load(TRACE)
    info = t.info()
    assert info["requests"] == t.num_requests == len(t.requests())
    assert t.requests()["decode_tokens"].sum() + t.requests()["prefill_tokens"].sum() == t.num_tokens
    assert isinstance(t.stats(), dict) and t.stats()
    assert t.model and t.num_experts > t.top_k > 0 and t.domains


def test_compare_placements_ratios_are_to_linear():
    df = ms.compare_placements(TRACE, nodes=2, gpus_per_node=4, folds=1)
    linear = df[df["strategy"] == "linear"]
    assert np.allclose(linear["dedup_bytes_ratio_to_linear"], 1.0)
    for _, row in df.iterrows():
        base = linear[(linear["split"] == row["split"]) &
                      (linear["redundant_slots_per_gpu"] == row["redundant_slots_per_gpu"])]
        assert row["dedup_bytes_ratio_to_linear"] == pytest.approx(row["dedup_bytes"] / base["dedup_bytes"].iloc[0])


def test_compare_placements_batch_is_the_single_runs_in_order():
    kw = dict(gpus_per_node=4, folds=1, strategies=["linear"])
    batch = ms.compare_placements(TRACE, nodes=[4, 2], **kw)
    assert list(batch["nodes"].unique()) == [4, 2]
    one = ms.compare_placements(TRACE, nodes=2, **kw)
    assert list(batch[batch["nodes"] == 2]["dedup_bytes"]) == list(one["dedup_bytes"])


def test_solve_rejects_two_targets_and_unknown_metrics():
    path = "/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s"
    with pytest.raises(ms.InputError):
        ms.solve(DEFAULT, path, metric="tpot_seconds", at_most=1, at_least=1, lo=1e9, hi=1e12)
    with pytest.raises(ms.InputError) as e:
        ms.solve(DEFAULT, path, metric="tpot_secs", at_most=0.05, lo=1e9, hi=1e12)
    assert any("tpot_secs" in m for _, _, m in e.value.diagnostics)


def test_progress_bar_reports_every_point(capsys):
    ms.sweep(DEFAULT, axes={"/deployment/nodes": [2, 4, 8]}, progress=True)
    err = capsys.readouterr().err
    assert "sweep" in err and "3/3" in err


@pytest.fixture
def agg():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    yield
    plt.close("all")


def test_plot_helpers_draw(agg):
    r = ms.evaluate(ms.Scenario.load(DEFAULT).replace({"/deployment/nodes": 4}))
    ax = ms.plot.roofline(r)
    assert ax.get_xscale() == "log" and len(ax.collections) >= 1
    ax = ms.plot.time_breakdown(r)
    assert len(ax.patches) == len(r.decode.step_component_seconds)
    ax = ms.plot.traffic_heatmap(r)
    assert ax.images[0].get_array().shape == (4, 4)
    df = ms.sweep(DEFAULT, axes={"/workload/batch_per_gpu": [16, 64, 256], "/deployment/nodes": [4, 8]})
    ax = ms.plot.pareto_front(df, label="h100")
    assert len(ax.lines[0].get_xdata()) == int(df["pareto"].sum())
    ax = ms.plot.tornado(ms.sensitivity(DEFAULT), top=3)
    assert len(ax.patches) == 3
    with pytest.raises(ms.InputError):
        ms.plot.tornado(ms.sensitivity(DEFAULT), metric="no_such_metric")
    assert ms.plot.new_axes((3, 2)).figure.get_size_inches().tolist() == [3, 2]


def test_placement_drift_rows_are_the_cli_runs():
    esft = str(REPO / "tests" / "data" / "traces" / "esft")
    df = ms.placement_drift(esft, nodes=2, gpus_per_node=4, window=[1, 2], train_domain="intent",
                            serve_domain="law")
    assert list(df["window_requests"]) == [1, 2]
    assert list(df["mode"]) == ["intent -> law"] * 2
    assert np.allclose(df["net_seconds_without_overlap"], df["saved_seconds"] - df["migration_seconds"])
    per_window = ms.placement_drift(esft, nodes=2, gpus_per_node=4, window=1, train_domain="intent",
                                    serve_domain="law", windows=True)
    assert per_window["saved_seconds"].sum() == pytest.approx(df["saved_seconds"].iloc[0])
    assert per_window["migrated_copies"].iloc[0] == 0  # the first window is served by the plan fitted on intent
    with pytest.raises(ms.InputError):
        ms.placement_drift(esft, nodes=2, gpus_per_node=4, window=0)


def test_compare_placements_moe_time_adds_the_layer_time():
    df = ms.compare_placements(TRACE, nodes=2, gpus_per_node=4, folds=1, strategies=["coact-partition"],
                               moe_time="hgx-h200")
    assert (df["expert_seconds"] > 0).all()
    assert np.allclose(df["moe_layer_seconds"], df["expert_seconds"] + df["a2a_normal_seconds"])
    plain = ms.compare_placements(TRACE, nodes=2, gpus_per_node=4, folds=1, strategies=["coact-partition"])
    assert (plain["moe_layer_seconds"] == -1).all()  # not timed
