// Traces (any importer format or .mst): metadata, statistics, per-layer routing as numpy views, train/test splits;
// placement strategies fitted on one trace and scored on another; the held-out comparison of every strategy; and
// re-placement over time.
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "py_json.hpp"
#include "study/placement_drift_study.hpp"
#include "study/placement_fit.hpp"
#include "study/placement_study.hpp"
#include "study/trace_study.hpp"
#include "util/diagnostics.hpp"

namespace moescope::py_bindings {

namespace {

struct PyTrace {
  std::shared_ptr<const trace::AnyTrace> any;
  std::string path;
  const trace::ExpertTrace& tokens() const {
    const auto* t = std::get_if<trace::ExpertTrace>(any.get());
    if (!t) throw InputError(path, "", "this trace holds only expert counts, not per-token routing");
    return *t;
  }
};

struct PyPlacement {
  std::shared_ptr<const PlacementFit> fit;
};

py::object plan_layers_frame(const placement::PlanMetrics& m) {
  py::list layer, pairs, inter, dedup, busiest, load_max, load_mean;
  for (std::size_t l = 0; l < m.layers.size(); ++l) {
    const auto& x = m.layers[l];
    layer.append(l), pairs.append(x.pairs), inter.append(x.inter_node_pairs), dedup.append(x.dedup_bytes);
    busiest.append(x.busiest_link_bytes), load_max.append(x.gpu_load_max), load_mean.append(x.gpu_load_mean);
  }
  py::dict cols;
  cols["layer"] = layer, cols["pairs"] = pairs, cols["inter_node_pairs"] = inter, cols["dedup_bytes"] = dedup;
  cols["busiest_link_bytes"] = busiest, cols["gpu_load_max"] = load_max, cols["gpu_load_mean"] = load_mean;
  return data_frame(cols);
}

} // namespace

void init_trace(py::module_& m) {
  py::class_<PyTrace>(m, "Trace", "An expert-activation trace (per-token routing, or expert counts only)")
      .def_static(
          "load",
          [](const std::string& path, const std::string& format, std::size_t max_requests) {
            trace::ImportOptions o;
            o.format = format;
            o.max_requests = max_requests;
            py::gil_scoped_release release;
            return PyTrace{std::make_shared<const trace::AnyTrace>(trace::import_trace(path, o)), path};
          },
          py::arg("path"), py::arg("format") = "", py::arg("max_requests") = 0,
          "Imports any supported format (detected by content unless `format` names it) or .mst")
      .def_readonly("path", &PyTrace::path, "the file it was read from (with #train/#test after a split)")
      .def_property_readonly(
          "model", [](const PyTrace& t) { return trace::metadata_of(*t.any).model; }, "the traced model")
      .def_property_readonly(
          "num_layers", [](const PyTrace& t) { return trace::metadata_of(*t.any).num_layers(); }, "MoE layers")
      .def_property_readonly(
          "num_experts", [](const PyTrace& t) { return trace::metadata_of(*t.any).num_experts; },
          "routed experts per layer")
      .def_property_readonly(
          "top_k", [](const PyTrace& t) { return trace::metadata_of(*t.any).top_k; }, "experts per token")
      .def_property_readonly(
          "domains", [](const PyTrace& t) { return trace::metadata_of(*t.any).domains; }, "request domains")
      .def_property_readonly(
          "num_requests", [](const PyTrace& t) { return t.tokens().num_requests(); }, "requests traced")
      .def_property_readonly(
          "num_tokens", [](const PyTrace& t) { return t.tokens().num_tokens(); }, "tokens traced (prefill and decode)")
      .def(
          "info", [](const PyTrace& t) { return to_python(trace_info_json(*t.any)); },
          "model, format, kind, experts, top-k, layers, domains, requests, tokens")
      .def(
          "stats",
          [](const PyTrace& t) {
            trace::TraceStats s;
            {
              py::gil_scoped_release release;
              s = trace::compute_stats(*t.any);
            }
            return to_python(trace::stats_to_json(s));
          },
          "Load imbalance, domain specificity, prefill/decode correlation, co-activation (as `trace stats --json`)")
      .def(
          "routing",
          [](const PyTrace& t, std::uint32_t layer) {
            const auto& tr = t.tokens();
            if (layer >= tr.num_layers())
              throw InputError(t.path, "",
                               "layer slot " + std::to_string(layer) + " out of range (the trace has " +
                                   std::to_string(tr.num_layers()) + " MoE layers)");
            const auto k = py::ssize_t(tr.top_k()), L = py::ssize_t(tr.num_layers());
            const std::uint16_t* base = tr.expert_data().data() + layer * k;
            auto* keep = new std::shared_ptr<const void>(t.any);
            py::capsule owner(keep, [](void* p) { delete static_cast<std::shared_ptr<const void>*>(p); });
            const auto item = py::ssize_t(sizeof(std::uint16_t));
            py::array_t<std::uint16_t> a({py::ssize_t(tr.num_tokens()), k}, {L * k * item, item}, base, owner);
            py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
            return a;
          },
          py::arg("layer"),
          "Expert ids of every token at MoE layer slot `layer`: read-only (tokens, top_k) uint16 view, no copy")
      .def(
          "requests",
          [](const PyTrace& t) {
            const auto& tr = t.tokens();
            py::list id, domain, begin, prefill, decode;
            for (const auto& r : tr.requests())
              id.append(r.id), domain.append(tr.metadata().domains.at(r.domain)), begin.append(r.token_begin),
                  prefill.append(r.prefill_tokens), decode.append(r.decode_tokens);
            py::dict cols;
            cols["id"] = id, cols["domain"] = domain, cols["token_begin"] = begin;
            cols["prefill_tokens"] = prefill, cols["decode_tokens"] = decode;
            return data_frame(cols);
          },
          "DataFrame of requests: id, domain, token_begin, prefill_tokens, decode_tokens")
      .def(
          "split",
          [](const PyTrace& t, double test_fraction, std::uint64_t seed) {
            const auto& tr = t.tokens();
            if (!(test_fraction > 0 && test_fraction < 1))
              throw InputError("test_fraction", "", "must be strictly between 0 and 1");
            const auto s = trace::split_requests(tr, test_fraction, seed);
            auto part = [&](const std::vector<std::size_t>& idx, const char* tag) {
              return PyTrace{std::make_shared<const trace::AnyTrace>(tr.subset(idx)), t.path + tag};
            };
            return py::make_tuple(part(s.train, "#train"), part(s.test, "#test"));
          },
          py::arg("test_fraction") = 0.2, py::arg("seed") = 0,
          "(train, test) by the documented split (per domain, by a hash of seed and request id)")
      .def("__repr__", [](const PyTrace& t) {
        const auto& md = trace::metadata_of(*t.any);
        return "<moescope.Trace " + md.model + ": " + std::to_string(md.num_layers()) + " layers, " +
               std::to_string(md.num_experts) + " experts, top-" + std::to_string(md.top_k) + ">";
      });

  py::class_<placement::PlanMetrics>(m, "PlacementMetrics", "A placement scored on a trace (sums over layers)")
      .def_readonly("strategy", &placement::PlanMetrics::strategy, "the placement strategy scored")
      .def_property_readonly(
          "pairs", [](const placement::PlanMetrics& p) { return p.total.pairs; }, "token-expert pairs routed")
      .def_property_readonly(
          "inter_node_pairs", [](const placement::PlanMetrics& p) { return p.total.inter_node_pairs; },
          "token-expert pairs whose replica is on another node than the token's home")
      .def_property_readonly(
          "dedup_bytes", [](const placement::PlanMetrics& p) { return p.total.dedup_bytes; },
          "node-deduplicated inter-node dispatch bytes")
      .def_property_readonly(
          "busiest_link_bytes", [](const placement::PlanMetrics& p) { return p.total.busiest_link_bytes; },
          "inter-node bytes of the busiest node pair")
      .def_property_readonly("gpu_load_max_over_mean", &placement::PlanMetrics::gpu_max_over_mean,
                             "expert load of the busiest GPU over the mean (1 = balanced)")
      .def_readonly("traffic_tokens", &placement::PlanMetrics::traffic_tokens, "tokens whose routing was scored")
      .def_readonly("home", &placement::PlanMetrics::home, "node of each evaluated request")
      .def("layers_frame", &plan_layers_frame, "DataFrame of per-layer metrics");

  py::class_<PyPlacement>(m, "Placement", "A placement strategy fitted on a trace")
      .def_property_readonly(
          "strategy", [](const PyPlacement& p) { return p.fit->plan.strategy; }, "the strategy fitted")
      .def_property_readonly(
          "nodes", [](const PyPlacement& p) { return p.fit->topology.nodes; }, "nodes of the topology")
      .def_property_readonly(
          "gpus_per_node", [](const PyPlacement& p) { return p.fit->topology.gpus_per_node; }, "GPUs per node")
      .def_property_readonly(
          "slots_per_gpu", [](const PyPlacement& p) { return p.fit->topology.slots_per_gpu; },
          "expert slots per GPU, redundant ones included")
      .def_property_readonly(
          "expert_gpus",
          [](const PyPlacement& p) {
            py::list layers;
            for (const auto& l : p.fit->plan.layers) {
              py::list experts;
              for (std::int32_t e = 0; e < l.num_experts; ++e)
                experts.append(py::tuple(
                    py::cast(std::vector<std::int32_t>(l.replicas_begin(e), l.replicas_begin(e) + l.replicas(e)))));
              layers.append(experts);
            }
            return layers;
          },
          "expert_gpus[layer][expert]: the GPUs holding a replica")
      .def(
          "evaluate",
          [](const PyPlacement& p, const PyTrace& t) {
            const auto& tr = t.tokens();
            py::gil_scoped_release release;
            return evaluate_placement(*p.fit, tr);
          },
          py::arg("trace"), "Scores the placement on a (held-out) trace: PlacementMetrics");

  m.def(
      "place",
      [](const PyTrace& t, const std::string& strategy, std::int32_t nodes, std::int32_t gpus_per_node,
         std::int32_t redundant, std::uint64_t seed, double bytes_per_token) {
        const auto& tr = t.tokens();
        py::gil_scoped_release release;
        return PyPlacement{std::make_shared<const PlacementFit>(
            fit_placement(tr, strategy, nodes, gpus_per_node, redundant, bytes_per_token, seed))};
      },
      py::arg("trace"), py::arg("strategy") = "linear", py::arg("nodes") = 1, py::arg("gpus_per_node") = 8,
      py::arg("redundant") = 0, py::arg("seed") = 0, py::arg("bytes_per_token") = 0.0,
      "Fits a placement strategy on every request of `trace`; `redundant` extra slots per GPU");
  m.def("placement_strategies", [] { return placement::placement_strategy_names(); });
  m.def(
      "_compare_placements",
      [](const std::string& path, std::int32_t nodes, std::int32_t gpus_per_node, std::int32_t redundant,
         const std::vector<std::string>& strategies, std::int32_t folds, double test_fraction, std::uint64_t seed,
         bool cross_domain, const std::string& moe_time_system) {
        PlacementStudy st;
        st.trace_path = path;
        st.config.topology.nodes = nodes;
        st.config.topology.gpus_per_node = gpus_per_node;
        st.config.strategies = strategies;
        st.config.folds = folds;
        st.config.test_fraction = test_fraction;
        st.config.seed = seed;
        st.config.cross_domain = cross_domain;
        st.redundant = redundant;
        st.moe_time_system = moe_time_system;
        Session& session = session_or_default(py::none());
        Json j;
        {
          py::gil_scoped_release release;
          j = placement::experiment_json(run_placement_study(st, &session));
        }
        return to_python(j);
      },
      py::arg("path"), py::arg("nodes"), py::arg("gpus_per_node"), py::arg("redundant"), py::arg("strategies"),
      py::arg("folds"), py::arg("test_fraction"), py::arg("seed"), py::arg("cross_domain"),
      py::arg("moe_time_system") = "");
  m.def(
      "_placement_drift",
      [](const std::string& path, std::int32_t nodes, std::int32_t gpus_per_node, std::int32_t redundant,
         const std::string& strategy, const std::vector<std::int64_t>& windows, const std::string& train_domain,
         const std::string& serve_domain, const std::string& system, double expert_bytes, double window_seconds,
         std::uint64_t seed, const py::object& session) {
        PlacementDriftStudy st;
        st.trace_path = path;
        st.config.topology.nodes = nodes;
        st.config.topology.gpus_per_node = gpus_per_node;
        st.config.strategy = strategy;
        st.config.train_domain = train_domain;
        st.config.serve_domain = serve_domain;
        st.config.expert_bytes = expert_bytes;
        st.config.window_seconds = window_seconds;
        st.config.fit.seed = seed;
        st.window_requests = windows;
        st.redundant = redundant;
        st.system = system;
        Session& s = session_or_default(session);
        Json j;
        {
          py::gil_scoped_release release;
          j = placement::drift_json(run_placement_drift_study(s, st));
        }
        return to_python(j);
      },
      py::arg("path"), py::arg("nodes"), py::arg("gpus_per_node"), py::arg("redundant"), py::arg("strategy"),
      py::arg("windows"), py::arg("train_domain"), py::arg("serve_domain"), py::arg("system"), py::arg("expert_bytes"),
      py::arg("window_seconds"), py::arg("seed"), py::arg("session"));
}

} // namespace moescope::py_bindings
