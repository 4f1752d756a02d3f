// Homing policies, the registry, and building blocks shared by the placement strategies.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "placement/strategy.hpp"

namespace moescope::placement {

std::string to_string(HomingKind k) {
  switch (k) {
  case HomingKind::balanced:
    return "balanced";
  case HomingKind::affinity:
    return "affinity";
  case HomingKind::centroid:
    return "centroid";
  }
  return "?";
}

void HomingPolicy::scores(std::span<const float> h, std::span<double> out) const {
  std::fill(out.begin(), out.end(), 0.0);
  if (kind == HomingKind::balanced) return;
  double norm = 0.0;
  for (float x : h)
    norm += kind == HomingKind::centroid ? double(x) * x : double(x);
  if (kind == HomingKind::centroid) norm = std::sqrt(norm);
  if (norm <= 0.0) return;
  for (std::int32_t n = 0; n < nodes; ++n) {
    const float* w = weights.data() + std::size_t(n) * vec_size;
    double dot = 0.0;
    for (std::size_t v = 0; v < vec_size; ++v)
      dot += double(h[v]) * w[v];
    dot /= norm;
    out[std::size_t(n)] = kind == HomingKind::centroid ? 2.0 * dot + (bias.empty() ? 0.0 : bias[std::size_t(n)]) : dot;
  }
}

std::vector<std::int32_t> HomingPolicy::assign(std::span<const std::span<const float>> vecs,
                                               std::span<const double> weight) const {
  const std::size_t R = vecs.size();
  const auto N = std::size_t(std::max(1, nodes));
  std::vector<std::int32_t> node(R, 0);
  if (R == 0) return node;
  std::vector<double> sc(R * N, 0.0), margin(R, 0.0);
  for (std::size_t r = 0; r < R; ++r) {
    std::span<double> s(sc.data() + r * N, N);
    scores(vecs[r], s);
    double best = -std::numeric_limits<double>::infinity(), second = best;
    for (double x : s) {
      if (x > best) {
        second = best;
        best = x;
      } else if (x > second) {
        second = x;
      }
    }
    margin[r] = N > 1 ? best - second : 0.0;
  }
  std::vector<std::size_t> order(R);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
  const double cap = balance_cap * total / double(N);
  // requests larger than both the cap's slack and the mean request first (largest first), so that they still find
  // room; then by margin
  const double slack = std::max((balance_cap - 1.0) * total / double(N), total / double(R));
  if (kind == HomingKind::balanced)
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return weight[a] > weight[b]; });
  else
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) {
      const bool la = weight[a] > slack, lb = weight[b] > slack;
      if (la != lb) return la;
      if (la) return weight[a] > weight[b];
      return margin[a] > margin[b];
    });
  std::vector<double> load(N, 0.0);
  std::vector<std::size_t> cand(N);
  for (std::size_t r : order) {
    std::size_t least = 0;
    for (std::size_t n = 1; n < N; ++n)
      if (load[n] < load[least]) least = n;
    std::size_t chosen = least;
    if (kind != HomingKind::balanced) {
      std::iota(cand.begin(), cand.end(), std::size_t{0});
      const double* s = sc.data() + r * N;
      std::stable_sort(cand.begin(), cand.end(), [&](auto a, auto b) { return s[a] > s[b]; });
      for (std::size_t n : cand)
        if (load[n] + weight[r] <= cap + 1e-9) {
          chosen = n;
          break;
        }
    }
    node[r] = std::int32_t(chosen);
    load[chosen] += weight[r];
  }
  return node;
}

HomingPolicy affinity_homing(const std::vector<Placement>& layers, std::int32_t nodes, std::int32_t gpus_per_node,
                             std::size_t num_experts, double balance_cap) {
  HomingPolicy h;
  h.kind = HomingKind::affinity;
  h.nodes = nodes;
  h.vec_size = layers.size() * num_experts;
  h.balance_cap = balance_cap;
  h.weights.assign(std::size_t(nodes) * h.vec_size, 0.0f);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const auto& p = layers[l];
    for (std::int32_t e = 0; e < p.num_experts; ++e) {
      // A copy on node n serves n's tokens under both node-first rules (same_node_first, node_cover): local to n.
      for (const std::int32_t* g = p.replicas_begin(e); g != p.replicas_begin(e) + p.replicas(e); ++g)
        h.weights[std::size_t(*g / gpus_per_node) * h.vec_size + l * num_experts + std::size_t(e)] = 1.0f;
    }
  }
  return h;
}

