#pragma once
// The one place where work becomes time. Speed-of-light: max(FLOP / peak, bytes / HBM bandwidth). Calibrated: the
// same roofline with explicit efficiencies (calibration.hpp): GEMM tiles quantized over the compute units in waves,
// attention work units and their occupancy, achievable fractions of peak compute and bandwidth, and a fixed
// per-kernel overhead. The model is documented in docs/compute-model.md.
#include <string>

#include "compute/calibration.hpp"
#include "compute/operator_work.hpp"
#include "hw/accelerator.hpp"
#include "scenario/engine_config.hpp"

namespace moescope {

enum class Bound { compute, memory, launch };
std::string to_string(Bound b);

struct OperatorTime {
  double seconds = 0;
  double compute_seconds = 0;  // compute term (after efficiencies and quantization in calibrated mode)
  double memory_seconds = 0;   // memory term
  double overhead_seconds = 0; // kernel launch / fixed overhead (calibrated mode)
  Bound bound = Bound::memory;
  double attained_flop_per_s = 0; // useful FLOPs / seconds
};

class ComputeEngine {
public:
  ComputeEngine(const Accelerator& accelerator, ComputeCalibration calibration, EngineOptions options = {});

  OperatorTime evaluate(const OperatorWork& w) const;

  const Accelerator& accelerator() const { return *accelerator_; }
  const ComputeCalibration& calibration() const { return calibration_; }
  const EngineOptions& options() const { return options_; }
  double compute_units() const { return units_; }

  // Calibrated-mode pieces, exposed for tests.
  // Tiles of the best (tile_m, tile_n) choice and the resulting full-wave-equivalent padded FLOPs.
  struct TilePlan {
    std::int64_t tile_m = 0, tile_n = 0;
    double tiles = 0;
    double waves = 0;
    double padded_flop = 0; // waves * units * one tile's FLOPs
  };
  TilePlan plan_gemm_tiles(const GemmShape& g) const;
  // Fraction of achievable bandwidth a kernel with `work_units` parallel units can draw.
  double bandwidth_occupancy(double work_units) const;
  // Parallel work units of an attention kernel (query tiles x KV groups x KV splits).
  double attention_work_units(const AttentionShape& a) const;

private:
  const Accelerator* accelerator_;
  ComputeCalibration calibration_;
  EngineOptions options_;
  double units_ = 132;
  double bandwidth_ = 0;
};

Json operator_to_json(const OperatorWork& w, const OperatorTime& t);

} // namespace moescope
