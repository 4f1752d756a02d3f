#include "trace/synthetic_routing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <thread>

#include "trace/trace_stats.hpp"
#include "util/diagnostics.hpp"

namespace moescope::trace {

namespace {

constexpr double kNoTilt = 1e12; // alpha at or above this: no Polya urn

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// splitmix64: fast, passes BigCrush, trivially seeded per request.
struct Rng {
  std::uint64_t state;
  explicit Rng(std::uint64_t seed) : state(mix64(seed)) {}
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n) for n < 2^32 (multiply-shift on the high 32 bits).
  std::uint32_t below(std::uint64_t n) { return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32); }
};

// Vose alias tables, flat: entry i is taken when the low 32 random bits are < threshold[i], else alias[i]
// (entries that are always taken are their own alias).
template <class Alias> void build_alias(std::span<const double> w, std::uint32_t* threshold, Alias* alias) {
  const std::size_t n = w.size();
  double sum = 0;
  for (double v : w)
    sum += std::max(0.0, v);
  std::vector<double> p(n);
  std::vector<std::uint32_t> small, large;
  for (std::size_t i = 0; i < n; ++i) {
    p[i] = sum > 0 ? std::max(0.0, w[i]) * double(n) / sum : 1.0;
    (p[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const std::uint32_t s = small.back(), l = large.back();
    small.pop_back();
    threshold[s] = static_cast<std::uint32_t>(std::min(std::ldexp(p[s], 32), 4294967295.0));
    alias[s] = static_cast<Alias>(l);
    p[l] -= 1.0 - p[s];
    if (p[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (auto i : small)
    threshold[i] = 0xffffffffu, alias[i] = static_cast<Alias>(i);
  for (auto i : large)
    threshold[i] = 0xffffffffu, alias[i] = static_cast<Alias>(i);
}

// ---- the generator, in target space ------------------------------------------------------------------------

struct AliasEntry {
  std::uint32_t threshold;
  std::uint16_t alias;
  std::uint16_t pad;
};

// Partner draws: per expert an alias table over its partners, entries interleaved (threshold, alias, id) so that a
// draw touches one or two cache lines.
struct PartnerEntry {
  std::uint32_t threshold;
  std::uint16_t alias; // index within the expert's row
  std::uint16_t id;    // the partner expert
};

struct GenLayer {
  std::vector<AliasEntry> table; // [(domain * 2 + phase) * E + e]
  // Partners are drawn in source space: the anchor's parent source expert a, a partner b of a (alias row of a),
  // then a child of b (alias over b's children by their resampled share). identity: target = source experts.
  std::vector<std::uint32_t> partner_begin; // [source E + 1], rows of partner_table
  std::vector<PartnerEntry> partner_table;  // [domain * partner_nnz + entry], ids: source experts
  std::size_t partner_nnz = 0;
  bool identity = true;
  std::vector<std::uint16_t> parent;      // [E]: source expert of each target expert
  std::vector<std::uint32_t> child_begin; // [source E + 1], rows of child_table
  std::vector<PartnerEntry> child_table;  // ids: target experts
  double alpha[2] = {kNoTilt, kNoTilt};
  double follow = 0, prefill_copy = 0;
};

struct GenContext {
  std::uint32_t L = 0, E = 0, K = 0;
  std::vector<GenLayer> layers;
};

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

void build_layer_tables(GenLayer& g, std::uint32_t E, const std::vector<std::vector<double>>& profiles,
                        const std::vector<std::uint32_t>& pbegin, const std::vector<std::uint16_t>& pids,
                        const std::vector<double>& pweights) {
  g.table.assign(profiles.size() * E, AliasEntry{});
  std::vector<std::uint32_t> thr(E);
  std::vector<std::uint16_t> ali(E);
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    build_alias(profiles[i], thr.data(), ali.data());
    for (std::uint32_t e = 0; e < E; ++e)
      g.table[i * E + e] = {thr[e], ali[e], 0};
  }
  const std::uint32_t SE = pbegin.empty() ? E : static_cast<std::uint32_t>(pbegin.size() - 1);
  g.partner_begin.assign(SE + 1, 0);
  if (!pbegin.empty()) g.partner_begin = pbegin;
  // pweights holds one balanced weight set per domain, domain-major.
  const std::size_t nnz = pids.size();
  const std::size_t D = nnz ? pweights.size() / nnz : 0;
  g.partner_nnz = nnz;
  g.partner_table.assign(D * nnz, PartnerEntry{});
  std::vector<std::uint32_t> pthr;
  std::vector<std::uint16_t> pali;
  for (std::size_t d = 0; d < D; ++d)
    for (std::uint32_t e = 0; e < SE; ++e) {
      const std::uint32_t b = pbegin[e], n = pbegin[e + 1] - b;
      if (n == 0) continue;
      pthr.resize(n);
      pali.resize(n);
      build_alias(std::span<const double>(pweights.data() + d * nnz + b, n), pthr.data(), pali.data());
      for (std::uint32_t i = 0; i < n; ++i)
        g.partner_table[d * nnz + b + i] = {pthr[i], pali[i], pids[b + i]};
    }
}

inline std::uint32_t threshold32(double p) {
  return p <= 0 ? 0u : p >= 1 ? 0xffffffffu : static_cast<std::uint32_t>(std::ldexp(p, 32));
}
// Uniform in [0, n) from 32 random bits.
inline std::uint32_t scale32(std::uint32_t bits, std::uint64_t n) {
  return static_cast<std::uint32_t>((bits * n) >> 32);
}

// Generates one request into `out` (its first token; token-major [token][layer][slot]). One random draw decides
// a step (32 bits) and picks its target (the other 32); the co-activation step is only tried in the first three
// attempts of a slot, so repeated clashes with the token's experts fall back to the urn / profile.
void generate_request(const GenContext& c, const RequestShape& r, std::uint64_t seed, std::uint16_t* out) {
  Rng rng(seed);
  const std::uint32_t L = c.L, E = c.E, K = c.K;
  const std::uint64_t T = std::uint64_t(r.prefill_tokens) + r.decode_tokens;
  const std::uint64_t LK = std::uint64_t(L) * K;
  for (std::uint64_t t = 0; t < T; ++t) {
    const int phase = t < r.prefill_tokens ? 0 : 1;
    const std::uint64_t phase_begin = phase ? r.prefill_tokens : 0;
    const std::uint64_t history = t - phase_begin; // earlier tokens of this request and phase
    std::uint16_t* token_out = out + t * LK;
    for (std::uint32_t l = 0; l < L; ++l) {
      const GenLayer& g = c.layers[l];
      const std::size_t table = (std::size_t(r.domain) * 2 + phase) * E;
      const AliasEntry* tab = g.table.data() + table;
      const auto draw = [tab, E](std::uint64_t x) {
        const std::uint32_t i = static_cast<std::uint32_t>(((x >> 32) * E) >> 32);
        return (x & 0xffffffffULL) < tab[i].threshold ? i : std::uint32_t(tab[i].alias);
      };
      const PartnerEntry* partners = g.partner_table.data() + std::size_t(r.domain) * g.partner_nnz;
      const std::uint32_t* pbegin = g.partner_begin.data();
      const double alpha = g.alpha[phase];
      const double hs = double(history) * K;
      const std::uint32_t copy_thr = alpha < kNoTilt && history > 0 ? threshold32(hs / (hs + alpha)) : 0;
      const std::uint32_t prefill_thr = phase == 1 && r.prefill_tokens > 0 ? threshold32(g.prefill_copy) : 0;
      const std::uint32_t follow_thr = threshold32(g.follow);
      const std::uint16_t* lay = out + std::size_t(l) * K; // this layer's slots of token 0
      std::uint16_t* slot = token_out + std::size_t(l) * K;
      for (std::uint32_t s = 0; s < K; ++s) {
        std::uint32_t e = 0;
        bool ok = false;
        for (int attempt = 0; attempt < 24 && !ok; ++attempt) {
          const std::uint64_t x = rng.next();
          const std::uint32_t u = static_cast<std::uint32_t>(x), v = static_cast<std::uint32_t>(x >> 32);
          if (attempt < 3 && s > 0 && u < follow_thr) {
            const std::uint32_t anchor = slot[scale32(v, s)];
            const std::uint32_t a = g.identity ? anchor : g.parent[anchor];
            const std::uint32_t b = pbegin[a], n = pbegin[a + 1] - b;
            const std::uint64_t z = rng.next();
            if (n) {
              const PartnerEntry* row = partners + b;
              const std::uint32_t i = static_cast<std::uint32_t>(((z >> 32) * n) >> 32);
              e = row[(z & 0xffffffffULL) < row[i].threshold ? i : row[i].alias].id;
              if (!g.identity) { // a child of the source partner, by resampled share
                const std::uint32_t cb = g.child_begin[e], cn = g.child_begin[e + 1] - cb;
                const std::uint64_t zc = rng.next();
                if (cn) {
                  const PartnerEntry* crow = g.child_table.data() + cb;
                  const std::uint32_t j = static_cast<std::uint32_t>(((zc >> 32) * cn) >> 32);
                  e = crow[(zc & 0xffffffffULL) < crow[j].threshold ? j : crow[j].alias].id;
                } else {
                  e = draw(zc);
                }
              }
            } else {
              e = draw(z);
            }
          } else {
            const std::uint64_t y = rng.next();
            const std::uint32_t u2 = static_cast<std::uint32_t>(y), v2 = static_cast<std::uint32_t>(y >> 32);
            if (u2 < prefill_thr) { // a selection of the request's prefill, this layer
              e = lay[scale32(v2, r.prefill_tokens) * LK + scale32(v, K)];
            } else if (v < copy_thr) { // Polya urn: an earlier selection of this request, phase and layer
              e = lay[(phase_begin + scale32(v2, history)) * LK + scale32(static_cast<std::uint32_t>(rng.next()), K)];
            } else {
              e = draw(rng.next()); // fresh bits: the low half of y is conditioned by the prefill test
            }
          }
          ok = std::find(slot, slot + s, static_cast<std::uint16_t>(e)) == slot + s;
        }
        for (int attempt = 0; attempt < 64 && !ok; ++attempt) {
          e = draw(rng.next());
          ok = std::find(slot, slot + s, static_cast<std::uint16_t>(e)) == slot + s;
        }
        if (!ok) { // pathological concentration: the first unused expert after a random start
          const std::uint32_t start = rng.below(E);
          for (std::uint32_t i = 0; i < E && !ok; ++i) {
            e = (start + i) % E;
            ok = std::find(slot, slot + s, static_cast<std::uint16_t>(e)) == slot + s;
          }
        }
        slot[s] = static_cast<std::uint16_t>(e);
      }
    }
  }
}

std::uint64_t request_seed(std::uint64_t seed, std::uint64_t r) {
  return mix64(seed ^ mix64(r + 0x5ee0));
}

// Generates all requests (contiguous, in order) with `threads` threads; deterministic per request.
std::vector<std::uint16_t> generate_all(const GenContext& c, const std::vector<RequestShape>& reqs, std::uint64_t seed,
                                        unsigned threads) {
  std::vector<std::uint64_t> begin(reqs.size() + 1, 0);
  for (std::size_t r = 0; r < reqs.size(); ++r)
    begin[r + 1] = begin[r] + std::uint64_t(reqs[r].prefill_tokens) + reqs[r].decode_tokens;
  const std::uint64_t per_token = std::uint64_t(c.L) * c.K;
  std::vector<std::uint16_t> out(begin.back() * per_token);
  const auto work = [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r)
      generate_request(c, reqs[r], request_seed(seed, r), out.data() + begin[r] * per_token);
  };
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, reqs.size()));
  if (threads <= 1 || begin.back() * per_token < (1u << 20)) {
    work(0, reqs.size());
    return out;
  }
  // Contiguous chunks of about equal token counts.
  std::vector<std::thread> pool;
  std::size_t r0 = 0;
  for (unsigned i = 0; i < threads; ++i) {
    const std::uint64_t goal = begin.back() * (i + 1) / threads;
    std::size_t r1 = r0;
    while (r1 < reqs.size() && (begin[r1 + 1] <= goal || i + 1 == threads))
      ++r1;
    pool.emplace_back(work, r0, r1);
    r0 = r1;
  }
  for (auto& th : pool)
    th.join();
  return out;
}

// ---- fitting -----------------------------------------------------------------------------------------------

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

void check_option(bool ok, const std::string& what, const std::string& message) {
  if (!ok) throw InputError(what, "", message);
}

} // namespace

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
