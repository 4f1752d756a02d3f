// solve_scenario's checks of its input: an unknown metric is an InputError naming it (before any bisection).
#include <gtest/gtest.h>

#include "../engine/engine_test_support.hpp"
#include "study/solve.hpp"

using namespace moescope;
using namespace moescope::engine_test;

namespace {

SolveSpec bandwidth_spec(const std::string& metric) {
  SolveSpec spec;
  spec.path = "/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s";
  spec.metric = metric;
  spec.target = 0.05;
  spec.lo = 1e9;
  spec.hi = 1e12;
  return spec;
}

} // namespace

TEST(Solve, UnknownMetricIsAnInputErrorNamingIt) {
  Session session;
  const std::string path = repo("scenarios/default.json");
  const Json base = scenario_json(path);
  try {
    solve_scenario(base, path, bandwidth_spec("tpot_secs"), session);
    FAIL() << "an unknown metric was accepted";
  } catch (const InputError& e) {
    ASSERT_EQ(e.diagnostics().items().size(), 1u);
    const Diagnostic& d = e.diagnostics().items().front();
    EXPECT_EQ(d.location, "--metric");
    EXPECT_NE(d.message.find("\"tpot_secs\""), std::string::npos) << d.message;
    EXPECT_NE(d.message.find("tpot_seconds"), std::string::npos) << "lists the metrics there are: " << d.message;
  }
}

TEST(Solve, KnownMetricStillSolves) {
  Session session;
  const std::string path = repo("scenarios/default.json");
  const SolveResult r = solve_scenario(scenario_json(path), path, bandwidth_spec("tpot_seconds"), session);
  ASSERT_TRUE(r.bisection.found) << r.bisection.message;
  EXPECT_LE(r.metrics_at_value.at("tpot_seconds"), 0.05);
}