namespace detail {

std::vector<double> request_weights(const RoutingStats& stats) {
  return stats.traffic_tokens;
}

std::vector<std::int32_t> home_requests(const HomingPolicy& policy, const RoutingStats& stats) {
  std::vector<std::span<const float>> vecs(stats.num_requests());
  for (std::size_t r = 0; r < vecs.size(); ++r)
    vecs[r] = stats.homing(r);
  const auto w = request_weights(stats);
  return policy.assign(vecs, w);
}

void balanced_packing(std::span<const double> weight, std::int32_t packs, std::vector<std::int32_t>& pack,
                      std::vector<std::int32_t>& rank) {
  const std::size_t n = weight.size();
  pack.assign(n, -1);
  rank.assign(n, -1);
  if (packs < 1) throw std::invalid_argument("balanced_packing: no packs");
  const std::size_t per_pack = (n + std::size_t(packs) - 1) / std::size_t(packs);
  if (per_pack == 1 && n == std::size_t(packs)) { // eplb.py: one item per pack keeps the identity
    for (std::size_t i = 0; i < n; ++i) {
      pack[i] = std::int32_t(i);
      rank[i] = 0;
    }
    return;
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return weight[a] > weight[b]; });
  std::vector<double> pw(std::size_t(packs), 0.0);
  std::vector<std::size_t> items(std::size_t(packs), 0);
  for (std::size_t i : order) {
    std::size_t best = std::size_t(-1);
    for (std::size_t p = 0; p < std::size_t(packs); ++p)
      if (items[p] < per_pack && (best == std::size_t(-1) || pw[p] < pw[best])) best = p;
    pack[i] = std::int32_t(best);
    rank[i] = std::int32_t(items[best]);
    pw[best] += weight[i];
    ++items[best];
  }
}

void replicate_experts(std::span<const double> weight, std::int32_t num_phy, std::vector<std::int32_t>& phy2log,
                       std::vector<std::int32_t>& rank, std::vector<std::int32_t>& count) {
  const auto num_log = std::int32_t(weight.size());
  if (num_phy < num_log) throw std::invalid_argument("replicate_experts: fewer physical than logical experts");
  phy2log.resize(std::size_t(num_phy));
  rank.assign(std::size_t(num_phy), 0);
  count.assign(std::size_t(num_log), 1);
  for (std::int32_t i = 0; i < num_log; ++i)
    phy2log[std::size_t(i)] = i;
  for (std::int32_t i = num_log; i < num_phy; ++i) {
    std::int32_t best = 0;
    double bv = -1.0;
    for (std::int32_t e = 0; e < num_log; ++e) {
      const double v = weight[std::size_t(e)] / count[std::size_t(e)];
      if (v > bv) {
        bv = v;
        best = e;
      }
    }
    phy2log[std::size_t(i)] = best;
    rank[std::size_t(i)] = count[std::size_t(best)];
    ++count[std::size_t(best)];
  }
}

void pack_node_to_gpus(const std::vector<std::pair<std::int32_t, double>>& node_experts, std::int32_t node,
                       std::int32_t gpus_per_node, std::vector<std::vector<std::int32_t>>& lists) {
  std::vector<double> w(node_experts.size());
  for (std::size_t i = 0; i < w.size(); ++i)
    w[i] = node_experts[i].second;
  std::vector<std::int32_t> pack, rank;
  balanced_packing(w, gpus_per_node, pack, rank);
  for (std::size_t i = 0; i < w.size(); ++i) {
    auto& l = lists[std::size_t(node_experts[i].first)];
    const std::int32_t g = node * gpus_per_node + pack[i];
    if (std::find(l.begin(), l.end(), g) == l.end()) l.push_back(g);
  }
}

Placement node_assignment_to_placement(const std::vector<std::int32_t>& node_of, std::span<const double> load,
                                       std::int32_t nodes, std::int32_t gpus_per_node,
                                       const std::vector<std::vector<std::pair<std::int32_t, double>>>& extra) {
  const std::size_t E = node_of.size();
  std::vector<std::vector<std::pair<std::int32_t, double>>> per_node(static_cast<std::size_t>(nodes));
  std::vector<int> copies(E, 1);
  for (const auto& x : extra)
    for (const auto& [e, w] : x)
      ++copies[std::size_t(e)];
  for (std::size_t e = 0; e < E; ++e) {
    // the home replica keeps what the extra replicas do not take
    double w = load[e];
    for (const auto& x : extra)
      for (const auto& [f, wf] : x)
        if (std::size_t(f) == e) w -= wf;
    per_node[std::size_t(node_of[e])].push_back({std::int32_t(e), std::max(0.0, w)});
  }
  for (std::size_t n = 0; n < extra.size() && n < per_node.size(); ++n)
    per_node[n].insert(per_node[n].end(), extra[n].begin(), extra[n].end());
  std::vector<std::vector<std::int32_t>> lists(E);
  for (std::int32_t n = 0; n < nodes; ++n)
    pack_node_to_gpus(per_node[std::size_t(n)], n, gpus_per_node, lists);
  return Placement::from_lists(nodes * gpus_per_node, lists, ReplicaChoice::same_node_first);
}

} // namespace detail

const std::vector<std::unique_ptr<PlacementStrategy>>& placement_strategies() {
  return Registry<PlacementStrategy>::entries();
}

const PlacementStrategy* find_placement_strategy(const std::string& name) {
  return Registry<PlacementStrategy>::find(name);
}

std::vector<std::string> placement_strategy_names() {
  return Registry<PlacementStrategy>::names();
}

} // namespace moescope::placement
