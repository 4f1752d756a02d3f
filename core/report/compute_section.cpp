#include "report/compute_section.hpp"

#include "compute/model_compute.hpp"
#include "util/data_paths.hpp"
#include "util/text_table.hpp"

namespace moescope {

std::string ComputeSection::key() const {
  return "compute";
}

namespace {

Json step_to_json(const StepCompute& st) {
  Json j;
  j["phase"] = to_string(st.phase);
  j["tokens"] = {{"rank_sequences", st.tokens.rank_sequences},
                 {"query_tokens_per_sequence", st.tokens.query_tokens},
                 {"kv_length", st.tokens.kv_length},
                 {"attention_rank_tokens", st.tokens.rank_tokens},
                 {"moe_tokens_per_gpu", st.tokens.moe_tokens_per_gpu},
                 {"busiest_gpu_expert_tokens", st.tokens.busiest_expert_tokens}};
  j["layer_types"] = Json::array();
  for (const auto& lt : st.layer_types) {
    Json l;
    l["id"] = lt.id;
    l["layers"] = lt.count;
    l["seconds_per_layer"] = lt.seconds;
    l["component_seconds_per_layer"] = lt.component_seconds;
    l["operators"] = Json::array();
    for (std::size_t i = 0; i < lt.operators.size(); ++i)
      l["operators"].push_back(operator_to_json(lt.operators[i], lt.times[i]));
    j["layer_types"].push_back(l);
  }
  Json per_layer = Json::array();
  for (std::size_t i = 0; i < st.layer_type_of.size(); ++i) {
    const auto& lt = st.layer_types[static_cast<std::size_t>(st.layer_type_of[i])];
    per_layer.push_back({{"layer", i}, {"type", lt.id}, {"seconds", lt.seconds}});
  }
  j["layers"] = per_layer;
  j["outer_operators"] = Json::array();
  for (std::size_t i = 0; i < st.outer_operators.size(); ++i)
    j["outer_operators"].push_back(operator_to_json(st.outer_operators[i], st.outer_times[i]));
  j["component_seconds"] = st.component_seconds;
  j["step_seconds"] = st.step_seconds;
  j["flop"] = st.flop;
  j["weight_bytes_read"] = st.weight_bytes;
  j["kv_bytes"] = st.kv_bytes;
  if (!st.routing_note.empty()) j["routing_note"] = st.routing_note;
  return j;
}

Json roofline(const ResolvedScenario& s, const std::vector<StepCompute>& steps) {
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
  for (const auto& st : steps) {
    for (const auto& lt : st.layer_types)
      for (std::size_t i = 0; i < lt.operators.size(); ++i)
        r["points"].push_back({{"phase", to_string(st.phase)},
                               {"layer_type", lt.id},
                               {"name", lt.operators[i].name},
                               {"arithmetic_intensity_flop_per_byte", lt.operators[i].arithmetic_intensity()},
                               {"attained_flop_per_s", lt.times[i].attained_flop_per_s},
                               {"bound", to_string(lt.times[i].bound)}});
  }
  return r;
}

} // namespace

Json ComputeSection::compute(const ResolvedScenario& s) const {
  Diagnostics d;
  EngineSettings settings = read_engine_settings(s.scenario, d);
  d.throw_if_any();
  ComputeCalibration cal = settings.options.mode == EngineMode::calibrated
                               ? find_compute_calibration(hwdb_dir(), s.accelerator.name)
                               : default_compute_calibration();
  ComputeEngine engine(s.accelerator, cal, settings.options);
  std::vector<StepCompute> steps;
  const Phase ph = s.scenario.workload.phase;
  if (ph == Phase::prefill || ph == Phase::both) steps.push_back(compute_step(s, Phase::prefill, engine));
  if (ph == Phase::decode || ph == Phase::both) steps.push_back(compute_step(s, Phase::decode, engine));
  Json j;
  j["mode"] = to_string(settings.options.mode);
  j["cuda_graphs"] = settings.options.cuda_graphs;
  std::string cal_file = cal.file;
  const std::string root = data_root() + "/";
  if (cal_file.rfind(root, 0) == 0) cal_file = cal_file.substr(root.size()); // relative to the data root
  j["calibration"] =
      settings.options.mode == EngineMode::calibrated ? (cal_file.empty() ? "built-in default" : cal_file) : "none";
  j["steps"] = Json::array();
  for (const auto& st : steps)
    j["steps"].push_back(step_to_json(st));
  j["roofline"] = roofline(s, steps);
  return j;
}

std::string ComputeSection::render_text(const Json& j) const {
  std::string out = "Compute per GPU (busiest GPU; mode " + j["mode"].get<std::string>() + ", calibration " +
                    j["calibration"].get<std::string>() + ")\n";
  for (const auto& st : j["steps"]) {
    out += "  " + st["phase"].get<std::string>() + " step: " + format_seconds(st["step_seconds"].get<double>()) + "\n";
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
    for (const auto& c : compute_components())
      if (cs.contains(c) && cs[c].get<double>() > 0) out += " " + c + " " + format_seconds(cs[c].get<double>()) + ";";
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
