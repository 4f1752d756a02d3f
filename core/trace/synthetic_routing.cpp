// Generating a synthetic token trace from a fitted model, for any expert, layer and token count
// (synthetic_routing.hpp); the fit is in synthetic_fit.cpp, the sampler in synthetic_sampler.cpp.
#include "trace/synthetic_routing.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "trace/synthetic_sampler.hpp"

namespace moescope::trace {

using namespace synthetic_detail;

std::vector<double> resample_popularity_curve(std::span<const double> sorted_desc, std::uint32_t target) {
  check_option(!sorted_desc.empty(), "<popularity curve>", "the curve is empty");
  check_option(target > 0, "<popularity curve>", "the target expert count is 0");
  const std::size_t n = sorted_desc.size();
  double total = 0;
  for (double v : sorted_desc) {
    check_option(std::isfinite(v) && v >= 0, "<popularity curve>", "shares must be finite and non-negative");
    total += v;
  }
  check_option(total > 0, "<popularity curve>", "the curve sums to 0");
  // Cumulative share at quantile q in [0, 1] (hottest first), linear between the source points i / n.
  std::vector<double> cum(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    cum[i + 1] = cum[i] + sorted_desc[i] / total;
  const auto F = [&](double q) {
    const double x = std::clamp(q, 0.0, 1.0) * double(n);
    const std::size_t i = std::min<std::size_t>(static_cast<std::size_t>(x), n - 1);
    return cum[i] + (x - double(i)) * (cum[i + 1] - cum[i]);
  };
  std::vector<double> out(target);
  for (std::uint32_t j = 0; j < target; ++j)
    out[j] = F(double(j + 1) / target) - F(double(j) / target);
  // Keep it sorted (interpolation can make ties non-monotone by rounding) and summing to 1.
  std::sort(out.begin(), out.end(), std::greater<>());
  const double s = std::accumulate(out.begin(), out.end(), 0.0);
  for (double& v : out)
    v /= s;
  return out;
}

ExpertTrace generate_synthetic(const SyntheticModel& m, const SyntheticShape& sh) {
  const std::string label = "<synthetic>";
  check_option(!m.layers.empty() && m.num_experts > 0 && m.top_k > 0 && !m.requests.empty(), label,
               "the synthetic model is empty (fit it on a token trace first)");
  const std::uint32_t E = sh.num_experts ? sh.num_experts : m.num_experts;
  const std::uint32_t L = sh.num_layers ? sh.num_layers : static_cast<std::uint32_t>(m.layers.size());
  const std::uint32_t K = sh.top_k ? sh.top_k : m.top_k;
  check_option(E <= 65535, label, "expert count " + std::to_string(E) + " is outside 1..65535");
  check_option(K <= E, label, "top-k " + std::to_string(K) + " exceeds the expert count " + std::to_string(E));
  check_option(L <= 4096, label, "layer count " + std::to_string(L) + " is outside 1..4096");
  check_option(sh.tokens > 0, label, "the token count must be positive");
  check_option(sh.tokens <= (std::uint64_t(1) << 40) / (std::uint64_t(L) * K), label,
               "too many tokens for " + std::to_string(L) + " layers x top-" + std::to_string(K));
  const std::size_t D = m.domains.size();
  check_option(std::uint64_t(D) * L * E <= (std::uint64_t(1) << 26), label, "domains x layers x experts exceeds 2^26");
  const std::uint32_t SE = m.num_experts, SL = static_cast<std::uint32_t>(m.layers.size());

  // Requests: shapes drawn from the training requests until the token count is reached (the last one is cut).
  std::vector<RequestShape> reqs;
  {
    Rng rng(sh.seed ^ 0x7e9u);
    std::uint64_t left = sh.tokens;
    while (left > 0) {
      RequestShape r = m.requests[rng.below(m.requests.size())];
      const std::uint64_t n = std::uint64_t(r.prefill_tokens) + r.decode_tokens;
      if (n > left) {
        r.prefill_tokens = static_cast<std::uint32_t>(std::min<std::uint64_t>(r.prefill_tokens, left));
        r.decode_tokens = static_cast<std::uint32_t>(left - r.prefill_tokens);
      }
      left -= std::uint64_t(r.prefill_tokens) + r.decode_tokens;
      reqs.push_back(r);
    }
  }

  GenContext ctx;
  ctx.L = L;
  ctx.E = E;
  ctx.K = K;
  ctx.layers.resize(L);
  for (std::uint32_t j = 0; j < L; ++j) {
    const std::uint32_t s =
        (L == 1 || SL == 1) ? 0 : static_cast<std::uint32_t>(std::llround(double(j) * (SL - 1) / double(L - 1)));
    const SyntheticLayer& src = m.layers[std::min(s, SL - 1)];
    GenLayer& g = ctx.layers[j];
    g.alpha[0] = src.alpha[0].value;
    g.alpha[1] = src.alpha[1].value;
    g.follow = K >= 2 ? src.follow.value : 0.0;
    g.prefill_copy = src.prefill_copy.value;
    if (E == SE) {
      build_layer_tables(g, E, src.phase, src.partner_begin, src.partner_ids, src.partner_weights);
      continue;
    }
    // Resample: target rank i (hottest first) gets the interpolated curve share and a parent source expert.
    std::vector<std::uint32_t> order(SE);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return src.profile[a] > src.profile[b]; });
    std::vector<double> sorted(SE);
    for (std::uint32_t i = 0; i < SE; ++i)
      sorted[i] = src.profile[order[i]];
    const std::vector<double> curve = resample_popularity_curve(sorted, E);
    std::vector<std::uint32_t> perm(E);
    std::iota(perm.begin(), perm.end(), 0u);
    Rng prng(mix64(sh.seed ^ 0x9e12) ^ mix64(j));
    for (std::uint32_t i = E; i > 1; --i)
      std::swap(perm[i - 1], perm[prng.below(i)]);
    std::vector<std::uint32_t> parent(E);
    std::vector<double> share(E);
    std::vector<std::vector<std::uint32_t>> children(SE);
    std::vector<double> child_mass(SE, 0.0);
    for (std::uint32_t i = 0; i < E; ++i) {
      const std::uint32_t tid = perm[i];
      const std::uint32_t p = order[std::min<std::uint32_t>(SE - 1, static_cast<std::uint32_t>((i + 0.5) * SE / E))];
      parent[tid] = p;
      share[tid] = curve[i];
      children[p].push_back(tid);
      child_mass[p] += curve[i];
    }
    std::vector<std::vector<double>> profiles(src.phase.size(), std::vector<double>(E));
    for (std::size_t k = 0; k < src.phase.size(); ++k) {
      double sum = 0;
      for (std::uint32_t tid = 0; tid < E; ++tid) {
        const std::uint32_t p = parent[tid];
        profiles[k][tid] = share[tid] * src.phase[k][p] / src.profile[p];
        sum += profiles[k][tid];
      }
      for (double& v : profiles[k])
        v /= sum;
    }
    // Partners stay in source space (balanced there); a partner step then picks a child of the source partner by
    // its resampled share, so the landing distribution is the resampled curve.
    build_layer_tables(g, E, profiles, src.partner_begin, src.partner_ids, src.partner_weights);
    g.identity = false;
    g.parent.resize(E);
    for (std::uint32_t tid = 0; tid < E; ++tid)
      g.parent[tid] = static_cast<std::uint16_t>(parent[tid]);
    g.child_begin.assign(SE + 1, 0);
    g.child_table.clear();
    std::vector<std::uint32_t> cthr;
    std::vector<std::uint16_t> cali;
    std::vector<double> cw;
    for (std::uint32_t b = 0; b < SE; ++b) {
      const auto& ch = children[b];
      cw.clear();
      for (auto c : ch)
        cw.push_back(share[c]);
      cthr.resize(ch.size());
      cali.resize(ch.size());
      if (!ch.empty()) build_alias(cw, cthr.data(), cali.data());
      for (std::size_t i = 0; i < ch.size(); ++i)
        g.child_table.push_back({cthr[i], cali[i], static_cast<std::uint16_t>(ch[i])});
      g.child_begin[b + 1] = static_cast<std::uint32_t>(g.child_table.size());
    }
  }

