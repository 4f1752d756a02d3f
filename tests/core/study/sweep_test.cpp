// Sweep grid expansion, JSON-pointer edits, Pareto marking, bad sweep files, bisection and solve, sensitivity.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../engine/engine_test_support.hpp"
#include "study/json_pointer.hpp"
#include "study/sensitivity.hpp"
#include "study/solve.hpp"
#include "study/sweep.hpp"

using namespace moescope;
using namespace moescope::engine_test;

namespace {

Session& session() {
  static Session s;
  return s;
}

std::string write_temp(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "moescope_engine_tests";
  std::filesystem::create_directories(dir);
  const auto p = (dir / name).string();
  std::ofstream(p) << text;
  return p;
}

std::string default_scenario_path() {
  return repo("scenarios/default.json");
}

std::vector<Diagnostic> sweep_problems(const std::string& text) {
  const std::string p = write_temp("bad.json", text);
  try {
    load_sweep_file(p);
  } catch (const InputError& e) {
    for (const auto& d : e.diagnostics().items())
      EXPECT_EQ(d.file, p);
    return e.diagnostics().items();
  }
  return {};
}

bool has_location(const std::vector<Diagnostic>& ds, const std::string& loc) {
  for (const auto& d : ds)
    if (d.location == loc) return true;
  return false;
}

} // namespace

TEST(Sweep, SetJsonPointerCreatesObjects) {
  Json j = Json::parse(R"({"a": {"b": 1}, "s": "x"})");
  EXPECT_TRUE(set_json_pointer(j, "/a/c/d", 2));
  EXPECT_EQ(j["a"]["c"]["d"], 2);
  EXPECT_TRUE(set_json_pointer(j, "/a/b", "y"));
  EXPECT_EQ(j["a"]["b"], "y");
  EXPECT_TRUE(set_json_pointer(j, "/k~1l", 3)); // RFC 6901 escape
  EXPECT_EQ(j["k/l"], 3);
  EXPECT_FALSE(set_json_pointer(j, "/s/t", 1)); // through a string
  EXPECT_FALSE(set_json_pointer(j, "a/b", 1));  // not a pointer
}

TEST(Sweep, GridExpansionRowMajorAndZipped) {
  const std::string p = write_temp("grid.json", R"({
    "base": ")" + default_scenario_path() + R"(",
    "axes": [
      { "paths": ["/deployment/nodes", "/deployment/attention/dp", "/deployment/moe/ep"], "values": [[4, 32, 32], [8, 64, 64]] },
      { "path": "/workload/batch_per_gpu", "range": { "start": 32, "stop": 96, "step": 32 } },
      { "path": "/hardware_overrides/accelerator_fields/hbm_bandwidth_bytes_per_s", "geometric": { "start": 1e12, "stop": 4e12, "count": 3 } }
    ] })");
  const SweepSpec s = load_sweep_file(p);
  ASSERT_EQ(s.axes.size(), 3u);
  EXPECT_EQ(s.axes[1].values.size(), 3u);
  EXPECT_EQ(s.num_points(), 2u * 3u * 3u);
  EXPECT_NEAR(s.axes[2].values[1][0].get<double>(), 2e12, 1e3);
  // Last axis fastest: point 4 = (axis0 #0, axis1 #1, axis2 #1).
  std::vector<std::pair<std::string, Json>> set;
  const Json j = sweep_point_json(s, 4, &set);
  EXPECT_EQ(j["deployment"]["nodes"], 4);
  EXPECT_EQ(j["deployment"]["moe"]["ep"], 32);
  EXPECT_EQ(j["workload"]["batch_per_gpu"], 64);
  EXPECT_NEAR(j["hardware_overrides"]["accelerator_fields"]["hbm_bandwidth_bytes_per_s"].get<double>(), 2e12, 1e3);
  ASSERT_EQ(set.size(), 5u);
  const Json last = sweep_point_json(s, 17);
  EXPECT_EQ(last["deployment"]["nodes"], 8);
  EXPECT_EQ(last["workload"]["batch_per_gpu"], 96);
}

TEST(Sweep, RunsAndWritesCsvAndJson) {
  const std::string p = write_temp("run.json", R"({
    "base": ")" + default_scenario_path() + R"(",
    "axes": [ { "path": "/workload/batch_per_gpu", "values": [16, 64, 128] },
              { "path": "/deployment/moe/ep", "values": [64, 48] } ],
    "pareto": [ { "metric": "decode_tokens_per_s_per_gpu", "goal": "max" }, { "metric": "tpot_seconds", "goal": "min" } ],
    "threads": 2 })");
  const SweepSpec s = load_sweep_file(p);
  const SweepResult r = run_sweep(s, session());
  ASSERT_EQ(r.points.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(r.points[i].index, i);
    // EP48 does not divide 64 GPUs x MoE TP 1: invalid, with the resolver's message.
    EXPECT_EQ(r.points[i].ok, i % 2 == 0) << r.points[i].error;
    if (i % 2 == 1) {
      EXPECT_NE(r.points[i].error.find("/deployment/moe/ep"), std::string::npos);
    }
  }
  // Larger batches give more throughput and longer TPOT: every valid point is on the frontier.
  EXPECT_EQ(r.pareto_front, (std::vector<std::size_t>{0, 2, 4}));
  const std::string csv = sweep_csv(s, r);
  EXPECT_EQ(csv.substr(0, csv.find('\n')).find("index,/workload/batch_per_gpu,/deployment/moe/ep,status"), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);
  const Json j = sweep_json(s, r);
  EXPECT_EQ(j["points_total"], 6);
  EXPECT_EQ(j["points_valid"], 3);
  EXPECT_EQ(j["points"][1]["status"], "invalid");
}

