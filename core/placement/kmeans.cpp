#include "placement/kmeans.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>

#include "network/routing.hpp"
#include "placement/strategy.hpp"

namespace moescope::placement {
namespace {

double dist2(const float* a, const float* b, std::size_t dim) {
  double s = 0.0;
  for (std::size_t i = 0; i < dim; ++i) {
    const double d = double(a[i]) - b[i];
    s += d * d;
  }
  return s;
}

KMeansResult run_once(const std::vector<float>& rows, std::size_t n, std::size_t dim, std::int32_t k,
                      std::uint64_t seed, int max_iterations) {
  KMeansResult res;
  const auto K = std::size_t(k);
  res.centroids.assign(K * dim, 0.0f);
  res.label.assign(n, 0);
  if (n == 0) return res;
  SplitMix rng(seed);
  // k-means++ seeding
  std::vector<double> d2(n, std::numeric_limits<double>::infinity());
  std::size_t first = std::size_t(rng.next() % n);
  std::copy_n(rows.data() + first * dim, dim, res.centroids.data());
  for (std::size_t c = 1; c < K; ++c) {
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      d2[i] = std::min(d2[i], dist2(rows.data() + i * dim, res.centroids.data() + (c - 1) * dim, dim));
      total += d2[i];
    }
    std::size_t pick = std::size_t(rng.next() % n);
    if (total > 0.0) {
      double u = rng.uniform() * total;
      for (std::size_t i = 0; i < n; ++i) {
        u -= d2[i];
        if (u <= 0.0) {
          pick = i;
          break;
        }
      }
    }
    std::copy_n(rows.data() + pick * dim, dim, res.centroids.data() + c * dim);
  }
  // The assignment step is one float GEMM, rows x centroids^T: |x - c|^2 = |x|^2 - 2 x.c + |c|^2, with the norms in
  // double. It is what dominates (n x k x dim multiply-adds per iteration).
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> x(rows.data(), Eigen::Index(n), Eigen::Index(dim));
  const Eigen::Map<const RowMajor> centroids(res.centroids.data(), Eigen::Index(K), Eigen::Index(dim));
  const Eigen::VectorXd row_norm2 = x.cast<double>().rowwise().squaredNorm();
  Eigen::MatrixXf dots(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(K));
  std::vector<double> sum(K * dim);
  std::vector<std::size_t> count(K);
  std::vector<double> best_d(n);
  for (int it = 0; it < max_iterations; ++it) {
    bool changed = it == 0;
    dots.noalias() = x * centroids.transpose();
    const Eigen::VectorXd centroid_norm2 = centroids.cast<double>().rowwise().squaredNorm();
    for (std::size_t i = 0; i < n; ++i) {
      double bd = std::numeric_limits<double>::infinity();
      std::int32_t bl = 0;
      for (std::size_t c = 0; c < K; ++c) {
        const double d =
            std::max(0.0, row_norm2[Eigen::Index(i)] - 2.0 * double(dots(Eigen::Index(i), Eigen::Index(c))) +
                              centroid_norm2[Eigen::Index(c)]);
        if (d < bd) {
          bd = d;
          bl = std::int32_t(c);
        }
      }
      best_d[i] = bd;
      if (res.label[i] != bl) changed = true;
      res.label[i] = bl;
    }
    if (!changed) break;
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = std::size_t(res.label[i]);
      ++count[c];
      for (std::size_t j = 0; j < dim; ++j)
        sum[c * dim + j] += rows[i * dim + j];
    }
    for (std::size_t c = 0; c < K; ++c) {
      if (count[c] == 0) { // empty cluster: restart it at the row farthest from its centroid
        std::size_t far = std::size_t(std::max_element(best_d.begin(), best_d.end()) - best_d.begin());
        std::copy_n(rows.data() + far * dim, dim, res.centroids.data() + c * dim);
        best_d[far] = 0.0;
        continue;
      }
      for (std::size_t j = 0; j < dim; ++j)
        res.centroids[c * dim + j] = float(sum[c * dim + j] / double(count[c]));
    }
  }
  res.inertia = 0.0;
  for (std::size_t i = 0; i < n; ++i)
    res.inertia += dist2(rows.data() + i * dim, res.centroids.data() + std::size_t(res.label[i]) * dim, dim);
  return res;
}

} // namespace

