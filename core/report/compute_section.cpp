#include "report/compute_section.hpp"

#include "util/data_paths.hpp"
#include "util/text_table.hpp"

namespace moescope {

std::string ComputeSection::key() const {
  return "compute";
}

namespace {

// The compute buckets of the engine's per-layer breakdown (the others are communication).
const std::vector<std::string>& compute_buckets() {
  static const std::vector<std::string> b = {"attention",      "norms",     "gate", "routed_experts",
                                             "shared_experts", "dense_ffn", "other"};
  return b;
}

Json step_to_json(const PhaseResult& p) {
  const LayerTokens& t = p.tokens;
  Json j;
  j["phase"] = to_string(p.phase);
  j["microbatches"] = p.microbatches;
  j["tokens"] = {{"rank_sequences", t.rank_sequences},
                 {"query_tokens_per_sequence", t.query_tokens},
                 {"kv_length", t.kv_length},
                 {"attention_rank_tokens", t.rank_tokens},
                 {"moe_tokens_per_gpu", t.moe_tokens_per_gpu},
                 {"busiest_gpu_expert_tokens", t.busiest_expert_tokens}};
  Json components = Json::object();
  double step = 0, flop = 0, weight_bytes = 0, kv_bytes = 0;
  j["layer_types"] = Json::array();
  for (const auto& lb : p.layers) {
    Json l;
    l["id"] = lb.id;
    l["layers"] = lb.count;
    l["seconds_per_layer"] = lb.compute_seconds;
    Json c = Json::object();
    for (const auto& name : compute_buckets())
      if (auto it = lb.component_seconds.find(name); it != lb.component_seconds.end()) c[name] = it->second;
    l["component_seconds_per_layer"] = c;
    l["operators"] = Json::array();
    const double n = static_cast<double>(lb.count);
    for (std::size_t i = 0; lb.operators && i < lb.operators->size(); ++i) {
      const OperatorWork& op = (*lb.operators)[i];
      l["operators"].push_back(operator_to_json(op, lb.operator_times[i]));
      flop += n * op.flop;
      weight_bytes += n * op.weight_bytes;
      kv_bytes += n * op.kv_bytes;
    }
    for (auto it = c.begin(); it != c.end(); ++it)
      components[it.key()] = components.value(it.key(), 0.0) + n * it.value().get<double>();
    step += n * lb.compute_seconds;
    j["layer_types"].push_back(l);
  }
  j["outer_operators"] = Json::array();
  for (std::size_t i = 0; i < p.outer_operators.size(); ++i) {
    const OperatorWork& op = p.outer_operators[i];
    const OperatorTime& ot = p.outer_operator_times[i];
    j["outer_operators"].push_back(operator_to_json(op, ot));
    components[op.component] = components.value(op.component, 0.0) + ot.seconds;
    step += ot.seconds;
    flop += op.flop;
    weight_bytes += op.weight_bytes;
    kv_bytes += op.kv_bytes;
  }
  j["component_seconds"] = components;
  j["step_seconds"] = step;
  j["flop"] = flop;
  j["weight_bytes_read"] = weight_bytes;
  j["kv_bytes"] = kv_bytes;
  if (!p.moe.kernel.empty())
    j["routing_note"] = "expert loads from " + p.moe.routing + " routing through placement \"" + p.moe.placement +
                        "\" (the busiest GPU's experts set the routed-expert time)";
  return j;
}

Json roofline(const ResolvedScenario& s, const DeploymentResult& result) {
  Json r;
  Json compute = Json::object();
  for (const auto& [t, q] : s.accelerator.peak_dense_flop_per_s)
    compute[to_string(t)] = q.value;
  r["ceilings"] = {{"compute_flop_per_s", compute},
                   {"hbm_bytes_per_s", s.accelerator.hbm_bandwidth_bytes_per_s.value},
                   {"scale_up_bytes_per_s", s.scale_up.achievable_device_bandwidth_per_direction_bytes_per_s()},
                   {"scale_out_bytes_per_s",
                    s.scale_out
                        ? s.scale_out->achievable_device_bandwidth_per_direction_bytes_per_s() * s.nics_per_accelerator
                        : 0.0}};
  r["note"] =
      "x = arithmetic intensity (flop per HBM byte); a roof of bandwidth B is the line y = B * x; for the network "
      "roofs, x is read as flop per byte sent over that fabric";
  r["points"] = Json::array();
  for (const PhaseResult* p : {&result.prefill, &result.decode}) {
    if (!p->evaluated) continue;
    for (const auto& lb : p->layers)
      for (std::size_t i = 0; lb.operators && i < lb.operators->size(); ++i)
        r["points"].push_back({{"phase", to_string(p->phase)},
                               {"layer_type", lb.id},
                               {"name", (*lb.operators)[i].name},
                               {"arithmetic_intensity_flop_per_byte", (*lb.operators)[i].arithmetic_intensity()},
                               {"attained_flop_per_s", lb.operator_times[i].attained_flop_per_s},
                               {"bound", to_string(lb.operator_times[i].bound)}});
  }
  return r;
}

} // namespace

Json ComputeSection::view(const ResolvedScenario& s, const DeploymentResult& r) const {
  Json j;
  j["mode"] = to_string(r.mode);
  j["cuda_graphs"] = s.scenario.engine.compute.cuda_graphs;
  std::string cal_file = r.compute_calibration;
  const std::string root = data_root() + "/";
  if (cal_file.rfind(root, 0) == 0) cal_file = cal_file.substr(root.size()); // relative to the data root
  j["calibration"] = r.mode == EngineMode::calibrated ? (cal_file.empty() ? "built-in default" : cal_file) : "none";
  j["steps"] = Json::array();
  for (const PhaseResult* p : {&r.prefill, &r.decode})
    if (p->evaluated) j["steps"].push_back(step_to_json(*p));
  j["roofline"] = roofline(s, r);
  return j;
}

std::string ComputeSection::render_text(const Json& j) const {
  std::string out = "Compute per GPU (busiest GPU; mode " + j["mode"].get<std::string>() + ", calibration " +
                    j["calibration"].get<std::string>() + ")\n";
  for (const auto& st : j["steps"]) {
    const auto mb = st["microbatches"].get<std::int64_t>();
    out += "  " + st["phase"].get<std::string>() +
           " step, compute only: " + format_seconds(st["step_seconds"].get<double>()) +
           (mb > 1 ? " per micro-batch (" + std::to_string(mb) + " per step)" : std::string()) + "\n";
    TextTable t({"layer type", "layers", "per layer", "attention", "routed", "shared", "dense FFN", "gate", "norms"});
    for (const auto& lt : st["layer_types"]) {
      const auto& c = lt["component_seconds_per_layer"];
      auto f = [&](const char* k) { return c.contains(k) ? format_seconds(c[k].get<double>()) : std::string("-"); };
      t.add_row({lt["id"].get<std::string>(), std::to_string(lt["layers"].get<std::int64_t>()),
                 format_seconds(lt["seconds_per_layer"].get<double>()), f("attention"), f("routed_experts"),
                 f("shared_experts"), f("dense_ffn"), f("gate"), f("norms")});
    }
    std::string table = t.render({1, 2, 3, 4, 5, 6, 7, 8});
    for (std::size_t pos = 0; pos < table.size();) {
      auto nl = table.find('\n', pos);
      out += "    " + table.substr(pos, nl - pos + 1);
      pos = nl + 1;
    }
    const auto& cs = st["component_seconds"];
    out += "    step by component:";
    for (auto it = cs.begin(); it != cs.end(); ++it)
      if (it.value().get<double>() > 0) out += " " + it.key() + " " + format_seconds(it.value().get<double>()) + ";";
    out += "\n";
    TextTable ops({"operator (" + st["layer_types"].back()["id"].get<std::string>() + " layer)", "FLOP", "bytes",
                   "FLOP/byte", "bound", "time"});
    for (const auto& op : st["layer_types"].back()["operators"])
      ops.add_row({op["name"].get<std::string>(), format_si(op["flop"].get<double>(), ""),
                   format_bytes(op["bytes"].get<double>()),
                   format_fixed(op["arithmetic_intensity_flop_per_byte"].get<double>(), 1),
                   op["bound"].get<std::string>(), format_seconds(op["seconds"].get<double>())});
    table = ops.render({1, 2, 3, 5});
    for (std::size_t pos = 0; pos < table.size();) {
      auto nl = table.find('\n', pos);
      out += "    " + table.substr(pos, nl - pos + 1);
      pos = nl + 1;
    }
  }
  return out;
}

} // namespace moescope
