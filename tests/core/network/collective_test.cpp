#include <gtest/gtest.h>

#include "network/collective.hpp"
#include "network/network_calibration.hpp"

namespace moescope {
namespace {

Topology dgx(int nodes) {
  TopologyParams p;
  p.nodes = nodes;
  p.gpus_per_node = 8;
  p.scale_up_link_bandwidth_bytes_per_s = 25e9;
  p.scale_up_links_per_device = 18; // 450 GB/s
  p.scale_up_latency_seconds = 0.6e-6;
  p.has_scale_out = true;
  p.nic_bandwidth_bytes_per_s = 50e9;
  p.nic_latency_seconds = 2.7e-6;
  return Topology(p);
}

TEST(Collective, BusBytesFactors) {
  EXPECT_DOUBLE_EQ(bus_bytes_factor(CollectiveOp::all_reduce, 8), 1.75);
  EXPECT_DOUBLE_EQ(bus_bytes_factor(CollectiveOp::all_gather, 8), 0.875);
  EXPECT_DOUBLE_EQ(bus_bytes_factor(CollectiveOp::send_recv, 2), 1.0);
}

TEST(Collective, RingAllReduceFormula) {
  const Topology t = dgx(1);
  CollectiveRequest r;
  r.op = CollectiveOp::all_reduce;
  r.ranks = 8;
  r.bytes = 1e9;
  r.algorithm = "ring";
  r.protocol = NcclProtocol::simple;
  const auto e = estimate_collective(t, r);
  // Latency: 8.4 us base + 2 x 7 NVLink hops x 3.4 us; transfer: 1.75 GB at 450 GB/s.
  EXPECT_NEAR(e.latency_seconds, 8.4e-6 + 14 * 3.4e-6, 1e-12);
  EXPECT_NEAR(e.transfer_seconds, 1.75e9 / 450e9, 1e-12);
  r.protocol = NcclProtocol::ll;
  EXPECT_NEAR(estimate_collective(t, r).transfer_seconds, 1.75e9 / 225e9, 1e-12); // LL: half the payload rate
}

TEST(Collective, AutoPicksLowLatencyForSmallAndBandwidthForLarge) {
  const Topology t = dgx(1);
  CollectiveRequest r;
  r.ranks = 8;
  r.bytes = 1024;
  const auto small = estimate_collective(t, r);
  EXPECT_EQ(small.protocol, NcclProtocol::ll);
  r.bytes = 1e9;
  const auto large = estimate_collective(t, r);
  EXPECT_EQ(large.algorithm, "nvls");
  EXPECT_NEAR(large.transfer_seconds, 1e9 / (450e9 * 0.85), 1e-9);
}

TEST(Collective, HierarchicalAndMultiNodeRing) {
  const Topology t = dgx(2);
  CollectiveRequest r;
  r.ranks = 16;
  r.bytes = 1.6e9;
  r.algorithm = "hierarchical";
  r.protocol = NcclProtocol::simple;
  const auto h = estimate_collective(t, r);
  // intra RS + intra AG: 2 x 7/8 x 1.6 GB at 450 GB/s; inter AR over 2 nodes of 1/8 of the data at 50 GB/s.
  EXPECT_NEAR(h.transfer_seconds, 2 * 0.875 * 1.6e9 / 450e9 + 2 * 0.5 * 0.2e9 / 50e9, 1e-9);
  r.algorithm = "ring";
  const auto ring = estimate_collective(t, r);
  // Ring across nodes: bus bandwidth min(450, 8 NICs x 50) = 400 GB/s.
  EXPECT_NEAR(ring.transfer_seconds, 2.0 * 15 / 16 * 1.6e9 / 400e9, 1e-9);
}

TEST(Collective, DirectAllToAllSplitsTiers) {
  const Topology t = dgx(2);
  CollectiveRequest r;
  r.op = CollectiveOp::all_to_all;
  r.ranks = 16;
  r.bytes = 16e6;
  r.protocol = NcclProtocol::simple;
  const auto e = estimate_collective(t, r);
  EXPECT_EQ(e.algorithm, "direct");
  // 7/16 over NVLink (450 GB/s), 8/16 over the NIC (50 GB/s): the NIC sets the time.
  EXPECT_NEAR(e.transfer_seconds, 8e6 / 50e9, 1e-12);
}

TEST(Collective, CalibratedRegimes) {
  const Topology t = dgx(1);
  NetworkCalibration cal;
  cal.collectives["all_gather"] = {
      {8, {{"ll", 65536, 10e-6, 10e9}, {"simple", 1e12, 20e-6, 300e9}}},
  };
  CollectiveRequest r;
  r.op = CollectiveOp::all_gather;
  r.ranks = 8;
  r.bytes = 1e9;
  const auto e = estimate_collective(t, r, &cal);
  EXPECT_TRUE(e.calibrated);
  EXPECT_NEAR(e.seconds, 20e-6 + 0.875e9 / 300e9, 1e-12);
  r.bytes = 1024;
  EXPECT_NEAR(estimate_collective(t, r, &cal).seconds, 10e-6 + 896.0 / 10e9, 1e-15);
}

// Dispatch-kernel costs with per-path terms: read, checked (the file, pointer and expectation), written back.
TEST(NetworkCalibration, ReadsPerPathKernelCosts) {
  const Json j = Json::parse(R"({"kind": "network_calibration", "name": "x", "system": "dgx-h100",
    "description": "d", "fitted_by": "f", "fitted_on": [], "collectives": {},
    "dispatch_kernels": {"deepep_low_latency": {"fixed_seconds": 1e-5, "scale_up_efficiency": 0.6,
      "scale_out_efficiency": 0.9, "scale_out_fixed_seconds": 8e-6, "scale_out_from": "h800-deepseek"}}})");
  Diagnostics d;
  const NetworkCalibration c = read_network_calibration(j, "x.json", d);
  ASSERT_TRUE(d.empty()) << d.to_string();
  const KernelCosts& k = c.dispatch_kernels.at("deepep-low-latency");
  EXPECT_DOUBLE_EQ(k.scale_out_fixed_seconds, 8e-6);
  EXPECT_DOUBLE_EQ(k.scale_out_efficiency, 0.9);
  EXPECT_DOUBLE_EQ(
      network_calibration_to_json(c)["dispatch_kernels"]["deepep-low-latency"]["scale_out_fixed_seconds"].get<double>(),
      8e-6);
  Json bad = j;
  bad["dispatch_kernels"]["deepep_low_latency"]["scale_out_from"] = 3;
  Diagnostics e;
  read_network_calibration(bad, "x.json", e);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e.items()[0].location, "/dispatch_kernels/deepep_low_latency/scale_out_from");
}

} // namespace
} // namespace moescope
