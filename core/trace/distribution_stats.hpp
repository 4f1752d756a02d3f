#pragma once
// Statistics of one distribution or a pair of them (expert loads, per-request activation counts): imbalance,
// entropy, divergence and correlation. Used by the trace statistics, the synthetic-routing fit and its comparison.
#include <cstddef>
#include <span>

namespace moescope::trace {

double mean_of(std::span<const double> x);
// Population standard deviation / mean; 0 for an empty or all-zero vector.
double coefficient_of_variation(std::span<const double> x);
// max / mean; 0 for an all-zero vector.
double max_over_mean(std::span<const double> x);
// Gini coefficient, sum_ij |xi - xj| / (2 n^2 mean): 0 = perfectly even, (n-1)/n = all on one expert.
double gini(std::span<const double> x);
// Shannon entropy in bits of x / sum(x).
double entropy_bits(std::span<const double> x);
// Jensen-Shannon divergence in bits (0..1) of p/sum(p) and q/sum(q).
double jensen_shannon(std::span<const double> p, std::span<const double> q);
// Pearson correlation; NaN when either vector is constant.
double pearson(std::span<const double> x, std::span<const double> y);
// Spearman rank correlation (ties get their average rank); NaN when either vector is constant.
double spearman(std::span<const double> x, std::span<const double> y);
// Mutual information in bits of a joint count matrix (rows x cols, row-major).
double mutual_information_bits(std::span<const double> joint, std::size_t rows, std::size_t cols);

} // namespace moescope::trace
