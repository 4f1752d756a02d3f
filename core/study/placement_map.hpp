#pragma once
// Where a fitted placement put each expert, layer by layer: the expert in every slot of every GPU and the tokens that
// slot serves on the trace, with each GPU's total and the GPUs' max / mean. What the GUI's placement view draws.
// A slot's tokens are its expert's selections in the traffic parts of all the trace's requests (the load the
// strategies fit, placement::RoutingStats::load) split evenly over the expert's replicas.
#include <cstdint>
#include <string>
#include <vector>

#include "study/placement_fit.hpp"

namespace moescope {

struct PlacementSlot {
  std::int32_t expert = -1;  // -1: an empty slot
  std::int32_t replicas = 0; // replicas of this expert in the layer (> 1: replicated)
  double tokens = 0;
};

struct PlacementLayerMap {
  std::vector<PlacementSlot> slots; // [gpu * slots_per_gpu + slot]; a GPU's experts in ascending order
  std::vector<double> gpu_tokens;   // per GPU, the sum of its slots
  double gpu_tokens_max = 0, gpu_tokens_mean = 0;
  double gpu_max_over_mean() const { return gpu_tokens_mean > 0 ? gpu_tokens_max / gpu_tokens_mean : 0.0; }
};

struct PlacementMap {
  std::string strategy;
  std::int32_t nodes = 0, gpus_per_node = 0, slots_per_gpu = 0, experts = 0;
  std::vector<std::int32_t> moe_layer_ids; // model layer id of each layer map
  std::vector<PlacementLayerMap> layers;
};

// The map of `fit` (fitted on `trace`, or on a trace with its experts and layers: InputError otherwise).
PlacementMap placement_map(const PlacementFit& fit, const trace::ExpertTrace& trace);

} // namespace moescope
