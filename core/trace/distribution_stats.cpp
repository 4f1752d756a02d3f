#include "trace/distribution_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace moescope::trace {

double mean_of(std::span<const double> x) {
  if (x.empty()) return 0;
  return std::accumulate(x.begin(), x.end(), 0.0) / double(x.size());
}

double coefficient_of_variation(std::span<const double> x) {
  const double m = mean_of(x);
  if (m <= 0) return 0;
  double ss = 0;
  for (double v : x)
    ss += (v - m) * (v - m);
  return std::sqrt(ss / double(x.size())) / m;
}

double max_over_mean(std::span<const double> x) {
  const double m = mean_of(x);
  if (m <= 0) return 0;
  return *std::max_element(x.begin(), x.end()) / m;
}

double gini(std::span<const double> x) {
  if (x.empty()) return 0;
  std::vector<double> s(x.begin(), x.end());
  std::sort(s.begin(), s.end());
  const double total = std::accumulate(s.begin(), s.end(), 0.0);
  if (total <= 0) return 0;
  const double n = double(s.size());
  double weighted = 0;
  for (std::size_t i = 0; i < s.size(); ++i)
    weighted += double(i + 1) * s[i];
  return 2.0 * weighted / (n * total) - (n + 1.0) / n;
}

double entropy_bits(std::span<const double> x) {
  const double total = std::accumulate(x.begin(), x.end(), 0.0);
  if (total <= 0) return 0;
  double h = 0;
  for (double v : x)
    if (v > 0) {
      const double p = v / total;
      h -= p * std::log2(p);
    }
  return h;
}

double jensen_shannon(std::span<const double> p, std::span<const double> q) {
  const double sp = std::accumulate(p.begin(), p.end(), 0.0);
  const double sq = std::accumulate(q.begin(), q.end(), 0.0);
  if (sp <= 0 || sq <= 0 || p.size() != q.size()) return 0;
  double js = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double a = p[i] / sp, b = q[i] / sq, m = 0.5 * (a + b);
    if (a > 0) js += 0.5 * a * std::log2(a / m);
    if (b > 0) js += 0.5 * b * std::log2(b / m);
  }
  return std::max(0.0, js);
}

double pearson(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  const double mx = mean_of(x.first(n)), my = mean_of(y.first(n));
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx <= 0 || syy <= 0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

namespace {
std::vector<double> ranks(std::span<const double> x) {
  std::vector<std::size_t> idx(x.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j + 1 < idx.size() && x[idx[j + 1]] == x[idx[i]])
      ++j;
    const double avg = 0.5 * double(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k)
      r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}
} // namespace

double spearman(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = std::min(x.size(), y.size());
  const auto rx = ranks(x.first(n)), ry = ranks(y.first(n));
  return pearson(rx, ry);
}

double mutual_information_bits(std::span<const double> joint, std::size_t rows, std::size_t cols) {
  const double total = std::accumulate(joint.begin(), joint.end(), 0.0);
  if (total <= 0) return 0;
  std::vector<double> pr(rows, 0), pc(cols, 0);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) {
      pr[i] += joint[i * cols + j];
      pc[j] += joint[i * cols + j];
    }
  double mi = 0;
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) {
      const double v = joint[i * cols + j];
      if (v > 0) mi += v / total * std::log2(v * total / (pr[i] * pc[j]));
    }
  return std::max(0.0, mi);
}

} // namespace moescope::trace
