#include <gtest/gtest.h>

#include "scenario/resolved_scenario.hpp"
#include "util/data_paths.hpp"

using namespace moescope;

namespace {

struct Fixture : ::testing::Test {
  static const HardwareDatabase& hwdb() {
    static const HardwareDatabase db = HardwareDatabase::load_or_throw(hwdb_dir());
    return db;
  }
  static const ModelCatalog& catalog() {
    static const ModelCatalog c = ModelCatalog::load_or_throw(model_catalog_dir());
    return c;
  }
  static Scenario parse(const std::string& text) {
    Diagnostics d;
    Scenario s = read_scenario(Json::parse(text), "s.json", d);
    d.throw_if_any();
    return s;
  }
  static std::string resolve_error(const std::string& text) {
    try {
      resolve_scenario(parse(text), hwdb(), catalog());
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
};

} // namespace

TEST_F(Fixture, DefaultsFillParallelDegrees) {
  auto r = resolve_scenario(parse(R"({"model": "deepseek-v3", "system": "dgx-h100", "deployment": {"nodes": 8},
                                      "workload": {"input_tokens": 1024}})"),
                            hwdb(), catalog());
  EXPECT_EQ(r.deployment.gpus_per_node, 8);
  EXPECT_EQ(r.deployment.total_gpus, 64);
  EXPECT_EQ(r.deployment.attention_dp, 64);
  EXPECT_EQ(r.deployment.moe_ep, 64);
  EXPECT_EQ(r.deployment.expert_slots_per_gpu, 4);
  EXPECT_EQ(r.deployment.redundant_expert_slots, 0);
  EXPECT_EQ(r.deployment.layers_per_stage, 61);
}

TEST_F(Fixture, RedundantSlotsAllowEp72) {
  auto r = resolve_scenario(parse(R"({"model": "deepseek-v3", "system": "dgx-h100", "deployment": {"nodes": 9},
                                      "workload": {"input_tokens": 1024}, "placement": {"expert_slots_per_gpu": 4}})"),
                            hwdb(), catalog());
  EXPECT_EQ(r.deployment.moe_ep, 72);
  EXPECT_EQ(r.deployment.redundant_expert_slots, 288 - 256);
}

TEST_F(Fixture, OverridesReplaceFiguresAndSayWhere) {
  auto r = resolve_scenario(parse(R"({"model": "deepseek-v3", "system": "dgx-h100", "deployment": {"nodes": 2},
               "workload": {"input_tokens": 1024},
               "hardware_overrides": {"accelerator_fields": {"hbm_bandwidth_bytes_per_s": 5e12,
                                                             "peak_dense_flop_per_s": {"fp8": 3e15}},
                                      "scale_out": {"nics_per_accelerator": 2}}})"),
                            hwdb(), catalog());
  EXPECT_EQ(r.accelerator.hbm_bandwidth_bytes_per_s.value, 5e12);
  EXPECT_EQ(r.accelerator.hbm_bandwidth_bytes_per_s.source, "scenario override");
  EXPECT_EQ(r.accelerator.peak_flop_per_s(DataType::fp8), 3e15);
  EXPECT_EQ(r.nics_per_accelerator, 2);
}

TEST_F(Fixture, EveryDivisibilityProblemReported) {
  std::string err = resolve_error(R"({"model": "deepseek-v3", "system": "dgx-h100",
      "deployment": {"nodes": 2, "attention": {"tp": 3}, "moe": {"ep": 5}, "pp": 3},
      "workload": {"input_tokens": 1024}})");
  EXPECT_NE(err.find("/deployment/pp"), std::string::npos) << err;
  EXPECT_NE(err.find("/deployment/attention/tp"), std::string::npos) << err;
  EXPECT_NE(err.find("/deployment/moe/ep"), std::string::npos) << err;
}

TEST_F(Fixture, DisaggregationMustAddUp) {
  std::string err = resolve_error(R"({"model": "deepseek-v3", "system": "dgx-h100",
      "deployment": {"nodes": 4, "disaggregation": {"prefill_nodes": 1, "decode_nodes": 2}},
      "workload": {"input_tokens": 1024}})");
  EXPECT_NE(err.find("prefill_nodes + decode_nodes = nodes (4), got 1 + 2"), std::string::npos) << err;
}

TEST_F(Fixture, ScenarioRoundTripsThroughJson) {
  Scenario s = parse(R"({"model": "deepseek-v3", "system": "dgx-h100", "deployment": {"nodes": 2},
      "workload": {"input_tokens": 1024, "dtypes": {"weights": "fp8"}}, "routing": {"kind": "power_law", "exponent": 1.1},
      "hardware_overrides": {"accelerator_fields": {"peak_dense_flop_per_s": {"fp8": 3e15}}}})");
  Scenario again = parse(scenario_to_json(s).dump());
  EXPECT_EQ(scenario_to_json(again), scenario_to_json(s));
  EXPECT_EQ(again.routing.power_law_exponent, 1.1);
}

TEST_F(Fixture, GroupLimitDefaultsOnRoundTripsAndRejectsNonBooleans) {
  const std::string base = R"({"model": "deepseek-v3", "system": "dgx-h100", "deployment": {"nodes": 2},
      "workload": {"input_tokens": 1024}, "routing": {"kind": "uniform")";
  EXPECT_TRUE(parse(base + "}}").routing.group_limited);
  Scenario off = parse(base + R"(, "group_limited": false}})");
  EXPECT_FALSE(off.routing.group_limited);
  EXPECT_FALSE(parse(scenario_to_json(off).dump()).routing.group_limited);
  try {
    parse(base + R"(, "group_limited": "yes"}})");
    FAIL() << "a string group_limited was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/routing/group_limited"), std::string::npos) << e.what();
  }
}
