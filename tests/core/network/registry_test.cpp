// Run-every-entry tests of the network registries: every registered dispatch kernel on the hand-worked 2 x 2 case
// (2 nodes x 2 GPUs, dispatch_test.cpp), every registered collective algorithm on 4 GPUs. The loops walk the
// registries, so a new kernel or algorithm is tested the moment its file exists.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "../registry_test_util.hpp"
#include "network/collective.hpp"
#include "network/dispatch.hpp"

namespace moescope {
namespace {

// dispatch_test.cpp's topology: scale-up 100 B/s per GPU (latency 1 s), one 10 B/s NIC per GPU (latency 2 s).
TopologyParams two_by_two() {
  TopologyParams p;
  p.nodes = 2;
  p.gpus_per_node = 2;
  p.scale_up_link_bandwidth_bytes_per_s = 100.0;
  p.scale_up_links_per_device = 1;
  p.scale_up_latency_seconds = 1.0;
  p.has_scale_out = true;
  p.nic_bandwidth_bytes_per_s = 10.0;
  p.nics_per_gpu = 1;
  p.nic_latency_seconds = 2.0;
  return p;
}

const DispatchPayload kPayload{10.0, 20.0}; // bytes per dispatched / combined row

double sum_links(const Topology& topo, const std::vector<double>& bytes, LinkKind kind) {
  double s = 0.0;
  for (std::size_t l = 0; l < topo.links().size(); ++l)
    if (topo.links()[l].kind == kind) s += bytes[l];
  return s;
}

double sum(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v)
    s += x;
  return s;
}

// What every kernel conserves: each hop's bytes leave one port and enter one, combine carries the dispatch rows
// back (bytes per row scaled), and the experts compute every token-expert pair once.
void expect_conservation(const Topology& topo, const DispatchResult& r, double pairs) {
  EXPECT_NEAR(sum(r.expert_tokens_per_gpu), pairs, 1e-9);
  for (const auto& [out, in] :
       {std::pair{LinkKind::scale_up_out, LinkKind::scale_up_in}, std::pair{LinkKind::nic_out, LinkKind::nic_in},
        std::pair{LinkKind::leaf_up, LinkKind::leaf_down}}) {
    EXPECT_NEAR(sum_links(topo, r.dispatch_link_bytes, out), sum_links(topo, r.dispatch_link_bytes, in), 1e-9);
    EXPECT_NEAR(sum_links(topo, r.combine_link_bytes, out), sum_links(topo, r.combine_link_bytes, in), 1e-9);
  }
  EXPECT_NEAR(sum_links(topo, r.dispatch_link_bytes, LinkKind::nic_out), r.dispatch.scale_out_bytes, 1e-9);
  EXPECT_NEAR(sum_links(topo, r.dispatch_link_bytes, LinkKind::scale_up_out), r.dispatch.scale_up_bytes, 1e-9);
  const double ratio = kPayload.combine_bytes_per_token / kPayload.dispatch_bytes_per_token;
  EXPECT_NEAR(sum(r.combine_link_bytes), ratio * sum(r.dispatch_link_bytes), 1e-9);
  EXPECT_NEAR(r.combine.scale_out_bytes, ratio * r.dispatch.scale_out_bytes, 1e-9);
  if (!r.dispatch_bytes.empty()) { // matrices kept (trace-driven, general expected path)
    const std::int32_t g = r.num_gpus;
    for (std::int32_t a = 0; a < g; ++a)
      for (std::int32_t b = 0; b < g; ++b) {
        const auto ab = static_cast<std::size_t>(a * g + b), ba = static_cast<std::size_t>(b * g + a);
        const double rows = a == b ? 0.0 : r.scale_up_rows[ab] + r.scale_out_rows[ab];
        EXPECT_DOUBLE_EQ(r.dispatch_bytes[ab], rows * kPayload.dispatch_bytes_per_token) << a << "->" << b;
        EXPECT_DOUBLE_EQ(r.combine_bytes[ba], ratio * r.dispatch_bytes[ab]) << a << "->" << b;
      }
  }
  EXPECT_GT(r.dispatch.seconds, 0.0);
  EXPECT_GT(r.combine.seconds, 0.0);
}

// Hand-computed values of the 2 x 2 case (dispatch_test.cpp), for the kernels that have them. Token A on GPU 0 ->
// experts 4, 5 (GPU 2), 6 (GPU 3), 2 (GPU 1); token B on GPU 0 -> 0, 1 (GPU 0), 7 (GPU 3), 3 (GPU 1).
struct HandValues {
  double scale_out_bytes;  // dispatch bytes over all NIC out links
  double transfer_seconds; // busiest link: GPU 0's NIC out at 10 B/s
  double seconds;          // < 0: not checked
};
const std::map<std::string, HandValues> kHandValues = {
    // Once per destination node (A and B each cross to GPU 2 once), then forwarded: 2 s transfer + NIC 2 s + NVLink 1
    // s.
    {"deepep_normal", {20.0, 2.0, 5.0}},
    // One row per token-expert pair on another node: A 4, 5, 6 and B 7 = 4 rows out of GPU 0's NIC.
    {"deepep_low_latency", {40.0, 4.0, -1.0}},
    {"nccl_all_to_all", {40.0, 4.0, -1.0}},
};

TEST(DispatchRegistry, EveryKernelInTheSourcesIsLinkedIn) {
  const auto& kernels = dispatch_kernels();
  EXPECT_EQ(kernels.size(), registry_testing::registrars_in_sources("network", "DispatchKernel"));
  std::set<std::string> names;
  for (const auto& k : kernels) {
    EXPECT_TRUE(names.insert(k->name()).second) << k->name();
    EXPECT_FALSE(k->description().empty()) << k->name();
    EXPECT_EQ(find_dispatch_kernel(k->name()), k.get());
  }
  EXPECT_EQ(dispatch_kernel_names().size(), kernels.size());
  EXPECT_EQ(find_dispatch_kernel("no-such-kernel"), nullptr);
}

TEST(DispatchRegistry, EveryKernelOnTheHandWorkedTwoByTwoCase) {
  const Topology topo(two_by_two());
  const Placement pl = Placement::linear(8, 4, 2);
  TokenRouting tokens;
  tokens.top_k = 4;
  tokens.source_gpu = {0, 0};
  tokens.experts = {4, 5, 6, 2, 0, 7, 1, 3};
  ExpectedRouting er;
  er.tokens_per_gpu = 2;
  er.top_k = 4;
  er.num_experts = 8;
  for (const auto& k : dispatch_kernels()) {
    SCOPED_TRACE(k->name());
    DispatchWorkspace ws;
    const DispatchResult& r = evaluate_dispatch(*k, topo, pl, tokens, kPayload, {}, {}, ws);
    expect_conservation(topo, r, 8.0);
    // A GPU receives each token that needs it at least once and at most once per pair.
    const double need[4][2] = {{1, 2}, {2, 2}, {1, 2}, {2, 2}}; // tokens needing GPU d, pairs for GPU d
    for (int d = 0; d < 4; ++d) {
      EXPECT_GE(r.received_rows_per_gpu[std::size_t(d)], need[d][0]) << "GPU " << d;
      EXPECT_LE(r.received_rows_per_gpu[std::size_t(d)], need[d][1]) << "GPU " << d;
    }
    if (auto it = kHandValues.find(k->name()); it != kHandValues.end()) {
      EXPECT_DOUBLE_EQ(r.dispatch.scale_out_bytes, it->second.scale_out_bytes);
      EXPECT_DOUBLE_EQ(r.dispatch.transfer_seconds, it->second.transfer_seconds);
      EXPECT_EQ(topo.link_name(r.dispatch.busiest_link), "node0.nic0.out");
      if (it->second.seconds >= 0.0) EXPECT_DOUBLE_EQ(r.dispatch.seconds, it->second.seconds);
    }
    // Expected-value mode, closed form and GPU x GPU matrices: 4 GPUs x 2 tokens x top-4 pairs.
    for (bool matrices : {false, true}) {
      SCOPED_TRACE(matrices ? "expected, matrices" : "expected, closed form");
      DispatchOptions o;
      o.expected_traffic_matrices = matrices;
      ExpectedDispatch ex;
      evaluate_dispatch_expected(*k, topo, pl, uniform_sources(er, 4), kPayload, {}, o, ex);
      expect_conservation(topo, ex.result, 32.0);
    }
  }
}

// Collectives on 4 GPUs: one node (a ring of 4 over the scale-up switch) and 2 nodes x 2 GPUs.
Topology four_gpus(int nodes) {
  TopologyParams p = two_by_two();
  p.nodes = nodes;
  p.gpus_per_node = 4 / nodes;
  p.scale_up_link_bandwidth_bytes_per_s = 400e9;
  p.scale_up_latency_seconds = 0.6e-6;
  p.nic_bandwidth_bytes_per_s = 50e9;
  p.nic_latency_seconds = 2.7e-6;
  return Topology(p);
}

// Closed-form transfer times (Simple protocol) of B bytes on 4 ranks, where one exists: up = scale-up, out = NIC
// bandwidth per GPU.
struct ClosedForm {
  std::string algorithm;
  CollectiveOp op;
  int nodes;
  double (*transfer)(double bytes, double up, double out);
};
const ClosedForm kClosedForms[] = {
    {"ring", CollectiveOp::all_reduce, 1, [](double b, double up, double) { return 2.0 * 3.0 / 4.0 * b / up; }},
    {"ring", CollectiveOp::all_gather, 1, [](double b, double up, double) { return 3.0 / 4.0 * b / up; }},
    {"ring", CollectiveOp::reduce_scatter, 1, [](double b, double up, double) { return 3.0 / 4.0 * b / up; }},
    // Across 2 nodes the ring leaves each node through its 2 NICs.
    {"ring", CollectiveOp::all_reduce, 2,
     [](double b, double up, double out) { return 2.0 * 3.0 / 4.0 * b / std::min(up, 2.0 * out); }},
    {"tree", CollectiveOp::all_reduce, 1, [](double b, double up, double) { return 2.0 * 3.0 / 4.0 * b / up; }},
    {"nvls", CollectiveOp::all_reduce, 1, [](double b, double up, double) { return b / (0.85 * up); }},
    {"direct", CollectiveOp::all_to_all, 1, [](double b, double up, double) { return 3.0 / 4.0 * b / up; }},
    // Half of each rank's data stays in its node (1 peer of 4), half crosses its NIC.
    {"direct", CollectiveOp::all_to_all, 2,
     [](double b, double up, double out) { return std::max(b / 4.0 / up, b / 2.0 / out); }},
    // Node ring of 2 (twice) + a ring of 2 nodes carrying half the data per rank on its NIC.
    {"hierarchical", CollectiveOp::all_reduce, 2,
     [](double b, double up, double out) { return 2.0 * (b / 2.0 / up) + 2.0 * 0.5 * (b / 2.0) / out; }},
};

TEST(CollectiveRegistry, EveryAlgorithmInTheSourcesIsLinkedIn) {
  const auto& algos = collective_algorithms();
  EXPECT_EQ(algos.size(), registry_testing::registrars_in_sources("network", "CollectiveAlgorithm"));
  std::set<std::string> names;
  for (const auto& a : algos) {
    EXPECT_TRUE(names.insert(a->name()).second) << a->name();
    EXPECT_EQ(find_collective_algorithm(a->name()), a.get());
  }
  EXPECT_EQ(find_collective_algorithm("no-such-algorithm"), nullptr);
}

TEST(CollectiveRegistry, EveryAlgorithmOnFourGpus) {
  const double bytes = 1e9;
  for (const auto& a : collective_algorithms()) {
    SCOPED_TRACE(a->name());
    int implemented = 0;
    for (int nodes : {1, 2}) {
      const Topology topo = four_gpus(nodes);
      for (auto op : {CollectiveOp::all_reduce, CollectiveOp::all_gather, CollectiveOp::reduce_scatter,
                      CollectiveOp::all_to_all, CollectiveOp::send_recv}) {
        SCOPED_TRACE(to_string(op) + " on " + std::to_string(nodes) + " node(s)");
        CollectiveRequest rq;
        rq.op = op;
        rq.ranks = 4;
        rq.bytes = bytes;
        rq.algorithm = a->name();
        rq.protocol = NcclProtocol::simple;
        CollectiveEstimate e;
        try {
          e = estimate_collective(topo, rq);
        } catch (const std::invalid_argument&) { // does not implement this op here
          continue;
        }
        ++implemented;
        EXPECT_EQ(e.algorithm, a->name());
        EXPECT_GT(e.latency_seconds, 0.0);
        EXPECT_GT(e.transfer_seconds, 0.0);
        EXPECT_TRUE(std::isfinite(e.seconds));
        EXPECT_DOUBLE_EQ(e.seconds, e.latency_seconds + e.transfer_seconds);
        EXPECT_DOUBLE_EQ(e.bus_bytes, bus_bytes_factor(op, 4) * bytes);
        for (const ClosedForm& cf : kClosedForms)
          if (cf.algorithm == a->name() && cf.op == op && cf.nodes == nodes)
            EXPECT_NEAR(e.transfer_seconds,
                        cf.transfer(bytes, topo.scale_up_bandwidth_per_gpu(), topo.scale_out_bandwidth_per_gpu()),
                        1e-12);
      }
    }
    EXPECT_GT(implemented, 0) << "implements nothing on 4 GPUs";
  }
}

} // namespace
} // namespace moescope
