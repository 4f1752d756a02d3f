#pragma once
// Routing statistics of a set of requests of a token trace, as the placement strategies read them: per-layer expert
// loads, within-token co-activation, and per-request activation vectors of the part of the request seen before it is
// homed ("homing" part) and of the part whose traffic is measured ("traffic" part).
//
// Which tokens are which (split_request): a request with decode tokens is homed from its prefill and its traffic is its
// decode; a prefill-only request (e.g. the DeepSeek-V2-Lite chat trace, ESFT) is homed from its first
// ceil(prefix_fraction x n) tokens (at least one, and at most n - 1 when n >= 2) and its traffic is the rest.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "trace/trace.hpp"

namespace moescope::placement {

struct RequestTokens {
  trace::TokenRange homing;  // what the router sees before homing the request
  trace::TokenRange traffic; // what is measured (and what placement is fitted on)
};
RequestTokens split_request(const trace::RequestInfo& request, double prefix_fraction = 0.25);

struct StatsOptions {
  double prefix_fraction = 0.25;          // homing part of prefill-only requests
  bool coactivation = true;               // fill RoutingStats::coact
  std::uint64_t max_pair_tokens = 400000; // co-activation from at most about this many tokens per layer (strided)
};

struct RoutingStats {
  const trace::ExpertTrace* trace = nullptr; // token-level access (not owned; must outlive the stats)
  std::uint32_t num_layers = 0, num_experts = 0, top_k = 0;
  std::vector<std::size_t> requests;  // request indices into *trace
  std::vector<RequestTokens> ranges;  // per request
  std::vector<double> homing_tokens;  // per request
  std::vector<double> traffic_tokens; // per request
  std::vector<float> homing_vec;      // [request][layer * E + expert]: selections in the homing part
  std::vector<float> traffic_vec;     // [request][layer * E + expert]: selections in the traffic part
  std::vector<double> load;           // [layer][expert]: selections in the traffic parts of all requests
  std::vector<float> coact;           // [layer][E][E]: traffic tokens selecting both (symmetric, zero diagonal)
  double total_traffic_tokens = 0.0;

  std::size_t num_requests() const { return requests.size(); }
  std::size_t vec_size() const { return std::size_t(num_layers) * num_experts; }
  std::span<const float> homing(std::size_t r) const { return {homing_vec.data() + r * vec_size(), vec_size()}; }
  std::span<const float> traffic(std::size_t r) const { return {traffic_vec.data() + r * vec_size(), vec_size()}; }
  std::span<const double> layer_load(std::uint32_t l) const {
    return {load.data() + std::size_t(l) * num_experts, num_experts};
  }
  const float* layer_coact(std::uint32_t l) const { return coact.data() + std::size_t(l) * num_experts * num_experts; }
};

// Statistics of the given requests (indices into `trace`, e.g. a training split).
RoutingStats compute_stats(const trace::ExpertTrace& trace, std::span<const std::size_t> requests,
                           const StatsOptions& options = {});
// All requests.
RoutingStats compute_stats(const trace::ExpertTrace& trace, const StatsOptions& options = {});

} // namespace moescope::placement
