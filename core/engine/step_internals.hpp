#pragma once
// Internals of the step model shared by its files: token accounting (token_accounting.cpp), the cost of one layer
// kind (layer_cost.cpp) and of one pipeline stage under each overlap assumption (stage_cost.cpp). Not part of the
// engine's interface (step_model.hpp); only engine/*.cpp include it.
#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compute/compute_engine.hpp"
#include "compute/model_compute.hpp"
#include "engine/moe_network.hpp"
#include "engine/step_model.hpp"
#include "engine/tbo_region.hpp"
#include "engine/tbo_schedule.hpp"
#include "network/collective.hpp"
#include "network/network_calibration.hpp"

namespace moescope::step {

// ---- Token accounting (token_accounting.cpp) ------------------------------------------------------------------

// Token counts of one micro-batch on the busiest GPU: `per_gpu` sequences (decode) or tokens (prefill), each decode
// sequence verifying `query_tokens` tokens (1 + MTP drafts).
LayerTokens make_tokens(const ResolvedScenario& s, Phase phase, double per_gpu, std::int64_t query_tokens);
// `total` split over `slots` integers that differ by at most one and sum to round(total).
std::vector<std::int64_t> spread(double total, std::int64_t slots);
// Prompt tokens not served from the prefix cache (at least 1).
std::int64_t uncached_prompt_tokens(const WorkloadSpec& w);

struct LayerKind {
  bool moe = false;
  bool sliding = false;
  std::int64_t count = 0;
};
// The layer kinds of the busiest pipeline stage and, in `sequence`, the kind of each of its layers in order.
std::vector<LayerKind> stage_layer_kinds(const ResolvedScenario& s, std::vector<int>* sequence = nullptr);

// ---- One layer kind (layer_cost.cpp) --------------------------------------------------------------------------

// Buckets of the per-layer breakdown, in engine_components() order; compute buckets come from the compute module,
// communication buckets from the network module.
enum Bucket {
  kAttention,
  kTpAllReduce,
  kNorms,
  kGate,
  kDispatch,
  kRoutedExperts,
  kCombine,
  kSharedExperts,
  kMoeTpAllReduce,
  kDenseFfn,
  kOther,
  kBuckets
};

struct LayerCost {
  std::array<double, kBuckets> seconds{};
  std::array<bool, kBuckets> present{};
  // Compute buckets timed on the SMs the communication kernels leave free (units - num_sms): `busy` every kernel
  // (the kernel runs while a communication kernel holds SMs), `pinned` only the GEMMs (SGLang's prefill TBO runs
  // DeepGEMM on units - num_sms SMs throughout), other kernels on all SMs. Equal to `seconds` without SM sharing.
  std::array<double, kBuckets> busy{}, pinned{};
  // Attention operators before the attention kernel (projections, norms, RoPE): SGLang's decode TBO stage 0.
  double prep = 0, prep_busy = 0, prep_pinned = 0;
  double compute = 0, communication = 0, shared = 0;
  double flop = 0, bytes = 0;
  bool comm_uses_sms = false;
  // The layer's operators (shared with the per-thread memo) and their times on all SMs.
  std::shared_ptr<const std::vector<OperatorWork>> operators;
  std::vector<OperatorTime> operator_times;
  void add(int b, double v);
  std::map<std::string, double> to_map() const;
};

// Collectives of the attention and MoE TP groups and pipeline sends, on the scenario's topology (built on first use).
struct CollectiveTimer {
  const ResolvedScenario* s = nullptr;
  const NetworkCalibration* cal = nullptr;
  std::string algorithm = "auto"; // EngineConfig::collective_algorithm
  std::unique_ptr<Topology> topo;
  double all_reduce(std::int64_t ranks, double bytes);
  double send(double bytes, bool cross_node);
};

// `net`: the layer's all-to-all (MoE layers); `reduced`: the compute engine on the SMs the communication kernels
// leave free (null: no SM sharing).
LayerCost layer_cost(const ResolvedScenario& s, const ComputeEngine& engine, const LayerTokens& t,
                     const LayerKind& kind, const MoeNetworkCost* net, CollectiveTimer& coll,
                     const ComputeEngine* reduced = nullptr);
// One micro-batch's MoE layer as the two-batch schedule sees it. `pin`: GEMMs always on the reduced SM count
// (SGLang's prefill TBO sets DeepGEMM's SM count to units - DeepEP's num_sms for the whole overlapped region).
// `comm_slowdown`: EngineConfig::overlap_communication_slowdown, applied to dispatch and combine (they overlap).
TboLayerOps tbo_ops(const LayerCost& h, bool pin, double comm_slowdown);
// A layer's time under overlap none or intra-layer (two-batch comes from the schedule).
double layer_time(const LayerCost& full, Overlap o, double comm_slowdown = 1.0);

// ---- One pipeline stage (stage_cost.cpp) ----------------------------------------------------------------------

struct StageCost {
  std::vector<LayerBreakdown> layers;
  std::map<std::string, double> outer;
  std::vector<OperatorWork> outer_operators; // embedding, final norm, LM head (MTP is in `outer` only)
  std::vector<OperatorTime> outer_times;
  LayerTokens tokens; // one micro-batch, with the busiest GPU's expert loads
  double serial = 0, two_batch = 0, two_batch_ideal = 0, intra = 0;
  double two_batch_compute_idle = 0, communication_sms = 0;
  double flop = 0, bytes = 0;
  double scale_up_bytes = 0, scale_out_bytes = 0;
  double scale_up_bw = 0, scale_out_bw = 0; // per GPU, from the network model (0 = not computed)
  MoeTraffic moe;
};

// One pipeline stage processing one micro-batch of `per_gpu` sequences (decode) or tokens (prefill). `record`: the
// first two-batch region's schedule with its ops (evaluate_phase).
StageCost stage_cost(const ResolvedScenario& s, Phase phase, const EngineConfig& cfg, const ComputeEngine& engine,
                     double per_gpu, std::int64_t query_tokens, bool want_two_batch, CollectiveTimer& coll,
                     TboRegionRecord* record = nullptr);

} // namespace moescope::step
