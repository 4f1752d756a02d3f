#pragma once
// MoE dispatch and combine over the network: from a routing (per token, or expected-value), a placement and a
// kernel's semantics to the GPU x GPU traffic matrices, the bytes on every link, the busiest link and the time.
// Kernels are strategies behind DispatchKernel, one file each (kernel_*.cpp) registering itself (util/registry.hpp;
// core/network/README.md: adding one), listed by dispatch_kernels(); see docs/network-model.md. Implementation:
// dispatch.cpp (registry, trace-driven entry point), dispatch_expected.cpp (expected-value mode and its closed form),
// dispatch_link_costs.cpp (link loads, phase costs), dispatch_per_copy.cpp (replicas, per-copy routing).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "network/expert_placement.hpp"
#include "network/group_limited_selection.hpp"
#include "network/replica_routing.hpp"
#include "network/routing.hpp"
#include "network/topology.hpp"
#include "util/data_type.hpp"
#include "util/registry.hpp"

namespace moescope {

// Bytes of one token's row in dispatch (activations plus block scales plus metadata) and in combine.
struct DispatchPayload {
  double dispatch_bytes_per_token = 0.0;
  double combine_bytes_per_token = 0.0;
  // hidden x (bytes + scale bytes) of each dtype, plus `metadata_bytes` (top-k ids and weights) on dispatch.
  static DispatchPayload from_dtypes(std::int64_t hidden, DataType dispatch, DataType combine,
                                     double metadata_bytes = 0.0);
};

// Per-kernel efficiency and overhead terms. Defaults are the speed-of-light model (the links' achievable
// bandwidth, no overhead); calibrated values come from hwdb/calibrations/<system>-network.json.
struct KernelCosts {
  double fixed_seconds = 0.0;       // launch, notify/handshake and completion per call
  double per_message_seconds = 0.0; // per message the busiest GPU issues (see DispatchKernel::messages)
  double scale_up_efficiency = 1.0; // fraction of a scale-up link's achievable bandwidth the kernel reaches
  double scale_out_efficiency = 1.0;
  double per_sm_bytes_per_s = 0.0; // copy throughput of one SM (0: no SM limit)
  double num_sms = 0.0;            // SMs the kernel uses (0: no SM limit)
  // SM work per token of the source GPU, in rows of the phase (scanning the token, its top-k and layout,
  // the combine's reduction output), on top of the rows copied: SM time = (busiest GPU's rows + this x its
  // tokens) x bytes per row / (per_sm_bytes_per_s x num_sms).
  double sm_rows_per_token = 0.0;
  double combine_fixed_seconds = -1.0; // fixed term of the combine phase (< 0: fixed_seconds)
  // Fixed term of a dispatch or combine whose rows cross the scale-out network (< 0: the terms above). RDMA kernels
  // have their own setup and completion costs (DeepEP low-latency: IBGDA puts, atomics and remote flags), so a
  // calibration fits them on multi-node rows, separately from the scale-up path.
  double scale_out_fixed_seconds = -1.0;
};

struct DispatchOptions {
  bool use_scale_up = true; // false: every transfer between distinct GPUs goes through the NICs (pure RDMA)
  // Low-latency kernels: receive buffers hold max_tokens_per_rank rows per source rank and local expert
  // (0: the largest number of tokens any GPU dispatches in this routing).
  std::int32_t max_tokens_per_rank = 0;
  // Expected-value mode: also fill the GPU x GPU matrices (scale_up_rows, ..., dispatch_bytes, combine_bytes and
  // their variances). Without them, switched scale-up fabrics with one NIC link per GPU take a closed form over
  // per-node and per-rail sums (same link loads, busiest link and times; docs/network-model.md) and leave the
  // matrices empty; other topologies always fill them.
  bool expected_traffic_matrices = false;
  // Trace-driven routing: the replica rule instead of the placement's own Placement::choice (the expected-value
  // mode reads Placement::choice).
  std::optional<ReplicaChoice> replica_rule;
};

// Time of one phase (dispatch or combine) and where it goes.
struct PhaseCost {
  double seconds = 0.0;          // fixed + latency + max(transfer, sm) + messages
  double transfer_seconds = 0.0; // busiest link: bytes / (achievable bandwidth x kernel efficiency)
  double sm_seconds = 0.0;       // busiest GPU's bytes / SM copy throughput (0 without an SM limit)
  double latency_seconds = 0.0;
  double message_seconds = 0.0;
  double fixed_seconds = 0.0;
  std::int32_t busiest_link = -1;
  double busiest_link_bytes = 0.0;
  double max_messages_per_gpu = 0.0;
  double scale_up_bytes = 0.0;  // over all scale-up links (each hop counted)
  double scale_out_bytes = 0.0; // over all NIC out links
};

struct DispatchResult {
  std::int32_t num_gpus = 0;
  // Direct (hop-level) transfers, token rows a -> b, row-major [a * num_gpus + b]: what GPU a writes to GPU b's
  // buffer over the scale-up fabric or over the NICs. Combine sends the same rows back (transposed).
  std::vector<double> scale_up_rows, scale_out_rows;
  std::vector<double> dispatch_bytes, combine_bytes;           // (scale_up_rows + scale_out_rows) x bytes per row
  std::vector<double> dispatch_link_bytes, combine_link_bytes; // per Topology link
  std::vector<double> received_rows_per_gpu; // rows written into each GPU's receive buffer (including its own)
  std::vector<double> expert_tokens_per_gpu; // token-expert pairs each GPU's experts compute
  std::vector<double> padded_rows_per_gpu;   // receive-buffer rows with padding (low-latency); else = received
  std::vector<double> messages_per_gpu;      // dispatch messages each GPU issues
  double max_expert_tokens_per_gpu = 0.0;
  double max_source_tokens_per_gpu = 0.0; // tokens the busiest source GPU dispatches (SM per-token term)
  bool hops_in_sequence = true;           // scale-out then scale-up (forwarding): latencies add; else the larger counts
  // Expected-value mode: variances of the row counts (same layout), and of the per-GPU expert tokens.
  std::vector<double> scale_up_var, scale_out_var, expert_tokens_var;
  PhaseCost dispatch, combine;
};

// Sources of the expected-value mode: groups of GPUs sharing one per-token inclusion probability vector.
struct SourceClass {
  std::vector<std::int32_t> gpus;
  double tokens_per_gpu = 0.0;
  std::vector<double> inclusion; // per expert: probability a token selects it (sum = top_k)
  std::int32_t top_k = 0;
  // Group-limited selection (uniform inclusion only): how a token's picks spread over the expert groups, for the
  // kernels that deduplicate per destination; null = top_k drawn from all experts.
  std::shared_ptr<const GroupLimitedSelection> group_limit;
};

namespace dispatch_detail {
// Expected-value closed form (DispatchKernel::route_expected_sums): per-GPU row sums instead of GPU x GPU
// matrices. Rows are token rows; variances are of the same sums (Bernoulli terms, covariances ignored).
struct ExpectedSums {
  std::vector<double> up_out, up_in, up_out_var, up_in_var;           // per GPU: scale-up rows sent / received
  std::vector<double> out_out, out_in, out_out_var, out_in_var;       // per GPU: scale-out (NIC) rows sent / received
  std::vector<double> leaf_up, leaf_down, leaf_up_var, leaf_down_var; // per leaf: cross-leaf scale-out rows
  bool any_scale_up = false, any_scale_out = false, scale_out_crosses_leaves = false;
  // Largest number of destination (dispatch) / source (combine) GPUs with rows of one GPU; ignored when the
  // kernel counts messages itself (messages_per_gpu).
  double max_destinations = 0.0, max_sources = 0.0;
  std::vector<double> scratch[10];         // kernel scratch (per GPU / node / rail)
  std::vector<double> link_var_scratch[2]; // link variances of dispatch and combine
};
} // namespace dispatch_detail

class DispatchKernel {
public:
  virtual ~DispatchKernel() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  // Trace-driven: fills the row matrices and per-GPU counts of `ws.result` (already sized and zeroed).
  virtual void route(const Topology& topo, const Placement& placement, const TokenRouting& routing,
                     const DispatchOptions& options, struct DispatchWorkspace& ws) const = 0;
  // Expected-value: fills means and variances of the same quantities.
  virtual void route_expected(const Topology& topo, const Placement& placement, const std::vector<SourceClass>& sources,
                              const DispatchOptions& options, DispatchResult& r) const = 0;
  // Expected-value closed form for the common case (called only for a switched scale-up fabric, one NIC link
  // per GPU, one replica per expert, one source class, scale-up allowed): fills the per-GPU vectors of `r`
  // (expert tokens and variance, received, padded, messages) and `sums`, and returns true; false when the
  // kernel has none (the general route_expected is used).
  virtual bool route_expected_sums(const Topology& topo, const Placement& placement, const SourceClass& source,
                                   const DispatchOptions& options, DispatchResult& r,
                                   dispatch_detail::ExpectedSums& sums) const {
    (void)topo, (void)placement, (void)source, (void)options, (void)r, (void)sums;
    return false;
  }
};

// Every registered kernel (Registry<DispatchKernel>), in registration order.
const std::vector<std::unique_ptr<DispatchKernel>>& dispatch_kernels();
const DispatchKernel* find_dispatch_kernel(const std::string& name); // nullptr when unknown
std::vector<std::string> dispatch_kernel_names();

// Reusable scratch space so that repeated evaluations do not allocate.
struct DispatchWorkspace {
  DispatchResult result;
  ReplicaRouter router;              // the placement's replica rule, reset per evaluation
  std::vector<double> source_tokens; // per GPU
};

// Largest GPU count for which GPU x GPU traffic matrices are kept (trace-driven mode and the general expected-value
// path: a few matrices of 8-byte entries, 128 MiB each at 4096 GPUs). Above it the evaluations throw
// std::length_error; front ends check first (traffic_matrices_needed) and report the scenario field.
constexpr std::int32_t kMaxTrafficMatrixGpus = 4096;

// Trace-driven dispatch + combine. The result lives in `ws.result` (returned by reference).
const DispatchResult& evaluate_dispatch(const DispatchKernel& kernel, const Topology& topo, const Placement& placement,
                                        const TokenRouting& routing, const DispatchPayload& payload,
                                        const KernelCosts& costs, const DispatchOptions& options,
                                        DispatchWorkspace& ws);

// Expected-value dispatch + combine: expected link loads, and the expected busiest link and busiest GPU from a
// normal approximation of the loads (expected maximum of M normals ~ mean + sigma * Blom's z(M)).
struct ExpectedDispatch {
  DispatchResult result; // means (matrices, link bytes), with the phase costs at the expected maximum
  double expected_max_link_seconds_dispatch = 0.0;
  double expected_max_expert_tokens_per_gpu = 0.0; // expected busiest GPU (expert-side token-expert pairs)
  double mean_expert_tokens_per_gpu = 0.0;
  bool closed_form = false;           // true: per-node closed form (result matrices left empty)
  dispatch_detail::ExpectedSums sums; // closed-form per-GPU sums (reused between calls)
};
const ExpectedDispatch& evaluate_dispatch_expected(const DispatchKernel& kernel, const Topology& topo,
                                                   const Placement& placement, const std::vector<SourceClass>& sources,
                                                   const DispatchPayload& payload, const KernelCosts& costs,
                                                   const DispatchOptions& options, ExpectedDispatch& out);

// Whether evaluate_dispatch_expected needs the GPU x GPU matrices for these inputs (false: the per-node closed form:
// one replica per expert, a switched scale-up fabric, one NIC per GPU, one source class, scale-up allowed).
bool traffic_matrices_needed(const Topology& topo, const Placement& placement, const std::vector<SourceClass>& sources,
                             const DispatchOptions& options);

// One source class covering GPUs [0, num_gpus) from an expected-value routing.
std::vector<SourceClass> uniform_sources(const ExpectedRouting& routing, std::int32_t num_gpus);
// One class per GPU from per-source-GPU expert counts: counts[g * num_experts + e] token-expert pairs, tokens[g].
std::vector<SourceClass> sources_from_counts(const std::vector<double>& counts, const std::vector<double>& tokens,
                                             std::int32_t num_experts, std::int32_t top_k);

// Expected maximum of m i.i.d. standard normals (Blom: Phi^-1((m - 0.375) / (m + 0.25))); 0 for m <= 1.
double expected_max_standard_normal(double m);

// Helpers shared by the kernels.
namespace dispatch_detail {
// Probability that a token with inclusion mass `mass` (sum of pi over a set of experts) selects none of the set,
// for top_k draws without replacement over num_experts experts: prod_{i<k} (1 - (mass / k) / (1 - i / E)).
double prob_none(double mass, std::int32_t top_k, std::int32_t num_experts);
// Per-GPU inclusion mass for a token of class `c` on GPU `src`: mass[d] = sum_e pi_e w_{e,d} (expected token-expert
// pairs a token sends to d) and sq[d] = sum_e (pi_e w_{e,d})^2 (for variances). Both sized to the GPU count.
void gpu_masses(const Topology& topo, const Placement& p, const SourceClass& c, std::int32_t src,
                std::vector<double>& mass, std::vector<double>& sq);
// Group-limited class (c.group_limit set): probability that a token on `src` selects at least one expert served by
// each GPU (q, sized to the GPU count) and by each node (rn, sized to the node count), from the share of each
// group's experts that GPU / node serves for `src` (replica-weighted). `share` is scratch.
void group_limited_destinations(const Topology& topo, const Placement& p, const SourceClass& c, std::int32_t src,
                                std::vector<double>& q, std::vector<double>& rn, std::vector<double>& share);
// Direct per-(token, expert) sends (low-latency and NCCL all-to-all semantics): one row per token-expert pair,
// over the scale-up fabric inside a node (when allowed) and over the NICs otherwise. `count_puts`: one message
// per row (low-latency puts) instead of one per destination GPU.
void route_per_copy(const Topology& topo, const Placement& p, const TokenRouting& routing,
                    const DispatchOptions& options, DispatchWorkspace& ws, bool count_puts);
void route_per_copy_expected(const Topology& topo, const Placement& p, const std::vector<SourceClass>& sources,
                             const DispatchOptions& options, DispatchResult& r, bool count_puts);
// Closed form of route_per_copy_expected (see DispatchKernel::route_expected_sums).
void route_per_copy_sums(const Topology& topo, const Placement& p, const SourceClass& c, DispatchResult& r,
                         ExpectedSums& sums, bool count_puts);
// Resizes and zeroes the per-GPU and per-leaf vectors of `sums`.
void reset_sums(const Topology& topo, ExpectedSums& sums);
} // namespace dispatch_detail

} // namespace moescope
