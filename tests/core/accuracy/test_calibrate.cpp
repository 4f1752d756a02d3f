// The calibration pipeline (core/validation/calibrate.hpp) on a published suite (validation/suites/deepgemm-h800.json)
// and on the synthetic CUDA fixture tests/data/cuda/synthetic-h100-sxm.json (hand-made, not a measurement).
#include <gtest/gtest.h>

#include <set>

#include "accuracy/calibrate.hpp"
#include "hw/hardware_database.hpp"
#include "test_paths.hpp"
#include "util/data_paths.hpp"

namespace moescope {
namespace {

const std::string kFixture = std::string(MOESCOPE_TEST_DATA_DIR) + "/cuda/synthetic-h100-sxm.json";
const std::string kDeepGemm = std::string(MOESCOPE_TEST_DATA_DIR) + "/../../validation/suites/deepgemm-h800.json";

const HardwareDatabase& hwdb() {
  static const HardwareDatabase db = HardwareDatabase::load_or_throw(hwdb_dir());
  return db;
}

CalibrateOptions options(const std::string& device) {
  CalibrateOptions o;
  o.device = device;
  return o;
}

TEST(Calibrate, PublishedSuiteHeldOutErrorDoesNotGetWorse) {
  std::vector<CalibrationInput> in = {load_calibration_input(kDeepGemm, "h800-sxm")};
  CalibrateResult r = calibrate_compute(in, hwdb(), options("h800-sxm"));
  EXPECT_EQ(r.cases.size(), 28u);
  EXPECT_EQ(r.calibration_cases, 21u);
  EXPECT_EQ(r.holdout_cases, 7u);
  EXPECT_EQ(r.before.calibration.count, 21u);
  EXPECT_EQ(r.before.holdout.count, 7u);
  EXPECT_LE(r.after.calibration.mape_percent, r.before.calibration.mape_percent);
  EXPECT_LE(r.after.holdout.mape_percent, r.before.holdout.mape_percent);
  EXPECT_FALSE(r.installed.has_value()); // no hwdb_dir given
  // Provenance: only calibration rows are fitted on.
  ASSERT_EQ(r.fitted.fitted_on.size(), 1u);
  EXPECT_EQ(r.fitted.fitted_on[0].suite, kDeepGemm);
  EXPECT_EQ(r.fitted.fitted_on[0].case_ids.size(), 21u);
  std::set<std::string> held;
  for (const auto& c : in[0].suite.cases)
    if (c.split == CaseSplit::holdout) held.insert(c.id);
  for (const auto& id : r.fitted.fitted_on[0].case_ids)
    EXPECT_EQ(held.count(id), 0u) << id;
  EXPECT_EQ(r.fitted.accelerator, "h800-sxm");
  EXPECT_TRUE(r.fitted.fit.contains("date_utc"));
  EXPECT_EQ(r.fitted.fit["inputs"][0]["kind"], "validation_suite");
  EXPECT_EQ(r.fitted.fit["holdout_cases"], 7);
  EXPECT_DOUBLE_EQ(r.fitted.fit["holdout_mape_percent_after"].get<double>(), r.after.holdout.mape_percent);
}

TEST(Calibrate, InstalledCalibrationIsComparedWhenPresent) {
  std::vector<CalibrationInput> in = {load_calibration_input(kDeepGemm, "h800-sxm")};
  CalibrateOptions o = options("h800-sxm");
  o.hwdb_dir = hwdb_dir();
  o.fit.rounds = 1;
  CalibrateResult r = calibrate_compute(in, hwdb(), o);
  // hwdb/calibrations/h800-sxm-compute.json may or may not exist; when it does it is evaluated.
  EXPECT_EQ(r.installed.has_value(), !r.installed_file.empty());
  if (r.installed) {
    EXPECT_EQ(r.installed->all.count, 28u);
  }
}

TEST(Calibrate, FileRoundTripsThroughTheCalibrationReader) {
  std::vector<CalibrationInput> in = {load_calibration_input(kFixture, "h100-sxm")};
  CalibrateOptions o = options("h100-sxm");
  o.fit.rounds = 2;
  CalibrateResult r = calibrate_compute(in, hwdb(), o);
  // 12 GEMMs (9 + 3 held out), 4 grouped GEMMs (3 + 1), 2 attention decodes, 2 HBM streams.
  EXPECT_EQ(r.calibration_cases, 16u);
  EXPECT_EQ(r.holdout_cases, 4u);
  EXPECT_LE(r.after.calibration.mape_percent, r.before.calibration.mape_percent);
  const Json j = calibration_file_json(r, "test");
  EXPECT_EQ(j["generated_by"], "test");
  EXPECT_EQ(j["fit"]["inputs"][0]["kind"], "cuda_measurements");
  EXPECT_EQ(j["fit"]["inputs"][0]["cuda"]["errored"], 6);
  EXPECT_EQ(j["fit"]["inputs"][0]["cuda"]["without_predictor"], 0);
  EXPECT_EQ(j["fit"]["inputs"][0]["cuda"]["not_modeled"], 3);
  EXPECT_EQ(j["fit"]["inputs"][0]["cuda"]["grouped_as_single_kernel"], 0);
  Diagnostics d;
  ComputeCalibration back = read_compute_calibration(j, "cal.json", d);
  EXPECT_EQ(d.to_string(), "");
  EXPECT_EQ(back.accelerator, "h100-sxm");
  ASSERT_EQ(back.fitted_on.size(), 1u);
  EXPECT_EQ(back.fitted_on[0].case_ids.size(), 16u);
  // The reread calibration predicts what the fitted one did.
  std::vector<const ValidationCase*> cases;
  for (const auto& c : in[0].suite.cases)
    cases.push_back(&c);
  const SplitErrors e = evaluate_compute_calibration(cases, hwdb(), back);
  EXPECT_NEAR(e.all.mape_percent, r.after.all.mape_percent, 1e-6);
}

TEST(Calibrate, ExcludedRowsAndNetworkOperationsAreKeptApart) {
  std::vector<CalibrationInput> in = {load_calibration_input(kFixture, "h100-sxm")};
  in[0].suite.cases[0].split = CaseSplit::excluded;
  ValidationCase net;
  net.id = "ar";
  net.device = "h100-sxm";
  net.operation = "nccl_all_reduce";
  net.measured = 1e-5;
  net.unit = "seconds";
  net.split = CaseSplit::calibration;
  in[0].suite.cases.push_back(net);
  CalibrateOptions o = options("h100-sxm");
  o.fit.rounds = 1;
  CalibrateResult r = calibrate_compute(in, hwdb(), o);
  EXPECT_FALSE(is_compute_operation("nccl_all_reduce"));
  EXPECT_FALSE(is_compute_operation("deepep_low_latency_dispatch"));
  EXPECT_TRUE(is_compute_operation("grouped_gemm"));
  EXPECT_EQ(r.ignored_by_operation.at("nccl_all_reduce"), 1u);
  EXPECT_EQ(r.excluded_cases, 1u);
  EXPECT_EQ(r.calibration_cases, 15u);
  EXPECT_EQ(r.holdout_cases, 4u);
  EXPECT_EQ(r.after.excluded.count, 1u);
  EXPECT_EQ(r.after.all.count, 19u);
  for (const auto& id : r.fitted.fitted_on.at(0).case_ids)
    EXPECT_NE(id, in[0].suite.cases[0].id);
  // Restricting to one operation.
  o.operations = {"grouped_gemm"};
  CalibrateResult g = calibrate_compute(in, hwdb(), o);
  EXPECT_EQ(g.cases.size(), 4u);
  EXPECT_EQ(g.ignored_by_operation.at("gemm"), 12u);
  EXPECT_EQ(g.ignored_by_operation.at("attention_decode"), 2u);
  EXPECT_EQ(g.ignored_by_operation.at("memory_stream"), 2u);
}

TEST(Calibrate, NoCalibrationRowsOfTheDeviceIsAnInputError) {
  std::vector<CalibrationInput> in = {load_calibration_input(kDeepGemm, "h100-sxm")};
  try {
    calibrate_compute(in, hwdb(), options("h100-sxm"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string m = e.diagnostics().to_string();
    EXPECT_NE(m.find("h100-sxm"), std::string::npos) << m;
    EXPECT_NE(m.find("h800-sxm"), std::string::npos) << m; // says which devices the inputs measure
  }
  EXPECT_THROW(calibrate_compute(in, hwdb(), options("h801-sxm")), InputError);
}

TEST(Calibrate, SuiteErrorsNameFileAndPointer) {
  Json suite = {{"kind", "validation_suite"},
                {"name", "t"},
                {"cases",
                 {{{"id", "a"},
                   {"device", "h800-sxm"},
                   {"operation", "gemm"},
                   {"parameters", {{"m", 1}, {"n", 2}}},
                   {"measured", 1e-5},
                   {"unit", "seconds"},
                   {"source", "x"}}}}};
  Diagnostics d;
  CalibrationInput in = read_calibration_input(suite, "s.json", "h800-sxm", 4, d);
  EXPECT_EQ(in.kind, "validation_suite");
  EXPECT_NE(d.to_string().find("/cases/0/parameters/k"), std::string::npos) << d.to_string();
}

} // namespace
} // namespace moescope
