#include "accuracy/compute_calibration_fit.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace moescope {

const std::vector<FitParameterBounds>& compute_fit_parameters() {
  static const std::vector<FitParameterBounds> p = {
      {"gemm_compute_efficiency/fp8", 0.30, 1.0, false},     {"gemm_compute_efficiency/bf16", 0.30, 1.0, false},
      {"gemm_compute_efficiency/default", 0.30, 1.0, false}, {"batched_gemm_compute_efficiency", 0.05, 1.0, true},
      {"attention_compute_efficiency", 0.05, 1.0, true},     {"memory_bandwidth_efficiency", 0.40, 1.0, false},
      {"unit_bandwidth_share", 1.0 / 264.0, 1.0, true},      {"gemm_tile_fixed_k", 0.0, 2048.0, false},
      {"roofline_overlap_exponent", 1.0, 32.0, true},        {"kernel_overhead_seconds", 0.2e-6, 50e-6, true},
      {"eager_launch_overhead_seconds", 1e-6, 300e-6, true},
  };
  return p;
}

namespace {

double* parameter(ComputeCalibration& c, const std::string& name) {
  if (name == "gemm_compute_efficiency/fp8") return &c.gemm_compute_efficiency[DataType::fp8];
  if (name == "gemm_compute_efficiency/bf16") return &c.gemm_compute_efficiency[DataType::bf16];
  if (name == "gemm_compute_efficiency/default") return &c.gemm_compute_efficiency_default;
  if (name == "batched_gemm_compute_efficiency") return &c.batched_gemm_compute_efficiency;
  if (name == "attention_compute_efficiency") return &c.attention_compute_efficiency;
  if (name == "memory_bandwidth_efficiency") return &c.memory_bandwidth_efficiency;
  if (name == "unit_bandwidth_share") return &c.unit_bandwidth_share;
  if (name == "kernel_overhead_seconds") return &c.kernel_overhead_seconds;
  if (name == "gemm_tile_fixed_k") return &c.gemm_tile_fixed_k;
  if (name == "roofline_overlap_exponent") return &c.roofline_overlap_exponent;
  if (name == "eager_launch_overhead_seconds") return &c.eager_launch_overhead_seconds;
  return nullptr;
}

} // namespace

double compute_fit_parameter_value(const ComputeCalibration& c, const std::string& name) {
  // A GEMM efficiency the file does not give for a type is the default one.
  for (const auto& [type, key] : {std::pair{DataType::fp8, "gemm_compute_efficiency/fp8"},
                                  std::pair{DataType::bf16, "gemm_compute_efficiency/bf16"}})
    if (name == key) {
      const auto it = c.gemm_compute_efficiency.find(type);
      return it != c.gemm_compute_efficiency.end() ? it->second : c.gemm_compute_efficiency_default;
    }
  ComputeCalibration copy = c; // parameter() hands out pointers into a mutable calibration
  const double* v = parameter(copy, name);
  return v ? *v : std::nan("");
}

namespace {

struct Objective {
  const std::vector<const ValidationCase*>* cases;
  PredictionContext* ctx;
  std::string device;
  double log_error(const ComputeCalibration& c) const {
    ctx->compute_calibrations[device] = c;
    double sum = 0;
    for (const auto* vc : *cases) {
      const double p = find_operation_predictor(vc->operation)->predict(*vc, *ctx);
      sum += p > 0 ? std::fabs(std::log(p / vc->measured)) : 10.0;
    }
    return cases->empty() ? 0.0 : sum / static_cast<double>(cases->size());
  }
  double mape(const ComputeCalibration& c) const {
    ctx->compute_calibrations[device] = c;
    double sum = 0;
    for (const auto* vc : *cases) {
      const double p = find_operation_predictor(vc->operation)->predict(*vc, *ctx);
      sum += std::fabs(p - vc->measured) / vc->measured * 100.0;
    }
    return cases->empty() ? 0.0 : sum / static_cast<double>(cases->size());
  }
};

} // namespace

