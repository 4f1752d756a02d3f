#include "network/routing.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "network/group_limited_selection.hpp"

namespace moescope {

bool ExpectedRouting::group_limited() const {
  return power_law_exponent == 0.0 && GroupLimitedSelection::applies(num_experts, num_groups, groups_per_token, top_k);
}

std::vector<double> inclusion_probabilities(const ExpectedRouting& r) {
  const std::int32_t n = r.num_experts;
  if (n < 1 || r.top_k < 1 || r.top_k > n) throw std::invalid_argument("routing: need 1 <= top_k <= experts");
  std::vector<double> weight(static_cast<std::size_t>(n));
  for (std::int32_t rank = 0; rank < n; ++rank) {
    const std::int32_t e = r.popularity_order.empty() ? rank : r.popularity_order[static_cast<std::size_t>(rank)];
    weight[static_cast<std::size_t>(e)] = std::pow(static_cast<double>(rank + 1), -r.power_law_exponent);
  }
  std::vector<double> pi(weight.size(), 0.0);
  std::vector<bool> capped(weight.size(), false);
  double budget = r.top_k;
  for (int iter = 0; iter < n; ++iter) {
    double sum = 0.0;
    for (std::size_t e = 0; e < weight.size(); ++e)
      if (!capped[e]) sum += weight[e];
    bool changed = false;
    for (std::size_t e = 0; e < weight.size(); ++e) {
      if (capped[e]) continue;
      pi[e] = budget * weight[e] / sum;
      if (pi[e] > 1.0) {
        capped[e] = true;
        pi[e] = 1.0;
        budget -= 1.0;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return pi;
}

TokenRouting sample_token_routing(const ExpectedRouting& r, std::int32_t num_gpus, std::uint64_t seed) {
  const std::vector<double> pi = inclusion_probabilities(r);
  const auto tokens_per_gpu = static_cast<std::int32_t>(std::llround(r.tokens_per_gpu));
  TokenRouting out;
  out.top_k = r.top_k;
  out.source_gpu.resize(static_cast<std::size_t>(tokens_per_gpu) * num_gpus);
  out.experts.resize(out.source_gpu.size() * static_cast<std::size_t>(r.top_k));
  SplitMix rng(seed);
  std::vector<std::int32_t> order(pi.size());
  std::iota(order.begin(), order.end(), 0);
  std::size_t t = 0;
  for (std::int32_t g = 0; g < num_gpus; ++g)
    for (std::int32_t i = 0; i < tokens_per_gpu; ++i, ++t) {
      out.source_gpu[t] = g;
      for (std::size_t j = order.size() - 1; j > 0; --j)
        std::swap(order[j], order[static_cast<std::size_t>(rng.next() % (j + 1))]);
      // Systematic sampling: points u, u+1, ..., u+k-1 on the cumulative sum of pi (total k); an expert with
      // pi <= 1 covers at most one point, so the k experts are distinct and P(e selected) = pi_e exactly.
      const double u = rng.uniform();
      double cum = 0.0;
      std::int32_t j = 0;
      for (std::int32_t e : order) {
        const double next = cum + pi[static_cast<std::size_t>(e)];
        while (j < r.top_k && u + j < next && u + j >= cum) {
          out.experts[t * static_cast<std::size_t>(r.top_k) + static_cast<std::size_t>(j)] = e;
          ++j;
        }
        cum = next;
        if (j == r.top_k) break;
      }
      for (; j < r.top_k; ++j) // rounding at the very end of the cumulative sum
        out.experts[t * static_cast<std::size_t>(r.top_k) + static_cast<std::size_t>(j)] = order.back();
    }
  return out;
}

TokenRouting sample_group_limited_routing(std::int32_t tokens_per_gpu, std::int32_t num_gpus, std::int32_t num_experts,
                                          std::int32_t top_k, std::int32_t num_groups, std::int32_t groups_per_token,
                                          std::uint64_t seed) {
  if (num_groups < 1 || num_experts % num_groups != 0 || groups_per_token < 1 || groups_per_token > num_groups)
    throw std::invalid_argument("routing: groups must divide the experts and 1 <= groups_per_token <= groups");
  const std::int32_t per_group = num_experts / num_groups;
  if (top_k > groups_per_token * per_group)
    throw std::invalid_argument("routing: top_k exceeds the selectable experts");
  TokenRouting out;
  out.top_k = top_k;
  out.source_gpu.resize(static_cast<std::size_t>(tokens_per_gpu) * num_gpus);
  out.experts.resize(out.source_gpu.size() * static_cast<std::size_t>(top_k));
  SplitMix rng(seed);
  std::vector<double> score(static_cast<std::size_t>(num_experts));
  std::vector<std::pair<double, std::int32_t>> groups(static_cast<std::size_t>(num_groups));
  std::vector<std::pair<double, std::int32_t>> candidates;
  std::size_t t = 0;
  for (std::int32_t g = 0; g < num_gpus; ++g)
    for (std::int32_t i = 0; i < tokens_per_gpu; ++i, ++t) {
      out.source_gpu[t] = g;
      for (std::int32_t gr = 0; gr < num_groups; ++gr) {
        double best = -1.0;
        for (std::int32_t e = gr * per_group; e < (gr + 1) * per_group; ++e) {
          score[static_cast<std::size_t>(e)] = rng.uniform();
          best = std::max(best, score[static_cast<std::size_t>(e)]);
        }
        groups[static_cast<std::size_t>(gr)] = {best, gr};
      }
      std::partial_sort(groups.begin(), groups.begin() + groups_per_token, groups.end(), std::greater<>());
      candidates.clear();
      for (std::int32_t k = 0; k < groups_per_token; ++k) {
        const std::int32_t gr = groups[static_cast<std::size_t>(k)].second;
        for (std::int32_t e = gr * per_group; e < (gr + 1) * per_group; ++e)
          candidates.emplace_back(score[static_cast<std::size_t>(e)], e);
      }
      std::partial_sort(candidates.begin(), candidates.begin() + top_k, candidates.end(), std::greater<>());
      for (std::int32_t k = 0; k < top_k; ++k)
        out.experts[t * static_cast<std::size_t>(top_k) + static_cast<std::size_t>(k)] =
            candidates[static_cast<std::size_t>(k)].second;
    }
  return out;
}

} // namespace moescope
