#include "report/network_section.hpp"

#include "network/moe_layer.hpp"
#include "util/text_table.hpp"

namespace moescope {

std::string NetworkSection::key() const {
  return "network";
}

namespace {

Json phase_json(const MoeLayerNetwork& m) {
  const DispatchResult& r = m.expected.result;
  const auto phase = [&](const PhaseCost& p) {
    Json j;
    j["seconds"] = p.seconds;
    j["transfer_seconds"] = p.transfer_seconds;
    j["latency_seconds"] = p.latency_seconds;
    j["message_seconds"] = p.message_seconds;
    j["fixed_seconds"] = p.fixed_seconds;
    j["busiest_link"] = p.busiest_link >= 0 ? m.topology.link_name(p.busiest_link) : "none";
    j["busiest_link_bytes"] = p.busiest_link_bytes;
    j["busiest_link_bandwidth_bytes_per_s"] =
        p.busiest_link >= 0 ? m.topology.links()[static_cast<std::size_t>(p.busiest_link)].bandwidth_bytes_per_s : 0.0;
    j["bytes_per_tier"] = {{"scale_up", p.scale_up_bytes}, {"scale_out", p.scale_out_bytes}};
    return j;
  };
  Json j;
  j["kernel"] = m.kernel;
  j["tokens_per_gpu"] = m.tokens_per_gpu;
  j["ep_gpus"] = m.ep_gpus;
  j["placement_strategy"] = m.placement_strategy;
  j["mode"] = "expected_value";
  j["kernel_costs"] = m.calibrated ? "calibrated" : "speed_of_light";
  j["dispatch_bytes_per_token"] = m.payload.dispatch_bytes_per_token;
  j["combine_bytes_per_token"] = m.payload.combine_bytes_per_token;
  j["dispatch"] = phase(r.dispatch);
  j["combine"] = phase(r.combine);
  j["seconds_per_layer"] = r.dispatch.seconds + r.combine.seconds;
  j["expected_max_expert_tokens_per_gpu"] = m.expected.expected_max_expert_tokens_per_gpu;
  j["mean_expert_tokens_per_gpu"] = m.expected.mean_expert_tokens_per_gpu;
  if (!m.note.empty()) j["note"] = m.note;
  return j;
}

} // namespace

Json NetworkSection::compute(const ResolvedScenario& s) const {
  Json j = Json::object();
  if (!s.model.is_moe()) {
    j["moe"] = false;
    return j;
  }
  j["moe"] = true;
  j["moe_layers"] = s.model.num_moe_layers();
  const Phase phase = s.scenario.workload.phase;
  if (phase == Phase::decode || phase == Phase::both)
    j["decode"] = phase_json(evaluate_moe_layer_network(s, Phase::decode));
  if (phase == Phase::prefill || phase == Phase::both)
    j["prefill"] = phase_json(evaluate_moe_layer_network(s, Phase::prefill));
  return j;
}

std::string NetworkSection::render_text(const Json& j) const {
  std::string out = "Network (MoE dispatch/combine per layer, expected-value mode)\n";
  if (!j.value("moe", false)) return out + "  dense model: no expert-parallel all-to-all\n";
  TextTable t({"phase", "kernel", "tokens/GPU", "dispatch", "combine", "busiest link (dispatch)", "scale-up bytes",
               "scale-out bytes"});
  for (const char* phase : {"decode", "prefill"}) {
    if (!j.contains(phase)) continue;
    const Json& p = j[phase];
    t.add_row({phase, p["kernel"].get<std::string>(), format_fixed(p["tokens_per_gpu"].get<double>(), 0),
               format_seconds(p["dispatch"]["seconds"].get<double>()),
               format_seconds(p["combine"]["seconds"].get<double>()),
               p["dispatch"]["busiest_link"].get<std::string>() + " (" +
                   format_bytes(p["dispatch"]["busiest_link_bytes"].get<double>()) + ")",
               format_bytes(p["dispatch"]["bytes_per_tier"]["scale_up"].get<double>()),
               format_bytes(p["dispatch"]["bytes_per_tier"]["scale_out"].get<double>())});
  }
  const std::string table = t.render({2, 3, 4, 6, 7});
  for (std::size_t pos = 0; pos < table.size();) {
    const auto nl = table.find('\n', pos);
    out += "  " + table.substr(pos, nl - pos + 1);
    pos = nl + 1;
  }
  for (const char* phase : {"decode", "prefill"})
    if (j.contains(phase) && j[phase].contains("note")) out += "  note: " + j[phase]["note"].get<std::string>() + "\n";
  return out;
}

} // namespace moescope
