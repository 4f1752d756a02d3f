#include <gtest/gtest.h>

#include <filesystem>

#include "accuracy/compute_calibration_fit.hpp"
#include "accuracy/validation_run.hpp"
#include "compute/calibration.hpp"
#include "test_paths.hpp"
#include "util/data_paths.hpp"

namespace moescope {
namespace {

std::string repo(const std::string& rel) {
  return (std::filesystem::path(MOESCOPE_TEST_DATA_DIR) / ".." / ".." / rel).lexically_normal().string();
}

bool has_problem(const Diagnostics& d, const std::string& location, const std::string& fragment) {
  for (const auto& i : d.items())
    if (i.file == "suite.json" && i.location == location && i.message.find(fragment) != std::string::npos) return true;
  return false;
}

Json gemm_case(const std::string& id) {
  return {{"id", id},
          {"device", "h800-sxm"},
          {"operation", "gemm"},
          {"parameters", {{"m", 64}, {"n", 2112}, {"k", 7168}, {"dtype", "fp8"}}},
          {"measured", 9.4e-6},
          {"unit", "seconds"},
          {"source", "test"},
          {"split", "calibration"}};
}

TEST(ValidationSuite, ReadsCases) {
  Json j = {{"kind", "validation_suite"}, {"name", "t"}, {"cases", {gemm_case("a"), gemm_case("b")}}};
  j["cases"][1]["split"] = "holdout";
  Diagnostics d;
  ValidationSuite s = read_validation_suite(j, "suite.json", d);
  ASSERT_TRUE(d.empty()) << d.to_string();
  ASSERT_EQ(s.cases.size(), 2u);
  EXPECT_EQ(s.cases[0].split, CaseSplit::calibration);
  EXPECT_EQ(s.cases[1].split, CaseSplit::holdout);
  EXPECT_EQ(s.cases[1].pointer, "/cases/1");
}

TEST(ValidationSuite, ReportsEveryProblemWithFileAndPointer) {
  Json j = {{"kind", "validation_suite"},
            {"name", "t"},
            {"cases", {gemm_case("a"), gemm_case("a"), gemm_case("c"), gemm_case("d"), gemm_case("e")}}};
  j["cases"][2]["operation"] = "gemmm";
  j["cases"][3]["parameters"].erase("k");
  j["cases"][3]["parameters"]["dtype"] = "fp9";
  j["cases"][4]["measured"] = -1;
  j["cases"][4]["unit"] = "ms";
  j["cases"][4]["extra"] = 1;
  Json g = {{"id", "g"},
            {"device", "h800-sxm"},
            {"operation", "grouped_gemm"},
            {"parameters", {{"n", 1}, {"k", 1}, {"dtype", "fp8"}, {"layout", "padded"}, {"tokens_per_group", {1, -2}}}},
            {"measured", 1.0},
            {"unit", "seconds"},
            {"source", "x"}};
  j["cases"].push_back(g);
  Diagnostics d;
  read_validation_suite(j, "suite.json", d);
  EXPECT_TRUE(has_problem(d, "/cases/1/id", "duplicate")) << d.to_string();
  EXPECT_TRUE(has_problem(d, "/cases/2/operation", "gemmm")) << d.to_string();
  EXPECT_TRUE(has_problem(d, "/cases/3/parameters/k", "")) << d.to_string();
  EXPECT_TRUE(has_problem(d, "/cases/3/parameters/dtype", "fp9")) << d.to_string();
  EXPECT_TRUE(has_problem(d, "/cases/4/measured", "")) << d.to_string();
  EXPECT_TRUE(has_problem(d, "/cases/4/unit", "")) << d.to_string();
  EXPECT_TRUE(has_problem(d, "/cases/4/extra", "")) << d.to_string();
  EXPECT_TRUE(has_problem(d, "/cases/5/parameters/layout", "")) << d.to_string();
  EXPECT_TRUE(has_problem(d, "/cases/5/parameters/tokens_per_group/1", "token count")) << d.to_string();
}

TEST(ValidationSuite, MissingFileAndSyntaxErrorsThrow) {
  EXPECT_THROW(load_validation_suite("/nonexistent/suite.json"), InputError);
}

TEST(ValidationRun, SummaryStatistics) {
  ErrorSummary s = summarize_errors({10, 2, 4, 30});
  EXPECT_EQ(s.count, 4u);
  EXPECT_DOUBLE_EQ(s.mape_percent, 11.5);
  EXPECT_DOUBLE_EQ(s.median_abs_percent, 7.0);
  EXPECT_DOUBLE_EQ(s.max_abs_percent, 30.0);
}

TEST(ValidationRun, RegistryHasTheComputeOperations) {
  for (const char* n : {"gemm", "grouped_gemm", "moe_experts", "mla_decode_module", "gemm_max_achievable"})
    EXPECT_NE(find_operation_predictor(n), nullptr) << n;
}

TEST(CalibrationFit, RecoversAKnownCalibration) {
  auto hwdb = HardwareDatabase::load_or_throw(repo("hwdb"));
  ComputeCalibration truth = default_compute_calibration();
  truth.accelerator = "h800-sxm";
  truth.gemm_compute_efficiency[DataType::fp8] = 0.62;
  truth.memory_bandwidth_efficiency = 0.8;
  truth.kernel_overhead_seconds = 5e-6;
  // Synthetic measurements from `truth`.
  std::vector<ValidationCase> cases;
  PredictionContext ctx;
  ctx.hwdb = &hwdb;
  ctx.compute_calibrations["h800-sxm"] = truth;
  int i = 0;
  for (std::int64_t m : {64, 256, 1024, 4096})
    for (std::int64_t n : {2112, 7168}) {
      ValidationCase c;
      c.id = "c" + std::to_string(i++);
      c.device = "h800-sxm";
      c.operation = "gemm";
      c.parameters = {{"m", m}, {"n", n}, {"k", 7168}, {"dtype", "fp8"}};
      c.unit = "seconds";
      c.split = CaseSplit::calibration;
      c.measured = find_operation_predictor("gemm")->predict(c, ctx);
      cases.push_back(c);
    }
  ComputeCalibration fitted = fit_compute_calibration("h800-sxm", cases, hwdb);
  EXPECT_LT(fitted.fit["mape_percent_after"].get<double>(), 5.0) << fitted.fit.dump();
  EXPECT_LT(fitted.fit["mape_percent_after"].get<double>(), fitted.fit["mape_percent_before"].get<double>());
  ASSERT_EQ(fitted.fitted_on.size(), 1u);
  EXPECT_EQ(fitted.fitted_on[0].case_ids.size(), cases.size());
}

// The committed suites with the committed calibrations meet the held-out targets (calibrated mode).
TEST(ComputeSuites, HeldOutTargetsAreMet) {
  auto hwdb = HardwareDatabase::load_or_throw(repo("hwdb"));
  PredictionContext ctx;
  ctx.hwdb = &hwdb;
  ctx.hwdb_dir = repo("hwdb");
  const std::vector<std::pair<std::string, double>> targets = {{"deepgemm-h800.json", 10.0},
                                                               {"aiconfigurator-h100-moe-decode.json", 15.0},
                                                               {"aiconfigurator-h100-moe-prefill.json", 15.0},
                                                               {"aiconfigurator-h100-mla-decode.json", 15.0}};
  for (const auto& [file, target] : targets) {
    ValidationSuite s = load_validation_suite(repo("validation/suites/" + file));
    SuiteResult r = run_validation_suite(s, ctx);
    EXPECT_GT(r.holdout.count, 0u) << file;
    EXPECT_LE(r.holdout.mape_percent, target) << file;
  }
}

} // namespace
} // namespace moescope
