#include "trace/synthetic_sampler.hpp"

#include <thread>

namespace moescope::trace::synthetic_detail {

namespace {

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

} // namespace

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

} // namespace moescope::trace::synthetic_detail
