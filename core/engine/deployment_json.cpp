// The step model's results as JSON (the "engine" object of `moescope eval`) and as flat headline metrics for sweeps
// and solve (docs/engine.md, "Metrics").
#include "engine/step_model.hpp"

namespace moescope {

namespace {

Json layer_json(const LayerBreakdown& l) {
  Json j;
  j["id"] = l.id;
  j["count"] = l.count;
  Json b = Json::object();
  for (const auto& [k, v] : l.component_seconds)
    b[k] = v;
  j["seconds_by_component"] = b;
  j["compute_seconds"] = l.compute_seconds;
  j["communication_seconds"] = l.communication_seconds;
  j["seconds_overlap_none"] = l.serial_seconds;
  j["seconds_overlap_two_batch"] = l.two_batch_seconds;
  j["seconds_overlap_two_batch_ideal"] = l.two_batch_ideal_seconds;
  j["seconds_overlap_intra_layer"] = l.intra_layer_seconds;
  j["seconds"] = l.seconds;
  j["flop"] = l.flop;
  j["hbm_bytes"] = l.hbm_bytes;
  return j;
}

} // namespace

Json phase_result_to_json(const PhaseResult& r) {
  Json j;
  j["phase"] = to_string(r.phase);
  j["nodes"] = r.nodes;
  j["gpus"] = r.gpus;
  j["gpus_per_node"] = r.gpus_per_node;
  j["pp"] = r.pp;
  j["microbatches"] = r.microbatches;
  if (r.phase == Phase::decode) {
    j["batch_per_gpu"] = r.batch_per_gpu;
    j["requested_batch_per_gpu"] = r.requested_batch_per_gpu;
    j["kv_bounded"] = r.kv_bounded;
    j["accepted_tokens_per_step"] = r.accepted_tokens_per_step;
    j["tpot_seconds"] = r.tpot_seconds;
  } else {
    j["ttft_seconds"] = r.ttft_seconds;
    j["kv_transfer_seconds"] = r.kv_transfer_seconds;
    j["computed_tokens_per_s_per_gpu"] = r.computed_tokens_per_s_per_gpu;
  }
  j["tokens_per_gpu_per_step"] = r.tokens_per_gpu_per_step;
  j["sequences_per_gpu_per_step"] = r.sequences_per_gpu_per_step;
  j["step_seconds"] = r.step_seconds;
  j["step_seconds_by_overlap"] = {{"none", r.step_seconds_by_overlap_none},
                                  {"two_batch", r.step_seconds_by_overlap_two_batch},
                                  {"two_batch_ideal", r.step_seconds_by_overlap_two_batch_ideal},
                                  {"intra_layer", r.step_seconds_by_overlap_intra_layer}};
  j["stage_seconds"] = r.stage_seconds;
  j["pipeline_bubble_fraction"] = r.pipeline_bubble_fraction;
  j["two_batch_compute_idle_seconds"] = r.two_batch_compute_idle_seconds;
  j["communication_sms"] = r.communication_sms;
  j["tokens_per_s_per_gpu"] = r.tokens_per_s_per_gpu;
  j["tokens_per_s_per_node"] = r.tokens_per_s_per_node;
  j["utilization"] = {{"compute", r.compute_utilization},
                      {"hbm_bandwidth", r.hbm_bandwidth_utilization},
                      {"scale_up", r.scale_up_utilization},
                      {"scale_out", r.scale_out_utilization}};
  j["flop_per_step_per_gpu"] = r.flop_per_step;
  j["hbm_bytes_per_step_per_gpu"] = r.hbm_bytes_per_step;
  j["memory_per_gpu"] = {{"weight_bytes", r.memory_weight_bytes},
                         {"kv_cache_bytes", r.memory_kv_cache_bytes},
                         {"total_bytes", r.memory_total_bytes},
                         {"capacity_bytes", r.memory_capacity_bytes},
                         {"max_batch_per_gpu_that_fits", r.max_batch_per_gpu_that_fits}};
  if (r.cost_per_million_tokens_usd > 0) j["cost_per_million_tokens_usd"] = r.cost_per_million_tokens_usd;
  if (r.energy_per_token_joules > 0) j["energy_per_token_joules"] = r.energy_per_token_joules;
  Json comps = Json::object();
  for (const auto& [k, v] : r.step_component_seconds)
    comps[k] = v;
  j["step_seconds_by_component_no_overlap"] = comps;
  Json layers = Json::array();
  for (const auto& l : r.layers)
    layers.push_back(layer_json(l));
  j["layers"] = layers;
  Json outer = Json::object();
  for (const auto& [k, v] : r.outer_seconds)
    outer[k] = v;
  j["outer_seconds"] = outer;
  if (!r.moe.kernel.empty()) {
    const auto& t = r.moe;
    j["moe"] = {{"kernel", t.kernel},
                {"placement", t.placement},
                {"replica_rule", t.replica_rule},
                {"routing", t.routing},
                {"tokens_per_gpu", t.tokens_per_gpu},
                {"dispatch_seconds", t.dispatch.seconds},
                {"combine_seconds", t.combine.seconds},
                {"busiest_gpu_expert_tokens", t.busiest_gpu_expert_tokens},
                {"busiest_gpu_received_rows", t.busiest_gpu_received_rows},
                {"mean_gpu_expert_tokens", t.mean_gpu_expert_tokens},
                {"busiest_gpu_slot_tokens", t.busiest_gpu_slot_tokens},
                {"scale_up_bytes_per_gpu", t.scale_up_bytes_per_gpu},
                {"scale_out_bytes_per_gpu", t.scale_out_bytes_per_gpu},
                {"busiest_link", t.dispatch.busiest_link},
                {"kernel_costs", t.calibrated ? "calibrated" : "speed-of-light"}};
  }
  j["notes"] = r.notes;
  return j;
}

Json deployment_result_to_json(const DeploymentResult& r) {
  Json j;
  j["mode"] = to_string(r.mode);
  j["overlap"] = to_string(r.overlap);
  j["compute_calibration"] = r.compute_calibration;
  j["network_calibration"] = r.network_calibration;
  j["disaggregated"] = r.disaggregated;
  if (r.prefill.evaluated) j["prefill"] = phase_result_to_json(r.prefill);
  if (r.decode.evaluated) j["decode"] = phase_result_to_json(r.decode);
  const auto m = deployment_metrics(r);
  Json summary = Json::object();
  for (const auto& [k, v] : m)
    summary[k] = v;
  j["summary"] = summary;
  return j;
}

std::map<std::string, double> deployment_metrics(const DeploymentResult& r) {
  std::map<std::string, double> m;
  if (r.prefill.evaluated) {
    const auto& p = r.prefill;
    m["ttft_seconds"] = p.ttft_seconds;
    m["prefill_tokens_per_s_per_gpu"] = p.tokens_per_s_per_gpu;
    m["prefill_tokens_per_s_per_node"] = p.tokens_per_s_per_node;
    m["prefill_step_seconds"] = p.step_seconds;
    m["prefill_compute_utilization"] = p.compute_utilization;
    m["prefill_memory_per_gpu_bytes"] = p.memory_total_bytes;
  }
  if (r.decode.evaluated) {
    const auto& d = r.decode;
    m["tpot_seconds"] = d.tpot_seconds;
    m["decode_tokens_per_s_per_gpu"] = d.tokens_per_s_per_gpu;
    m["decode_tokens_per_s_per_node"] = d.tokens_per_s_per_node;
    m["decode_step_seconds"] = d.step_seconds;
    m["decode_batch_per_gpu"] = d.batch_per_gpu;
    m["decode_hbm_bandwidth_utilization"] = d.hbm_bandwidth_utilization;
    m["decode_memory_per_gpu_bytes"] = d.memory_total_bytes;
    m["decode_fits"] = d.memory_total_bytes <= d.memory_capacity_bytes ? 1.0 : 0.0;
    if (d.cost_per_million_tokens_usd > 0) m["decode_cost_per_million_tokens_usd"] = d.cost_per_million_tokens_usd;
    if (d.energy_per_token_joules > 0) m["decode_energy_per_token_joules"] = d.energy_per_token_joules;
  }
  // One headline pair whatever the phase: throughput per GPU and latency.
  if (r.decode.evaluated) {
    m["tokens_per_s_per_gpu"] = r.decode.tokens_per_s_per_gpu;
    m["latency_seconds"] = r.decode.tpot_seconds;
  } else if (r.prefill.evaluated) {
    m["tokens_per_s_per_gpu"] = r.prefill.tokens_per_s_per_gpu;
    m["latency_seconds"] = r.prefill.ttft_seconds;
  }
  return m;
}

} // namespace moescope
