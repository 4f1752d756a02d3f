#include "engine/engine_config.hpp"

#include "network/dispatch.hpp"

namespace moescope {

std::string to_string(Overlap o) {
  switch (o) {
  case Overlap::none:
    return "none";
  case Overlap::two_batch:
    return "two_batch";
  case Overlap::two_batch_ideal:
    return "two_batch_ideal";
  case Overlap::intra_layer:
    return "intra_layer";
  }
  return "none";
}

EngineConfig read_engine_config(const Scenario& s, Diagnostics& diagnostics) {
  EngineConfig c;
  auto it = s.extensions.find("engine");
  if (it == s.extensions.end()) return c;
  JsonObjectReader r(*it, s.file.empty() ? "<inline>" : s.file, "/engine", diagnostics);
  if (!r.valid()) return c;
  const std::string mode = r.choice_or("mode", {"calibrated", "speed_of_light"}, "calibrated");
  c.compute.mode = mode == "speed_of_light" ? EngineMode::speed_of_light : EngineMode::calibrated;
  c.compute.cuda_graphs = r.boolean_or("cuda_graphs", true);
  const std::string ov = r.choice_or("overlap", {"none", "two_batch", "two_batch_ideal", "intra_layer"}, "none");
  c.overlap = ov == "two_batch"         ? Overlap::two_batch
              : ov == "two_batch_ideal" ? Overlap::two_batch_ideal
              : ov == "intra_layer"     ? Overlap::intra_layer
                                        : Overlap::none;
  c.compute_calibration = r.string_or("compute_calibration", "");
  c.network_calibration = r.string_or("network_calibration", "");
  const auto kernels = dispatch_kernel_names();
  c.decode_kernel = r.choice_or("decode_kernel", kernels, c.decode_kernel);
  c.prefill_kernel = r.choice_or("prefill_kernel", kernels, c.prefill_kernel);
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

EngineConfig engine_config_or_throw(const Scenario& s) {
  Diagnostics d;
  EngineConfig c = read_engine_config(s, d);
  d.throw_if_any();
  return c;
}

} // namespace moescope
