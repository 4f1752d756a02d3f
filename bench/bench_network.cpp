// Performance targets of the network model (issue 4):
//  - trace-driven dispatch + combine, 4096 tokens, top-8 of 256 experts, 64 GPUs in 8 nodes: <= 1 ms;
//  - expected-value mode: <= 5 us per layer (BM_ExpectedLayer; the *_matrices variants also fill the GPU x GPU
//    matrices through the general path, for comparison).
// Baseline measured in the same run: summing the routing's expert ids (the cost of reading the input once), so
// "ratio_to_input_scan" says how many input scans one evaluation costs.
//  - group-limited selection (DeepSeek-V3's 8 groups, 4 per token, top-8), built once per shape at start-up:
//    BM_GroupLimitedSelection computes it exactly; BM_GroupLimitedSample is the 65,536-token sample it was estimated
//    from before, as the baseline.
#include <benchmark/benchmark.h>

#include "network/dispatch.hpp"
#include "network/group_limited_selection.hpp"

namespace moescope {
namespace {

Topology dgx_8x8() {
  TopologyParams p;
  p.nodes = 8;
  p.gpus_per_node = 8;
  p.scale_up_link_bandwidth_bytes_per_s = 25e9;
  p.scale_up_links_per_device = 18;
  p.scale_up_achievable_fraction = 0.822;
  p.scale_up_latency_seconds = 0.6e-6;
  p.has_scale_out = true;
  p.nic_bandwidth_bytes_per_s = 50e9;
  p.nic_achievable_fraction = 0.97;
  p.nic_latency_seconds = 2.7e-6;
  return Topology(p);
}

ExpectedRouting routing(double tokens_per_gpu) {
  ExpectedRouting r;
  r.tokens_per_gpu = tokens_per_gpu;
  r.top_k = 8;
  r.num_experts = 256;
  r.power_law_exponent = 0.0;
  return r;
}

const DispatchPayload kPayload = DispatchPayload::from_dtypes(7168, DataType::fp8, DataType::bf16);

void BM_InputScan(benchmark::State& state) {
  const TokenRouting tr = sample_token_routing(routing(state.range(0)), 64, 1);
  for (auto _ : state) {
    std::int64_t sum = 0;
    for (auto e : tr.experts)
      sum += e;
    benchmark::DoNotOptimize(sum);
  }
}

void BM_TraceDispatchCombine(benchmark::State& state, const char* kernel) {
  const Topology topo = dgx_8x8();
  const Placement pl = Placement::linear(256, 64, 4);
  // state.range(0) tokens per GPU: 64 -> 4096 tokens in all (the target); 4096 -> 4096 per GPU (DeepEP's tests).
  const TokenRouting tr = sample_token_routing(routing(static_cast<double>(state.range(0))), 64, 1);
  DispatchWorkspace ws;
  const DispatchKernel& k = *find_dispatch_kernel(kernel);
  for (auto _ : state) {
    const auto& r = evaluate_dispatch(k, topo, pl, tr, kPayload, {}, {}, ws);
    benchmark::DoNotOptimize(r.combine.seconds);
  }
  state.counters["tokens"] = static_cast<double>(tr.num_tokens());
}

// One MoE layer in expected-value mode (dispatch + combine, busiest link and GPU): the closed form over per-node
// and per-rail sums (default), or with the GPU x GPU traffic matrices (`matrices`, the general path).
// `group_limited`: DeepSeek-V3's 4-of-8-group routing (per-group pick counts instead of one draw over all experts);
// `slots` 5 instead of 4 adds replicas (destination probabilities per source GPU, the general path).
void BM_ExpectedLayer(benchmark::State& state, const char* kernel, bool matrices, double exponent,
                      bool group_limited = false, std::int32_t slots = 4) {
  const Topology topo = dgx_8x8();
  const Placement pl = Placement::linear(256, 64, slots);
  ExpectedRouting er = routing(128);
  er.power_law_exponent = exponent;
  if (group_limited) {
    er.num_groups = 8;
    er.groups_per_token = 4;
  }
  const auto sources = uniform_sources(er, 64);
  ExpectedDispatch out;
  DispatchOptions o;
  o.expected_traffic_matrices = matrices;
  KernelCosts costs;
  costs.per_sm_bytes_per_s = 20e9;
  costs.num_sms = 24;
  const DispatchKernel& k = *find_dispatch_kernel(kernel);
  for (auto _ : state) {
    const auto& r = evaluate_dispatch_expected(k, topo, pl, sources, kPayload, costs, o, out);
    benchmark::DoNotOptimize(r.result.combine.seconds);
  }
  state.counters["closed_form"] = out.closed_form ? 1.0 : 0.0;
}

void BM_GroupLimitedSelection(benchmark::State& state) {
  for (auto _ : state) {
    const GroupLimitedSelection sel(256, 8, 4, 8); // not the cached get(): the build itself is measured
    benchmark::DoNotOptimize(sel.top_k());
  }
}

void BM_GroupLimitedSample(benchmark::State& state) {
  for (auto _ : state) {
    const TokenRouting r = sample_group_limited_routing(1 << 16, 1, 256, 8, 8, 4, 1);
    benchmark::DoNotOptimize(r.experts.data());
  }
}

BENCHMARK(BM_GroupLimitedSelection)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GroupLimitedSample)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InputScan)->Arg(64)->Arg(4096)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_TraceDispatchCombine, deepep_normal, "deepep-normal")
    ->Arg(64)
    ->Arg(4096)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_TraceDispatchCombine, deepep_low_latency, "deepep-low-latency")
    ->Arg(64)
    ->Arg(4096)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_TraceDispatchCombine, nccl_all_to_all, "nccl-all-to-all")->Arg(64)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ExpectedLayer, deepep_normal, "deepep-normal", false, 0.0)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ExpectedLayer, deepep_low_latency, "deepep-low-latency", false, 0.0)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ExpectedLayer, nccl_all_to_all, "nccl-all-to-all", false, 0.0)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ExpectedLayer, deepep_normal_power_law, "deepep-normal", false, 1.0)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ExpectedLayer, deepep_normal_group_limited, "deepep-normal", false, 0.0, true)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ExpectedLayer, deepep_normal_replicas, "deepep-normal", false, 0.0, false, 5)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ExpectedLayer, deepep_normal_replicas_group_limited, "deepep-normal", false, 0.0, true, 5)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ExpectedLayer, deepep_normal_matrices, "deepep-normal", true, 0.0)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ExpectedLayer, deepep_low_latency_matrices, "deepep-low-latency", true, 0.0)
    ->Unit(benchmark::kMicrosecond);

} // namespace
} // namespace moescope

BENCHMARK_MAIN();
