#include "scenario/engine_config.hpp"

#include "util/name_style.hpp"

namespace moescope {

std::string to_string(EngineMode m) {
  return m == EngineMode::speed_of_light ? "speed-of-light" : "calibrated";
}

std::string to_string(Overlap o) {
  switch (o) {
  case Overlap::none:
    return "none";
  case Overlap::two_batch:
    return "two-batch";
  case Overlap::two_batch_ideal:
    return "two-batch-ideal";
  case Overlap::intra_layer:
    return "intra-layer";
  }
  return "none";
}

EngineConfig read_engine_config(const Json* json, const std::string& file, Diagnostics& diagnostics) {
  EngineConfig c;
  if (!json) return c;
  JsonObjectReader r(*json, file, "/engine", diagnostics);
  if (!r.valid()) return c;
  const std::string mode = r.choice_or("mode", {"calibrated", "speed-of-light"}, "calibrated");
  c.compute.mode = mode == "speed-of-light" ? EngineMode::speed_of_light : EngineMode::calibrated;
  c.compute.cuda_graphs = r.boolean_or("cuda_graphs", true);
  const std::string ov = r.choice_or("overlap", {"none", "two-batch", "two-batch-ideal", "intra-layer"}, "none");
  c.overlap = ov == "two-batch"         ? Overlap::two_batch
              : ov == "two-batch-ideal" ? Overlap::two_batch_ideal
              : ov == "intra-layer"     ? Overlap::intra_layer
                                        : Overlap::none;
  c.compute_calibration = r.string_or("compute_calibration", "");
  c.network_calibration = r.string_or("network_calibration", "");
  c.decode_kernel = canonical_name(r.string_or("decode_kernel", c.decode_kernel));
  c.prefill_kernel = canonical_name(r.string_or("prefill_kernel", c.prefill_kernel));
  c.collective_algorithm = canonical_name(r.string_or("collective_algorithm", c.collective_algorithm));
  c.use_scale_up = r.boolean_or("dispatch_uses_scale_up", true);
  if (auto m = r.object_if_present("mtp"); m && m->valid()) {
    c.mtp_draft_tokens = m->integer_or("draft_tokens", 1, NumberRule::non_negative);
    c.mtp_acceptance_rate = m->number_or("acceptance_rate", 0.0, NumberRule::fraction);
    if (c.mtp_draft_tokens > 16)
      m->error("draft_tokens", "expected at most 16 draft tokens, got " + std::to_string(c.mtp_draft_tokens));
    m->finish();
  }
  c.pp_microbatches = r.integer_or("pp_microbatches", 0, NumberRule::non_negative);
  c.price_per_gpu_hour_usd = r.number_or("price_per_gpu_hour_usd", 0.0, NumberRule::non_negative);
  c.kv_bound_batch = r.boolean_or("kv_bound_batch", true);
  c.kv_transfer = r.boolean_or("kv_transfer", true);
  c.routing_source = r.choice_or("routing_source", {"auto", "expected", "trace"}, "auto");
  c.trace_steps = r.integer_or("trace_steps", 4, NumberRule::positive);
  c.overlap_communication_slowdown = r.number_or("overlap_communication_slowdown", 1.0, NumberRule::positive);
  if (c.overlap_communication_slowdown < 1.0)
    r.error("overlap_communication_slowdown", "expected a factor >= 1 (communication slower under overlap), got " +
                                                  std::to_string(c.overlap_communication_slowdown));
  r.finish();
  return c;
}

Json engine_config_to_json(const EngineConfig& c) {
  const EngineConfig d;
  Json j = Json::object();
  if (c.compute.mode != d.compute.mode) j["mode"] = to_string(c.compute.mode);
  if (c.compute.cuda_graphs != d.compute.cuda_graphs) j["cuda_graphs"] = c.compute.cuda_graphs;
  if (c.overlap != d.overlap) j["overlap"] = to_string(c.overlap);
  if (c.compute_calibration != d.compute_calibration) j["compute_calibration"] = c.compute_calibration;
  if (c.network_calibration != d.network_calibration) j["network_calibration"] = c.network_calibration;
  if (c.decode_kernel != d.decode_kernel) j["decode_kernel"] = c.decode_kernel;
  if (c.prefill_kernel != d.prefill_kernel) j["prefill_kernel"] = c.prefill_kernel;
  if (c.collective_algorithm != d.collective_algorithm) j["collective_algorithm"] = c.collective_algorithm;
  if (c.use_scale_up != d.use_scale_up) j["dispatch_uses_scale_up"] = c.use_scale_up;
  if (c.mtp_draft_tokens != d.mtp_draft_tokens || c.mtp_acceptance_rate != d.mtp_acceptance_rate)
    j["mtp"] = {{"draft_tokens", c.mtp_draft_tokens}, {"acceptance_rate", c.mtp_acceptance_rate}};
  if (c.pp_microbatches != d.pp_microbatches) j["pp_microbatches"] = c.pp_microbatches;
  if (c.price_per_gpu_hour_usd != d.price_per_gpu_hour_usd) j["price_per_gpu_hour_usd"] = c.price_per_gpu_hour_usd;
  if (c.kv_bound_batch != d.kv_bound_batch) j["kv_bound_batch"] = c.kv_bound_batch;
  if (c.kv_transfer != d.kv_transfer) j["kv_transfer"] = c.kv_transfer;
  if (c.routing_source != d.routing_source) j["routing_source"] = c.routing_source;
  if (c.trace_steps != d.trace_steps) j["trace_steps"] = c.trace_steps;
  if (c.overlap_communication_slowdown != d.overlap_communication_slowdown)
    j["overlap_communication_slowdown"] = c.overlap_communication_slowdown;
  return j;
}

} // namespace moescope
