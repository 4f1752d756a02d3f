#include <gtest/gtest.h>

#include "hw/hardware_database.hpp"
#include "test_paths.hpp"
#include "util/data_paths.hpp"

using namespace moescope;

namespace {
const HardwareDatabase& repo_hwdb() {
  static const HardwareDatabase db = HardwareDatabase::load_or_throw(hwdb_dir());
  return db;
}
} // namespace

TEST(HardwareDatabase, RepoLoadsWithoutProblems) {
  Diagnostics diags;
  auto db = HardwareDatabase::load(hwdb_dir(), diags);
  EXPECT_TRUE(diags.empty()) << diags.to_string();
  EXPECT_GE(db.accelerators().size(), 18u);
  EXPECT_GE(db.systems().size(), 14u);
}

TEST(HardwareDatabase, EveryFigureHasASource) {
  for (const auto& [name, a] : repo_hwdb().accelerators()) {
    for (const auto& [t, q] : a.peak_dense_flop_per_s)
      EXPECT_FALSE(q.source.empty()) << name;
    EXPECT_FALSE(a.hbm_bandwidth_bytes_per_s.source.empty()) << name;
    EXPECT_TRUE(a.supports(DataType::bf16)) << name;
  }
  for (const auto& [name, i] : repo_hwdb().interconnects())
    EXPECT_FALSE(i.latency_seconds.source.empty()) << name;
}

TEST(HardwareDatabase, H100Figures) {
  const Accelerator& h100 = repo_hwdb().accelerator("h100-sxm");
  EXPECT_NEAR(h100.peak_flop_per_s(DataType::bf16), 989e12, 1e12);
  EXPECT_NEAR(h100.peak_flop_per_s(DataType::fp8), 1979e12, 1e12);
  // No FP4 on Hopper: a kernel would run at the FP8 rate.
  EXPECT_EQ(h100.effective_compute_type(DataType::fp4), DataType::fp8);
  EXPECT_DOUBLE_EQ(h100.hbm_bandwidth_bytes_per_s.value, 3.35e12);
  const Interconnect& nvlink = repo_hwdb().interconnect("nvlink4");
  EXPECT_DOUBLE_EQ(nvlink.device_bandwidth_per_direction_bytes_per_s(), 450e9);
}

TEST(HardwareDatabase, ScaleUpDomains) {
  EXPECT_EQ(repo_hwdb().system("dgx-h100").scale_up_domain_size.value, 8);
  EXPECT_EQ(repo_hwdb().system("gb200-nvl72").scale_up_domain_size.value, 72);
  EXPECT_EQ(repo_hwdb().system("h800-deepseek").nics_per_accelerator.value, 1);
}

TEST(HardwareDatabase, UnknownNameListsKnownOnes) {
  try {
    repo_hwdb().accelerator("h1000", "s.json", "/system");
    FAIL();
  } catch (const InputError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("s.json: /system: unknown accelerator \"h1000\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("h100-sxm"), std::string::npos);
  }
}

TEST(HardwareDatabase, ReportsEveryProblemOfABadTree) {
  Diagnostics diags;
  HardwareDatabase::load(std::string(MOESCOPE_TEST_DATA_DIR) + "/bad-root/hwdb", diags);
  std::string all = diags.to_string();
  EXPECT_GE(diags.size(), 7u) << all;
  EXPECT_NE(all.find("/hbm_capacity_bytes/value: expected a number in [1e+06, 1e+14], got -1"), std::string::npos)
      << all;
  EXPECT_NE(all.find("/hbm_speed: unknown field"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown interconnect \"warp-link\""), std::string::npos) << all;
}

TEST(Quantity, RequiresSourceAndRange) {
  Json j = Json::parse(R"({"q": {"value": 0, "source": ""}, "r": {"value": 1}})");
  Diagnostics diags;
  JsonObjectReader reader(j, "x.json", "", diags);
  read_quantity(reader, "q", hw_range::power_watts);
  read_quantity(reader, "r", hw_range::power_watts);
  read_quantity(reader, "s", hw_range::power_watts);
  EXPECT_EQ(diags.size(), 4u) << diags.to_string();
}

TEST(Quantity, IntegerFiguresRefuseFractionsAndHugeValues) {
  // hwdb accepted 7.5 GPUs per node and a scale-up domain of 2^63 (issue 19).
  Json j = Json::parse(R"({"a": {"value": 7.5, "source": "s"}, "b": {"value": 9.3e18, "source": "s"},
                           "c": {"value": 8, "source": "s"}})");
  Diagnostics diags;
  JsonObjectReader reader(j, "x.json", "/node", diags);
  read_quantity(reader, "a", hw_range::accelerators_per_node);
  read_quantity(reader, "b", hw_range::scale_up_domain_size);
  EXPECT_EQ(read_quantity(reader, "c", hw_range::accelerators_per_node).value, 8.0);
  ASSERT_EQ(diags.size(), 2u) << diags.to_string();
  EXPECT_EQ(diags.items()[0].location, "/node/a/value");
  EXPECT_NE(diags.items()[0].message.find("an integer in [1, 1024], got the number 7.5"), std::string::npos);
  EXPECT_NE(diags.items()[1].message.find("an integer in [1, 131072]"), std::string::npos);
}
