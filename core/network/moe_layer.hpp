#pragma once
// The network cost of one MoE layer of a resolved scenario, in expected-value mode: the scenario's routing
// (uniform or power law; a trace routing is evaluated as uniform here, trace-driven runs use evaluate_dispatch),
// the scenario's placement ("linear"; other strategies arrive with the placement module and fall back to linear),
// and the kernel the phase uses (decode: DeepEP low-latency, prefill: DeepEP normal).
#include <string>

#include "network/dispatch.hpp"
#include "scenario/resolved_scenario.hpp"

namespace moescope {

struct MoeLayerNetwork {
  std::string phase;  // "decode" or "prefill"
  std::string kernel; // dispatch kernel name
  double tokens_per_gpu = 0.0;
  std::int32_t ep_gpus = 0;
  std::string placement_strategy; // the one used
  std::string note;               // fallbacks taken, if any
  bool calibrated = false;        // kernel costs from hwdb/calibrations/<system>-network.json
  DispatchPayload payload;
  Topology topology;
  ExpectedDispatch expected;
};

MoeLayerNetwork evaluate_moe_layer_network(const ResolvedScenario& s, Phase phase, const std::string& kernel = "");

// Throws InputError on /deployment/nodes when `topo` has more GPUs than the traffic model keeps GPU x GPU matrices for
// (kMaxTrafficMatrixGpus); `why` says what needs the matrices. Callers check only when the matrices are needed.
void check_traffic_matrix_size(const ResolvedScenario& s, const Topology& topo, const char* why);

} // namespace moescope