ComputeCalibration fit_compute_calibration(const std::string& device,
                                           const std::vector<const ValidationCase*>& all_cases,
                                           const HardwareDatabase& hwdb, const ComputeCalibration& start,
                                           const FitOptions& options) {
  std::vector<const ValidationCase*> cases;
  for (const auto* c : all_cases)
    if (c->device == device && find_operation_predictor(c->operation)) cases.push_back(c);
  ComputeCalibration best = start;
  best.accelerator = device;
  best.file.clear();
  // Only types the cases use get their own GEMM efficiency.
  PredictionContext ctx;
  ctx.hwdb = &hwdb;
  ctx.mode = TimeModelMode::calibrated;
  Objective obj{&cases, &ctx, device};
  const double start_mape = obj.mape(best);
  double best_cost = obj.log_error(best);

  std::vector<FitParameterBounds> params = compute_fit_parameters();
  std::vector<double> width(params.size(), 1.0); // fraction of the full (log) range searched around the value
  for (int round = 0; round < options.rounds; ++round) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto& pb = params[i];
      ComputeCalibration trial = best;
      double* v = parameter(trial, pb.name);
      if (!v) continue;
      const double cur = std::clamp(*v, pb.lo, pb.hi);
      auto to_u = [&](double x) {
        return pb.log_scale ? std::log(x / pb.lo) / std::log(pb.hi / pb.lo) : (x - pb.lo) / (pb.hi - pb.lo);
      };
      auto from_u = [&](double u) {
        return pb.log_scale ? pb.lo * std::pow(pb.hi / pb.lo, u) : pb.lo + u * (pb.hi - pb.lo);
      };
      const double u0 = to_u(cur);
      double lo = std::max(0.0, u0 - width[i] / 2), hi = std::min(1.0, u0 + width[i] / 2);
      if (round == 0) lo = 0.0, hi = 1.0;
      bool improved = false;
      for (int k = 0; k < options.points_per_axis; ++k) {
        const double u = lo + (hi - lo) * k / std::max(1, options.points_per_axis - 1);
        *parameter(trial, pb.name) = from_u(u);
        const double cost = obj.log_error(trial);
        if (cost < best_cost - 1e-12) {
          best_cost = cost;
          best = trial;
          improved = true;
        }
      }
      (void)improved;
      width[i] = std::max(0.02, (hi - lo) * 0.5);
    }
  }
  // Drop efficiencies of types the cases never used (keep the file honest about what was fitted).
  std::set<DataType> used;
  for (const auto* c : cases) {
    auto it = c->parameters.find("dtype");
    if (it == c->parameters.end()) it = c->parameters.find("weight_dtype");
    if (it != c->parameters.end() && it->is_string())
      if (auto t = parse_data_type(it->get<std::string>())) used.insert(*t);
  }
  for (auto it = best.gemm_compute_efficiency.begin(); it != best.gemm_compute_efficiency.end();)
    it = used.count(it->first) ? std::next(it) : best.gemm_compute_efficiency.erase(it);

  std::map<std::string, std::vector<std::string>> by_suite;
  for (const auto* c : cases)
    by_suite[c->suite_file].push_back(c->id);
  best.fitted_on.clear();
  for (auto& [suite, ids] : by_suite)
    best.fitted_on.push_back({suite, ids});
  best.fit = {{"objective", "mean absolute log error of predicted vs measured, bounded coordinate search"},
              {"cases", cases.size()},
              {"rounds", options.rounds},
              {"mape_percent_before", start_mape},
              {"mape_percent_after", obj.mape(best)},
              {"mean_abs_log_error_after", best_cost}};
  return best;
}

ComputeCalibration fit_compute_calibration(const std::string& device, const std::vector<ValidationCase>& cases,
                                           const HardwareDatabase& hwdb) {
  std::vector<const ValidationCase*> cal;
  for (const auto& c : cases)
    if (c.split == CaseSplit::calibration) cal.push_back(&c);
  ComputeCalibration start = default_compute_calibration();
  start.accelerator = device;
  return fit_compute_calibration(device, cal, hwdb, start);
}

} // namespace moescope
