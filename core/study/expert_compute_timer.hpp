#pragma once
// The routed-expert time of one GPU through the compute model, for placement evaluation
// (placement::EvalOptions::expert_seconds): the GPU's tokens per expert slot become the operators SGLang runs over
// DeepGEMM (compute/model_compute.hpp routed_expert_operators, contiguous layout: an evaluation batch is large),
// timed by the ComputeEngine of the system's accelerator with its compute calibration (the built-in default when the
// accelerator has no calibration file; the description says which).
#include <functional>
#include <span>
#include <string>

#include "model/model_architecture.hpp"
#include "study/session.hpp"

namespace moescope {

struct ExpertComputeTimer {
  std::function<double(std::span<const double> tokens_per_slot)> seconds;
  std::string description; // e.g. "deepseek-v2-lite experts on h200-sxm, built-in default calibration"
};

// InputError when the system is unknown or the model has no routed experts.
ExpertComputeTimer make_expert_compute_timer(Session& session, const std::string& system,
                                             const ModelArchitecture& model);

} // namespace moescope
