#include "report/network_section.hpp"

#include "util/text_table.hpp"

namespace moescope {

std::string NetworkSection::key() const {
  return "network";
}

namespace {

Json phase_json(const MoeTraffic& m) {
  const auto phase = [](const AllToAllPhase& p) {
    Json j;
    j["seconds"] = p.seconds;
    j["transfer_seconds"] = p.transfer_seconds;
    j["latency_seconds"] = p.latency_seconds;
    j["message_seconds"] = p.message_seconds;
    j["fixed_seconds"] = p.fixed_seconds;
    j["busiest_link"] = p.busiest_link;
    j["busiest_link_bytes"] = p.busiest_link_bytes;
    j["busiest_link_bandwidth_bytes_per_s"] = p.busiest_link_bandwidth_bytes_per_s;
    j["bytes_per_tier"] = {{"scale_up", p.scale_up_bytes}, {"scale_out", p.scale_out_bytes}};
    return j;
  };
  Json j;
  j["kernel"] = m.kernel;
  j["tokens_per_gpu"] = m.tokens_per_gpu;
  j["ep_gpus"] = m.ep_gpus;
  j["placement_strategy"] = m.placement;
  j["routing"] = m.routing;
  j["mode"] = m.mode;
  j["kernel_costs"] = m.calibrated ? "calibrated" : "speed-of-light";
  j["dispatch_bytes_per_token"] = m.dispatch_bytes_per_token;
  j["combine_bytes_per_token"] = m.combine_bytes_per_token;
  j["dispatch"] = phase(m.dispatch);
  j["combine"] = phase(m.combine);
  j["seconds_per_layer"] = m.dispatch.seconds + m.combine.seconds;
  j["busiest_gpu_expert_tokens"] = m.busiest_gpu_expert_tokens;
  j["mean_gpu_expert_tokens"] = m.mean_gpu_expert_tokens;
  j["scale_up_bytes_per_gpu"] = m.scale_up_bytes_per_gpu;
  j["scale_out_bytes_per_gpu"] = m.scale_out_bytes_per_gpu;
  if (!m.note.empty()) j["note"] = m.note;
  return j;
}

} // namespace

Json NetworkSection::view(const ResolvedScenario& s, const DeploymentResult& r) const {
  Json j = Json::object();
  if (!s.model.is_moe()) {
    j["moe"] = false;
    return j;
  }
  j["moe"] = true;
  j["moe_layers"] = s.model.num_moe_layers();
  if (r.decode.evaluated) j["decode"] = phase_json(r.decode.moe);
  if (r.prefill.evaluated) j["prefill"] = phase_json(r.prefill.moe);
  return j;
}

std::string NetworkSection::render_text(const Json& j) const {
  std::string out = "Network (MoE dispatch/combine per layer, as the step model used them)\n";
  if (!j.value("moe", false)) return out + "  dense model: no expert-parallel all-to-all\n";
  TextTable t({"phase", "kernel", "routing", "tokens/GPU", "dispatch", "combine", "busiest link (dispatch)",
               "scale-up bytes", "scale-out bytes"});
  for (const char* phase : {"decode", "prefill"}) {
    if (!j.contains(phase)) continue;
    const Json& p = j[phase];
    t.add_row({phase, p["kernel"].get<std::string>(), p["mode"].get<std::string>(),
               format_fixed(p["tokens_per_gpu"].get<double>(), 0),
               format_seconds(p["dispatch"]["seconds"].get<double>()),
               format_seconds(p["combine"]["seconds"].get<double>()),
               p["dispatch"]["busiest_link"].get<std::string>() + " (" +
                   format_bytes(p["dispatch"]["busiest_link_bytes"].get<double>()) + ")",
               format_bytes(p["dispatch"]["bytes_per_tier"]["scale_up"].get<double>()),
               format_bytes(p["dispatch"]["bytes_per_tier"]["scale_out"].get<double>())});
  }
  const std::string table = t.render({3, 4, 5, 7, 8});
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
