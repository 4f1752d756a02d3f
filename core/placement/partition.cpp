#include "placement/partition.hpp"

#include <algorithm>
#include <numeric>

namespace moescope::placement {

void refine_partition(const float* W, std::span<const double> vw, std::int32_t parts, std::vector<std::int32_t>& part,
                      const PartitionOptions& o) {
  const std::size_t n = vw.size(), P = std::size_t(parts);
  if (P < 2 || n < 2) return;
  std::vector<double> conn(n * P, 0.0), load(P, 0.0);
  for (std::size_t v = 0; v < n; ++v) {
    load[std::size_t(part[v])] += vw[v];
    for (std::size_t u = 0; u < n; ++u)
      conn[v * P + std::size_t(part[u])] += W[v * n + u];
  }
  const double cap = o.load_cap * std::accumulate(vw.begin(), vw.end(), 0.0) / double(P);
  const std::int32_t max_swaps = o.max_swaps > 0 ? o.max_swaps : std::int32_t(2 * n);
  for (std::int32_t it = 0; it < max_swaps; ++it) {
    double best = 1e-9;
    std::size_t ba = 0, bb = 0;
    bool found = false;
    for (std::size_t a = 0; a < n; ++a) {
      const auto p = std::size_t(part[a]);
      const double* ca = conn.data() + a * P;
      for (std::size_t b = a + 1; b < n; ++b) {
        const auto q = std::size_t(part[b]);
        if (p == q) continue;
        const double* cb = conn.data() + b * P;
        const double gain = ca[q] - ca[p] + cb[p] - cb[q] - 2.0 * W[a * n + b];
        if (gain <= best) continue;
        const double lp = load[p] - vw[a] + vw[b], lq = load[q] - vw[b] + vw[a];
        const double limit = std::max(cap, std::max(load[p], load[q]));
        if (std::max(lp, lq) > limit + 1e-9) continue;
        best = gain;
        ba = a;
        bb = b;
        found = true;
      }
    }
    if (!found) break;
    const auto p = std::size_t(part[ba]), q = std::size_t(part[bb]);
    for (std::size_t v = 0; v < n; ++v) {
      conn[v * P + p] += double(W[v * n + bb]) - W[v * n + ba];
      conn[v * P + q] += double(W[v * n + ba]) - W[v * n + bb];
    }
    load[p] += vw[bb] - vw[ba];
    load[q] += vw[ba] - vw[bb];
    part[ba] = std::int32_t(q);
    part[bb] = std::int32_t(p);
  }
}

std::vector<std::int32_t> balanced_partition(const float* W, std::span<const double> vw, std::int32_t parts,
                                             std::int32_t capacity, const PartitionOptions& o) {
  const std::size_t n = vw.size(), P = std::size_t(parts);
  std::vector<std::int32_t> part(n, -1);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return vw[a] > vw[b]; });
  const double cap = o.load_cap * std::accumulate(vw.begin(), vw.end(), 0.0) / double(P);
  std::vector<double> load(P, 0.0), conn(P);
  std::vector<std::int32_t> fill(P, 0);
  for (std::size_t v : order) {
    std::fill(conn.begin(), conn.end(), 0.0);
    for (std::size_t u = 0; u < n; ++u)
      if (part[u] >= 0) conn[std::size_t(part[u])] += W[v * n + u];
    std::size_t best = P;
    for (int pass = 0; pass < 2 && best == P; ++pass)
      for (std::size_t p = 0; p < P; ++p) {
        if (fill[p] >= capacity) continue;
        if (pass == 0 && load[p] + vw[v] > cap) continue;
        if (best == P || conn[p] > conn[best] || (conn[p] == conn[best] && load[p] < load[best])) best = p;
      }
    part[v] = std::int32_t(best);
    load[best] += vw[v];
    ++fill[best];
  }
  refine_partition(W, vw, parts, part, o);
  return part;
}

double partition_cut(const float* W, std::size_t n, const std::vector<std::int32_t>& part) {
  double cut = 0.0;
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = a + 1; b < n; ++b)
      if (part[a] != part[b]) cut += W[a * n + b];
  return cut;
}

} // namespace moescope::placement
