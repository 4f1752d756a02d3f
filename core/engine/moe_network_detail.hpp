#pragma once
// Internal to the engine's MoE network model (moe_network.hpp): the pieces shared by its two costers, the
// expected-value closed form (moe_network_expected.cpp) and the trace-driven batches (moe_network_trace.cpp), and
// the per-thread memo both use.
#include <cstdint>
#include <string>

#include "engine/moe_network.hpp"
#include "network/dispatch.hpp"
#include "network/network_calibration.hpp"

namespace moescope::moe_network_detail {

// The memo of network results (per thread, keyed on the bytes of every input; see network_key).
bool memo_enabled();
const MoeNetworkCost* memo_find(const std::string& key); // counts the hit or the miss
void memo_store(std::string key, const MoeNetworkCost& cost);

// Everything an all-to-all result depends on, as bytes (kernel, placement strategy, kernel-cost source, topology,
// EP and slots, tokens, routing, payload, kernel costs, options).
std::string network_key(const ResolvedScenario& s, const EngineConfig& c, const std::string& kernel,
                        const TopologyParams& tp, double tokens, double exponent, const DispatchPayload& payload,
                        const KernelCosts& costs);

// The kernel's calibrated costs when the scenario's network calibration has them (`calibrated` says so).
KernelCosts kernel_costs(const ResolvedScenario& s, const std::string& kernel, bool& calibrated);
const DispatchKernel& kernel_named(const std::string& name);

AllToAllPhase phase_detail(const PhaseCost& p, const Topology& topo);
// Running mean of per-batch phase costs (trace-driven mode): the link names differ from batch to batch.
void accumulate(AllToAllPhase& sum, const PhaseCost& p);
AllToAllPhase averaged(AllToAllPhase sum, double n);
// Adds one evaluation's GPU x GPU byte matrices to `m` (trace mode sums batches, then divides).
void add_matrices(TrafficMatrices& m, const DispatchResult& r);
// The node x node sums of the GPU matrices, after scaling them by `scale` (1 / batches in trace mode).
void finish_matrices(TrafficMatrices& m, std::int32_t gpus, std::int32_t gpus_per_node, double scale);

// The two costers; `matrices`: also fill the GPU x GPU byte matrices (not memoized).
MoeNetworkCost expected_cost(const ResolvedScenario& s, Phase phase, double tokens, const EngineConfig& c,
                             TrafficMatrices* matrices = nullptr);
MoeNetworkCost trace_cost(const ResolvedScenario& s, Phase phase, double tokens, const EngineConfig& c,
                          TrafficMatrices* matrices = nullptr);

} // namespace moescope::moe_network_detail
