#pragma once
// Internal to the dispatch implementation (dispatch*.cpp, not the kernels): result buffers, the mapping of rows onto
// links and the phase costs (dispatch_link_costs.cpp), shared by the trace-driven and the expected-value modes.
#include <cstdint>
#include <vector>

#include "network/dispatch.hpp"

namespace moescope::dispatch_detail {

// Sizes and zeroes the matrices and per-GPU vectors of `r` for g GPUs (variances too when `expected`).
void reset(DispatchResult& r, std::int32_t g, bool expected);
// Closed form: per-GPU vectors sized and zeroed, matrices empty.
void reset_per_gpu(DispatchResult& r, std::int32_t g);

// What the phase costs need besides the link loads: the longest path among the pairs that carry rows, the
// busiest GPU's messages, and the busiest GPU's rows for the SM term.
struct PairStats {
  double up_latency = 0.0, out_latency = 0.0;
  bool hops_in_sequence = true;
  double max_messages_dispatch = 0.0, max_messages_combine = 0.0;
  double busiest_rows = 0.0; // max over GPUs of rows sent, rows received (hops) and rows received into its buffer
  double max_source_tokens = 0.0;
};

// From the closed-form per-GPU sums.
PairStats pair_stats(const Topology& topo, const DispatchResult& r, const ExpectedSums& s);

// Fills one phase's cost. `var` (optional) holds link variances: the busiest link is then the one with the
// largest mean + z(M) sigma, M the number of links whose mean is within 5% of the largest of their kind.
PhaseCost phase_cost(const Topology& topo, const PairStats& ps, const std::vector<double>& link_bytes,
                     const std::vector<double>* var, const KernelCosts& c, bool combine, double bytes_per_row,
                     std::vector<double>& scratch);

// From the row matrices of `r`: byte matrices, link loads (and their variances when `expected`), the busiest GPU's
// expert tokens and both phase costs.
void finalize(const Topology& topo, const DispatchPayload& pay, const KernelCosts& c, DispatchResult& r, bool expected);

// Link loads from the closed-form per-GPU sums: switched scale-up ports, one NIC per GPU, leaf up/down links.
void map_links_sums(const Topology& topo, const ExpectedSums& s, const DispatchPayload& pay, std::vector<double>& disp,
                    std::vector<double>& comb, std::vector<double>& dv, std::vector<double>& cv);

// Throws std::length_error above kMaxTrafficMatrixGpus GPUs.
void check_matrix_size(const Topology& topo);
// Throws std::invalid_argument on an inconsistent placement or one that uses more GPUs than the topology.
void check_inputs(const Topology& topo, const Placement& p);

} // namespace moescope::dispatch_detail