TEST(Sweep, ParetoMarking) {
  auto pt = [](std::size_t i, double thr, double lat, bool ok = true) {
    SweepPoint p;
    p.index = i;
    p.ok = ok;
    p.metrics = {{"thr", thr}, {"lat", lat}, {"cost", thr / 10}};
    return p;
  };
  std::vector<SweepPoint> pts = {pt(0, 100, 1.0), pt(1, 200, 2.0),        pt(2, 150, 2.5), pt(3, 300, 5.0),
                                 pt(4, 90, 0.9),  pt(5, 500, 0.1, false), pt(6, 200, 2.0)};
  const std::vector<ParetoObjective> two = {{"thr", true}, {"lat", false}};
  const auto front = mark_pareto(pts, two);
  // 2 is dominated by 1; 5 failed; 1 and 6 tie (both kept).
  EXPECT_EQ(front, (std::vector<std::size_t>{0, 1, 3, 4, 6}));
  EXPECT_FALSE(pts[2].pareto);
  EXPECT_FALSE(pts[5].pareto);
  // Three objectives (pairwise): with cost = thr / 10 also minimized, point 2 (cheaper than 1) is no longer dominated.
  const std::vector<ParetoObjective> three = {{"thr", true}, {"lat", false}, {"cost", false}};
  const auto f3 = mark_pareto(pts, three);
  EXPECT_EQ(f3, (std::vector<std::size_t>{0, 1, 2, 3, 4, 6}));
  // A missing metric keeps a point off the front.
  pts[0].metrics.erase("lat");
  EXPECT_EQ(mark_pareto(pts, two), (std::vector<std::size_t>{1, 3, 4, 6}));
}

TEST(Sweep, BadFilesNameFileAndPointer) {
  const std::string base = "\"base\": \"" + default_scenario_path() + "\"";
  auto d = sweep_problems("{" + base + "}");
  EXPECT_TRUE(has_location(d, "/axes"));
  d = sweep_problems("{" + base + R"(, "axes": [ { "path": "deployment/nodes", "values": [1] } ] })");
  EXPECT_TRUE(has_location(d, "/axes/0/path"));
  d = sweep_problems("{" + base + R"(, "axes": [ { "path": "/deployment/nodes", "values": [] } ] })");
  EXPECT_TRUE(has_location(d, "/axes/0/values"));
  d = sweep_problems(
      "{" + base +
      R"(, "axes": [ { "path": "/deployment/nodes", "values": [1], "range": {"start": 1, "stop": 2, "step": 1} } ] })");
  EXPECT_TRUE(has_location(d, "/axes/0"));
  d = sweep_problems(
      "{" + base +
      R"(, "axes": [ { "path": "/workload/batch_per_gpu", "range": {"start": 8, "stop": 4, "step": 1} } ] })");
  EXPECT_TRUE(has_location(d, "/axes/0/range/stop"));
  d = sweep_problems(
      "{" + base +
      R"(, "axes": [ { "paths": ["/deployment/nodes", "/deployment/moe/ep"], "values": [[1, 2], [3]] } ] })");
  EXPECT_TRUE(has_location(d, "/axes/0/values/1"));
  // A field the scenario format does not know: reported at the axis that sets it.
  d = sweep_problems(
      "{" + base +
      R"(, "axes": [ { "path": "/workload/batch_per_gpu", "values": [8] }, { "path": "/deployment/nodez", "values": [4] } ] })");
  ASSERT_TRUE(has_location(d, "/axes/1/path"));
  // A value of the wrong type for the field.
  d = sweep_problems("{" + base + R"(, "axes": [ { "path": "/workload/batch_per_gpu", "values": ["many"] } ] })");
  EXPECT_TRUE(has_location(d, "/axes/0/path"));
  d = sweep_problems("{" + base + R"(, "axes": [ { "path": "/engine/overlap", "values": ["sometimes"] } ] })");
  EXPECT_TRUE(has_location(d, "/axes/0/path"));
  d = sweep_problems(
      "{" + base +
      R"(, "axes": [ { "path": "/workload/batch_per_gpu", "values": [8] } ], "pareto": [ { "metric": "x", "goal": "up" } ], "colour": 1 })");
  EXPECT_TRUE(has_location(d, "/pareto/0/goal"));
  EXPECT_TRUE(has_location(d, "/colour"));
  d = sweep_problems(R"({ "base": "no/such/file.json", "axes": [ { "path": "/deployment/nodes", "values": [1] } ] })");
  EXPECT_TRUE(has_location(d, "/base"));
}

