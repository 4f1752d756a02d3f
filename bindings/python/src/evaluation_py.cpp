// evaluate() and its typed result: Evaluation -> Phase (prefill, decode) -> layers, utilization, MoE all-to-all and
// its traffic matrices as numpy arrays. Every attribute reads the one Evaluation the core computed (SI units).
#include <pybind11/stl.h>

#include <map>
#include <set>

#include "bindings.hpp"
#include "py_json.hpp"
#include "study/traffic.hpp"
#include "util/diagnostics.hpp"

namespace moescope::py_bindings {

namespace {

// The evaluation and the traffic matrices asked of it (computed on first request per phase).
struct PyEvaluation {
  Evaluation e;
  std::map<Phase, std::shared_ptr<const TrafficMatrices>> traffic;
};
using EvalPtr = std::shared_ptr<PyEvaluation>;

struct PyPhase {
  EvalPtr owner;
  Phase phase;
  const PhaseResult& r() const { return phase == Phase::prefill ? owner->e.result.prefill : owner->e.result.decode; }
};
struct PyUtilization {
  double compute, hbm_bandwidth, scale_up, scale_out;
};
struct PyLayers : PyPhase {};
struct PyMoe : PyPhase {};

py::object layers_frame(const PhaseResult& r) {
  py::list layer, count, component, op, seconds, flop, bytes, bound;
  auto row = [&](const LayerBreakdown& l, const std::string& comp, const std::string& name, double s, double f,
                 double b, const std::string& bd) {
    layer.append(l.id), count.append(l.count), component.append(comp), op.append(name), seconds.append(s);
    flop.append(f), bytes.append(b), bound.append(bd);
  };
  for (const auto& l : r.layers) {
    std::set<std::string> computed;
    if (l.operators)
      for (std::size_t i = 0; i < l.operators->size(); ++i) {
        const auto& w = (*l.operators)[i];
        const auto& t = l.operator_times.at(i);
        computed.insert(w.component);
        row(l, w.component, w.name, t.seconds, w.flop, w.bytes(), to_string(t.bound));
      }
    // Buckets without operators are the communication the engine adds (dispatch, combine, collectives).
    for (const auto& [comp, s] : l.component_seconds)
      if (!computed.count(comp)) row(l, comp, comp, s, 0.0, 0.0, "communication");
  }
  py::dict cols;
  cols["layer"] = layer, cols["count"] = count, cols["component"] = component, cols["operator"] = op;
  cols["seconds"] = seconds, cols["flop"] = flop, cols["bytes"] = bytes, cols["bound"] = bound;
  return data_frame(cols);
}

py::array_t<double> traffic(const PyMoe& m, const std::string& level, const std::string& direction) {
  if (level != "node" && level != "gpu") throw InputError("level", "", "expected 'node' or 'gpu', got '" + level + "'");
  if (direction != "dispatch" && direction != "combine")
    throw InputError("phase", "", "expected 'dispatch' or 'combine', got '" + direction + "'");
  auto& cached = m.owner->traffic[m.phase];
  if (!cached) {
    py::gil_scoped_release release;
    cached = std::make_shared<const TrafficMatrices>(traffic_matrices(m.owner->e, m.phase));
  }
  const TrafficMatrices& t = *cached;
  const bool node = level == "node";
  const auto& v = node ? (direction == "dispatch" ? t.dispatch_node_bytes : t.combine_node_bytes)
                       : (direction == "dispatch" ? t.dispatch_gpu_bytes : t.combine_gpu_bytes);
  const py::ssize_t n = node ? t.nodes : t.gpus;
  return borrowed_array<double>(v.data(), {n, n}, cached);
}

#define PHASE_FIELD(name, doc)                                                                                         \
  def_property_readonly(                                                                                               \
      #name, [](const PyPhase& p) { return p.r().name; }, doc)

} // namespace

void init_evaluation(py::module_& m) {
  py::class_<AllToAllPhase>(m, "AllToAll", "One direction (dispatch or combine) of one MoE layer's all-to-all")
      .def_readonly("seconds", &AllToAllPhase::seconds, "time of this direction (transfer + latency)")
      .def_readonly("transfer_seconds", &AllToAllPhase::transfer_seconds, "busiest link's bytes over its bandwidth")
      .def_readonly("latency_seconds", &AllToAllPhase::latency_seconds, "fixed per-message and kernel latency")
      .def_readonly("busiest_link", &AllToAllPhase::busiest_link, "name of the busiest link, e.g. node0.nic0.out")
      .def_readonly("busiest_link_bytes", &AllToAllPhase::busiest_link_bytes, "bytes over the busiest link")
      .def_readonly("scale_up_bytes", &AllToAllPhase::scale_up_bytes, "over the EP group")
      .def_readonly("scale_out_bytes", &AllToAllPhase::scale_out_bytes, "over the EP group");

  py::class_<PyMoe>(m, "MoeAllToAll", "The MoE all-to-all of one layer (full micro-batch) as the step model used it")
      .def_property_readonly(
          "kernel", [](const PyMoe& p) { return p.r().moe.kernel; }, "the all-to-all kernel modelled")
      .def_property_readonly(
          "placement", [](const PyMoe& p) { return p.r().moe.placement; }, "the expert placement strategy")
      .def_property_readonly(
          "routing", [](const PyMoe& p) { return p.r().moe.routing; }, "the routing model (uniform, trace, ...)")
      .def_property_readonly(
          "mode", [](const PyMoe& p) { return p.r().moe.mode; }, "'expected_value' or 'trace'")
      .def_property_readonly(
          "ep_gpus", [](const PyMoe& p) { return p.r().moe.ep_gpus; }, "GPUs of the expert-parallel group")
      .def_property_readonly(
          "tokens_per_gpu", [](const PyMoe& p) { return p.r().moe.tokens_per_gpu; }, "tokens each GPU dispatches")
      .def_property_readonly(
          "dispatch", [](const PyMoe& p) { return p.r().moe.dispatch; }, "AllToAll")
      .def_property_readonly(
          "combine", [](const PyMoe& p) { return p.r().moe.combine; }, "AllToAll")
      .def_property_readonly(
          "scale_up_bytes_per_gpu", [](const PyMoe& p) { return p.r().moe.scale_up_bytes_per_gpu; },
          "bytes per GPU over scale-up, both directions")
      .def_property_readonly(
          "scale_out_bytes_per_gpu", [](const PyMoe& p) { return p.r().moe.scale_out_bytes_per_gpu; },
          "bytes per GPU over scale-out, both directions")
      .def_property_readonly(
          "busiest_gpu_expert_tokens", [](const PyMoe& p) { return p.r().moe.busiest_gpu_expert_tokens; },
          "token-expert rows computed by the busiest GPU")
      .def("traffic", &traffic, py::arg("level") = "node", py::arg("phase") = "dispatch",
           "Bytes of one MoE layer between every pair of nodes (level='node', N x N) or GPUs ('gpu'), for 'dispatch' "
           "or 'combine': row = source, column = destination. A read-only numpy view (no copy).");

  py::class_<LayerBreakdown>(m, "Layer", "One layer type of a step (dense, moe, mtp): seconds per occurrence")
      .def_readonly("id", &LayerBreakdown::id, "layer type: dense, moe or mtp")
      .def_readonly("count", &LayerBreakdown::count, "occurrences per step on the busiest pipeline stage")
      .def_readonly("component_seconds", &LayerBreakdown::component_seconds, "bucket -> seconds per occurrence")
      .def_readonly("compute_seconds", &LayerBreakdown::compute_seconds, "compute buckets summed")
      .def_readonly("communication_seconds", &LayerBreakdown::communication_seconds, "communication buckets summed")
      .def_readonly("seconds", &LayerBreakdown::seconds, "under the configured overlap")
      .def_readonly("flop", &LayerBreakdown::flop, "FLOP per occurrence per GPU")
      .def_readonly("hbm_bytes", &LayerBreakdown::hbm_bytes, "HBM bytes per occurrence per GPU");

  py::class_<PyLayers>(m, "Layers", "The layer types of a phase")
      .def("__len__", [](const PyLayers& l) { return l.r().layers.size(); })
      .def(
          "__getitem__",
          [](const PyLayers& l, std::size_t i) -> const LayerBreakdown& {
            if (i >= l.r().layers.size()) throw py::index_error();
            return l.r().layers[i];
          },
          py::return_value_policy::reference_internal)
      .def(
          "to_frame", [](const PyLayers& l) { return layers_frame(l.r()); },
          "pandas DataFrame, one row per operator of each layer type (and one per communication bucket): layer, "
          "count, component, operator, seconds, flop, bytes, bound");

  py::class_<PyUtilization>(m, "Utilization", "Utilization over the step, 0..1")
      .def_readonly("compute", &PyUtilization::compute, "FLOP/s attained over peak")
      .def_readonly("hbm_bandwidth", &PyUtilization::hbm_bandwidth, "HBM bytes/s attained over peak")
      .def_readonly("scale_up", &PyUtilization::scale_up, "scale-up link busy fraction")
      .def_readonly("scale_out", &PyUtilization::scale_out, "scale-out link busy fraction");

  py::class_<PyPhase>(m, "Phase", "One phase (prefill or decode) of an evaluation, SI units")
      .def_property_readonly(
          "phase", [](const PyPhase& p) { return to_string(p.phase); }, "'prefill' or 'decode'")
      .PHASE_FIELD(evaluated, "whether the scenario evaluated this phase")
      .PHASE_FIELD(nodes, "nodes of the pool running this phase")
      .PHASE_FIELD(gpus, "GPUs of the pool")
      .PHASE_FIELD(batch_per_gpu, "decode: sequences per GPU actually run (after the KV bound)")
      .PHASE_FIELD(kv_bounded, "whether the KV cache capacity bounded the batch")
      .PHASE_FIELD(tokens_per_gpu_per_step, "decode: new tokens per GPU; prefill: prompt tokens per GPU")
      .PHASE_FIELD(step_seconds, "wall time of one step")
      .PHASE_FIELD(stage_seconds, "one pipeline stage, one micro-batch set")
      .PHASE_FIELD(tpot_seconds, "decode: time per output token")
      .PHASE_FIELD(ttft_seconds, "prefill: time to first token")
      .PHASE_FIELD(tokens_per_s_per_gpu, "decode: output tokens/s per GPU; prefill: prompt tokens/s per GPU")
      .PHASE_FIELD(tokens_per_s_per_node, "tokens/s per node")
      .PHASE_FIELD(flop_per_step, "FLOP per step per GPU")
      .PHASE_FIELD(hbm_bytes_per_step, "HBM bytes per step per GPU")
      .PHASE_FIELD(step_component_seconds, "bucket -> seconds per step (no overlap)")
      .PHASE_FIELD(memory_total_bytes, "memory per GPU")
      .PHASE_FIELD(memory_capacity_bytes, "HBM capacity per GPU")
      .PHASE_FIELD(cost_per_million_tokens_usd, "0 when no price is known")
      .PHASE_FIELD(energy_per_token_joules, "0 when no power is known")
      .PHASE_FIELD(notes, "what the model assumed")
      .def_property_readonly(
          "utilization",
          [](const PyPhase& p) {
            const auto& r = p.r();
            return PyUtilization{r.compute_utilization, r.hbm_bandwidth_utilization, r.scale_up_utilization,
                                 r.scale_out_utilization};
          },
          "Utilization over the step")
      .def_property_readonly(
          "layers", [](const PyPhase& p) { return PyLayers{p}; }, "Layers (to_frame() for a DataFrame)")
      .def_property_readonly(
          "moe", [](const PyPhase& p) { return PyMoe{p}; }, "MoeAllToAll");

  py::class_<PyEvaluation, EvalPtr>(m, "Evaluation", "One evaluation of a scenario: both phases, memory, the report")
      .def_property_readonly(
          "prefill",
          [](const EvalPtr& e) {
            return PyPhase{e, Phase::prefill};
          },
          "Phase: the prefill step")
      .def_property_readonly(
          "decode",
          [](const EvalPtr& e) {
            return PyPhase{e, Phase::decode};
          },
          "Phase: the decode step")
      .def_property_readonly(
          "scenario", [](const EvalPtr& e) { return PyScenario{e->e.scenario.scenario}; }, "the Scenario evaluated")
      .def_property_readonly(
          "weight_bytes_per_gpu", [](const EvalPtr& e) { return e->e.result.memory.weight_bytes; },
          "model weights held by each GPU")
      .def_property_readonly(
          "kv_cache_bytes_per_gpu", [](const EvalPtr& e) { return e->e.result.memory.kv_cache_bytes; },
          "KV cache of the batch on each GPU")
      .def_property_readonly(
          "memory_fits", [](const EvalPtr& e) { return e->e.result.memory.fits; },
          "whether weights, KV cache and activations fit in HBM")
      .def(
          "metrics", [](const EvalPtr& e) { return deployment_metrics(e->e.result); },
          "The headline metrics sweeps report (ttft_seconds, tpot_seconds, decode_tokens_per_s_per_gpu, ...)")
      .def(
          "to_dict", [](const EvalPtr& e) { return to_python(e->e.report().json); },
          "The report `moescope eval -o` writes, as a dict");

  m.def(
      "evaluate",
      [](const PyScenario& s, const py::object& session) {
        Session& sess = session_or_default(session);
        auto out = std::make_shared<PyEvaluation>();
        {
          py::gil_scoped_release release;
          out->e = sess.evaluate(s.scenario);
        }
        return out;
      },
      py::arg("scenario"), py::arg("session") = py::none(), "Evaluates a Scenario (GIL released).");
}

} // namespace moescope::py_bindings
