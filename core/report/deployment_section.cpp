// Report section "deployment": the hardware and parallel layout the scenario resolved to.
#include "report/deployment_section.hpp"

#include "util/text_table.hpp"

namespace moescope {

std::string DeploymentSection::key() const {
  return "deployment";
}

Json DeploymentSection::view(const ResolvedScenario& s, const DeploymentResult&) const {
  const auto& d = s.deployment;
  Json j;
  j["model"] = s.model.name;
  j["system"] = s.system.name;
  j["accelerator"] = s.accelerator.name;
  j["accelerator_display_name"] = s.accelerator.display_name;
  j["scale_up_interconnect"] = s.scale_up.name;
  j["scale_up_bandwidth_per_direction_bytes_per_s"] = s.scale_up.device_bandwidth_per_direction_bytes_per_s();
  if (s.scale_out) {
    j["scale_out_interconnect"] = s.scale_out->name;
    j["scale_out_bandwidth_per_gpu_per_direction_bytes_per_s"] =
        s.scale_out->device_bandwidth_per_direction_bytes_per_s() * s.nics_per_accelerator;
  }
  j["nodes"] = d.nodes;
  j["gpus_per_node"] = d.gpus_per_node;
  j["total_gpus"] = d.total_gpus;
  j["attention_tp"] = d.attention_tp;
  j["attention_dp"] = d.attention_dp;
  j["moe_ep"] = d.moe_ep;
  j["moe_tp"] = d.moe_tp;
  j["pp"] = d.pp;
  j["expert_slots_per_gpu"] = d.expert_slots_per_gpu;
  j["redundant_expert_slots"] = d.redundant_expert_slots;
  j["layers_per_stage"] = d.layers_per_stage;
  return j;
}

std::string DeploymentSection::render_text(const Json& j) const {
  std::string out = "Deployment\n";
  out += "  " + j["model"].get<std::string>() + " on " + std::to_string(j["nodes"].get<std::int64_t>()) + " x " +
         std::to_string(j["gpus_per_node"].get<std::int64_t>()) + " " +
         j["accelerator_display_name"].get<std::string>() + " (" + j["system"].get<std::string>() + ", " +
         std::to_string(j["total_gpus"].get<std::int64_t>()) + " GPUs)\n";
  out += "  attention TP " + std::to_string(j["attention_tp"].get<std::int64_t>()) + " x DP " +
         std::to_string(j["attention_dp"].get<std::int64_t>()) + ", MoE EP " +
         std::to_string(j["moe_ep"].get<std::int64_t>()) + " x TP " + std::to_string(j["moe_tp"].get<std::int64_t>()) +
         ", PP " + std::to_string(j["pp"].get<std::int64_t>()) + "; " +
         std::to_string(j["expert_slots_per_gpu"].get<std::int64_t>()) + " expert slots per GPU (" +
         std::to_string(j["redundant_expert_slots"].get<std::int64_t>()) + " redundant)\n";
  out += "  scale-up " + j["scale_up_interconnect"].get<std::string>() + " " +
         format_si(j["scale_up_bandwidth_per_direction_bytes_per_s"].get<double>(), "B/s") + " per GPU per direction";
  if (j.contains("scale_out_interconnect"))
    out += "; scale-out " + j["scale_out_interconnect"].get<std::string>() + " " +
           format_si(j["scale_out_bandwidth_per_gpu_per_direction_bytes_per_s"].get<double>(), "B/s") + " per GPU";
  return out + "\n";
}

} // namespace moescope
