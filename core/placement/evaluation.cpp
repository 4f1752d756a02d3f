#include "placement/evaluation.hpp"

#include <algorithm>
#include <bit>
#include <numeric>
#include <stdexcept>

#include "network/replica_routing.hpp"
#include "placement/a2a_time.hpp"

namespace moescope::placement {

void PlanMetrics::accumulate(const PlanMetrics& o) {
  if (layers.size() < o.layers.size()) layers.resize(o.layers.size());
  auto add = [](LayerMetrics& a, const LayerMetrics& b) {
    a.pairs += b.pairs;
    a.inter_node_pairs += b.inter_node_pairs;
    a.dedup_bytes += b.dedup_bytes;
    a.busiest_link_bytes += b.busiest_link_bytes;
    a.gpu_load_max += b.gpu_load_max;
    a.gpu_load_mean += b.gpu_load_mean;
    auto add_time = [](double& x, double y) {
      if (y < 0) return;
      x = x < 0 ? y : x + y;
    };
    add_time(a.a2a_normal_seconds, b.a2a_normal_seconds);
    add_time(a.a2a_low_latency_seconds, b.a2a_low_latency_seconds);
    add_time(a.expert_seconds, b.expert_seconds);
  };
  for (std::size_t l = 0; l < o.layers.size(); ++l)
    add(layers[l], o.layers[l]);
  add(total, o.total);
  traffic_tokens += o.traffic_tokens;
  tokens_per_node_max += o.tokens_per_node_max;
  tokens_per_node_mean += o.tokens_per_node_mean;
  requests_per_node_max += o.requests_per_node_max;
  requests_per_node_mean += o.requests_per_node_mean;
  home.insert(home.end(), o.home.begin(), o.home.end());
}

PlanMetrics evaluate_plan(const PlacementPlan& plan, const RoutingStats& test, const PlacementTopology& topo,
                          const EvalOptions& options) {
  if (!test.trace) throw std::invalid_argument("evaluate_plan: statistics without a trace");
  const std::size_t L = test.num_layers, E = test.num_experts, K = test.top_k, N = std::size_t(topo.nodes);
  const std::size_t G = std::size_t(topo.num_gpus()), gpn = std::size_t(topo.gpus_per_node);
  if (plan.layers.size() != L) throw std::invalid_argument("evaluate_plan: plan has a different number of layers");
  if (N > 64) throw std::invalid_argument("evaluate_plan: at most 64 nodes");
  for (const auto& p : plan.layers)
    if (std::size_t(p.num_experts) != E || std::size_t(p.num_gpus) != G)
      throw std::invalid_argument("evaluate_plan: plan does not match the trace or topology");
  PlanMetrics m;
  m.strategy = plan.strategy;
  m.layers.assign(L, LayerMetrics{});
  const std::size_t R = test.num_requests();
  const std::size_t window = options.window > 0 ? options.window : std::max<std::size_t>(R, 1);
  std::vector<ReplicaRouter> routers(L);
  for (std::size_t l = 0; l < L; ++l)
    routers[l].reset(plan.layers[l], topo.gpus_per_node, options.replica_rule);
  if (K > std::size_t(ReplicaRouter::kMaxTopK)) throw std::invalid_argument("evaluate_plan: top_k above 64");
  std::int32_t chosen[ReplicaRouter::kMaxTopK];
  const auto data = test.trace->expert_data();
  const std::size_t per_token = L * K;
  std::vector<double> in(L * N), out(L * N), gload(L * G), node_tokens(N), node_reqs(N);
  std::vector<std::uint64_t> mask(L);
  std::vector<std::span<const float>> vecs;
  std::vector<double> weights;
  A2ATimer timer;
  // Expert compute: tokens per (layer, GPU, expert), and the experts each GPU holds.
  const bool timed = static_cast<bool>(options.expert_seconds);
  std::vector<double> slot_load(timed ? L * G * E : 0), slot_tokens;
  std::vector<std::vector<std::int32_t>> held(timed ? L * G : 0);
  for (std::size_t l = 0; timed && l < L; ++l)
    for (std::int32_t e = 0; e < std::int32_t(E); ++e)
      for (std::int32_t i = 0; i < plan.layers[l].replicas(e); ++i)
        held[l * G + std::size_t(plan.layers[l].replicas_begin(e)[i])].push_back(e);
  for (std::size_t w0 = 0; w0 < R; w0 += window) {
    const std::size_t w1 = std::min(R, w0 + window);
    vecs.clear();
    weights.clear();
    for (std::size_t r = w0; r < w1; ++r) {
      vecs.push_back(test.homing(r));
      weights.push_back(test.traffic_tokens[r]);
    }
    const auto home = plan.homing.assign(vecs, weights);
    m.home.insert(m.home.end(), home.begin(), home.end());
    std::fill(in.begin(), in.end(), 0.0);
    std::fill(out.begin(), out.end(), 0.0);
    std::fill(gload.begin(), gload.end(), 0.0);
    std::fill(node_tokens.begin(), node_tokens.end(), 0.0);
    std::fill(node_reqs.begin(), node_reqs.end(), 0.0);
    std::fill(slot_load.begin(), slot_load.end(), 0.0);
    if (options.all_to_all_time)
      timer.begin_batch(plan, topo, options.bytes_per_token, std::int32_t(K), options.replica_rule);
    for (std::size_t r = w0; r < w1; ++r) {
      const auto h = std::size_t(home[r - w0]);
      const auto& range = test.ranges[r].traffic;
      node_tokens[h] += double(range.size());
      node_reqs[h] += 1.0;
      for (std::uint64_t t = range.begin; t < range.end; ++t) {
        const std::uint16_t* ids = data.data() + t * per_token;
        for (std::size_t l = 0; l < L; ++l) {
          std::uint64_t visited = 0;
          auto& lm = m.layers[l];
          routers[l].route(plan.layers[l], -1, std::int32_t(h), ids + l * K, std::int32_t(K), chosen);
          for (std::size_t j = 0; j < K; ++j) {
            const std::int32_t g = chosen[j];
            gload[l * G + std::size_t(g)] += 1.0;
            if (timed) slot_load[(l * G + std::size_t(g)) * E + ids[l * K + j]] += 1.0;
            lm.pairs += 1.0;
            const std::size_t gn = std::size_t(g) / gpn;
            if (gn != h) {
              lm.inter_node_pairs += 1.0;
              visited |= std::uint64_t(1) << gn;
            }
          }
          if (options.all_to_all_time) timer.add_token(l, t, h, ids + l * K);
          if (visited) {
            const int c = std::popcount(visited);
            out[l * N + h] += c;
            lm.dedup_bytes += double(c) * options.bytes_per_token;
            while (visited) {
              const int n = std::countr_zero(visited);
              in[l * N + std::size_t(n)] += 1.0;
              visited &= visited - 1;
            }
          }
        }
      }
    }
    for (std::size_t l = 0; l < L; ++l) {
      auto& lm = m.layers[l];
      double busiest = 0.0;
      for (std::size_t n = 0; n < N; ++n)
        busiest = std::max({busiest, in[l * N + n], out[l * N + n]});
      lm.busiest_link_bytes += busiest * options.bytes_per_token;
      const double* gl = gload.data() + l * G;
      lm.gpu_load_max += *std::max_element(gl, gl + G);
      lm.gpu_load_mean += std::accumulate(gl, gl + G, 0.0) / double(G);
      if (!timed) continue;
      double slowest = 0.0;
      for (std::size_t g = 0; g < G; ++g) {
        slot_tokens.clear();
        for (std::int32_t e : held[l * G + g])
          slot_tokens.push_back(slot_load[(l * G + g) * E + std::size_t(e)]);
        slowest = std::max(slowest, options.expert_seconds(slot_tokens));
      }
      lm.expert_seconds = std::max(0.0, lm.expert_seconds) + slowest;
    }
    m.tokens_per_node_max += *std::max_element(node_tokens.begin(), node_tokens.end());
    m.tokens_per_node_mean += std::accumulate(node_tokens.begin(), node_tokens.end(), 0.0) / double(N);
    m.requests_per_node_max += *std::max_element(node_reqs.begin(), node_reqs.end());
    m.requests_per_node_mean += std::accumulate(node_reqs.begin(), node_reqs.end(), 0.0) / double(N);
    for (std::size_t r = w0; r < w1; ++r)
      m.traffic_tokens += test.traffic_tokens[r];
    if (options.all_to_all_time) timer.end_batch(m.layers);
  }
  for (const auto& lm : m.layers) {
    m.total.pairs += lm.pairs;
    m.total.inter_node_pairs += lm.inter_node_pairs;
    m.total.dedup_bytes += lm.dedup_bytes;
    m.total.busiest_link_bytes += lm.busiest_link_bytes;
    m.total.gpu_load_max += lm.gpu_load_max;
    m.total.gpu_load_mean += lm.gpu_load_mean;
    if (lm.a2a_normal_seconds >= 0)
      m.total.a2a_normal_seconds = std::max(0.0, m.total.a2a_normal_seconds) + lm.a2a_normal_seconds;
    if (lm.a2a_low_latency_seconds >= 0)
      m.total.a2a_low_latency_seconds = std::max(0.0, m.total.a2a_low_latency_seconds) + lm.a2a_low_latency_seconds;
    if (lm.expert_seconds >= 0) m.total.expert_seconds = std::max(0.0, m.total.expert_seconds) + lm.expert_seconds;
  }
  return m;
}

} // namespace moescope::placement
