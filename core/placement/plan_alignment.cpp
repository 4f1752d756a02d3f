#include "placement/plan_alignment.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace moescope::placement {

std::vector<std::int32_t> max_weight_assignment(std::span<const double> weight, std::size_t n) {
  if (weight.size() != n * n) throw std::invalid_argument("max_weight_assignment: not an n x n matrix");
  // Shortest augmenting paths with potentials on the cost -weight; index 0 is a virtual row/column.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(n + 1, 0.0), min_to(n + 1);
  std::vector<std::size_t> row_of(n + 1, 0), way(n + 1, 0);
  std::vector<char> used(n + 1);
  for (std::size_t i = 1; i <= n; ++i) {
    row_of[0] = i;
    std::size_t j0 = 0;
    std::fill(min_to.begin(), min_to.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const std::size_t i0 = row_of[j0];
      double delta = inf;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= n; ++j) {
        if (used[j]) continue;
        const double cur = -weight[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
        if (cur < min_to[j]) min_to[j] = cur, way[j] = j0;
        if (min_to[j] < delta) delta = min_to[j], j1 = j;
      }
      for (std::size_t j = 0; j <= n; ++j) {
        if (used[j]) {
          u[row_of[j]] += delta;
          v[j] -= delta;
        } else {
          min_to[j] -= delta;
        }
      }
      j0 = j1;
    } while (row_of[j0] != 0);
    do {
      const std::size_t j1 = way[j0];
      row_of[j0] = row_of[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<std::int32_t> column(n, 0);
  for (std::size_t j = 1; j <= n; ++j)
    column[row_of[j] - 1] = std::int32_t(j - 1);
  return column;
}

namespace {

constexpr std::size_t kExactGpusPerNode = 16;

void relabel(Placement& p, const std::vector<std::int32_t>& gpu_map) {
  for (auto& g : p.replica_gpus)
    g = gpu_map[std::size_t(g)];
}

} // namespace

void align_plan(const PlacementPlan& current, PlacementPlan& next, std::int32_t gpus_per_node) {
  if (current.layers.size() != next.layers.size() || current.layers.empty()) return;
  const std::int32_t G = current.layers.front().num_gpus, gpn = gpus_per_node, N = G / gpn;
  const auto nodes = std::size_t(N), per = std::size_t(gpn);
  // Nodes: weight[old][new] = (layer, expert) pairs with a copy on both.
  std::vector<double> w(nodes * nodes, 0.0);
  std::vector<char> on_old(nodes), on_new(nodes);
  for (std::size_t l = 0; l < current.layers.size(); ++l) {
    const Placement &a = current.layers[l], &b = next.layers[l];
    for (std::int32_t e = 0; e < a.num_experts; ++e) {
      std::fill(on_old.begin(), on_old.end(), 0);
      std::fill(on_new.begin(), on_new.end(), 0);
      for (std::int32_t i = 0; i < a.replicas(e); ++i)
        on_old[std::size_t(a.replicas_begin(e)[i] / gpn)] = 1;
      for (std::int32_t i = 0; i < b.replicas(e); ++i)
        on_new[std::size_t(b.replicas_begin(e)[i] / gpn)] = 1;
      for (std::size_t o = 0; o < nodes; ++o)
        if (on_old[o])
          for (std::size_t n = 0; n < nodes; ++n)
            w[o * nodes + n] += on_new[n];
    }
  }
  const auto node_col = max_weight_assignment(w, nodes); // old node o takes new node node_col[o]
  std::vector<std::int32_t> new_to_old(nodes);
  for (std::size_t o = 0; o < nodes; ++o)
    new_to_old[std::size_t(node_col[o])] = std::int32_t(o);
  std::vector<std::int32_t> gpu_map(static_cast<std::size_t>(G));
  for (std::int32_t g = 0; g < G; ++g)
    gpu_map[std::size_t(g)] = new_to_old[std::size_t(g / gpn)] * gpn + g % gpn;
  for (auto& p : next.layers)
    relabel(p, gpu_map);
  auto& h = next.homing;
  if (h.nodes == N && h.weights.size() == nodes * h.vec_size) {
    std::vector<float> weights(h.weights.size());
    for (std::size_t n = 0; n < nodes; ++n)
      std::copy_n(h.weights.begin() + std::ptrdiff_t(n * h.vec_size), h.vec_size,
                  weights.begin() + std::ptrdiff_t(std::size_t(new_to_old[n]) * h.vec_size));
    h.weights = std::move(weights);
  }
  if (h.bias.size() == nodes) {
    std::vector<float> bias(nodes);
    for (std::size_t n = 0; n < nodes; ++n)
      bias[std::size_t(new_to_old[n])] = h.bias[n];
    h.bias = std::move(bias);
  }
  // GPUs within each node, per layer: weight[old local][new local] = experts on both; the Hungarian method up to
  // kExactGpusPerNode GPUs, greedy (heaviest pairs first) above, where gpus_per_node^3 per node and layer would not
  // stay small.
  std::vector<std::vector<std::pair<std::int32_t, std::int32_t>>> shared(nodes); // (old local, new local) per copy
  std::vector<double> wg;
  std::vector<std::int32_t> col(per);
  for (std::size_t l = 0; l < current.layers.size(); ++l) {
    const Placement& a = current.layers[l];
    Placement& b = next.layers[l];
    for (auto& v : shared)
      v.clear();
    for (std::int32_t e = 0; e < a.num_experts; ++e)
      for (std::int32_t i = 0; i < a.replicas(e); ++i) {
        const std::int32_t ga = a.replicas_begin(e)[i];
        for (std::int32_t j = 0; j < b.replicas(e); ++j) {
          const std::int32_t gb = b.replicas_begin(e)[j];
          if (gb / gpn == ga / gpn) shared[std::size_t(ga / gpn)].emplace_back(ga % gpn, gb % gpn);
        }
      }
    for (std::int32_t node = 0; node < N; ++node) {
      auto& pairs = shared[std::size_t(node)];
      if (per <= kExactGpusPerNode) {
        wg.assign(per * per, 0.0);
        for (const auto& [o, n] : pairs)
          wg[std::size_t(o) * per + std::size_t(n)] += 1.0;
        col = max_weight_assignment(wg, per);
      } else {
        std::sort(pairs.begin(), pairs.end());
        std::vector<std::pair<std::int32_t, std::pair<std::int32_t, std::int32_t>>> counted; // (-count, pair)
        for (std::size_t i = 0; i < pairs.size();) {
          std::size_t k = i;
          while (k < pairs.size() && pairs[k] == pairs[i])
            ++k;
          counted.push_back({-std::int32_t(k - i), pairs[i]});
          i = k;
        }
        std::sort(counted.begin(), counted.end());
        std::vector<char> old_used(per, 0), new_used(per, 0);
        std::fill(col.begin(), col.end(), -1);
        for (const auto& [neg, pr] : counted)
          if (!old_used[std::size_t(pr.first)] && !new_used[std::size_t(pr.second)]) {
            col[std::size_t(pr.first)] = pr.second;
            old_used[std::size_t(pr.first)] = new_used[std::size_t(pr.second)] = 1;
          }
        std::size_t free_new = 0;
        for (std::size_t o = 0; o < per; ++o) {
          if (col[o] >= 0) continue;
          while (new_used[free_new])
            ++free_new;
          col[o] = std::int32_t(free_new);
          new_used[free_new] = 1;
        }
      }
      for (std::int32_t g = 0; g < G; ++g)
        gpu_map[std::size_t(g)] = g;
      for (std::size_t o = 0; o < per; ++o)
        gpu_map[std::size_t(node * gpn + col[o])] = node * gpn + std::int32_t(o);
      relabel(b, gpu_map);
    }
  }
}

} // namespace moescope::placement
