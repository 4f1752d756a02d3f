#include "network/group_limited_selection.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

namespace moescope {

namespace {

double binomial(std::int32_t n, std::int32_t r) {
  if (r < 0 || r > n) return 0.0;
  double x = 1.0;
  for (std::int32_t i = 1; i <= r; ++i)
    x = x * (n - r + i) / i;
  return x;
}

// Count vectors with at most `groups_per_token` nonzero entries summing to top_k (an upper bound: group sizes
// are not applied).
double composition_count(std::int32_t num_groups, std::int32_t groups_per_token, std::int32_t top_k) {
  double n = 0.0;
  for (std::int32_t r = 1; r <= std::min(groups_per_token, top_k); ++r)
    n += binomial(num_groups, r) * binomial(top_k - 1, r - 1);
  return n;
}

} // namespace

bool GroupLimitedSelection::applies(std::int32_t num_experts, std::int32_t num_groups, std::int32_t groups_per_token,
                                    std::int32_t top_k) {
  if (num_groups < 2 || num_experts < 1 || num_experts % num_groups != 0) return false;
  if (groups_per_token < 1 || groups_per_token >= num_groups) return false;
  if (top_k < 1 || top_k > groups_per_token * (num_experts / num_groups)) return false;
  return composition_count(num_groups, groups_per_token, top_k) <= static_cast<double>(kMaxCompositions);
}

GroupLimitedSelection::GroupLimitedSelection(std::int32_t num_experts, std::int32_t num_groups,
                                             std::int32_t groups_per_token, std::int32_t top_k)
    : num_groups_(num_groups), per_group_(num_groups > 0 ? num_experts / num_groups : 0),
      groups_per_token_(groups_per_token), top_k_(top_k) {
  if (!applies(num_experts, num_groups, groups_per_token, top_k))
    throw std::invalid_argument("group-limited selection: need groups dividing the experts, 1 <= groups per token < "
                                "groups, top_k <= groups per token x group size, and a small enough shape");
  // Exact partition probabilities. With i.i.d. continuous scores the experts in descending score order are a uniform
  // random permutation; a group's score is its first appearance, so the kept groups are the first groups_per_token
  // to appear and the top-k are the first k experts of kept groups. Walk that order: before every kept group has
  // appeared, the next expert is from a seen group g with probability (n - c_g) / (N - sum c) and opens a new group
  // with probability (G - r) n / (N - sum c); afterwards experts of other groups are skipped, so the next kept
  // expert is from g with probability (n - c_g) / (groups_per_token n - sum c). States: sorted counts of the seen
  // groups.
  const std::int32_t n = per_group_, G = num_groups, N = num_experts;
  std::map<std::vector<std::int32_t>, double> states{{{}, 1.0}}, tally;
  for (std::int32_t drawn = 0; drawn < top_k; ++drawn) {
    std::map<std::vector<std::int32_t>, double> next;
    for (const auto& [counts, p] : states) {
      const auto r = static_cast<std::int32_t>(counts.size());
      const double pool = r < groups_per_token ? double(N - drawn) : double(groups_per_token * n - drawn);
      for (std::size_t i = 0; i < counts.size(); ++i) {
        if (i > 0 && counts[i] == counts[i - 1]) continue; // groups with equal counts: one transition, weighted
        const auto same = std::count(counts.begin(), counts.end(), counts[i]);
        const double w = double(same) * double(n - counts[i]) / pool;
        if (w <= 0) continue;
        std::vector<std::int32_t> to = counts;
        ++to[i];
        std::sort(to.begin(), to.end());
        next[to] += p * w;
      }
      if (r < groups_per_token) {
        std::vector<std::int32_t> to = counts;
        to.insert(to.begin(), 1);
        std::sort(to.begin(), to.end());
        next[to] += p * double(G - r) * n / pool;
      }
    }
    states = std::move(next);
  }
  tally = std::move(states);
  // Spread each partition evenly over its distinct arrangements on the groups (std::next_permutation walks the
  // distinct permutations of a multiset once each, starting from the ascending order).
  offset_.push_back(0);
  for (const auto& [parts, p] : tally) {
    std::vector<std::int32_t> layout(static_cast<std::size_t>(num_groups) - parts.size(), 0);
    layout.insert(layout.end(), parts.begin(), parts.end()); // ascending: zeros, then the sorted parts
    const std::size_t first = prob_.size();
    do {
      for (std::int32_t g = 0; g < num_groups; ++g)
        if (layout[static_cast<std::size_t>(g)] > 0) parts_.emplace_back(g, layout[static_cast<std::size_t>(g)]);
      offset_.push_back(static_cast<std::uint32_t>(parts_.size()));
      prob_.push_back(0.0);
    } while (std::next_permutation(layout.begin(), layout.end()));
    const double each = p / static_cast<double>(prob_.size() - first);
    std::fill(prob_.begin() + static_cast<std::ptrdiff_t>(first), prob_.end(), each);
  }
  // Marginals over groups 0..r-1.
  for (std::int32_t r = 1; r <= std::min(kMarginalGroups, num_groups); ++r) {
    std::map<std::vector<std::int32_t>, double> joint;
    std::vector<std::int32_t> c(static_cast<std::size_t>(r));
    for (std::size_t i = 0; i < prob_.size(); ++i) {
      std::fill(c.begin(), c.end(), 0);
      for (std::uint32_t j = offset_[i]; j < offset_[i + 1]; ++j)
        if (parts_[j].first < r) c[static_cast<std::size_t>(parts_[j].first)] = parts_[j].second;
      joint[c] += prob_[i];
    }
    std::vector<double>& m = marginal_.emplace_back();
    for (const auto& [counts, p] : joint) {
      m.insert(m.end(), counts.begin(), counts.end());
      m.push_back(p);
    }
  }
}

std::shared_ptr<const GroupLimitedSelection> GroupLimitedSelection::get(std::int32_t num_experts,
                                                                        std::int32_t num_groups,
                                                                        std::int32_t groups_per_token,
                                                                        std::int32_t top_k) {
  static std::mutex mu;
  static std::map<std::tuple<std::int32_t, std::int32_t, std::int32_t, std::int32_t>,
                  std::shared_ptr<const GroupLimitedSelection>>
      cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = cache[{num_experts, num_groups, groups_per_token, top_k}];
  if (!slot) slot = std::make_shared<const GroupLimitedSelection>(num_experts, num_groups, groups_per_token, top_k);
  return slot;
}

double GroupLimitedSelection::prob_none(const double* group_share) const {
  // h[g * (k + 1) + c]: probability that c draws without replacement from group g all miss S.
  thread_local std::vector<double> h;
  const std::int32_t k = top_k_;
  h.assign(static_cast<std::size_t>(num_groups_) * (k + 1), 1.0);
  bool any = false;
  for (std::int32_t g = 0; g < num_groups_; ++g) {
    const double s = std::clamp(group_share[g], 0.0, 1.0);
    if (s == 0.0) continue;
    any = true;
    double* hg = &h[static_cast<std::size_t>(g) * (k + 1)];
    for (std::int32_t c = 1; c <= k; ++c) {
      const double f = c - 1 < per_group_ ? 1.0 - s * per_group_ / (per_group_ - (c - 1)) : 0.0;
      hg[c] = hg[c - 1] * std::max(0.0, f);
    }
  }
  if (!any) return 1.0;
  // Few groups touched: sum over their joint counts only.
  std::int32_t touched[kMarginalGroups];
  std::int32_t r = 0;
  for (std::int32_t g = 0; g < num_groups_ && r <= kMarginalGroups; ++g)
    if (group_share[g] > 0.0) {
      if (r < kMarginalGroups) touched[r] = g;
      ++r;
    }
  if (r <= kMarginalGroups && r <= static_cast<std::int32_t>(marginal_.size())) {
    const std::vector<double>& m = marginal_[static_cast<std::size_t>(r - 1)];
    const std::size_t stride = static_cast<std::size_t>(r) + 1;
    double p = 0.0;
    for (std::size_t i = 0; i < m.size(); i += stride) {
      double x = m[i + static_cast<std::size_t>(r)];
      for (std::int32_t j = 0; j < r; ++j)
        x *= h[static_cast<std::size_t>(touched[j]) * (k + 1) +
               static_cast<std::size_t>(m[i + static_cast<std::size_t>(j)])];
      p += x;
    }
    return std::clamp(p, 0.0, 1.0);
  }
  double p = 0.0;
  for (std::size_t i = 0; i < prob_.size(); ++i) {
    double x = prob_[i];
    for (std::uint32_t j = offset_[i]; j < offset_[i + 1]; ++j)
      x *= h[static_cast<std::size_t>(parts_[j].first) * (k + 1) + static_cast<std::size_t>(parts_[j].second)];
    p += x;
  }
  return std::clamp(p, 0.0, 1.0);
}

std::vector<double> GroupLimitedSelection::groups_touched_distribution() const {
  std::vector<double> out(static_cast<std::size_t>(groups_per_token_) + 1, 0.0);
  for (std::size_t i = 0; i < prob_.size(); ++i)
    out[offset_[i + 1] - offset_[i]] += prob_[i];
  return out;
}

} // namespace moescope
