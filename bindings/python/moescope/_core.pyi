"""Type stubs of the compiled extension moescope._core (bindings/python/src/). SI units throughout."""
from typing import Any, Callable, Optional

import numpy as np
import numpy.typing as npt

__version__: str

class InputError(ValueError):
    """Bad input. `diagnostics`: (file, location, message) tuples; location is a JSON pointer, a line, or ''."""
    diagnostics: list[tuple[str, str, str]]

class Session:
    """The files a process reads (hwdb, model catalog, calibrations, traces), cached by file version."""
    def __init__(self, data_root: str = "") -> None: ...
    @property
    def data_root(self) -> str: ...
    @property
    def hwdb_dir(self) -> str: ...
    @property
    def model_catalog_dir(self) -> str: ...

class Scenario:
    """A checked, immutable scenario; replace() returns a new one."""
    @staticmethod
    def load(path: str, session: Optional[Session] = None) -> Scenario: ...
    @staticmethod
    def from_dict(data: dict[str, Any], file: str = "", session: Optional[Session] = None) -> Scenario: ...
    def replace(self, edits: dict[str, Any], session: Optional[Session] = None) -> Scenario: ...
    def get(self, path: str) -> Any: ...
    def to_dict(self) -> dict[str, Any]: ...
    @property
    def name(self) -> str: ...
    @property
    def file(self) -> str: ...

class AllToAll:
    """One direction (dispatch or combine) of one MoE layer's all-to-all."""
    seconds: float
    transfer_seconds: float
    latency_seconds: float
    busiest_link: str
    busiest_link_bytes: float
    scale_up_bytes: float
    scale_out_bytes: float

class MoeAllToAll:
    """The MoE all-to-all of one layer as the step model used it."""
    kernel: str
    placement: str
    routing: str
    mode: str
    ep_gpus: int
    tokens_per_gpu: float
    dispatch: AllToAll
    combine: AllToAll
    scale_up_bytes_per_gpu: float
    scale_out_bytes_per_gpu: float
    busiest_gpu_expert_tokens: float
    def traffic(self, level: str = "node", phase: str = "dispatch") -> npt.NDArray[np.float64]: ...

class Layer:
    """One layer type of a step: seconds per occurrence."""
    id: str
    count: int
    component_seconds: dict[str, float]
    compute_seconds: float
    communication_seconds: float
    seconds: float
    flop: float
    hbm_bytes: float

class Layers:
    """The layer types of a phase."""
    def __len__(self) -> int: ...
    def __getitem__(self, i: int) -> Layer: ...
    def to_frame(self) -> Any: ...

class Utilization:
    """Utilization over the step, 0..1."""
    compute: float
    hbm_bandwidth: float
    scale_up: float
    scale_out: float

class Phase:
    """One phase (prefill or decode) of an evaluation."""
    phase: str
    evaluated: bool
    nodes: int
    gpus: int
    batch_per_gpu: float
    kv_bounded: bool
    tokens_per_gpu_per_step: float
    step_seconds: float
    stage_seconds: float
    tpot_seconds: float
    ttft_seconds: float
    tokens_per_s_per_gpu: float
    tokens_per_s_per_node: float
    flop_per_step: float
    hbm_bytes_per_step: float
    step_component_seconds: dict[str, float]
    memory_total_bytes: float
    memory_capacity_bytes: float
    cost_per_million_tokens_usd: float
    energy_per_token_joules: float
    notes: list[str]
    utilization: Utilization
    layers: Layers
    moe: MoeAllToAll

class Evaluation:
    """One evaluation of a scenario: both phases, memory, the report."""
    prefill: Phase
    decode: Phase
    scenario: Scenario
    weight_bytes_per_gpu: float
    kv_cache_bytes_per_gpu: float
    memory_fits: bool
    def metrics(self) -> dict[str, float]: ...
    def to_dict(self) -> dict[str, Any]: ...

def evaluate(scenario: Scenario, session: Optional[Session] = None) -> Evaluation: ...

class SolveResult:
    """The value of one field at which a metric meets a target."""
    found: bool
    value: float
    other: float
    iterations: int
    trace: list[tuple[float, bool]]
    message: str
    metrics: dict[str, float]

class _SolveSpec:
    path: str
    metric: str
    target: float
    at_most: bool
    lo: float
    hi: float
    rel_tol: float
    integer: bool
    def __init__(self) -> None: ...

class Trace:
    """An expert-activation trace (per-token routing, or expert counts only)."""
    @staticmethod
    def load(path: str, format: str = "", max_requests: int = 0) -> Trace: ...
    path: str
    model: str
    num_layers: int
    num_experts: int
    top_k: int
    domains: list[str]
    num_requests: int
    num_tokens: int
    def info(self) -> dict[str, Any]: ...
    def stats(self) -> dict[str, Any]: ...
    def routing(self, layer: int) -> npt.NDArray[np.uint16]: ...
    def requests(self) -> Any: ...
    def split(self, test_fraction: float = 0.2, seed: int = 0) -> tuple[Trace, Trace]: ...

class PlacementMetrics:
    """A placement scored on a trace (sums over layers)."""
    strategy: str
    pairs: float
    inter_node_pairs: float
    dedup_bytes: float
    busiest_link_bytes: float
    gpu_load_max_over_mean: float
    traffic_tokens: float
    home: list[int]
    def layers_frame(self) -> Any: ...

class Placement:
    """A placement strategy fitted on a trace."""
    strategy: str
    nodes: int
    gpus_per_node: int
    slots_per_gpu: int
    expert_gpus: list[list[tuple[int, ...]]]
    def evaluate(self, trace: Trace) -> PlacementMetrics: ...

def place(trace: Trace, strategy: str = "linear", nodes: int = 1, gpus_per_node: int = 8, redundant: int = 0,
          seed: int = 0, bytes_per_token: float = 0.0) -> Placement: ...
def placement_strategies() -> list[str]: ...

def _set_default_data_root(root: str) -> None: ...
def _data_root() -> str: ...
def _sweep(scenario: Scenario, axes: list[tuple[list[str], list[list[Any]]]], metrics: list[str],
           maximize: list[str], minimize: list[str], threads: int,
           progress: Optional[Callable[[int, int], None]], session: Optional[Session]) -> dict[str, Any]: ...
def _pareto_mask(columns: dict[str, Any], maximize: list[str], minimize: list[str]) -> npt.NDArray[np.bool_]: ...
def _solve(scenario: Scenario, spec: _SolveSpec, session: Optional[Session]) -> SolveResult: ...
def _sensitivity(scenario: Scenario, step: float, session: Optional[Session]) -> tuple[dict[str, Any], float]: ...
def _hw_items(kind: str, session: Optional[Session]) -> list[dict[str, Any]]: ...
def _models(session: Optional[Session]) -> list[dict[str, Any]]: ...
def _compare_placements(path: str, nodes: int, gpus_per_node: int, redundant: int, strategies: list[str],
                        folds: int, test_fraction: float, seed: int, cross_domain: bool,
                        moe_time_system: str = "") -> dict[str, Any]: ...
def _placement_drift(path: str, nodes: int, gpus_per_node: int, redundant: int, strategy: str, windows: list[int],
                     train_domain: str, serve_domain: str, system: str, expert_bytes: float, window_seconds: float,
                     seed: int, session: Optional[Session]) -> dict[str, Any]: ...
