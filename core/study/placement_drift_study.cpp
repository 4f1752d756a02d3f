#include "study/placement_drift_study.hpp"

#include <cmath>

#include "model/parameter_count.hpp"
#include "study/placement_study.hpp"
#include "util/diagnostics.hpp"

namespace moescope {

placement::DriftResult run_placement_drift_study(Session& session, const PlacementDriftStudy& study) {
  placement::DriftConfig cfg = study.config;
  check_placement_topology_options(cfg.topology);
  if (study.window_requests.empty()) throw InputError("--window", "", "give at least one window size");
  if (study.window_requests.size() > 64) throw InputError("--window", "", "at most 64 window sizes");
  cfg.window_requests.clear();
  for (const auto w : study.window_requests) {
    if (w < 1) throw InputError("--window", "", "a window holds at least one request (got " + std::to_string(w) + ")");
    cfg.window_requests.push_back(std::size_t(w));
  }
  if (study.redundant < 0) throw InputError("--redundant", "", "must be at least 0");
  if (cfg.fit.balance_cap < 1.0) throw InputError("--balance-cap", "", "must be at least 1");
  const auto non_negative = [](double v) { return std::isfinite(v) && v >= 0; };
  if (!non_negative(cfg.expert_bytes)) throw InputError("--expert-bytes", "", "must be a positive number");
  if (!non_negative(cfg.scale_up_bytes_per_s))
    throw InputError("--scale-up-bytes-per-s", "", "must be a positive number");
  if (!non_negative(cfg.scale_out_bytes_per_s))
    throw InputError("--scale-out-bytes-per-s", "", "must be a positive number");
  if (!non_negative(cfg.window_seconds)) throw InputError("--window-seconds", "", "must be a number >= 0");
  if (!non_negative(study.bytes_per_token)) throw InputError("--bytes-per-token", "", "must be a positive number");
  const trace::ExpertTrace trace = import_expert_trace(study.trace_path, study.import);
  const auto experts = std::int32_t(trace.num_experts());
  const std::int32_t base = cfg.topology.base_slots(experts);
  check_redundant_slots_option(study.redundant, experts, base);
  cfg.topology.slots_per_gpu = base + study.redundant;
  cfg.eval.bytes_per_token =
      study.bytes_per_token > 0 ? study.bytes_per_token : placement::default_bytes_per_token(trace.metadata().model);
  cfg.fit.bytes_per_token = cfg.eval.bytes_per_token;

  std::string expert_source = "--expert-bytes";
  if (cfg.expert_bytes == 0) {
    const auto catalog = session.catalog();
    const ModelArchitecture* m =
        study.model.empty() ? catalog_model_of_trace(*catalog, trace.metadata().model) : &catalog->get(study.model);
    if (!m)
      throw InputError(study.trace_path, "",
                       "no catalog model matches the trace's model '" + trace.metadata().model +
                           "'; name one with --model or give --expert-bytes");
    if (!m->is_moe()) throw InputError("--model", "", "'" + m->name + "' has no routed experts");
    // Stored weights with their block scales, as the memory footprint counts them.
    cfg.expert_bytes = parameters_per_routed_expert(*m) *
                       (bytes_per_element(m->weight_dtype) + scale_bytes_per_element(m->weight_dtype));
    expert_source = "catalog model " + m->name + ", " + to_string(m->weight_dtype) + " weights";
  }
  std::string up_source = "--scale-up-bytes-per-s", out_source = "--scale-out-bytes-per-s";
  if (cfg.scale_up_bytes_per_s == 0 || cfg.scale_out_bytes_per_s == 0) {
    const auto hwdb = session.hwdb();
    const SystemSpec& sys = hwdb->system(study.system, "--system");
    const std::string from_hwdb = "hwdb system " + sys.name + ", achievable";
    if (cfg.scale_up_bytes_per_s == 0) {
      cfg.scale_up_bytes_per_s = hwdb->interconnect(sys.scale_up_interconnect, sys.file)
                                     .achievable_device_bandwidth_per_direction_bytes_per_s();
      up_source = from_hwdb;
    }
    if (cfg.scale_out_bytes_per_s == 0) {
      if (!sys.scale_out_interconnect)
        throw InputError("--system", "", "'" + sys.name + "' has no scale-out network; give --scale-out-bytes-per-s");
      cfg.scale_out_bytes_per_s = hwdb->interconnect(*sys.scale_out_interconnect, sys.file)
                                      .achievable_device_bandwidth_per_direction_bytes_per_s() *
                                  sys.nics_per_accelerator.value;
      out_source = from_hwdb;
    }
  }
  const std::string bw_source =
      up_source == out_source ? up_source : "scale-up: " + up_source + "; scale-out: " + out_source;
  placement::DriftResult res = placement::run_drift(trace, cfg, study.trace_path);
  res.expert_bytes_source = expert_source;
  res.bandwidth_source = bw_source;
  return res;
}

} // namespace moescope
