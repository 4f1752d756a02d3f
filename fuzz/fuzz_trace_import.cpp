// libFuzzer target for one trace importer (FUZZ_IMPORTER, set per executable by fuzz/CMakeLists.txt): the input
// is one file's bytes (plain or gzip). Anything but an InputError escaping, a crash, a leak or a sanitizer report
// is a bug. Small traces that import are also characterised, to fuzz the statistics.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trace/binary_format.hpp"
#include "trace/importer.hpp"
#include "trace/trace_stats.hpp"
#include "util/diagnostics.hpp"

#ifndef FUZZ_IMPORTER
#error "define FUZZ_IMPORTER"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace moescope::trace;
  static const TraceImporter* importer = find_importer(FUZZ_IMPORTER);
  if (!importer) __builtin_trap();
  try {
    const AnyTrace t = importer->import_memory(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz", {});
    const auto& m = metadata_of(t);
    const auto* tok = std::get_if<ExpertTrace>(&t);
    if ((!tok || tok->num_tokens() <= 4096) && std::uint64_t(m.num_layers()) * m.num_experts <= (1u << 16)) {
      StatsOptions o;
      o.windows = 2;
      (void)compute_stats(t, o);
      // Round trip through the binary format.
      const std::string bytes = encode_binary(t);
      static const TraceImporter* binary = find_importer("moescope-binary");
      (void)binary->import_memory(bytes, "fuzz.mst", {});
    }
  } catch (const moescope::InputError&) {
  }
  return 0;
}