KMeansResult kmeans(const std::vector<float>& rows, std::size_t n, std::size_t dim, std::int32_t k, std::uint64_t seed,
                    int max_iterations, int restarts) {
  KMeansResult best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (int r = 0; r < std::max(1, restarts); ++r) {
    auto res = run_once(rows, n, dim, k, seed * 7919 + std::uint64_t(r) * 104729 + 1, max_iterations);
    if (res.inertia < best.inertia) best = std::move(res);
  }
  return best;
}

KMeansResult cluster_requests(const RoutingStats& s, std::int32_t k, std::uint64_t seed,
                              std::vector<std::size_t>& used) {
  const std::size_t V = s.vec_size();
  used.clear();
  for (std::size_t r = 0; r < s.num_requests(); ++r)
    if (s.traffic_tokens[r] > 0) used.push_back(r);
  std::vector<float> rows(used.size() * V);
  for (std::size_t i = 0; i < used.size(); ++i) {
    const auto v = s.traffic(used[i]);
    double norm = 0.0;
    for (float x : v)
      norm += double(x) * x;
    norm = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
    for (std::size_t j = 0; j < V; ++j)
      rows[i * V + j] = float(v[j] * norm);
  }
  return kmeans(rows, used.size(), V, k, seed);
}

HomingPolicy centroid_homing(const KMeansResult& km, std::int32_t k, std::size_t V, double balance_cap) {
  HomingPolicy h;
  h.kind = HomingKind::centroid;
  h.nodes = k;
  h.vec_size = V;
  h.balance_cap = balance_cap;
  h.weights = km.centroids;
  h.bias.assign(std::size_t(k), 0.0f);
  for (std::size_t c = 0; c < std::size_t(k); ++c) {
    double n2 = 0.0;
    for (std::size_t j = 0; j < V; ++j)
      n2 += double(km.centroids[c * V + j]) * km.centroids[c * V + j];
    h.bias[c] = float(-n2);
  }
  return h;
}

std::vector<double> cluster_utility(const RoutingStats& s, const KMeansResult& km, const std::vector<std::size_t>& used,
                                    std::size_t k) {
  const std::size_t V = s.vec_size();
  std::vector<double> util(k * V, 0.0);
  for (std::size_t i = 0; i < used.size(); ++i) {
    const auto v = s.traffic(used[i]);
    double* u = util.data() + std::size_t(km.label[i]) * V;
    for (std::size_t j = 0; j < V; ++j)
      u[j] += v[j];
  }
  return util;
}

std::vector<std::int32_t> utility_assignment(const std::vector<double>& util, std::size_t l, std::size_t E,
                                             std::size_t N, std::size_t V, std::size_t cap) {
  std::vector<std::pair<double, std::size_t>> pairs; // (utility, c * E + e)
  for (std::size_t c = 0; c < N; ++c)
    for (std::size_t e = 0; e < E; ++e)
      pairs.push_back({util[c * V + l * E + e], c * E + e});
  std::stable_sort(pairs.begin(), pairs.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<std::int32_t> node_of(E, -1);
  std::vector<std::size_t> fill(N, 0);
  for (const auto& [u, ce] : pairs) {
    if (u <= 0.0) break;
    const std::size_t c = ce / E, e = ce % E;
    if (node_of[e] >= 0 || fill[c] >= cap) continue;
    node_of[e] = std::int32_t(c);
    ++fill[c];
  }
  for (std::size_t e = 0; e < E; ++e) {
    if (node_of[e] >= 0) continue;
    const std::size_t c = std::size_t(std::min_element(fill.begin(), fill.end()) - fill.begin());
    node_of[e] = std::int32_t(c);
    ++fill[c];
  }
  return node_of;
}

} // namespace moescope::placement
