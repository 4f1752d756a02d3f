// Hand-computed traffic matrices: 2 nodes x 2 GPUs, 8 experts (2 per GPU), a few tokens.
// GPUs: 0 = node0.gpu0, 1 = node0.gpu1, 2 = node1.gpu0, 3 = node1.gpu1. Linear placement: experts 0,1 on GPU 0,
// 2,3 on GPU 1, 4,5 on GPU 2, 6,7 on GPU 3.
#include <gtest/gtest.h>

#include <cmath>

#include "network/dispatch.hpp"

namespace moescope {
namespace {

TopologyParams small_params() {
  TopologyParams p;
  p.nodes = 2;
  p.gpus_per_node = 2;
  p.scale_up_link_bandwidth_bytes_per_s = 100.0; // one link, 1 per device: 100 B/s
  p.scale_up_links_per_device = 1;
  p.scale_up_latency_seconds = 1.0;
  p.has_scale_out = true;
  p.nic_bandwidth_bytes_per_s = 10.0;
  p.nics_per_gpu = 1;
  p.nic_latency_seconds = 2.0;
  return p;
}

double at(const std::vector<double>& m, int g, int a, int b) {
  return m[static_cast<std::size_t>(a * g + b)];
}

TokenRouting routing(std::initializer_list<std::pair<int, std::vector<int>>> tokens) {
  TokenRouting r;
  r.top_k = static_cast<std::int32_t>(tokens.begin()->second.size());
  for (const auto& [src, ex] : tokens) {
    r.source_gpu.push_back(src);
    r.experts.insert(r.experts.end(), ex.begin(), ex.end());
  }
  return r;
}

const DispatchPayload kPayload{10.0, 20.0}; // 10 bytes per dispatched row, 20 per combined row

TEST(DeepEpNormal, DeduplicatesPerNodeAndForwardsOverScaleUp) {
  const Topology topo(small_params());
  const Placement pl = Placement::linear(8, 4, 2);
  // Token A on GPU 0 -> experts 4 (GPU 2), 5 (GPU 2), 6 (GPU 3), 2 (GPU 1).
  // Token B on GPU 0 -> experts 0 (GPU 0), 7 (GPU 3), 1 (GPU 0), 3 (GPU 1).
  const TokenRouting r = routing({{0, {4, 5, 6, 2}}, {0, {0, 7, 1, 3}}});
  DispatchWorkspace ws;
  const auto& res = evaluate_dispatch(*find_dispatch_kernel("deepep_normal"), topo, pl, r, kPayload, {}, {}, ws);
  const int g = 4;
  // Scale-out: A and B each cross once to node 1, to the same-rail GPU 2 (A needs GPUs 2 and 3; B only 3).
  EXPECT_EQ(at(res.scale_out_rows, g, 0, 2), 2.0);
  EXPECT_EQ(at(res.scale_out_rows, g, 0, 3), 0.0);
  // GPU 2 forwards A and B to GPU 3 over NVLink.
  EXPECT_EQ(at(res.scale_up_rows, g, 2, 3), 2.0);
  // Inside node 0: A and B each go to GPU 1 once (dedup per GPU); B's experts on GPU 0 stay local.
  EXPECT_EQ(at(res.scale_up_rows, g, 0, 1), 2.0);
  EXPECT_EQ(at(res.dispatch_bytes, g, 0, 2), 20.0);
  EXPECT_EQ(at(res.combine_bytes, g, 2, 0), 40.0); // combine goes back: 2 rows x 20 bytes
  // Links: GPU 0's NIC out carries 2 rows; GPU 2's scale-up out carries the 2 forwarded rows.
  const auto nic0 = topo.nic_out_link(topo.nic_of(0));
  EXPECT_EQ(res.dispatch_link_bytes[static_cast<std::size_t>(nic0)], 20.0);
  EXPECT_EQ(res.dispatch_link_bytes[static_cast<std::size_t>(topo.scale_up_out_link(2))], 20.0);
  EXPECT_EQ(res.dispatch_link_bytes[static_cast<std::size_t>(topo.scale_up_out_link(0))], 20.0);
  // Expert side: GPU 2 computes 2 pairs (A: 4, 5), GPU 0 2 pairs (B: 0, 1); received rows dedup per GPU.
  EXPECT_EQ(res.expert_tokens_per_gpu[2], 2.0);
  EXPECT_EQ(res.received_rows_per_gpu[2], 1.0);
  EXPECT_EQ(res.received_rows_per_gpu[3], 2.0);
  // Time: busiest link = GPU 0's NIC (20 B at 10 B/s = 2 s) vs scale-up ports (20 B at 100 B/s).
  EXPECT_EQ(topo.link_name(res.dispatch.busiest_link), "node0.nic0.out");
  EXPECT_DOUBLE_EQ(res.dispatch.transfer_seconds, 2.0);
  EXPECT_DOUBLE_EQ(res.dispatch.latency_seconds, 3.0); // NIC (2) then NVLink (1): forwarding in sequence
  EXPECT_DOUBLE_EQ(res.dispatch.seconds, 5.0);
  // Combine: 2 rows x 20 B back into GPU 0's NIC in: 4 s.
  EXPECT_DOUBLE_EQ(res.combine.transfer_seconds, 4.0);
  EXPECT_EQ(topo.link_name(res.combine.busiest_link), "node0.nic0.in");
}

TEST(DeepEpLowLatency, SendsOneRowPerExpertAndPadsBuffers) {
  const Topology topo(small_params());
  const Placement pl = Placement::linear(8, 4, 2);
  // GPU 0: token -> experts 4, 5 (both GPU 2), 6 (GPU 3). GPU 1: token -> 0 (GPU 0); token -> 2 (GPU 1, itself).
  const TokenRouting r = routing({{0, {4, 5, 6}}, {1, {0, -1, -1}}, {1, {2, -1, -1}}});
  DispatchWorkspace ws;
  const auto& res = evaluate_dispatch(*find_dispatch_kernel("deepep_low_latency"), topo, pl, r, kPayload, {}, {}, ws);
  const int g = 4;
  EXPECT_EQ(at(res.scale_out_rows, g, 0, 2), 2.0); // no deduplication: one row per expert
  EXPECT_EQ(at(res.scale_out_rows, g, 0, 3), 1.0);
  EXPECT_EQ(at(res.scale_up_rows, g, 1, 0), 1.0);
  EXPECT_EQ(at(res.scale_up_rows, g, 1, 1), 0.0); // own expert: no transfer
  EXPECT_EQ(res.messages_per_gpu[0], 3.0);
  // Padding: 2 local experts x max tokens per rank (2, GPU 1) x 4 ranks = 16 rows per GPU.
  for (int d = 0; d < 4; ++d)
    EXPECT_EQ(res.padded_rows_per_gpu[static_cast<std::size_t>(d)], 16.0);
  DispatchOptions o;
  o.max_tokens_per_rank = 128;
  const auto& res2 = evaluate_dispatch(*find_dispatch_kernel("deepep_low_latency"), topo, pl, r, kPayload, {}, o, ws);
  EXPECT_EQ(res2.padded_rows_per_gpu[0], 2.0 * 128 * 4);
  EXPECT_FALSE(res2.hops_in_sequence);
  // Pure RDMA: intra-node rows go through the NICs too.
  o.use_scale_up = false;
  const auto& res3 = evaluate_dispatch(*find_dispatch_kernel("deepep_low_latency"), topo, pl, r, kPayload, {}, o, ws);
  EXPECT_EQ(at(res3.scale_out_rows, g, 1, 0), 1.0);
  EXPECT_EQ(at(res3.scale_up_rows, g, 1, 0), 0.0);
}

TEST(NcclAllToAll, DirectPerExpertCopiesOneMessagePerPeer) {
  const Topology topo(small_params());
  const Placement pl = Placement::linear(8, 4, 2);
  const TokenRouting r = routing({{0, {4, 5}}, {0, {2, 6}}});
  DispatchWorkspace ws;
  KernelCosts c;
  c.per_message_seconds = 0.5;
  const auto& res = evaluate_dispatch(*find_dispatch_kernel("nccl_all_to_all"), topo, pl, r, kPayload, c, {}, ws);
  EXPECT_EQ(at(res.scale_out_rows, 4, 0, 2), 2.0);
  EXPECT_EQ(at(res.scale_out_rows, 4, 0, 3), 1.0);
  EXPECT_EQ(at(res.scale_up_rows, 4, 0, 1), 1.0);
  EXPECT_EQ(res.dispatch.max_messages_per_gpu, 3.0); // GPU 0 -> GPUs 1, 2, 3
  EXPECT_DOUBLE_EQ(res.dispatch.message_seconds, 1.5);
  // 3 rows x 10 B out of GPU 0's NIC at 10 B/s.
  EXPECT_DOUBLE_EQ(res.dispatch.transfer_seconds, 3.0);
  // Direct: the larger of NIC and NVLink latencies; GPU 0 -> GPU 3 changes rail (2 spine hops of 0.3 us).
  EXPECT_NEAR(res.dispatch.latency_seconds, 2.0 + 0.6e-6, 1e-12);
}

// SM budget: achievable bandwidth = min(link, SMs x per-SM rate), with per-token SM work; combine's own fixed term.
TEST(KernelCosts, SmBudgetLimitsTheBusiestGpu) {
  const Topology topo(small_params());
  const Placement pl = Placement::linear(8, 4, 2);
  const TokenRouting r = routing({{0, {4, 5}}, {0, {2, 6}}});
  DispatchWorkspace ws;
  KernelCosts c;
  c.fixed_seconds = 1.0;
  c.combine_fixed_seconds = 7.0;
  c.per_sm_bytes_per_s = 1.0;
  c.num_sms = 2.0;
  c.sm_rows_per_token = 0.5;
  const auto& res = evaluate_dispatch(*find_dispatch_kernel("nccl_all_to_all"), topo, pl, r, kPayload, c, {}, ws);
  // GPU 0 sends 4 rows (2 to GPU 2, 1 each to GPUs 1 and 3) and dispatches 2 tokens: (4 + 0.5 x 2) rows x 10 B
  // over 2 SMs at 1 B/s = 25 s, more than its NIC's 3 s; combine: 5 x 20 B / 2 B/s = 50 s.
  EXPECT_DOUBLE_EQ(res.max_source_tokens_per_gpu, 2.0);
  EXPECT_DOUBLE_EQ(res.dispatch.sm_seconds, 25.0);
  EXPECT_DOUBLE_EQ(res.combine.sm_seconds, 50.0);
  EXPECT_NEAR(res.dispatch.seconds, 1.0 + res.dispatch.latency_seconds + 25.0, 1e-9);
  EXPECT_NEAR(res.combine.seconds, 7.0 + res.combine.latency_seconds + 50.0, 1e-9);
  // Enough SMs: the links bound again.
  c.num_sms = 100.0;
  const auto& fast = evaluate_dispatch(*find_dispatch_kernel("nccl_all_to_all"), topo, pl, r, kPayload, c, {}, ws);
  EXPECT_DOUBLE_EQ(fast.dispatch.transfer_seconds, 3.0);
  EXPECT_NEAR(fast.dispatch.seconds, 1.0 + fast.dispatch.latency_seconds + 3.0, 1e-9);
}

// Per-path calibration: each tier's efficiency scales its links; a phase whose rows cross the scale-out network
// takes the scale-out fixed term, one that stays inside the node the scale-up one.
TEST(KernelCosts, ScaleOutPathHasItsOwnFixedTermAndEfficiency) {
  const Topology topo(small_params());
  const Placement pl = Placement::linear(8, 4, 2);
  DispatchWorkspace ws;
  KernelCosts c;
  c.fixed_seconds = 1.0;
  c.scale_out_fixed_seconds = 4.0;
  c.scale_up_efficiency = 0.25;
  c.scale_out_efficiency = 0.5;
  // GPU 0 -> experts 4, 5, 6 on node 1 (3 rows x 10 B over its NIC at 10 B/s x 0.5) and expert 2 on GPU 1.
  const auto& cross = evaluate_dispatch(*find_dispatch_kernel("nccl_all_to_all"), topo, pl,
                                        routing({{0, {4, 5}}, {0, {2, 6}}}), kPayload, c, {}, ws);
  EXPECT_DOUBLE_EQ(cross.dispatch.transfer_seconds, 6.0);
  EXPECT_DOUBLE_EQ(cross.dispatch.fixed_seconds, 4.0);
  EXPECT_DOUBLE_EQ(cross.combine.fixed_seconds, 4.0);
  // Inside node 0 only: experts 2 and 3 on GPU 1, 2 rows x 10 B at 100 B/s x 0.25.
  const auto& local = evaluate_dispatch(*find_dispatch_kernel("nccl_all_to_all"), topo, pl, routing({{0, {2, 3}}}),
                                        kPayload, c, {}, ws);
  EXPECT_DOUBLE_EQ(local.dispatch.transfer_seconds, 0.8);
  EXPECT_DOUBLE_EQ(local.dispatch.fixed_seconds, 1.0);
  // Unset (< 0): the scale-up fixed term applies to both paths.
  c.scale_out_fixed_seconds = -1.0;
  const auto& unset = evaluate_dispatch(*find_dispatch_kernel("nccl_all_to_all"), topo, pl,
                                        routing({{0, {4, 5}}, {0, {2, 6}}}), kPayload, c, {}, ws);
  EXPECT_DOUBLE_EQ(unset.dispatch.fixed_seconds, 1.0);
}

TEST(Replicas, SameNodeFirstThenRoundRobin) {
  const Topology topo(small_params());
  // Expert 0 on GPUs 0 and 2; expert 1 on GPUs 1 and 3; experts 2..7 single.
  const Placement pl = Placement::from_lists(4, {{0, 2}, {1, 3}, {0}, {1}, {2}, {2}, {3}, {3}});
  // Tokens on GPU 2 (node 1) pick expert 0 -> replica on GPU 2 itself; on GPU 3 -> expert 0's node-1 replica (GPU 2).
  const TokenRouting r = routing({{2, {0}}, {3, {0}}, {1, {0}}});
  DispatchWorkspace ws;
  const auto& res = evaluate_dispatch(*find_dispatch_kernel("deepep_normal"), topo, pl, r, kPayload, {}, {}, ws);
  EXPECT_EQ(res.expert_tokens_per_gpu[2], 2.0);
  EXPECT_EQ(res.expert_tokens_per_gpu[0], 1.0); // GPU 1's token: replica on its node (GPU 0)
  EXPECT_EQ(at(res.scale_up_rows, 4, 3, 2), 1.0);
  EXPECT_EQ(at(res.scale_up_rows, 4, 1, 0), 1.0);
  double scale_out = 0.0;
  for (double x : res.scale_out_rows)
    scale_out += x;
  EXPECT_EQ(scale_out, 0.0); // replicas keep everything inside the node

  // Round robin alternates between replicas regardless of the node.
  Placement rr = pl;
  rr.choice = ReplicaChoice::round_robin;
  const TokenRouting r2 = routing({{0, {1}}, {0, {1}}, {0, {1}}});
  const auto& res2 = evaluate_dispatch(*find_dispatch_kernel("nccl_all_to_all"), topo, rr, r2, kPayload, {}, {}, ws);
  EXPECT_EQ(res2.expert_tokens_per_gpu[1], 2.0);
  EXPECT_EQ(res2.expert_tokens_per_gpu[3], 1.0);
}

TEST(Topology, FullMeshAndTorusPaths) {
  TopologyParams p = small_params();
  p.nodes = 1;
  p.gpus_per_node = 8;
  p.scale_up_topology = ScaleUpTopology::full_mesh;
  p.scale_up_links_per_device = 7;
  const Topology mesh(p);
  std::int32_t path[Topology::kMaxPathLinks];
  ASSERT_EQ(mesh.scale_up_path(0, 5, path), 1);
  EXPECT_EQ(mesh.link_name(path[0]), "node0.gpu0->gpu5");
  EXPECT_DOUBLE_EQ(mesh.links()[static_cast<std::size_t>(path[0])].bandwidth_bytes_per_s, 100.0);

  p.scale_up_topology = ScaleUpTopology::torus_2d;
  p.gpus_per_node = 16;
  p.scale_up_links_per_device = 4;
  const Topology torus(p);
  EXPECT_EQ(torus.torus_dims(), (std::vector<std::int32_t>{4, 4}));
  // 0 = (0,0) to 10 = (2,2): two hops on axis 0, two on axis 1.
  EXPECT_EQ(torus.scale_up_path(0, 10, path), 4);
  // 0 to 3 = (3,0): one hop the short way round (- direction).
  ASSERT_EQ(torus.scale_up_path(0, 3, path), 1);
  EXPECT_EQ(torus.link_name(path[0]), "node0.gpu0.torus.axis0-");
  EXPECT_DOUBLE_EQ(torus.scale_up_latency(0, 10), 4.0);
}

TEST(Topology, OversubscribedCrossRailTraffic) {
  TopologyParams p = small_params();
  p.oversubscription = 2.0;
  const Topology topo(p);
  std::int32_t path[Topology::kMaxPathLinks];
  // GPU 0 (rail 0) to GPU 3 (node 1, rail 1): NIC out, leaf up (rail 0), leaf down (rail 1), NIC in.
  ASSERT_EQ(topo.scale_out_path(0, 3, path), 4);
  EXPECT_EQ(topo.link_name(path[1]), "rail0.leaf.up");
  // A leaf has 2 NICs below it (one per node) at 10 B/s, oversubscribed 2:1 -> 10 B/s up.
  EXPECT_DOUBLE_EQ(topo.links()[static_cast<std::size_t>(path[1])].bandwidth_bytes_per_s, 10.0);
  ASSERT_EQ(topo.scale_out_path(0, 2, path), 2); // same rail: leaf only
}

TEST(ExpectedValue, MatchesTraceDrivenOnSyntheticRouting) {
  TopologyParams p = small_params();
  p.nodes = 4;
  p.gpus_per_node = 4;
  p.scale_up_link_bandwidth_bytes_per_s = 400e9;
  p.nic_bandwidth_bytes_per_s = 50e9;
  const Topology topo(p);
  const Placement pl = Placement::linear(64, 16, 4);
  for (double exponent : {0.0, 1.0}) {
    ExpectedRouting er;
    er.tokens_per_gpu = 256;
    er.top_k = 4;
    er.num_experts = 64;
    er.power_law_exponent = exponent;
    for (const char* kernel : {"deepep_normal", "deepep_low_latency", "nccl_all_to_all"}) {
      const DispatchKernel& k = *find_dispatch_kernel(kernel);
      ExpectedDispatch ex;
      evaluate_dispatch_expected(k, topo, pl, uniform_sources(er, 16), kPayload, {}, {}, ex);
      double busiest = 0.0, max_gpu = 0.0, nic_mean = 0.0, trace_nic_mean = 0.0;
      const int trials = 12;
      DispatchWorkspace ws;
      for (int s = 0; s < trials; ++s) {
        const TokenRouting tr = sample_token_routing(er, 16, 1000 + s);
        const auto& res = evaluate_dispatch(k, topo, pl, tr, kPayload, {}, {}, ws);
        busiest += res.dispatch.busiest_link_bytes / trials;
        max_gpu += res.max_expert_tokens_per_gpu / trials;
        trace_nic_mean += res.dispatch.scale_out_bytes / trials;
      }
      nic_mean = ex.result.dispatch.scale_out_bytes;
      SCOPED_TRACE(std::string(kernel) + " exponent " + std::to_string(exponent));
      EXPECT_NEAR(nic_mean / trace_nic_mean, 1.0, 0.03);                       // means: near exact
      EXPECT_NEAR(ex.result.dispatch.busiest_link_bytes / busiest, 1.0, 0.10); // expected maximum
      EXPECT_NEAR(ex.expected_max_expert_tokens_per_gpu / max_gpu, 1.0, 0.10);
    }
  }
}

// The closed form (per-node / per-rail sums) and the general path (GPU x GPU matrices) agree on every link load,
// per-GPU count and phase term, for rail-optimized and per-node leaves, oversubscription, an EP group smaller than
// the topology, one node, uniform and power-law routing.
TEST(ExpectedValue, ClosedFormMatchesMatrices) {
  struct Case {
    int nodes, gpn, gpus_used;
    bool rail;
    double oversub, exponent;
  };
  const Case cases[] = {{4, 4, 16, true, 1.0, 0.0}, {4, 4, 16, false, 2.0, 1.2}, {3, 4, 12, true, 2.0, 0.8},
                        {4, 4, 10, true, 1.0, 0.0}, {1, 8, 8, true, 1.0, 0.5},   {2, 8, 16, false, 1.0, 0.0}};
  KernelCosts costs;
  costs.fixed_seconds = 1e-6;
  costs.per_message_seconds = 1e-8;
  costs.scale_up_efficiency = 0.8;
  costs.scale_out_efficiency = 0.9;
  costs.per_sm_bytes_per_s = 1e9;
  costs.num_sms = 8;
  for (const Case& c : cases) {
    TopologyParams p = small_params();
    p.nodes = c.nodes;
    p.gpus_per_node = c.gpn;
    p.scale_up_link_bandwidth_bytes_per_s = 400e9;
    p.nic_bandwidth_bytes_per_s = 50e9;
    p.rail_optimized = c.rail;
    p.oversubscription = c.oversub;
    const Topology topo(p);
    // A replica-free placement (the closed form's case), also when 64 is not a multiple of the GPUs.
    std::vector<std::vector<std::int32_t>> lists(64);
    for (int e = 0; e < 64; ++e)
      lists[static_cast<std::size_t>(e)] = {(e * 7) % c.gpus_used};
    const Placement single = Placement::from_lists(c.gpus_used, lists);
    ExpectedRouting er;
    er.tokens_per_gpu = 100;
    er.top_k = 6;
    er.num_experts = 64;
    er.power_law_exponent = c.exponent;
    for (const char* kernel : {"deepep_normal", "deepep_low_latency", "nccl_all_to_all"}) {
      SCOPED_TRACE(std::string(kernel) + " nodes " + std::to_string(c.nodes) + " used " + std::to_string(c.gpus_used) +
                   (c.rail ? " rail" : " per-node"));
      const DispatchKernel& k = *find_dispatch_kernel(kernel);
      ExpectedDispatch fast, full;
      DispatchOptions o;
      evaluate_dispatch_expected(k, topo, single, uniform_sources(er, c.gpus_used), kPayload, costs, o, fast);
      o.expected_traffic_matrices = true;
      evaluate_dispatch_expected(k, topo, single, uniform_sources(er, c.gpus_used), kPayload, costs, o, full);
      ASSERT_TRUE(fast.closed_form);
      ASSERT_FALSE(full.closed_form);
      EXPECT_TRUE(fast.result.scale_up_rows.empty());
      const auto near = [](const std::vector<double>& a, const std::vector<double>& b, const char* what) {
        ASSERT_EQ(a.size(), b.size()) << what;
        for (std::size_t i = 0; i < a.size(); ++i)
          EXPECT_NEAR(a[i], b[i], 1e-9 * (1.0 + std::abs(b[i]))) << what << " " << i;
      };
      near(fast.result.dispatch_link_bytes, full.result.dispatch_link_bytes, "dispatch links");
      near(fast.result.combine_link_bytes, full.result.combine_link_bytes, "combine links");
      near(fast.result.expert_tokens_per_gpu, full.result.expert_tokens_per_gpu, "expert tokens");
      near(fast.result.expert_tokens_var, full.result.expert_tokens_var, "expert tokens var");
      near(fast.result.received_rows_per_gpu, full.result.received_rows_per_gpu, "received");
      near(fast.result.padded_rows_per_gpu, full.result.padded_rows_per_gpu, "padded");
      near(fast.result.messages_per_gpu, full.result.messages_per_gpu, "messages");
      for (double PhaseCost::*ph :
           {&PhaseCost::seconds, &PhaseCost::transfer_seconds, &PhaseCost::sm_seconds, &PhaseCost::latency_seconds,
            &PhaseCost::message_seconds, &PhaseCost::busiest_link_bytes, &PhaseCost::max_messages_per_gpu,
            &PhaseCost::scale_up_bytes, &PhaseCost::scale_out_bytes}) {
        EXPECT_NEAR(fast.result.dispatch.*ph, full.result.dispatch.*ph,
                    1e-9 * (1.0 + std::abs(full.result.dispatch.*ph)));
        EXPECT_NEAR(fast.result.combine.*ph, full.result.combine.*ph, 1e-9 * (1.0 + std::abs(full.result.combine.*ph)));
      }
      EXPECT_EQ(fast.result.dispatch.busiest_link, full.result.dispatch.busiest_link);
      EXPECT_EQ(fast.result.combine.busiest_link, full.result.combine.busiest_link);
      EXPECT_NEAR(fast.expected_max_expert_tokens_per_gpu, full.expected_max_expert_tokens_per_gpu, 1e-9);
    }
  }
}

TEST(ExpectedValue, BlomExpectedMaximum) {
  EXPECT_EQ(expected_max_standard_normal(1), 0.0);
  // Blom's approximation is within a few percent of the exact values (1/sqrt(pi) = 0.5642; 2.4175 for 64).
  EXPECT_NEAR(expected_max_standard_normal(2), 0.5642, 0.03);
  EXPECT_NEAR(expected_max_standard_normal(64), 2.4175, 0.1);
}

TEST(Routing, InclusionProbabilitiesAndSampling) {
  ExpectedRouting er;
  er.top_k = 2;
  er.num_experts = 4;
  er.power_law_exponent = 3.0; // weights 1, 1/8, 1/27, 1/64 -> expert 0 capped at 1
  const auto pi = inclusion_probabilities(er);
  EXPECT_DOUBLE_EQ(pi[0], 1.0);
  double sum = 0.0;
  for (double x : pi)
    sum += x;
  EXPECT_NEAR(sum, 2.0, 1e-12);
  er.tokens_per_gpu = 4000;
  const TokenRouting r = sample_token_routing(er, 1, 7);
  std::vector<double> freq(4, 0.0);
  for (std::size_t t = 0; t < 4000; ++t) {
    EXPECT_NE(r.experts[2 * t], r.experts[2 * t + 1]);
    for (int j = 0; j < 2; ++j)
      freq[static_cast<std::size_t>(r.experts[2 * t + j])] += 1.0 / 4000;
  }
  for (int e = 0; e < 4; ++e)
    EXPECT_NEAR(freq[static_cast<std::size_t>(e)], pi[static_cast<std::size_t>(e)], 0.03);
}

// Many replicas of one expert (more than the 256 the replica weights once had room for): 2 experts on 600 GPUs,
// 300 copies each. The expected-value path still conserves the token-expert pairs and spreads them evenly.
TEST(ExpectedValue, ManyReplicasPerExpert) {
  TopologyParams p = small_params();
  p.nodes = 75;
  p.gpus_per_node = 8;
  const Topology topo(p);
  const Placement pl = Placement::linear(2, 600, 1);
  ASSERT_EQ(pl.replicas(0), 300);
  ExpectedRouting er;
  er.tokens_per_gpu = 10;
  er.top_k = 1;
  er.num_experts = 2;
  ExpectedDispatch ex;
  evaluate_dispatch_expected(*find_dispatch_kernel("deepep_normal"), topo, pl, uniform_sources(er, 600), kPayload, {},
                             {}, ex);
  double pairs = 0.0;
  for (double x : ex.result.expert_tokens_per_gpu)
    pairs += x;
  EXPECT_NEAR(pairs, 600.0 * 10.0, 1e-6);
  EXPECT_NEAR(ex.mean_expert_tokens_per_gpu, 10.0, 1e-9);
}

// Beyond kMaxTrafficMatrixGpus the GPU x GPU matrices are refused (front ends report the scenario field first).
TEST(ExpectedValue, RefusesTrafficMatricesBeyondTheLimit) {
  TopologyParams p = small_params();
  p.nodes = kMaxTrafficMatrixGpus / 8 + 1;
  p.gpus_per_node = 8;
  const Topology topo(p);
  const Placement pl = Placement::linear(8, topo.num_gpus(), 1); // replicas: the matrix path
  TokenRouting tr;
  tr.top_k = 1;
  tr.experts = {0};
  tr.source_gpu = {0};
  DispatchWorkspace ws;
  EXPECT_THROW(evaluate_dispatch(*find_dispatch_kernel("deepep_normal"), topo, pl, tr, kPayload, {}, {}, ws),
               std::length_error);
}

} // namespace
} // namespace moescope
