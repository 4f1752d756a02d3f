#include <gtest/gtest.h>

#include <filesystem>

#include "compute/compute_engine.hpp"
#include "compute/operators.hpp"
#include "test_paths.hpp"

namespace moescope {
namespace {

Accelerator h100_like() {
  Accelerator a;
  a.name = "test-gpu";
  a.peak_dense_flop_per_s[DataType::bf16] = {1e15, "test", false, "", true};
  a.peak_dense_flop_per_s[DataType::fp8] = {2e15, "test", false, "", true};
  a.hbm_bandwidth_bytes_per_s = {3e12, "test", false, "", true};
  a.compute_units = {132, "test", false, "", true};
  return a;
}

ComputeCalibration plain() {
  ComputeCalibration c;
  c.gemm_compute_efficiency_default = 1.0;
  c.memory_bandwidth_efficiency = 1.0;
  c.unit_bandwidth_share = 1.0;
  c.kernel_overhead_seconds = 0;
  c.eager_launch_overhead_seconds = 0;
  c.gemm_tile_m = {128};
  c.gemm_tile_n = {128};
  c.roofline_overlap_exponent = 64;
  return c;
}

TEST(Engine, SpeedOfLightIsTheRoofline) {
  Accelerator a = h100_like();
  ComputeEngine e(a, plain(), {EngineMode::speed_of_light, true});
  OperatorWork w = dense_gemm("g", "x", 4096, 4096, 4096, DataType::bf16);
  OperatorTime t = e.evaluate(w);
  EXPECT_DOUBLE_EQ(t.compute_seconds, w.flop / 1e15);
  EXPECT_DOUBLE_EQ(t.memory_seconds, w.bytes() / 3e12);
  EXPECT_DOUBLE_EQ(t.seconds, t.compute_seconds);
  EXPECT_EQ(t.bound, Bound::compute);
  OperatorWork s = dense_gemm("g", "x", 1, 4096, 4096, DataType::bf16);
  EXPECT_EQ(e.evaluate(s).bound, Bound::memory);
}

TEST(Engine, WaveQuantization64RowGemmIsNotOneSixtyFourthOf4096Rows) {
  Accelerator a = h100_like();
  ComputeEngine e(a, plain(), {EngineMode::calibrated, true});
  // 64 x 4096: one row of 128-tiles (padded), 32 tiles, one wave. 4096 x 4096: 1024 tiles, 8 waves of 132.
  auto small = e.plan_gemm_tiles({{64}, 4096, 4096, GroupedLayout::contiguous});
  auto big = e.plan_gemm_tiles({{4096}, 4096, 4096, GroupedLayout::contiguous});
  EXPECT_DOUBLE_EQ(small.tiles, 32);
  EXPECT_DOUBLE_EQ(small.waves, 1);
  EXPECT_DOUBLE_EQ(big.tiles, 1024);
  EXPECT_DOUBLE_EQ(big.waves, 8);
  const double ts = e.evaluate(dense_gemm("s", "x", 64, 4096, 4096, DataType::bf16)).compute_seconds;
  const double tb = e.evaluate(dense_gemm("b", "x", 4096, 4096, 4096, DataType::bf16)).compute_seconds;
  EXPECT_DOUBLE_EQ(tb / ts, 8.0); // not 64
  EXPECT_DOUBLE_EQ(ts, 132 * 2.0 * 128 * 128 * 4096 / 1e15);
}

TEST(Engine, MaskedGroupedGemmPaysForPaddingAndTheBusiestGroupsCount) {
  Accelerator a = h100_like();
  ComputeCalibration c = plain();
  c.gemm_tile_m = {64};
  ComputeEngine e(a, c, {EngineMode::calibrated, true});
  // 8 experts with 1 token each: each pads to a 64-row tile.
  auto plan = e.plan_gemm_tiles({{1, 1, 1, 1, 1, 1, 1, 1}, 4096, 7168, GroupedLayout::masked});
  EXPECT_DOUBLE_EQ(plan.tiles, 8 * 32);
  // An imbalanced load (one expert with 130 tokens) takes three row tiles for that expert.
  auto imb = e.plan_gemm_tiles({{130, 0, 0, 0}, 4096, 7168, GroupedLayout::masked});
  EXPECT_DOUBLE_EQ(imb.tiles, 3 * 32);
  // Memory: only experts with tokens are read, so 8 busy experts cost 8x one expert's weights.
  const auto one = grouped_gemm("e", "r", {1}, 4096, 7168, DataType::fp8, GroupedLayout::masked);
  const auto eight = grouped_gemm("e", "r", {1, 1, 1, 1, 1, 1, 1, 1}, 4096, 7168, DataType::fp8, GroupedLayout::masked);
  EXPECT_DOUBLE_EQ(eight.weight_bytes, 8 * one.weight_bytes);
}

TEST(Engine, OverheadsAndLaunchBound) {
  Accelerator a = h100_like();
  ComputeCalibration c = plain();
  c.kernel_overhead_seconds = 2e-6;
  c.eager_launch_overhead_seconds = 50e-6;
  OperatorWork tiny = elementwise("n", "norms", 1024, DataType::bf16, 1024, DataType::bf16);
  OperatorTime g = ComputeEngine(a, c, {EngineMode::calibrated, true}).evaluate(tiny);
  EXPECT_NEAR(g.seconds, 2e-6 + 4096 / 3e12, 1e-15);
  EXPECT_EQ(g.bound, Bound::launch);
  OperatorTime eager = ComputeEngine(a, c, {EngineMode::calibrated, false}).evaluate(tiny);
  EXPECT_DOUBLE_EQ(eager.seconds, 50e-6);
}

TEST(Engine, BandwidthOccupancyLimitsSmallKernels) {
  Accelerator a = h100_like();
  ComputeCalibration c = plain();
  c.unit_bandwidth_share = 1.0 / 66;
  ComputeEngine e(a, c, {EngineMode::calibrated, true});
  EXPECT_DOUBLE_EQ(e.bandwidth_occupancy(33), 0.5);
  EXPECT_DOUBLE_EQ(e.bandwidth_occupancy(500), 1.0);
}

TEST(Calibration, RoundTripsThroughJsonAndReportsBadValues) {
  ComputeCalibration c = default_compute_calibration();
  c.accelerator = "h100-sxm";
  c.gemm_compute_efficiency[DataType::fp8] = 0.71;
  c.fitted_on.push_back({"validation/suites/x.json", {"a", "b"}});
  Diagnostics d;
  ComputeCalibration back = read_compute_calibration(compute_calibration_to_json(c), "c.json", d);
  EXPECT_TRUE(d.empty()) << d.to_string();
  EXPECT_DOUBLE_EQ(back.gemm_efficiency(DataType::fp8), 0.71);
  EXPECT_EQ(back.fitted_on.at(0).case_ids.size(), 2u);
  Json bad = compute_calibration_to_json(c);
  bad["parameters"]["memory_bandwidth_efficiency"] = 1.5;
  bad["parameters"]["gemm_compute_efficiency"]["fp9"] = 0.5;
  bad["parameters"]["typo"] = 1;
  Diagnostics d2;
  read_compute_calibration(bad, "c.json", d2);
  ASSERT_EQ(d2.size(), 3u) << d2.to_string();
}

TEST(Calibration, RepositoryFilesLoad) {
  const auto dir = std::filesystem::path(MOESCOPE_TEST_DATA_DIR) / ".." / ".." / "hwdb";
  for (const char* name : {"h100-sxm", "h800-sxm"}) {
    ComputeCalibration c = find_compute_calibration(dir.lexically_normal().string(), name);
    EXPECT_FALSE(c.file.empty()) << name;
    EXPECT_FALSE(c.fitted_on.empty()) << name;
  }
}

} // namespace
} // namespace moescope