  std::vector<std::uint16_t> experts = generate_all(ctx, reqs, sh.seed, sh.threads);

  TraceMetadata meta;
  meta.model = sh.model_name.empty() ? m.model + " (synthetic)" : sh.model_name;
  meta.source_format = "synthetic";
  meta.num_experts = E;
  meta.top_k = K;
  if (L == SL) {
    for (const auto& layer : m.layers)
      meta.moe_layer_ids.push_back(layer.layer_id);
  } else {
    for (std::uint32_t j = 0; j < L; ++j)
      meta.moe_layer_ids.push_back(static_cast<std::int32_t>(j));
  }
  meta.domains = m.domains;
  std::vector<RequestInfo> infos;
  infos.reserve(reqs.size());
  std::uint64_t next = 0;
  for (std::size_t r = 0; r < reqs.size(); ++r) {
    RequestInfo info;
    info.id = "synth_" + std::to_string(r);
    info.domain = reqs[r].domain;
    info.token_begin = next;
    info.prefill_tokens = reqs[r].prefill_tokens;
    info.decode_tokens = reqs[r].decode_tokens;
    next += info.num_tokens();
    infos.push_back(std::move(info));
  }
  return ExpertTrace(std::move(meta), std::move(infos), std::move(experts), {}, label);
}

} // namespace moescope::trace
