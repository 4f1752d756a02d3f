#include "placement/routing_stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace moescope::placement {

RequestTokens split_request(const trace::RequestInfo& r, double prefix_fraction) {
  RequestTokens t;
  if (r.decode_tokens > 0) {
    t.homing = r.prefill();
    t.traffic = r.decode();
    return t;
  }
  const std::uint64_t n = r.num_tokens();
  std::uint64_t h = static_cast<std::uint64_t>(std::ceil(std::clamp(prefix_fraction, 0.0, 1.0) * double(n)));
  h = std::max<std::uint64_t>(h, 1);
  if (n >= 2) h = std::min(h, n - 1);
  h = std::min(h, n);
  t.homing = {r.token_begin, r.token_begin + h};
  t.traffic = {r.token_begin + h, r.token_begin + n};
  return t;
}

RoutingStats compute_stats(const trace::ExpertTrace& trace, std::span<const std::size_t> requests,
                           const StatsOptions& options) {
  RoutingStats s;
  s.trace = &trace;
  s.num_layers = trace.num_layers();
  s.num_experts = trace.num_experts();
  s.top_k = trace.top_k();
  s.requests.assign(requests.begin(), requests.end());
  const std::size_t R = s.requests.size(), V = s.vec_size(), E = s.num_experts, L = s.num_layers, K = s.top_k;
  s.ranges.resize(R);
  s.homing_tokens.assign(R, 0.0);
  s.traffic_tokens.assign(R, 0.0);
  s.homing_vec.assign(R * V, 0.0f);
  s.traffic_vec.assign(R * V, 0.0f);
  s.load.assign(L * E, 0.0);
  const auto data = trace.expert_data();
  std::uint64_t total_traffic = 0;
  for (std::size_t i = 0; i < R; ++i) {
    s.ranges[i] = split_request(trace.request(s.requests[i]), options.prefix_fraction);
    const auto& rt = s.ranges[i];
    s.homing_tokens[i] = double(rt.homing.size());
    s.traffic_tokens[i] = double(rt.traffic.size());
    total_traffic += rt.traffic.size();
    auto fill = [&](trace::TokenRange range, float* vec) {
      for (std::uint64_t t = range.begin; t < range.end; ++t) {
        const std::uint16_t* ids = data.data() + t * L * K;
        for (std::size_t l = 0; l < L; ++l)
          for (std::size_t j = 0; j < K; ++j)
            vec[l * E + ids[l * K + j]] += 1.0f;
      }
    };
    fill(rt.homing, s.homing_vec.data() + i * V);
    float* tv = s.traffic_vec.data() + i * V;
    fill(rt.traffic, tv);
    for (std::size_t v = 0; v < V; ++v)
      s.load[v] += tv[v];
  }
  s.total_traffic_tokens = double(total_traffic);
  if (options.coactivation) {
    s.coact.assign(L * E * E, 0.0f);
    const std::uint64_t stride = std::max<std::uint64_t>(1, (total_traffic + options.max_pair_tokens - 1) /
                                                                std::max<std::uint64_t>(1, options.max_pair_tokens));
    const float w = float(stride);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < R; ++i) {
      const auto& range = s.ranges[i].traffic;
      for (std::uint64_t t = range.begin; t < range.end; ++t, ++seen) {
        if (seen % stride != 0) continue;
        const std::uint16_t* ids = data.data() + t * L * K;
        for (std::size_t l = 0; l < L; ++l) {
          float* m = s.coact.data() + l * E * E;
          const std::uint16_t* x = ids + l * K;
          for (std::size_t a = 0; a < K; ++a)
            for (std::size_t b = a + 1; b < K; ++b) {
              if (x[a] == x[b]) continue;
              m[std::size_t(x[a]) * E + x[b]] += w;
              m[std::size_t(x[b]) * E + x[a]] += w;
            }
        }
      }
    }
  }
  return s;
}

RoutingStats compute_stats(const trace::ExpertTrace& trace, const StatsOptions& options) {
  std::vector<std::size_t> all(trace.num_requests());
  std::iota(all.begin(), all.end(), std::size_t{0});
  return compute_stats(trace, all, options);
}

} // namespace moescope::placement
