#include "accuracy/validation_suite.hpp"

#include <set>

#include "accuracy/operation_predictor.hpp"

namespace moescope {

namespace {
const std::vector<std::string>& units() {
  static const std::vector<std::string> u = {"seconds", "flop_per_s", "bytes_per_s"};
  return u;
}
} // namespace

std::string to_string(CaseSplit s) {
  switch (s) {
  case CaseSplit::calibration:
    return "calibration";
  case CaseSplit::holdout:
    return "holdout";
  case CaseSplit::excluded:
    return "excluded";
  }
  return "?";
}

ValidationSuite read_validation_suite(const Json& json, const std::string& file, Diagnostics& diagnostics) {
  ValidationSuite s;
  s.file = file;
  JsonObjectReader r(json, file, "", diagnostics);
  if (!r.valid()) return s;
  r.choice("kind", {"validation_suite"});
  s.name = r.string("name");
  s.description = r.string_or("description", "");
  r.accept("split_rule");
  r.accept("units_reading");
  r.accept("generated_by");
  const Json* cases = r.required_array("cases");
  std::set<std::string> ids;
  if (cases) {
    for (std::size_t i = 0; i < cases->size(); ++i) {
      const std::string ptr = "/cases/" + std::to_string(i);
      JsonObjectReader c((*cases)[i], file, ptr, diagnostics);
      if (!c.valid()) continue;
      ValidationCase v;
      v.pointer = ptr;
      v.suite_file = file;
      v.id = c.string("id");
      if (!v.id.empty() && !ids.insert(v.id).second) c.error("id", "duplicate case id \"" + v.id + "\"");
      v.device = c.string("device");
      v.operation = c.string("operation");
      v.measured = c.number("measured", NumberRule::positive);
      v.unit = c.choice("unit", units());
      v.source = c.string("source");
      const std::string split = c.choice_or("split", {"calibration", "holdout", "excluded"}, "holdout");
      v.split = split == "calibration" ? CaseSplit::calibration
                : split == "excluded"  ? CaseSplit::excluded
                                       : CaseSplit::holdout;
      c.accept("note");
      if (const Json* p = c.raw("parameters")) {
        if (p->is_object())
          v.parameters = *p;
        else
          c.error("parameters", "expected an object, found " + describe_json(*p));
      } else {
        c.error("parameters", "missing (expected an object of the operation's parameters)");
      }
      c.finish();
      if (!v.operation.empty()) {
        const OperationPredictor* pred = find_operation_predictor(v.operation);
        if (!pred) {
          std::vector<std::string> known;
          for (const auto& p : operation_predictors())
            known.push_back(p->name());
          diagnostics.add(file, ptr + "/operation", unknown_name_message("operation", v.operation, known));
        } else if (v.parameters.is_object()) {
          pred->check(v, file, diagnostics);
        }
      }
      s.cases.push_back(std::move(v));
    }
  }
  r.finish();
  return s;
}

ValidationSuite load_validation_suite(const std::string& path) {
  Diagnostics d;
  ValidationSuite s;
  auto json = read_json_file(path, d);
  if (json) s = read_validation_suite(*json, path, d);
  s.file = path;
  d.throw_if_any();
  return s;
}

} // namespace moescope
