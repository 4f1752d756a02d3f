// MoE dispatch / combine, the expected-value mode: Blom's expected maximum, the probability that a token misses a
// set of experts, the source classes, and evaluate_dispatch_expected with its closed form over per-node and
// per-rail sums (switched scale-up, one NIC per GPU, one replica per expert, one source class) or the general path
// that fills the GPU x GPU matrices. See docs/network-model.md.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "network/dispatch.hpp"
#include "network/dispatch_link_costs.hpp"

namespace moescope {

double expected_max_standard_normal(double m) {
  if (m <= 1.0) return 0.0;
  // Inverse normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
  const double p = (m - 0.375) / (m + 0.25);
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double plow = 0.02425;
  if (p > 1.0 - plow) {
    const double q = std::sqrt(-2.0 * std::log(1.0 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

namespace dispatch_detail {

double prob_none(double mass, std::int32_t top_k, std::int32_t num_experts) {
  if (mass <= 0.0) return 1.0;
  const double share = mass / top_k;
  double p = 1.0;
  for (std::int32_t i = 0; i < top_k; ++i) {
    const double f = 1.0 - share / (1.0 - static_cast<double>(i) / num_experts);
    if (f <= 0.0) return 0.0;
    p *= f;
  }
  return p;
}

void reset_sums(const Topology& topo, ExpectedSums& s) {
  const auto g = static_cast<std::size_t>(topo.num_gpus());
  for (auto* v :
       {&s.up_out, &s.up_in, &s.up_out_var, &s.up_in_var, &s.out_out, &s.out_in, &s.out_out_var, &s.out_in_var})
    v->assign(g, 0.0);
  const auto leaves = static_cast<std::size_t>(topo.has_scale_out() ? topo.num_leaves() : 0);
  for (auto* v : {&s.leaf_up, &s.leaf_down, &s.leaf_up_var, &s.leaf_down_var})
    v->assign(leaves, 0.0);
  s.any_scale_up = s.any_scale_out = s.scale_out_crosses_leaves = false;
  s.max_destinations = s.max_sources = 0.0;
}

} // namespace dispatch_detail

namespace {

// Whether the expected-value closed form applies (see DispatchKernel::route_expected_sums).
bool closed_form_applies(const Topology& topo, const Placement& p, const std::vector<SourceClass>& sources,
                         const DispatchOptions& o) {
  if (o.expected_traffic_matrices || !o.use_scale_up || sources.size() != 1) return false;
  if (topo.params().scale_up_topology != ScaleUpTopology::switched) return false;
  if (p.replica_gpus.size() != static_cast<std::size_t>(p.num_experts)) return false;
  if (topo.nodes() > 1 && (!topo.has_scale_out() || topo.nics_per_node() != topo.gpus_per_node())) return false;
  // Each source GPU once.
  const SourceClass& c = sources[0];
  if (static_cast<std::int32_t>(c.inclusion.size()) != p.num_experts) return false;
  std::vector<std::uint64_t> seen(static_cast<std::size_t>(topo.num_gpus() + 63) / 64, 0);
  for (std::int32_t gpu : c.gpus) {
    if (gpu < 0 || gpu >= topo.num_gpus()) return false;
    std::uint64_t& w = seen[static_cast<std::size_t>(gpu / 64)];
    const std::uint64_t bit = 1ull << (gpu % 64);
    if (w & bit) return false;
    w |= bit;
  }
  return true;
}

} // namespace

const ExpectedDispatch& evaluate_dispatch_expected(const DispatchKernel& kernel, const Topology& topo,
                                                   const Placement& placement, const std::vector<SourceClass>& sources,
                                                   const DispatchPayload& payload, const KernelCosts& costs,
                                                   const DispatchOptions& options, ExpectedDispatch& out) {
  dispatch_detail::check_inputs(topo, placement);
  DispatchResult& r = out.result;
  out.closed_form = false;
  r.max_source_tokens_per_gpu = 0.0;
  for (const SourceClass& c : sources)
    r.max_source_tokens_per_gpu = std::max(r.max_source_tokens_per_gpu, c.tokens_per_gpu);
  if (closed_form_applies(topo, placement, sources, options)) {
    dispatch_detail::reset_per_gpu(r, topo.num_gpus());
    dispatch_detail::reset_sums(topo, out.sums);
    out.closed_form = kernel.route_expected_sums(topo, placement, sources[0], options, r, out.sums);
  }
  if (out.closed_form) {
    std::vector<double>& dv = out.sums.link_var_scratch[0];
    std::vector<double>& cv = out.sums.link_var_scratch[1];
    dispatch_detail::map_links_sums(topo, out.sums, payload, r.dispatch_link_bytes, r.combine_link_bytes, dv, cv);
    r.max_expert_tokens_per_gpu = 0.0;
    for (double x : r.expert_tokens_per_gpu)
      r.max_expert_tokens_per_gpu = std::max(r.max_expert_tokens_per_gpu, x);
    const dispatch_detail::PairStats ps = dispatch_detail::pair_stats(topo, r, out.sums);
    std::vector<double>& scratch = out.sums.scratch[7];
    r.dispatch = dispatch_detail::phase_cost(topo, ps, r.dispatch_link_bytes, &dv, costs, false,
                                             payload.dispatch_bytes_per_token, scratch);
    r.combine = dispatch_detail::phase_cost(topo, ps, r.combine_link_bytes, &cv, costs, true,
                                            payload.combine_bytes_per_token, scratch);
  } else {
    dispatch_detail::check_matrix_size(topo);
    dispatch_detail::reset(r, topo.num_gpus(), true);
    kernel.route_expected(topo, placement, sources, options, r);
    dispatch_detail::finalize(topo, payload, costs, r, true);
  }
  // Busiest GPU (expert side): mean + z(G) sigma over the GPUs whose mean is within 5% of the largest.
  double max_mean = 0.0, sum = 0.0;
  std::int32_t used = 0;
  for (std::size_t i = 0; i < r.expert_tokens_per_gpu.size(); ++i) {
    max_mean = std::max(max_mean, r.expert_tokens_per_gpu[i]);
    if (static_cast<std::int32_t>(i) < placement.num_gpus) {
      sum += r.expert_tokens_per_gpu[i];
      ++used;
    }
  }
  double m = 0.0;
  for (double x : r.expert_tokens_per_gpu)
    m += (x >= 0.95 * max_mean && max_mean > 0.0) ? 1.0 : 0.0;
  const double z = expected_max_standard_normal(m);
  double best = 0.0;
  for (std::size_t i = 0; i < r.expert_tokens_per_gpu.size(); ++i) {
    const double gap = best - r.expert_tokens_per_gpu[i], v = std::max(r.expert_tokens_var[i], 0.0);
    if (gap >= 0.0 && z * z * v <= gap * gap) continue; // cannot beat the best so far
    best = std::max(best, r.expert_tokens_per_gpu[i] + z * std::sqrt(v));
  }
  out.expected_max_expert_tokens_per_gpu = best;
  out.mean_expert_tokens_per_gpu = used > 0 ? sum / used : 0.0;
  out.expected_max_link_seconds_dispatch = r.dispatch.transfer_seconds;
  return out;
}

bool traffic_matrices_needed(const Topology& topo, const Placement& placement, const std::vector<SourceClass>& sources,
                             const DispatchOptions& options) {
  return !closed_form_applies(topo, placement, sources, options);
}

std::vector<SourceClass> uniform_sources(const ExpectedRouting& routing, std::int32_t num_gpus) {
  SourceClass c;
  c.gpus.resize(static_cast<std::size_t>(num_gpus));
  for (std::int32_t g = 0; g < num_gpus; ++g)
    c.gpus[static_cast<std::size_t>(g)] = g;
  c.tokens_per_gpu = routing.tokens_per_gpu;
  c.inclusion = inclusion_probabilities(routing);
  c.top_k = routing.top_k;
  if (routing.group_limited())
    c.group_limit =
        GroupLimitedSelection::get(routing.num_experts, routing.num_groups, routing.groups_per_token, routing.top_k);
  return {std::move(c)};
}

std::vector<SourceClass> sources_from_counts(const std::vector<double>& counts, const std::vector<double>& tokens,
                                             std::int32_t num_experts, std::int32_t top_k) {
  std::vector<SourceClass> out;
  for (std::size_t g = 0; g < tokens.size(); ++g) {
    if (tokens[g] <= 0.0) continue;
    SourceClass c;
    c.gpus = {static_cast<std::int32_t>(g)};
    c.tokens_per_gpu = tokens[g];
    c.top_k = top_k;
    c.inclusion.resize(static_cast<std::size_t>(num_experts));
    for (std::int32_t e = 0; e < num_experts; ++e)
      c.inclusion[static_cast<std::size_t>(e)] =
          std::min(1.0, counts[g * static_cast<std::size_t>(num_experts) + static_cast<std::size_t>(e)] / tokens[g]);
    out.push_back(std::move(c));
  }
  return out;
}

} // namespace moescope
