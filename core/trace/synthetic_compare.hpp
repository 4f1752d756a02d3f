#pragma once
// How close synthetic routing comes to real routing: the generator is fitted on the train half of a real trace
// (split_requests) and its output, of the held-out half's size, is compared with the held-out half
// (`moescope trace synth --compare`, validation/reports/synthetic.md).
#include <cstdint>
#include <string>
#include <vector>

#include "trace/synthetic_routing.hpp"
#include "trace/trace.hpp"
#include "util/json_reader.hpp"

namespace moescope::trace {

// Statistics of one token trace, per layer and averaged over layers (definitions: docs/traces.md).
struct RoutingSummary {
  std::string label;
  std::size_t requests = 0;
  std::uint64_t tokens = 0;
  // Per layer.
  std::vector<double> max_over_mean, gini, entropy_bits;
  std::vector<double> pair_top_share;     // share of within-token pairs taken by the most frequent 1% of possible pairs
  std::vector<double> pair_entropy_ratio; // entropy of the pair distribution / log2(E(E-1)/2)
  std::vector<double> request_js;         // mean over requests of JS(request's counts, the trace's load), bits
  std::vector<double> js_to_reference;    // JS(this trace's load, the reference's load), bits (empty: no reference)
  // Means over layers (NaN where not applicable).
  double mean_max_over_mean = 0, mean_gini = 0, mean_entropy_bits = 0, mean_pair_top_share = 0,
         mean_pair_entropy_ratio = 0, mean_request_js = 0, mean_js_to_reference = 0;
  double domain_js = 0;            // mean JS between domains (NaN with one domain)
  double pd_request_pearson = 0;   // mean per-request prefill/decode Pearson (NaN without both phases)
  double pd_aggregate_pearson = 0; // aggregate prefill vs decode load Pearson
  double cross_layer_nmi = 0;      // mean normalised MI between consecutive layers
};

// `reference` (same expert count and layers) gives js_to_reference; may be null.
RoutingSummary summarize_routing(const ExpertTrace& trace, const std::string& label, const ExpertTrace* reference);

struct SyntheticComparison {
  std::string model;
  std::uint32_t num_layers = 0, num_experts = 0, top_k = 0;
  std::vector<std::int32_t> layer_ids;
  double test_fraction = 0.5;
  std::uint64_t split_seed = 0, seed = 0;
  SyntheticModel fitted;
  RoutingSummary train, held_out, synthetic;
  double fit_seconds = 0, generate_seconds = 0;
};

// Splits `trace` with split_requests(test_fraction, split_seed), fits on the train half, generates as many tokens
// as the held-out half has (same shape, seed `seed`) and summarises the three. Throws InputError when a half is
// empty.
SyntheticComparison compare_synthetic(const ExpertTrace& trace, double test_fraction, std::uint64_t split_seed,
                                      std::uint64_t seed, const SyntheticFitOptions& options = {});

Json comparison_to_json(const SyntheticComparison& c);
// Markdown: the summary table (train / held-out / synthetic), the fitted parameters and per-layer Gini/entropy.
std::string comparison_markdown(const SyntheticComparison& c, bool per_layer = true);
// validation/reports/synthetic.md over the shared traces (DeepSeek-V2-Lite chat, Llama 4 Maverick, ESFT) plus the
// DeepSeek-V3-size generation timing.
std::string build_synthetic_report(const std::string& shared_dir);

} // namespace moescope::trace
