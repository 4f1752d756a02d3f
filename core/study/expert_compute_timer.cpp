#include "study/expert_compute_timer.hpp"

#include <cmath>
#include <memory>

#include "compute/compute_engine.hpp"
#include "compute/model_compute.hpp"
#include "util/diagnostics.hpp"

namespace moescope {

ExpertComputeTimer make_expert_compute_timer(Session& session, const std::string& system,
                                             const ModelArchitecture& model) {
  if (!model.is_moe()) throw InputError("--model", "", "'" + model.name + "' has no routed experts");
  const auto hwdb = session.hwdb();
  const SystemSpec& sys = hwdb->system(system, "--system");
  const Accelerator& acc = hwdb->accelerator(sys.accelerator, sys.file);
  const auto calibration = session.loader().compute_calibration(acc.name, false);
  auto engine = std::make_shared<const ComputeEngine>(acc, *calibration, EngineOptions{});
  const std::int64_t hidden = model.hidden_size, inter = model.moe.expert_intermediate_size;
  const double gate_factor = model.gated_ffn ? 2.0 : 1.0;
  const DataType weights = model.weight_dtype;
  ExpertComputeTimer t;
  t.description = model.name + " experts on " + acc.name + " (" + sys.name + "), " +
                  (calibration->file.empty() ? "built-in default compute calibration (" + acc.name + " has no file)"
                                             : "compute calibration " + calibration->file);
  t.seconds = [hwdb, engine, hidden, inter, gate_factor, weights](std::span<const double> tokens_per_slot) {
    std::vector<std::int64_t> slots;
    slots.reserve(tokens_per_slot.size());
    for (double x : tokens_per_slot)
      slots.push_back(std::int64_t(std::llround(x)));
    double s = 0.0;
    for (const OperatorWork& op : routed_expert_operators(slots, hidden, inter, gate_factor, weights, DataType::bf16,
                                                          DataType::fp8, GroupedLayout::contiguous, 0.0))
      s += engine->evaluate(op).seconds;
    return s;
  };
  return t;
}

} // namespace moescope
