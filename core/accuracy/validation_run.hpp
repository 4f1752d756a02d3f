#pragma once
// Running suites: predict every case, compare with the measurement, summarize calibration and held-out rows apart.
#include <string>
#include <vector>

#include "accuracy/operation_predictor.hpp"

namespace moescope {

struct CaseResult {
  const ValidationCase* c = nullptr;
  double predicted = 0;
  double error_percent = 0; // signed: (predicted - measured) / measured * 100
};

struct ErrorSummary {
  std::size_t count = 0;
  double mape_percent = 0; // mean absolute percentage error
  double median_abs_percent = 0;
  double max_abs_percent = 0;
};
ErrorSummary summarize_errors(std::vector<double> abs_percent);
Json error_summary_to_json(const ErrorSummary& s);

struct SuiteResult {
  const ValidationSuite* suite = nullptr;
  TimeModelMode mode = TimeModelMode::calibrated;
  std::vector<CaseResult> results;
  ErrorSummary calibration, holdout, excluded;
  ErrorSummary all; // calibration and held-out rows (not the excluded ones)
};

// Predicts every case; unknown devices throw InputError (case file and pointer).
SuiteResult run_validation_suite(const ValidationSuite& suite, const PredictionContext& context);
Json suite_result_to_json(const SuiteResult& r);
std::string render_suite_result(const SuiteResult& r, bool per_case = true);

} // namespace moescope
