#include "scenario/resolved_scenario.hpp"

#include <cmath>

#include "scenario/scenario_limits.hpp"

namespace moescope {

namespace {

Quantity overridden(double value) {
  Quantity q;
  q.value = value;
  q.source = "scenario override";
  q.present = true;
  return q;
}

void apply_link_overrides(Interconnect& link, const std::map<std::string, double>& fields) {
  for (const auto& [key, value] : fields) {
    if (key == "link_bandwidth_per_direction_bytes_per_s")
      link.link_bandwidth_per_direction_bytes_per_s = overridden(value);
    if (key == "links_per_device") link.links_per_device = overridden(value);
    if (key == "latency_seconds") link.latency_seconds = overridden(value);
    if (key == "achievable_bandwidth_fraction") link.achievable_bandwidth_fraction = overridden(value);
  }
}

void apply_accelerator_overrides(Accelerator& a, const std::map<std::string, double>& fields) {
  for (const auto& [key, value] : fields) {
    if (key.rfind("peak_dense_flop_per_s/", 0) == 0) {
      if (auto t = parse_data_type(key.substr(22))) a.peak_dense_flop_per_s[*t] = overridden(value);
    }
    if (key == "hbm_capacity_bytes") a.hbm_capacity_bytes = overridden(value);
    if (key == "hbm_bandwidth_bytes_per_s") a.hbm_bandwidth_bytes_per_s = overridden(value);
    if (key == "l2_cache_bytes") a.l2_cache_bytes = overridden(value);
    if (key == "compute_units") a.compute_units = overridden(value);
    if (key == "clock_hz") a.clock_hz = overridden(value);
    if (key == "tdp_watts") a.tdp_watts = overridden(value);
  }
}

std::string str(std::int64_t v) {
  return std::to_string(v);
}

} // namespace

ResolvedScenario resolve_scenario(const Scenario& scenario, const HardwareDatabase& hwdb, const ModelCatalog& catalog) {
  ResolvedScenario out;
  out.scenario = scenario;
  const std::string& file = scenario.file;
  Diagnostics problems;
  auto attempt = [&](auto&& fn) {
    try {
      fn();
      return true;
    } catch (const InputError& e) {
      problems.append(e.diagnostics());
      return false;
    }
  };

  bool have_system = attempt([&] { out.system = hwdb.system(scenario.system, file, "/system"); });
  bool have_model = attempt([&] { out.model = catalog.get(scenario.model, file, "/model"); });
  if (have_system) {
    std::string accelerator_name = scenario.overrides.accelerator.value_or(out.system.accelerator);
    attempt([&] {
      out.accelerator = hwdb.accelerator(
          accelerator_name, file, scenario.overrides.accelerator ? "/hardware_overrides/accelerator" : "/system");
    });
    apply_accelerator_overrides(out.accelerator, scenario.overrides.accelerator_fields);
    attempt([&] {
      out.scale_up =
          hwdb.interconnect(out.system.scale_up_interconnect, out.system.file, "/node/scale_up/interconnect");
    });
    apply_link_overrides(out.scale_up, scenario.overrides.scale_up_fields);
    if (out.system.scale_out_interconnect) {
      attempt([&] {
        out.scale_out =
            hwdb.interconnect(*out.system.scale_out_interconnect, out.system.file, "/node/scale_out/interconnect");
      });
      out.nics_per_accelerator = out.system.nics_per_accelerator.value;
    }
    if (out.scale_out) apply_link_overrides(*out.scale_out, scenario.overrides.scale_out_fields);
    if (auto it = scenario.overrides.scale_out_fields.find("nics_per_accelerator");
        it != scenario.overrides.scale_out_fields.end())
      out.nics_per_accelerator = it->second;
    if (!out.scale_out && !scenario.overrides.scale_out_fields.empty())
      problems.add(file, "/hardware_overrides/scale_out",
                   "system \"" + scenario.system + "\" has no scale-out network to override");
  }

  // Parallel degrees.
  const DeploymentSpec& d = scenario.deployment;
  ResolvedDeployment& r = out.deployment;
  r.nodes = d.nodes;
  std::int64_t domain =
      have_system ? static_cast<std::int64_t>(std::llround(out.system.scale_up_domain_size.value)) : 0;
  r.gpus_per_node = d.gpus_per_node > 0 ? d.gpus_per_node : domain;
  if (have_system && d.gpus_per_node > domain)
    problems.add(file, "/deployment/gpus_per_node",
                 "expected at most the scale-up domain size of \"" + scenario.system + "\" (" + str(domain) +
                     "), got " + str(d.gpus_per_node) + " (a node in moescope is one scale-up domain)");
  if (r.gpus_per_node <= 0) r.gpus_per_node = 1;
  r.total_gpus = r.nodes * r.gpus_per_node;
  if (r.total_gpus > scenario_limits::kMaxGpus)
    problems.add(file, "/deployment/nodes",
                 "expected at most " + str(scenario_limits::kMaxGpus) + " GPUs in all, got " + str(r.nodes) +
                     " nodes of " + str(r.gpus_per_node) + " GPUs");
  // Checked here, not left to the network model: several nodes need a fabric between them.
  if (have_system && r.nodes > 1 && !out.system.scale_out_interconnect)
    problems.add(file, "/deployment/nodes",
                 "expected 1 node: system \"" + scenario.system + "\" has no scale-out network, got " + str(r.nodes));
  r.pp = d.pp;
  r.attention_tp = d.attention_tp;
  r.moe_tp = d.moe_tp;
  if (r.pp <= 0 || r.total_gpus % r.pp != 0) {
    problems.add(file, "/deployment/pp",
                 "expected a pipeline depth that divides the " + str(r.total_gpus) + " GPUs, got " + str(r.pp));
    r.pp = 1;
  }
  r.gpus_per_stage = r.total_gpus / r.pp;
  if (r.attention_tp <= 0 || r.gpus_per_stage % r.attention_tp != 0) {
    problems.add(file, "/deployment/attention/tp",
                 "expected an attention TP degree that divides the " + str(r.gpus_per_stage) +
                     " GPUs of a pipeline stage, got " + str(d.attention_tp));
    r.attention_tp = 1;
  }
  r.attention_dp = d.attention_dp > 0 ? d.attention_dp : r.gpus_per_stage / r.attention_tp;
  if (r.attention_dp * r.attention_tp != r.gpus_per_stage)
    problems.add(file, "/deployment/attention/dp",
                 "expected attention TP x DP = " + str(r.gpus_per_stage) + " GPUs per pipeline stage, got " +
                     str(r.attention_tp) + " x " + str(r.attention_dp));
  if (r.moe_tp <= 0 || r.gpus_per_stage % r.moe_tp != 0) {
    problems.add(file, "/deployment/moe/tp",
                 "expected a MoE TP degree that divides the " + str(r.gpus_per_stage) +
                     " GPUs of a pipeline stage, got " + str(d.moe_tp));
    r.moe_tp = 1;
  }
  r.moe_ep = d.moe_ep > 0 ? d.moe_ep : r.gpus_per_stage / r.moe_tp;
  if (r.moe_ep * r.moe_tp != r.gpus_per_stage)
    problems.add(file, "/deployment/moe/ep",
                 "expected MoE EP x TP = " + str(r.gpus_per_stage) + " GPUs per pipeline stage, got " + str(r.moe_ep) +
                     " x " + str(r.moe_tp));

  if (d.disaggregated) {
    if (d.prefill_nodes + d.decode_nodes != r.nodes)
      problems.add(file, "/deployment/disaggregation",
                   "expected prefill_nodes + decode_nodes = nodes (" + str(r.nodes) + "), got " + str(d.prefill_nodes) +
                       " + " + str(d.decode_nodes));
  }

  if (have_model) {
    const auto& m = out.model;
    if (m.attention.num_heads % r.attention_tp != 0)
      problems.add(file, "/deployment/attention/tp",
                   "expected an attention TP degree that divides the model's " + str(m.attention.num_heads) +
                       " attention heads, got " + str(r.attention_tp));
    if (r.pp > m.num_layers)
      problems.add(file, "/deployment/pp",
                   "expected at most one pipeline stage per layer (" + str(m.num_layers) + " layers), got " +
                       str(r.pp));
    r.layers_per_stage = (m.num_layers + r.pp - 1) / r.pp;
    if (m.is_moe()) {
      const std::int64_t experts = m.moe.num_routed_experts;
      if (m.moe.expert_intermediate_size % r.moe_tp != 0)
        problems.add(file, "/deployment/moe/tp",
                     "expected a MoE TP degree that divides the expert FFN size " +
                         str(m.moe.expert_intermediate_size) + ", got " + str(r.moe_tp));
      if (scenario.placement.expert_slots_per_gpu > 0) {
        r.expert_slots_per_gpu = scenario.placement.expert_slots_per_gpu;
        if (r.expert_slots_per_gpu * r.moe_ep < experts)
          problems.add(file, "/placement/expert_slots_per_gpu",
                       "expected at least " + str((experts + r.moe_ep - 1) / r.moe_ep) + " slots per GPU to hold " +
                           str(experts) + " routed experts on EP " + str(r.moe_ep) + ", got " +
                           str(r.expert_slots_per_gpu));
      } else if (experts % r.moe_ep != 0) {
        std::int64_t slots = (experts + r.moe_ep - 1) / r.moe_ep;
        problems.add(file, "/deployment/moe/ep",
                     "expected an EP degree that divides the " + str(experts) + " routed experts, got " +
                         str(r.moe_ep) + "; or set /placement/expert_slots_per_gpu (e.g. " + str(slots) + " gives " +
                         str(slots * r.moe_ep) + " slots, " + str(slots * r.moe_ep - experts) + " of them redundant)");
      } else {
        r.expert_slots_per_gpu = experts / r.moe_ep;
      }
      r.redundant_expert_slots = std::max<std::int64_t>(0, r.expert_slots_per_gpu * r.moe_ep - experts);
    }
  }
  problems.throw_if_any();
  return out;
}

} // namespace moescope
