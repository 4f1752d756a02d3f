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

TEST(Solve, PointsAreTheBisectionsEvaluationsWithTheMetricThere) {
  Session session;
  const std::string path = repo("scenarios/default.json");
  const Json base = scenario_json(path);
  const SolveSpec spec = bandwidth_spec("tpot_seconds");
  const SolveResult r = solve_scenario(base, path, spec, session);
  ASSERT_TRUE(r.bisection.found) << r.bisection.message;
  ASSERT_EQ(r.points.size(), r.bisection.trace.size());
  EXPECT_EQ(r.points.size(), std::size_t(r.bisection.iterations) + 2); // both ends, then one per bisection
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const SolvePoint& p = r.points[i];
    EXPECT_EQ(p.value, r.bisection.trace[i].first);
    EXPECT_EQ(p.satisfied, r.bisection.trace[i].second);
    ASSERT_TRUE(p.valid);
    EXPECT_EQ(p.satisfied, p.metric <= spec.target);
    Json j = base;
    j["hardware_overrides"]["scale_out"]["link_bandwidth_per_direction_bytes_per_s"] = p.value;
    std::map<std::string, double> m;
    std::string error;
    ASSERT_TRUE(session.evaluate_metrics(j, path, m, error)) << error;
    EXPECT_EQ(p.metric, m.at("tpot_seconds"));
  }
  // The answer is the last satisfying point; TPOT falls as the bandwidth grows.
  EXPECT_EQ(r.points.front().value, spec.lo);
  EXPECT_FALSE(r.points.front().satisfied);
  EXPECT_TRUE(r.points[1].satisfied);
  EXPECT_GT(r.points.front().metric, r.points[1].metric);
}

TEST(Solve, IntegerFieldPointsHoldTheRoundedValue) {
  Session session;
  const std::string path = repo("scenarios/default.json");
  SolveSpec spec;
  spec.path = "/workload/batch_per_gpu";
  spec.metric = "tpot_seconds";
  spec.target = 1e9; // every batch meets it: both ends satisfy, no bisection
  spec.lo = 1.4;
  spec.hi = 7.6;
  spec.integer = true;
  const SolveResult r = solve_scenario(scenario_json(path), path, spec, session);
  EXPECT_FALSE(r.bisection.found);
  ASSERT_EQ(r.points.size(), 2u);
  EXPECT_EQ(r.points[0].value, 1);
  EXPECT_EQ(r.points[1].value, 8);
}
