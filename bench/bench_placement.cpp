// Placement fitting time per strategy. Targets (docs/placement.md):
//  - 26 MoE layers x 64 experts (DeepSeek-V2-Lite), 100k training tokens, 4 x 8 GPUs: <= 2 s per strategy;
//  - DeepSeek-V3 size, 58 MoE layers x 256 experts, top-8, 64 GPUs (8 x 8), 1M training tokens: <= 30 s per strategy.
// Each fit runs without redundant slots and with one per GPU (the +gain strategies do their work only then).
// The traces are synthetic (deterministic): requests of 8 families; a token draws each of its top-k experts from its
// family's preferred quarter of the experts (a per-layer permutation) with probability 0.6, else uniformly, so that
// co-activation and request structure exist for the strategies to find. Statistics (loads, vectors, co-activation)
// are computed once per trace and timed separately (BM_Stats_*). BM_ClusterRequests_* times the request clustering
// (k-means of the normalised traffic vectors, one cluster per node) that the activation-kmeans and joint strategies
// start from.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <numeric>

#include "network/routing.hpp"
#include "placement/kmeans.hpp"
#include "placement/strategy.hpp"
#include "trace/trace.hpp"

using namespace moescope;
using namespace moescope::placement;

namespace {

trace::ExpertTrace synthetic_trace(std::uint32_t layers, std::uint32_t experts, std::uint32_t top_k,
                                   std::uint64_t tokens, std::uint32_t tokens_per_request, std::uint64_t seed) {
  trace::TraceMetadata m;
  m.model = "synthetic";
  m.num_experts = experts;
  m.top_k = top_k;
  for (std::uint32_t l = 0; l < layers; ++l)
    m.moe_layer_ids.push_back(std::int32_t(l + 1));
  m.domains = {"synthetic"};
  SplitMix rng(seed);
  const std::uint32_t families = 8, pref = experts / 4;
  std::vector<std::uint32_t> perm(std::size_t(layers) * families * experts);
  for (std::uint32_t l = 0; l < layers; ++l)
    for (std::uint32_t f = 0; f < families; ++f) {
      auto* p = perm.data() + (std::size_t(l) * families + f) * experts;
      std::iota(p, p + experts, 0u);
      for (std::uint32_t i = experts - 1; i > 0; --i)
        std::swap(p[i], p[rng.next() % (i + 1)]);
    }
  std::vector<trace::RequestInfo> reqs;
  std::vector<std::uint16_t> ex;
  ex.reserve(tokens * layers * top_k);
  std::uint64_t tok = 0;
  for (std::uint32_t r = 0; tok < tokens; ++r) {
    const std::uint32_t n = std::uint32_t(std::min<std::uint64_t>(tokens_per_request, tokens - tok));
    const std::uint32_t f = std::uint32_t(rng.next() % families);
    reqs.push_back({"r" + std::to_string(r), 0, tok, n, 0});
    for (std::uint32_t t = 0; t < n; ++t)
      for (std::uint32_t l = 0; l < layers; ++l) {
        const auto* p = perm.data() + (std::size_t(l) * families + f) * experts;
        std::uint16_t chosen[32];
        for (std::uint32_t j = 0; j < top_k;) {
          const std::uint32_t e = rng.uniform() < 0.6 ? p[rng.next() % pref] : std::uint32_t(rng.next() % experts);
          if (std::find(chosen, chosen + j, e) != chosen + j) continue;
          chosen[j++] = std::uint16_t(e);
        }
        ex.insert(ex.end(), chosen, chosen + top_k);
      }
    tok += n;
  }
  return trace::ExpertTrace(m, std::move(reqs), std::move(ex), {});
}

struct Case {
  trace::ExpertTrace trace;
  RoutingStats stats;
  PlacementTopology topology;
};

const Case& small_case() {
  static const auto c = [] {
    auto p = std::make_unique<Case>();
    p->trace = synthetic_trace(26, 64, 6, 100000, 100, 1);
    p->stats = compute_stats(p->trace);
    p->topology = {4, 8, 0};
    return p;
  }();
  return *c;
}

const Case& v3_case() {
  static const auto c = [] {
    auto p = std::make_unique<Case>();
    p->trace = synthetic_trace(58, 256, 8, 1000000, 2000, 2);
    p->stats = compute_stats(p->trace);
    p->topology = {8, 8, 0};
    return p;
  }();
  return *c;
}

void fit(benchmark::State& state, const Case& (*get)(), const PlacementStrategy* s, std::int32_t redundant_slots,
         double target_seconds) {
  const Case& c = get();
  PlacementTopology topology = c.topology;
  topology.slots_per_gpu = topology.base_slots(std::int32_t(c.stats.num_experts)) + redundant_slots;
  for (auto _ : state) {
    auto plan = s->fit(PlacementProblem{c.stats, topology, FitOptions{}});
    benchmark::DoNotOptimize(plan.layers.data());
  }
  state.counters["target_s"] = target_seconds;
}

void stats(benchmark::State& state, const Case& (*get)()) {
  const Case& c = get();
  for (auto _ : state) {
    auto s = compute_stats(c.trace);
    benchmark::DoNotOptimize(s.load.data());
  }
}

void cluster(benchmark::State& state, const Case& (*get)()) {
  const Case& c = get();
  std::vector<std::size_t> used;
  for (auto _ : state) {
    auto km = cluster_requests(c.stats, c.topology.nodes, 1, used);
    benchmark::DoNotOptimize(km.label.data());
  }
  state.counters["requests"] = double(used.size());
  state.counters["dim"] = double(c.stats.vec_size());
}

// Registered from main: the strategy list is complete only once every registrar has run (static initialisation of
// the library's objects may come after this file's).
void register_fits(const std::string& prefix, const Case& (*get)(), double target_seconds) {
  for (std::int32_t redundant : {0, 1})
    for (const auto& s : placement_strategies())
      benchmark::RegisterBenchmark((prefix + s->name() + "/redundant:" + std::to_string(redundant)).c_str(), fit, get,
                                   s.get(), redundant, target_seconds)
          ->Unit(benchmark::kMillisecond)
          ->Iterations(1);
}

void register_benchmarks() {
  benchmark::RegisterBenchmark("BM_Stats_26x64_100k", stats, &small_case)->Unit(benchmark::kMillisecond)->Iterations(1);
  register_fits("BM_Fit_26x64_100k/", &small_case, 2.0);
  benchmark::RegisterBenchmark("BM_ClusterRequests_26x64_100k", cluster, &small_case)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_ClusterRequests_V3_58x256_1M", cluster, &v3_case)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_Stats_V3_58x256_1M", stats, &v3_case)->Unit(benchmark::kMillisecond)->Iterations(1);
  register_fits("BM_Fit_V3_58x256_1M_64gpu/", &v3_case, 30.0);
}

} // namespace

int main(int argc, char** argv) {
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
