#include "compute/compute_engine.hpp"

#include <algorithm>
#include <cmath>

namespace moescope {

std::string to_string(OperatorKind k) {
  switch (k) {
  case OperatorKind::gemm:
    return "gemm";
  case OperatorKind::grouped_gemm:
    return "grouped_gemm";
  case OperatorKind::batched_gemm:
    return "batched_gemm";
  case OperatorKind::attention:
    return "attention";
  case OperatorKind::elementwise:
    return "elementwise";
  case OperatorKind::embedding:
    return "embedding";
  }
  return "?";
}

std::string to_string(GroupedLayout l) {
  return l == GroupedLayout::contiguous ? "contiguous" : "masked";
}

std::string to_string(Bound b) {
  switch (b) {
  case Bound::compute:
    return "compute";
  case Bound::memory:
    return "memory";
  case Bound::launch:
    return "launch";
  }
  return "?";
}

ComputeEngine::ComputeEngine(const Accelerator& accelerator, ComputeCalibration calibration, EngineOptions options)
    : accelerator_(&accelerator), calibration_(std::move(calibration)), options_(options) {
  units_ = accelerator.compute_units ? std::max(1.0, accelerator.compute_units.value) : 132.0;
  bandwidth_ = accelerator.hbm_bandwidth_bytes_per_s.value;
}

namespace {
inline double ceil_div(double a, double b) {
  return std::ceil(a / b);
}
} // namespace

ComputeEngine::TilePlan ComputeEngine::plan_gemm_tiles(const GemmShape& g) const {
  TilePlan best;
  best.padded_flop = -1;
  const auto& tms = calibration_.gemm_tile_m;
  const auto& tns = calibration_.gemm_tile_n;
  for (std::int64_t tm : tms) {
    if (tm <= 0) continue;
    double m_tiles = 0;
    std::int64_t last_m = -1, last_tiles = 0;
    for (std::int64_t m : g.m_per_group) {
      if (m <= 0) continue;
      if (m != last_m) { // runs of equal counts (batched GEMMs, uniform loads) divide once
        last_m = m;
        last_tiles = (m + tm - 1) / tm;
      }
      m_tiles += static_cast<double>(last_tiles);
    }
    for (std::int64_t tn : tns) {
      if (tn <= 0) continue;
      const double tiles = m_tiles * ceil_div(static_cast<double>(g.n), static_cast<double>(tn));
      const double waves = std::max(1.0, ceil_div(tiles, units_));
      const double padded =
          waves * units_ * 2.0 * static_cast<double>(tm) * static_cast<double>(tn) * static_cast<double>(g.k);
      // Least padded work; on a tie the larger tile (better operand reuse).
      if (best.padded_flop < 0 || padded < best.padded_flop * (1 - 1e-12) ||
          (padded <= best.padded_flop * (1 + 1e-12) && tm * tn > best.tile_m * best.tile_n)) {
        best = {tm, tn, tiles, waves, padded};
      }
    }
  }
  if (best.padded_flop < 0) best = {0, 0, 0, 0, 0};
  return best;
}

double ComputeEngine::bandwidth_occupancy(double work_units) const {
  const double active = std::min(std::max(work_units, 1.0), units_);
  return std::min(1.0, active * calibration_.unit_bandwidth_share);
}

double ComputeEngine::attention_work_units(const AttentionShape& a) const {
  const double qtiles =
      ceil_div(static_cast<double>(std::max<std::int64_t>(a.query_rows, 1)),
               static_cast<double>(std::max<std::int64_t>(calibration_.attention_query_tile_rows, 1)));
  double splits = 1;
  if (!a.causal_prefill)
    splits =
        std::max(1.0, ceil_div(static_cast<double>(a.kv_length),
                               static_cast<double>(std::max<std::int64_t>(calibration_.attention_kv_split_tokens, 1))));
  return static_cast<double>(std::max<std::int64_t>(a.batch, 1)) *
         static_cast<double>(std::max<std::int64_t>(a.kv_groups, 1)) * qtiles * splits;
}

OperatorTime ComputeEngine::evaluate(const OperatorWork& w) const {
  OperatorTime t;
  const double peak = accelerator_->peak_flop_per_s(w.compute_dtype);
  const double bytes = w.bytes();
  if (options_.mode == EngineMode::speed_of_light) {
    t.compute_seconds = (w.flop > 0 && peak > 0) ? w.flop / peak : 0.0;
    t.memory_seconds = bandwidth_ > 0 ? bytes / bandwidth_ : 0.0;
    t.seconds = std::max(t.compute_seconds, t.memory_seconds);
    t.bound = t.compute_seconds >= t.memory_seconds ? Bound::compute : Bound::memory;
  } else {
    const auto& c = calibration_;
    double occupancy_units = units_;
    double compute = 0;
    switch (w.kind) {
    case OperatorKind::gemm:
    case OperatorKind::grouped_gemm:
    case OperatorKind::batched_gemm: {
      const TilePlan plan = plan_gemm_tiles(w.gemm);
      const double eff =
          w.kind == OperatorKind::batched_gemm ? c.batched_gemm_compute_efficiency : c.gemm_efficiency(w.compute_dtype);
      const double k = static_cast<double>(std::max<std::int64_t>(w.gemm.k, 1));
      if (peak > 0 && eff > 0) compute = plan.padded_flop * (k + c.gemm_tile_fixed_k) / k / (peak * eff);
      occupancy_units = plan.tiles;
      break;
    }
    case OperatorKind::attention: {
      const auto& a = w.attention;
      const double units = attention_work_units(a);
      const double qt = static_cast<double>(std::max<std::int64_t>(c.attention_query_tile_rows, 1));
      const double rows = static_cast<double>(std::max<std::int64_t>(a.query_rows, 1));
      const double row_padding = ceil_div(rows, qt) * qt / rows;
      const double waves = std::max(1.0, ceil_div(units, units_));
      const double wave_util = units / (waves * units_);
      if (peak > 0 && c.attention_compute_efficiency > 0)
        compute = w.flop * row_padding / (peak * c.attention_compute_efficiency * wave_util);
      occupancy_units = units;
      break;
    }
    case OperatorKind::elementwise:
    case OperatorKind::embedding:
      if (peak > 0 && w.flop > 0) compute = w.flop / (peak * 0.5);
      occupancy_units = units_;
      break;
    }
    const double bw = bandwidth_ * c.memory_bandwidth_efficiency * bandwidth_occupancy(occupancy_units);
    t.compute_seconds = compute;
    t.memory_seconds = bw > 0 ? bytes / bw : 0.0;
    // Under CUDA graphs every kernel pays a fixed gap; launched eagerly, a kernel also takes at least the host's
    // launch interval (the host runs ahead, so that is a floor, not an addition).
    double body = std::max(t.compute_seconds, t.memory_seconds);
    const double p = c.roofline_overlap_exponent;
    if (p < 63.0 && body > 0) {
      // body * (1 + r^p)^(1/p), r = smaller term / larger term.
      const double r = std::min(t.compute_seconds, t.memory_seconds) / body;
      if (r > 0) body *= std::pow(1.0 + std::pow(r, p), 1.0 / p);
    }
    t.overhead_seconds = w.kernels * c.kernel_overhead_seconds;
    t.seconds = t.overhead_seconds + body;
    if (!options_.cuda_graphs && w.kernels * c.eager_launch_overhead_seconds > t.seconds) {
      t.overhead_seconds = w.kernels * c.eager_launch_overhead_seconds - body;
      t.seconds = w.kernels * c.eager_launch_overhead_seconds;
    }
    if (t.overhead_seconds > body)
      t.bound = Bound::launch;
    else
      t.bound = t.compute_seconds >= t.memory_seconds ? Bound::compute : Bound::memory;
  }
  t.attained_flop_per_s = t.seconds > 0 ? w.flop / t.seconds : 0.0;
  return t;
}

Json operator_to_json(const OperatorWork& w, const OperatorTime& t) {
  Json j;
  j["name"] = w.name;
  j["component"] = w.component;
  j["kind"] = to_string(w.kind);
  j["compute_dtype"] = to_string(w.compute_dtype);
  j["flop"] = w.flop;
  j["weight_bytes"] = w.weight_bytes;
  j["activation_bytes"] = w.activation_bytes;
  j["kv_bytes"] = w.kv_bytes;
  j["bytes"] = w.bytes();
  j["kernels"] = w.kernels;
  j["arithmetic_intensity_flop_per_byte"] = w.arithmetic_intensity();
  j["seconds"] = t.seconds;
  j["compute_seconds"] = t.compute_seconds;
  j["memory_seconds"] = t.memory_seconds;
  j["overhead_seconds"] = t.overhead_seconds;
  j["bound"] = to_string(t.bound);
  j["attained_flop_per_s"] = t.attained_flop_per_s;
  return j;
}

} // namespace moescope
