// Fitting the synthetic-routing generator to a token trace: popularity profiles, de-noising, co-activation partners,
// and the calibration of alpha, follow and prefill_copy by simulating the sampler (synthetic_routing.hpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <thread>

#include "trace/synthetic_sampler.hpp"
#include "trace/trace_stats.hpp"

namespace moescope::trace {

using namespace synthetic_detail;

namespace {

// Symmetric Sinkhorn scaling of a symmetric sparse weight matrix (CSR) so that its row sums follow `profile`: a
// partner step from an anchor drawn by popularity then lands on experts by popularity.
void balance_partners(std::uint32_t E, std::span<const double> profile, const std::vector<std::uint32_t>& begin,
                      const std::vector<std::uint16_t>& ids, std::vector<double>& weights) {
  std::vector<double> d(E, 1.0);
  for (int it = 0; it < 100; ++it)
    for (std::uint32_t a = 0; a < E; ++a) {
      double r = 0;
      for (std::uint32_t i = begin[a]; i < begin[a + 1]; ++i)
        r += d[ids[i]] * weights[i];
      if (r > 0) d[a] = std::sqrt(d[a] * profile[a] / r);
    }
  for (std::uint32_t a = 0; a < E; ++a)
    for (std::uint32_t i = begin[a]; i < begin[a + 1]; ++i)
      weights[i] *= d[a] * d[ids[i]];
}

struct Calibration {
  std::vector<RequestShape> shapes;
  std::vector<std::uint64_t> begin; // first token of each, in the calibration buffer / real trace
  std::vector<std::size_t> source;  // request index in the training trace
};

struct CalibStats {
  // Mean over requests of JS(request's counts in the phase, the (domain, phase) profile), bits.
  double dispersion[2] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  double partner_share = std::numeric_limits<double>::quiet_NaN(); // top-1% pair share
  double pd_pearson = std::numeric_limits<double>::quiet_NaN();
};

// Statistics of one layer: `at(r, token_in_request)` returns the K experts of that token.
template <class At>
CalibStats calib_stats(const Calibration& cal, std::uint32_t E, std::uint32_t K, const SyntheticLayer& layer,
                       const std::vector<std::uint8_t>& partner_pair, At at) {
  CalibStats s;
  double num[2] = {0, 0}, den[2] = {0, 0};
  std::uint64_t pairs = 0;
  std::vector<std::uint64_t> pair_count(partner_pair.empty() ? 0 : std::size_t(E) * E, 0);
  double pearson_sum = 0;
  std::size_t pearson_n = 0;
  std::vector<double> c[2] = {std::vector<double>(E), std::vector<double>(E)};
  for (std::size_t r = 0; r < cal.shapes.size(); ++r) {
    const auto& shape = cal.shapes[r];
    std::fill(c[0].begin(), c[0].end(), 0.0);
    std::fill(c[1].begin(), c[1].end(), 0.0);
    const std::uint64_t T = std::uint64_t(shape.prefill_tokens) + shape.decode_tokens;
    for (std::uint64_t t = 0; t < T; ++t) {
      const std::uint16_t* e = at(r, t);
      auto& cc = c[t < shape.prefill_tokens ? 0 : 1];
      for (std::uint32_t i = 0; i < K; ++i) {
        cc[e[i]] += 1.0;
        if (!partner_pair.empty())
          for (std::uint32_t j = i + 1; j < K; ++j) {
            ++pairs;
            ++pair_count[std::size_t(std::min(e[i], e[j])) * E + std::max(e[i], e[j])];
          }
      }
    }
    for (int ph = 0; ph < 2; ++ph) {
      const double n = ph ? double(shape.decode_tokens) * K : double(shape.prefill_tokens) * K;
      if (n <= 0) continue;
      num[ph] += jensen_shannon(c[ph], layer.phase[std::size_t(shape.domain) * 2 + ph]);
      den[ph] += 1;
    }
    if (shape.prefill_tokens && shape.decode_tokens) {
      const double v = pearson(c[0], c[1]);
      if (std::isfinite(v)) {
        pearson_sum += v;
        ++pearson_n;
      }
    }
  }
  for (int ph = 0; ph < 2; ++ph)
    if (den[ph] > 0) s.dispersion[ph] = num[ph] / den[ph];
  if (pairs) { // share of the pairs taken by the most frequent 1% of the possible pairs
    const std::size_t top = std::max<std::size_t>(1, std::llround(0.01 * double(E) * (E - 1) / 2.0));
    std::partial_sort(pair_count.begin(), pair_count.begin() + std::min(top, pair_count.size()), pair_count.end(),
                      std::greater<>());
    s.partner_share = double(std::accumulate(pair_count.begin(), pair_count.begin() + std::min(top, pair_count.size()),
                                             std::uint64_t(0))) /
                      double(pairs);
  }
  if (pearson_n) s.pd_pearson = pearson_sum / double(pearson_n);
  return s;
}

// Finds x in [lo, hi] with f(x) = target for a monotone f (increasing or decreasing), by bisection; returns the
// endpoint when the target is out of range. `f` returns the statistic.
template <class F>
FittedParameter bisect(F f, double lo, double hi, double target, bool increasing, std::uint32_t iterations) {
  FittedParameter p;
  p.target = target;
  const double flo = f(lo), fhi = f(hi);
  const auto below = [&](double v) { return increasing ? v < target : v > target; };
  if (!below(flo)) return {lo, target, flo};
  if (below(fhi)) return {hi, target, fhi};
  for (std::uint32_t i = 0; i < iterations; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (below(f(mid)))
      lo = mid;
    else
      hi = mid;
  }
  const double x = 0.5 * (lo + hi);
  return {x, target, f(x)};
}

struct LayerFitInput {
  const ExpertTrace* trace;
  std::uint32_t layer;
  const Calibration* cal;
  const SyntheticFitOptions* options;
};

// Source-space generator context of one layer (identity mapping), with the given parameters.
GenContext single_layer_context(const SyntheticLayer& layer, std::uint32_t E, std::uint32_t K) {
  GenContext c;
  c.L = 1;
  c.E = E;
  c.K = K;
  c.layers.resize(1);
  build_layer_tables(c.layers[0], E, layer.phase, layer.partner_begin, layer.partner_ids, layer.partner_weights);
  return c;
}

void fit_layer(const LayerFitInput& in, SyntheticLayer& layer) {
  const ExpertTrace& t = *in.trace;
  const Calibration& cal = *in.cal;
  const auto& o = *in.options;
  const std::uint32_t E = t.num_experts(), K = t.top_k(), L = t.num_layers(), l = in.layer;
  const std::uint64_t N = t.num_tokens();
  const std::uint16_t* data = t.expert_data().data();

  // Co-activation partners: pairs selected together more often than independence predicts.
  layer.partner_begin.assign(E + 1, 0);
  std::vector<std::uint8_t> partner_pair;
  if (K >= 2 && o.partners > 0) {
    std::vector<std::uint64_t> pair(std::size_t(E) * E, 0);
    std::vector<double> single(E, 0);
    for (std::uint64_t tok = 0; tok < N; ++tok) {
      const std::uint16_t* e = data + (tok * L + l) * K;
      for (std::uint32_t i = 0; i < K; ++i) {
        single[e[i]] += 1;
        for (std::uint32_t j = i + 1; j < K; ++j) {
          ++pair[std::size_t(e[i]) * E + e[j]];
          ++pair[std::size_t(e[j]) * E + e[i]];
        }
      }
    }
    double sum_pi2 = 0;
    for (double v : single)
      sum_pi2 += (v / double(N)) * (v / double(N));
    const double scale = double(K) * (K - 1) / std::max(1e-12, double(K) * K - sum_pi2);
    // Candidate partners: significant excess over independence, the strongest `partners` per expert; the union
    // gives a symmetric weight matrix.
    std::vector<double> w(std::size_t(E) * E, 0.0);
    std::vector<std::pair<double, std::uint16_t>> cand;
    for (std::uint32_t a = 0; a < E; ++a) {
      cand.clear();
      for (std::uint32_t b = 0; b < E; ++b) {
        if (b == a) continue;
        const double expected = scale * single[a] * single[b] / double(N);
        const double excess = double(pair[std::size_t(a) * E + b]) - expected;
        if (excess > 3.0 * std::sqrt(expected + 1.0)) cand.push_back({excess, static_cast<std::uint16_t>(b)});
      }
      const std::size_t keep = std::min<std::size_t>(o.partners, cand.size());
      std::partial_sort(cand.begin(), cand.begin() + keep, cand.end(), [](const auto& x, const auto& y) {
        return x.first > y.first || (x.first == y.first && x.second < y.second);
      });
      for (std::size_t i = 0; i < keep; ++i)
        w[std::size_t(a) * E + cand[i].second] = w[std::size_t(cand[i].second) * E + a] = cand[i].first;
    }
    for (std::uint32_t a = 0; a < E; ++a) {
      for (std::uint32_t b = 0; b < E; ++b)
        if (w[std::size_t(a) * E + b] > 0) {
          layer.partner_ids.push_back(static_cast<std::uint16_t>(b));
          layer.partner_weights.push_back(w[std::size_t(a) * E + b]);
        }
      layer.partner_begin[a + 1] = static_cast<std::uint32_t>(layer.partner_ids.size());
    }
    // Balance it, once per domain against the domain's profile, so that co-activation changes neither the load
    // nor the domain mixture.
    const std::vector<double> base = std::move(layer.partner_weights);
    layer.partner_weights.clear();
    std::vector<double> dp(E), wd;
    for (std::size_t d = 0; d < layer.phase.size() / 2; ++d) {
      for (std::uint32_t e = 0; e < E; ++e)
        dp[e] = 0.5 * (layer.phase[d * 2][e] + layer.phase[d * 2 + 1][e]);
      wd = base;
      balance_partners(E, dp, layer.partner_begin, layer.partner_ids, wd);
      layer.partner_weights.insert(layer.partner_weights.end(), wd.begin(), wd.end());
    }
    if (!layer.partner_ids.empty()) {
      partner_pair.assign(std::size_t(E) * E, 0);
      for (std::uint32_t a = 0; a < E; ++a)
        for (std::uint32_t i = layer.partner_begin[a]; i < layer.partner_begin[a + 1]; ++i) {
          const std::uint32_t b = layer.partner_ids[i];
          partner_pair[std::size_t(a) * E + b] = partner_pair[std::size_t(b) * E + a] = 1;
        }
    }
  }

  // Targets: the statistics of the real calibration requests.
  const CalibStats real = calib_stats(cal, E, K, layer, partner_pair, [&](std::size_t r, std::uint64_t tok) {
    return data + ((t.request(cal.source[r]).token_begin + tok) * L + l) * K;
  });

  layer.alpha[0] = {kNoTilt, real.dispersion[0], std::numeric_limits<double>::quiet_NaN()};
  layer.alpha[1] = {kNoTilt, real.dispersion[1], std::numeric_limits<double>::quiet_NaN()};
  layer.follow = {0, real.partner_share, std::numeric_limits<double>::quiet_NaN()};
  layer.prefill_copy = {0, real.pd_pearson, std::numeric_limits<double>::quiet_NaN()};

  GenContext ctx = single_layer_context(layer, E, K);
  GenLayer& g = ctx.layers[0];
  const auto simulate = [&] {
    const auto buf = generate_all(ctx, cal.shapes, o.seed ^ 0xca11b4a7e5ULL, 1);
    return calib_stats(cal, E, K, layer, partner_pair,
                       [&](std::size_t r, std::uint64_t tok) { return buf.data() + (cal.begin[r] + tok) * K; });
  };
  const auto fit_alpha = [&](int ph) {
    if (!std::isfinite(real.dispersion[ph])) return;
    // The requests' divergence falls as alpha grows; search log(alpha) in [log 0.05, log 1e7]; beyond: no tilt.
    auto f = [&](double x) {
      g.alpha[ph] = std::exp(x);
      return simulate().dispersion[ph];
    };
    FittedParameter p = bisect(f, std::log(0.05), std::log(1e7), real.dispersion[ph], false, o.iterations);
    p.value = std::exp(p.value);
    if (p.value >= 1e7 * 0.999) p.value = kNoTilt;
    g.alpha[ph] = p.value;
    layer.alpha[ph] = p;
  };
  const auto fit_follow = [&] {
    if (!std::isfinite(real.partner_share)) return;
    auto f = [&](double x) {
      g.follow = x;
      return simulate().partner_share;
    };
    layer.follow = bisect(f, 0.0, 0.95, real.partner_share, true, o.iterations);
    g.follow = layer.follow.value;
  };
  const auto fit_copy = [&] {
    if (!std::isfinite(real.pd_pearson)) return;
    auto f = [&](double x) {
      g.prefill_copy = x;
      return simulate().pd_pearson;
    };
    layer.prefill_copy = bisect(f, 0.0, 0.95, real.pd_pearson, true, o.iterations);
    g.prefill_copy = layer.prefill_copy.value;
  };
  fit_alpha(0);
  fit_alpha(1);
  fit_follow();
  fit_copy();
  // Second round: the parameters interact (co-activation and prefill copies add dispersion).
  fit_alpha(0);
  fit_alpha(1);
  fit_copy();
  // Record what the final parameters achieve.
  const CalibStats fin = simulate();
  layer.alpha[0].achieved = fin.dispersion[0];
  layer.alpha[1].achieved = fin.dispersion[1];
  layer.follow.achieved = fin.partner_share;
  layer.prefill_copy.achieved = fin.pd_pearson;
}

} // namespace

SyntheticModel fit_synthetic(const ExpertTrace& t, const SyntheticFitOptions& o) {
  check_option(t.num_tokens() > 0, "<synthetic fit>", "the training trace has no token");
  check_option(std::isfinite(o.smoothing) && o.smoothing >= 0, "<synthetic fit>", "smoothing must be >= 0");
  check_option(o.iterations >= 1 && o.iterations <= 60, "<synthetic fit>", "iterations must be in 1..60");
  check_option(o.calibration_tokens >= 1, "<synthetic fit>", "calibration tokens must be >= 1");
  const std::uint32_t L = t.num_layers(), E = t.num_experts(), K = t.top_k();
  const std::size_t D = std::max<std::size_t>(1, t.metadata().domains.size());
  SyntheticModel m;
  m.model = t.metadata().model;
  m.num_experts = E;
  m.top_k = K;
  m.domains = t.metadata().domains;
  if (m.domains.empty()) m.domains.push_back("default");
  for (const auto& r : t.requests())
    if (r.num_tokens() > 0) m.requests.push_back({r.domain, r.prefill_tokens, r.decode_tokens});

  // Counts per (domain, phase, layer, expert).
  // Also per half of the requests (a seeded hash split), to measure the sampling noise of the loads.
  std::vector<double> counts(D * 2 * std::size_t(L) * E, 0.0);
  std::vector<double> halves(2 * std::size_t(L) * E, 0.0);
  const std::uint16_t* data = t.expert_data().data();
  for (std::size_t ri = 0; ri < t.num_requests(); ++ri) {
    const auto& r = t.request(ri);
    double* half = halves.data() + (mix64(o.seed ^ mix64(ri ^ 0x4a1f)) & 1) * L * E;
    for (std::uint64_t tok = r.token_begin; tok < r.tokens().end; ++tok) {
      const int ph = tok < r.token_begin + r.prefill_tokens ? 0 : 1;
      double* base = counts.data() + (std::size_t(r.domain) * 2 + ph) * L * E;
      const std::uint16_t* e = data + tok * L * K;
      for (std::uint32_t l = 0; l < L; ++l)
        for (std::uint32_t k = 0; k < K; ++k) {
          base[std::size_t(l) * E + *e] += 1.0;
          half[std::size_t(l) * E + *e++] += 1.0;
        }
    }
  }

  // Calibration requests: a seeded hash order of the training requests, until the token budget is reached.
  Calibration cal;
  {
    std::vector<std::pair<std::uint64_t, std::size_t>> order;
    for (std::size_t r = 0; r < t.num_requests(); ++r)
      if (t.request(r).num_tokens() > 0) order.push_back({mix64(o.seed ^ mix64(r)), r});
    std::sort(order.begin(), order.end());
    std::uint64_t tokens = 0;
    std::vector<std::size_t> chosen;
    for (const auto& [h, r] : order) {
      if (tokens >= o.calibration_tokens) break;
      chosen.push_back(r);
      tokens += t.request(r).num_tokens();
    }
    std::sort(chosen.begin(), chosen.end());
    std::uint64_t next = 0;
    for (std::size_t r : chosen) {
      const auto& req = t.request(r);
      cal.shapes.push_back({req.domain, req.prefill_tokens, req.decode_tokens});
      cal.begin.push_back(next);
      cal.source.push_back(r);
      next += req.num_tokens();
    }
  }

  m.layers.resize(L);
  for (std::uint32_t l = 0; l < L; ++l) {
    auto& layer = m.layers[l];
    layer.layer_id = t.metadata().moe_layer_ids[l];
    std::vector<double> total(E, 0.0);
    for (std::size_t dp = 0; dp < D * 2; ++dp)
      for (std::uint32_t e = 0; e < E; ++e)
        total[e] += counts[(dp * L + l) * E + e];
    const double n_total = std::accumulate(total.begin(), total.end(), 0.0);
    layer.profile.resize(E);
    for (std::uint32_t e = 0; e < E; ++e)
      layer.profile[e] = (total[e] + o.smoothing) / (n_total + o.smoothing * E);
    // (domain, phase): counts plus smoothing x E pseudo-counts spread like the base, which is the domain's other
    // phase when it has data and the layer's profile otherwise.
    const auto smoothed = [&](const double* c, const std::vector<double>& base) {
      const double n = std::accumulate(c, c + E, 0.0);
      std::vector<double> p(E);
      const double prior = o.smoothing * E;
      for (std::uint32_t e = 0; e < E; ++e)
        p[e] = (c[e] + prior * base[e]) / (n + prior);
      if (n + prior <= 0) p = base;
      return p;
    };
    layer.phase.resize(D * 2);
    for (std::size_t d = 0; d < D; ++d) {
      const double* c0 = counts.data() + ((d * 2 + 0) * L + l) * E;
      const double* c1 = counts.data() + ((d * 2 + 1) * L + l) * E;
      const double n0 = std::accumulate(c0, c0 + E, 0.0), n1 = std::accumulate(c1, c1 + E, 0.0);
      std::vector<double> p0 = smoothed(c0, layer.profile), p1 = smoothed(c1, layer.profile);
      if (n0 == 0 && n1 > 0) p0 = p1;
      if (n1 == 0 && n0 > 0) p1 = p0;
      layer.phase[d * 2] = std::move(p0);
      layer.phase[d * 2 + 1] = std::move(p1);
    }
    // De-noise: the measured load is the true popularity plus sampling noise (large: requests are overdispersed),
    // and the generator adds its own noise, so the profile's deviation from uniform is shrunk by s, with
    // s^2 = 1 - noise / variance; the noise is a quarter of the squared difference of the two halves' loads.
    const double* ha = halves.data() + std::size_t(l) * E;
    const double* hb = halves.data() + (std::size_t(L) + l) * E;
    const double na = std::accumulate(ha, ha + E, 0.0), nb = std::accumulate(hb, hb + E, 0.0);
    if (na > 0 && nb > 0) {
      double noise = 0, var = 0;
      for (std::uint32_t e = 0; e < E; ++e) {
        noise += (ha[e] / na - hb[e] / nb) * (ha[e] / na - hb[e] / nb) / 4.0;
        var += (layer.profile[e] - 1.0 / E) * (layer.profile[e] - 1.0 / E);
      }
      layer.shrink = var > 0 ? std::sqrt(std::clamp(1.0 - noise / var, 0.0, 1.0)) : 1.0;
      std::vector<double> shift(E);
      for (std::uint32_t e = 0; e < E; ++e)
        shift[e] = (layer.shrink - 1.0) * (layer.profile[e] - 1.0 / E);
      const auto apply = [&](std::vector<double>& p) {
        double sum = 0;
        for (std::uint32_t e = 0; e < E; ++e)
          sum += p[e] = std::max(p[e] + shift[e], 1e-3 * p[e]);
        for (double& v : p)
          v /= sum;
      };
      apply(layer.profile);
      for (auto& p : layer.phase)
        apply(p);
    }
  }

  // Calibrate the layers in parallel (each is independent and deterministic).
  unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, L);
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      for (std::uint32_t l = i; l < L; l += threads)
        fit_layer({&t, l, &cal, &o}, m.layers[l]);
    });
  for (auto& th : pool)
    th.join();
  return m;
}

} // namespace moescope::trace
