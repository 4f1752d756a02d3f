#pragma once
// The sampler shared by the synthetic-routing fit (which calibrates by simulating it) and the generator
// (synthetic_routing.hpp describes the model). Internal to the trace module.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "trace/synthetic_routing.hpp"
#include "util/diagnostics.hpp"

namespace moescope::trace::synthetic_detail {

inline constexpr double kNoTilt = 1e12; // alpha at or above this: no Polya urn

inline std::uint64_t mix64(std::uint64_t x) {
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

// The generator's tables, in target space.
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

// Fills the alias tables of one layer: a popularity table per (domain, phase) profile and, per domain, the partner
// rows of the CSR co-activation matrix (pweights: one balanced weight set per domain, domain-major).
void build_layer_tables(GenLayer& g, std::uint32_t E, const std::vector<std::vector<double>>& profiles,
                        const std::vector<std::uint32_t>& pbegin, const std::vector<std::uint16_t>& pids,
                        const std::vector<double>& pweights);

// Generates all requests (contiguous, in order, token-major [token][layer][slot]) with `threads` threads;
// deterministic per request whatever the thread count.
std::vector<std::uint16_t> generate_all(const GenContext& c, const std::vector<RequestShape>& reqs, std::uint64_t seed,
                                        unsigned threads);

inline void check_option(bool ok, const std::string& what, const std::string& message) {
  if (!ok) throw InputError(what, "", message);
}

} // namespace moescope::trace::synthetic_detail
