#pragma once
// The trace validation report (validation/reports/traces.md): imports every shared trace and reports the
// characterisation the paper relies on. Produced by `moescope trace report --shared ../shared/traces -o ...`.
#include <string>

namespace moescope::trace {

// Markdown report over the traces under `shared_traces_dir` (the layout of ../shared/traces). Datasets that are
// absent are listed as missing; a dataset that fails to import is an InputError.
std::string build_traces_report(const std::string& shared_traces_dir);

} // namespace moescope::trace
