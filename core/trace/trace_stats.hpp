#pragma once
// Characterisation of expert-activation traces (`moescope trace stats`): load imbalance per layer, drift between
// windows of requests, domain specificity, prefill/decode correlation and co-activation. Definitions are in
// docs/traces.md; the primitives are exposed for tests.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "trace/distribution_stats.hpp"
#include "trace/trace.hpp"
#include "util/json_reader.hpp"

namespace moescope::trace {

// The statistics primitives (mean, Gini, entropy, JS divergence, correlations) are in distribution_stats.hpp.

// ---- results -------------------------------------------------------------------------------------------------
struct ExpertShare {
  std::uint32_t expert = 0;
  double share = 0; // fraction of the layer's selections
};

struct LayerLoad {
  std::int32_t layer_id = 0;
  std::uint64_t selections = 0;
  std::uint32_t active_experts = 0; // experts selected at least once
  double max_over_mean = 0, cv = 0, gini = 0, entropy_bits = 0, normalized_entropy = 0;
  std::vector<ExpertShare> hottest;
};

struct LayerDrift {
  std::int32_t layer_id = 0;
  double mean_js = 0; // mean JS divergence (bits) between consecutive windows
  double max_js = 0;
  double hot_set_overlap = 0;      // mean Jaccard overlap of the hottest 10% of experts between consecutive windows
  double window_max_over_mean = 0; // worst max/mean seen in any window
};

struct DriftStats {
  std::uint32_t windows = 0;
  std::uint32_t requests_per_window = 0;
  std::vector<LayerDrift> layers;
  double mean_js = 0, mean_hot_set_overlap = 0;
};

struct DomainStats {
  std::vector<std::string> domains;
  std::vector<std::uint64_t> tokens;   // per domain
  std::vector<std::uint64_t> requests; // per domain (0 for count traces)
  std::vector<double> js_matrix;       // D x D, mean over layers, bits
  std::vector<double> js_per_layer;    // mean over domain pairs, per layer
  double mean_js = 0;                  // mean over layers and domain pairs
  // Held-out classification (token traces with >= 2 domains): nearest centroid, cosine on L2-normalised
  // per-request activation vectors (per layer expert shares, concatenated).
  bool classified = false;
  double test_fraction = 0;
  std::uint64_t seed = 0;
  std::size_t train_requests = 0, test_requests = 0;
  double accuracy = 0;
  double chance = 0; // accuracy of always answering the largest test domain
  std::vector<double> per_domain_accuracy;
};

struct LayerPhaseCorrelation {
  std::int32_t layer_id = 0;
  std::size_t requests = 0;   // requests with both phases and non-constant count vectors
  double request_pearson = 0; // mean over requests of corr(prefill counts, decode counts) across experts
  double request_spearman = 0;
  double aggregate_pearson = 0; // corr of the summed prefill and decode loads across experts
  double aggregate_spearman = 0;
};

struct PhaseStats {
  std::size_t requests_with_both = 0;
  std::uint64_t prefill_tokens = 0, decode_tokens = 0;
  std::vector<LayerPhaseCorrelation> layers;
  double mean_request_pearson = 0, mean_request_spearman = 0, mean_aggregate_pearson = 0, mean_aggregate_spearman = 0;
};

struct ExpertPair {
  std::uint32_t a = 0, b = 0;
  std::uint64_t count = 0;
  double lift = 0; // P(a and b) / (P(a) P(b)) over tokens
};

struct LayerCoactivation {
  std::int32_t layer_id = 0;
  std::uint64_t pairs = 0; // within-token pairs counted (tokens x k(k-1)/2)
  std::vector<ExpertPair> top_pairs;
  double top_pair_share = 0;     // share of all pairs taken by the most frequent pair
  double pair_entropy_ratio = 0; // entropy of the pair distribution / log2(number of possible pairs)
};

struct LayerAffinity {
  std::int32_t from_layer = 0, to_layer = 0;
  double mutual_information_bits = 0;
  double normalized_mi = 0;       // MI / min(H(from), H(to))
  double top_successor_share = 0; // sum_x P(x) max_y P(y | x)
  double baseline_top_share = 0;  // max_y P(y): what knowing x adds is the difference
};

struct CoactivationStats {
  std::vector<LayerCoactivation> within;
  std::vector<LayerAffinity> cross;
  double mean_normalized_mi = 0;
};

struct TraceStats {
  std::string model, kind, source_format;
  std::uint32_t num_layers = 0, num_experts = 0, top_k = 0;
  std::size_t requests = 0;
  std::uint64_t tokens = 0;
  std::vector<LayerLoad> layers;
  double mean_max_over_mean = 0, mean_cv = 0, mean_gini = 0, mean_normalized_entropy = 0;
  std::optional<DriftStats> drift;
  std::optional<DomainStats> domains;
  std::optional<PhaseStats> phases;
  std::optional<CoactivationStats> coactivation;
};

struct StatsOptions {
  std::uint32_t windows = 4;  // drift: consecutive windows of requests
  double test_fraction = 0.5; // domain classification split (see split_requests)
  std::uint64_t seed = 0;
  std::uint32_t hottest = 5;   // hottest experts listed per layer
  std::uint32_t top_pairs = 3; // co-activated pairs listed per layer
  bool coactivation = true;
};

TraceStats compute_stats(const AnyTrace& trace, const StatsOptions& options = {});
Json stats_to_json(const TraceStats& stats);

} // namespace moescope::trace
