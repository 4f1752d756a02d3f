#pragma once
// Synthetic expert routing calibrated to a real token trace, for models that have no public trace (e.g.
// DeepSeek-V3: 58 MoE layers x 256 experts, top-8). docs/traces.md ("Synthetic routing") describes the model; in
// short, per MoE layer:
//  - popularity: a profile per (domain, phase), Dirichlet-smoothed selection counts of the training requests; for
//    another expert count the sorted popularity curve (its Lorenz curve) is resampled by interpolation and expert
//    ids are randomly permuted per layer; domain and phase profiles keep their ratio to the layer's profile;
//  - request-level tilt: within a request and phase, every selection is a Polya-urn draw: with probability
//    n / (n + alpha) a copy of one of the n earlier selections of that request, phase and layer, otherwise a fresh
//    draw from the domain's profile (a Dirichlet(alpha * profile) tilt per request, integrated out); alpha is fitted
//    per layer and phase to the mean Jensen-Shannon divergence between a request's counts and its domain's profile;
//  - co-activation: the top-k of a token are drawn one after the other without replacement; after the first, a
//    slot follows, with probability `follow`, a co-activation partner of an expert already chosen for the token
//    (partners: the experts co-selected more often than independence predicts, weighted by the excess pair count
//    balanced per domain so that partner steps keep the domain's popularity; resampled shapes pick the source
//    partner, then one of its target experts by share);
//    `follow` is fitted to the share of within-token pairs that are partner pairs;
//  - prefill/decode: a decode selection copies, with probability `prefill_copy`, one of the request's prefill
//    selections of that layer; fitted to the mean per-request prefill/decode Pearson correlation;
//  - domain mixture and request lengths: requests are drawn (domain, prefill tokens, decode tokens) from the
//    training requests.
// Fitting calibrates alpha, follow and prefill_copy by simulating the generator itself on the training requests'
// shapes (bisection, common random numbers). Generation is deterministic given the seed, whatever the thread count.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "trace/trace.hpp"

namespace moescope::trace {

struct SyntheticFitOptions {
  double smoothing = 1.0;                   // Dirichlet pseudo-counts per expert (towards the layer's profile)
  std::uint32_t partners = 8;               // strongest co-activation partners kept per expert
  std::uint64_t calibration_tokens = 16384; // per layer: training tokens whose shapes the calibration simulates
  std::uint32_t iterations = 10;            // bisection steps per fitted parameter
  std::uint64_t seed = 0;                   // seed of the calibration simulations
  unsigned threads = 0;                     // 0 = hardware concurrency (layers are fitted in parallel)
};

// One fitted parameter: the statistic measured on the training requests and what the fitted generator gives.
struct FittedParameter {
  double value = 0;
  double target = 0;   // statistic on the real training requests (NaN when not applicable)
  double achieved = 0; // the same statistic on the calibration simulation with `value`
};

struct SyntheticLayer {
  std::int32_t layer_id = 0;
  std::vector<double> profile;            // [E]: the layer's popularity over all training requests (sums to 1)
  double shrink = 1;                      // de-noising factor applied to the profiles' deviation from uniform
  std::vector<std::vector<double>> phase; // [domain * 2 + phase][E]: (domain, phase) profiles (each sums to 1)
  FittedParameter alpha[2];               // Polya-urn concentration per phase (prefill, decode); >= 1e12: no tilt
  FittedParameter follow;                 // probability that a slot after the first follows a partner
  FittedParameter prefill_copy;           // probability that a decode selection copies a prefill selection
  // Sparse co-activation partners (CSR): partners of expert e are partner_ids[partner_begin[e] .. partner_begin[e+1]).
  std::vector<std::uint32_t> partner_begin;
  std::vector<std::uint16_t> partner_ids;
  std::vector<double> partner_weights; // per domain (domain-major, partner_ids.size() each): excess pair counts
                                       // balanced so that row sums follow the domain's profile
};

struct RequestShape {
  std::uint32_t domain = 0;
  std::uint32_t prefill_tokens = 0;
  std::uint32_t decode_tokens = 0;
};

struct SyntheticModel {
  std::string model; // the source trace's model
  std::uint32_t num_experts = 0, top_k = 0;
  std::vector<std::string> domains;
  std::vector<RequestShape> requests; // the training requests' shapes (domain mixture, lengths)
  std::vector<SyntheticLayer> layers;
};

// Fits the generator to a token trace (typically the train half of split_requests). Throws InputError when the
// trace has no token or the options are out of range.
SyntheticModel fit_synthetic(const ExpertTrace& train, const SyntheticFitOptions& options = {});

struct SyntheticShape {
  std::uint32_t num_experts = 0; // 0 = the model's
  std::uint32_t num_layers = 0;  // 0 = the model's; otherwise target layer j uses source layer round(j (L-1)/(L'-1))
  std::uint32_t top_k = 0;       // 0 = the model's
  std::uint64_t tokens = 0;      // > 0: requests are drawn until this many tokens (the last one is cut)
  std::uint64_t seed = 0;
  std::string model_name; // empty = "<model> (synthetic)"
  unsigned threads = 0;   // 0 = hardware concurrency; the result does not depend on it
};

// Generates a token trace. Throws InputError on a bad shape (top-k > experts, experts > 65535, no token, ...).
ExpertTrace generate_synthetic(const SyntheticModel& model, const SyntheticShape& shape);

// Resamples a popularity curve (shares sorted in descending order) to `target` experts so that its Lorenz curve is
// kept: the cumulative share is interpolated linearly at the target quantiles. Result sorted descending, sums to 1.
std::vector<double> resample_popularity_curve(std::span<const double> sorted_desc, std::uint32_t target);

} // namespace moescope::trace