TEST(Sweep, CliExitsWithStatus2OnBadSweepFile) {
  namespace fs = std::filesystem;
  const fs::path exe = fs::read_symlink("/proc/self/exe").parent_path() / "moescope";
  if (!fs::exists(exe)) GTEST_SKIP() << "moescope binary not built";
  const std::string p =
      write_temp("bad_cli.json", R"({ "base": ")" + default_scenario_path() +
                                     R"(", "axes": [ { "path": "/deployment/nodez", "values": [4] } ] })");
  const std::string err = (fs::temp_directory_path() / "moescope_engine_tests" / "err.txt").string();
  const int rc = std::system((exe.string() + " sweep " + p + " 2> " + err + " > /dev/null").c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  std::ifstream in(err);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(p), std::string::npos) << text;
  EXPECT_NE(text.find("/axes/0/path"), std::string::npos) << text;
}

TEST(Solve, BisectionConvergesOnAMonotoneToy) {
  // Smallest x in [0.1, 10] with x^2 >= 2.
  const BisectionResult b = bisect([](double x) { return x * x >= 2.0; }, 0.1, 10.0, 1e-9);
  ASSERT_TRUE(b.found);
  EXPECT_NEAR(b.value, std::sqrt(2.0), 1e-8);
  EXPECT_GE(b.value * b.value, 2.0);
  EXPECT_LT(b.other * b.other, 2.0);
  EXPECT_LT(b.iterations, 60);
  // Largest x in [-5, 5] with x <= 1.25 (arithmetic midpoints: an end is not positive).
  const BisectionResult c = bisect([](double x) { return x <= 1.25; }, -5.0, 5.0, 1e-12);
  EXPECT_NEAR(c.value, 1.25, 1e-9);
  // No crossing.
  const BisectionResult n = bisect([](double) { return false; }, 1.0, 2.0);
  EXPECT_FALSE(n.found);
  EXPECT_FALSE(n.message.empty());
}

TEST(Solve, SmallestHbmBandwidthForATpotTarget) {
  const Json base = scenario_json(default_scenario_path());
  std::map<std::string, double> m0;
  std::string err;
  ASSERT_TRUE(session().evaluate_metrics(base, default_scenario_path(), m0, err)) << err;
  SolveSpec spec;
  spec.path = "/hardware_overrides/accelerator_fields/hbm_bandwidth_bytes_per_s";
  spec.metric = "tpot_seconds";
  spec.target = m0.at("tpot_seconds") * 1.05; // a little slack: some bandwidth below the H100's suffices
  spec.at_most = true;
  spec.lo = 5e11;
  spec.hi = 2e13;
  spec.rel_tol = 1e-4;
  const SolveResult r = solve_scenario(base, default_scenario_path(), spec, session());
  ASSERT_TRUE(r.bisection.found) << r.bisection.message;
  EXPECT_LT(r.bisection.value, 3.35e12);
  EXPECT_LE(r.metrics_at_value.at("tpot_seconds"), spec.target);
  // Just below the answer the target is missed.
  Json j = base;
  set_json_pointer(j, spec.path, r.bisection.other);
  std::map<std::string, double> below;
  ASSERT_TRUE(session().evaluate_metrics(j, default_scenario_path(), below, err));
  EXPECT_GT(below.at("tpot_seconds"), spec.target);
  EXPECT_NEAR(r.bisection.other / r.bisection.value, 1.0, 2e-4);
}

TEST(Sensitivity, ElasticitiesHaveTheRightSigns) {
  const Json base = scenario_json(default_scenario_path());
  const SensitivityResult r = sensitivity(base, default_scenario_path(), 0.1, session());
  ASSERT_FALSE(r.rows.empty());
  bool saw_hbm = false, saw_nic = false;
  for (const auto& row : r.rows) {
    if (row.parameter == "/hardware_overrides/accelerator_fields/hbm_bandwidth_bytes_per_s") {
      saw_hbm = true;
      EXPECT_LT(row.elasticity.at("latency_seconds"), 0.0);
      EXPECT_GT(row.elasticity.at("tokens_per_s_per_gpu"), 0.0);
      EXPECT_GT(row.elasticity.at("latency_seconds"), -1.0 - 1e-9); // at most proportional
    }
    if (row.parameter == "/hardware_overrides/scale_out/link_bandwidth_per_direction_bytes_per_s") {
      saw_nic = true;
      EXPECT_LT(row.elasticity.at("latency_seconds"), 0.0);
    }
  }
  EXPECT_TRUE(saw_hbm);
  EXPECT_TRUE(saw_nic);
  const Json j = sensitivity_json(r);
  EXPECT_EQ(j["parameters"].size(), r.rows.size());
}
