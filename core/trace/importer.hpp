#pragma once
// Trace importers: one per source format, behind one interface, each registering itself from its own file
// (util/registry.hpp; core/trace/README.md: adding one). The format of a file or directory is detected from its
// content (each importer rates the first bytes), or named explicitly.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trace/trace.hpp"
#include "util/diagnostics.hpp"
#include "util/registry.hpp"

namespace moescope::trace {

struct ImportOptions {
  std::string format;                   // explicit importer name; empty = detect by content
  std::uint32_t top_k = 0;              // 0 = the format's own or inferred value
  std::uint32_t num_experts = 0;        // 0 = the format's own or known value
  std::string model;                    // overrides the model name
  std::string domain;                   // overrides the domain label (single-domain inputs)
  std::uint32_t tokens_per_request = 0; // FLAME-MoE: tokens per sequence (0 = from the file name, else one request)
  std::size_t max_requests = 0;         // stop after this many requests per domain (0 = all), for sampling
};

class TraceImporter {
public:
  virtual ~TraceImporter() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  // How confident the importer is that a file starting with `head` (decompressed first bytes, up to 4 KiB) and
  // named `filename` is in its format: 0 = not at all, 100 = certain.
  virtual int sniff(std::string_view head, std::string_view filename) const = 0;
  // Imports a file or a directory in this format. Throws InputError naming file and line/byte on bad input.
  virtual AnyTrace import(const std::string& path, const ImportOptions& options) const = 0;
  // Imports one file's content from memory (fuzzing, tests); formats that need a directory import one part.
  virtual AnyTrace import_memory(std::string_view data, const std::string& label,
                                 const ImportOptions& options) const = 0;
};

// All importers (Registry<TraceImporter>), in registration order: detection prefers the earlier on equal scores.
const std::vector<std::unique_ptr<TraceImporter>>& importers();
// The importer called `name`, or nullptr.
const TraceImporter* find_importer(std::string_view name);
// Detects the format of a file or directory (a directory is rated by the first few data files inside it). Throws
// InputError when no importer recognises it.
const TraceImporter& detect_importer(const std::string& path);
// Imports any supported trace: raw formats and the binary format (.mst). Uses options.format when set.
AnyTrace import_trace(const std::string& path, const ImportOptions& options = {});

// Helpers shared by the importers.
namespace detail {
// Regular files under `dir` (recursively when `recursive`), sorted by path with natural number order.
std::vector<std::string> list_files(const std::string& dir, bool recursive);
// Immediate subdirectories of `dir`, sorted naturally.
std::vector<std::string> list_subdirs(const std::string& dir);
// Natural ("prompt_2" < "prompt_10") comparison.
bool natural_less(std::string_view a, std::string_view b);
std::string base_name(const std::string& path);
bool is_directory(const std::string& path);
// First integer in `text` after `prefix` (e.g. "prompt_17_data" with "prompt_" -> 17); -1 when absent.
long long number_after(std::string_view text, std::string_view prefix);

// A folder holding one domain's data (domain: options.domain, else the folder's name), or a folder of such
// folders (one domain each, merged): how the published traces are laid out. `collect(dir)` gathers a folder's
// data files (an empty container: none); `import_domain(files, domain, options)` imports one domain.
template <class Collect, class ImportDomain>
AnyTrace import_domain_folders(const std::string& dir, const ImportOptions& options, Collect collect,
                               ImportDomain import_domain, const std::string& none_found_message) {
  if (auto files = collect(dir); !files.empty())
    return import_domain(files, options.domain.empty() ? base_name(dir) : options.domain, options);
  std::vector<ExpertTrace> parts;
  for (const auto& sub : list_subdirs(dir))
    if (auto files = collect(sub); !files.empty()) parts.push_back(import_domain(files, base_name(sub), options));
  if (parts.empty()) throw InputError(dir, "", none_found_message);
  return merge_traces(std::move(parts), dir);
}

// What the per-request importers learn from their files: top-k (from the first token when not given), the expert
// count (given or the format's default) and the MoE layer ids (from the first file, which the others must match).
struct RequestShape {
  std::uint32_t top_k = 0;
  std::uint32_t num_experts = 0;
  std::vector<std::int32_t> layers;
  std::string layers_from; // the file that set `layers`

  static RequestShape initial(const ImportOptions& options, std::uint32_t default_experts) {
    RequestShape s;
    s.top_k = options.top_k;
    s.num_experts = options.num_experts ? options.num_experts : default_experts;
    return s;
  }
  // The trace's metadata: the model (options.model, else `default_model`), format, experts, top-k and layers.
  TraceMetadata metadata(const ImportOptions& options, const char* default_model, const char* source_format) const {
    TraceMetadata meta;
    meta.model = options.model.empty() ? default_model : options.model;
    meta.source_format = source_format;
    meta.num_experts = num_experts;
    meta.top_k = top_k;
    meta.moe_layer_ids = layers;
    return meta;
  }
};

// import_domain_folders for formats with one file per request, selected by name; a single file is one request
// of the domain named by its folder.
using ImportFiles =
    std::function<ExpertTrace(const std::vector<std::string>& files, const std::string& domain, const ImportOptions&)>;
AnyTrace import_request_files(const std::string& path, const ImportOptions& options,
                              const std::function<bool(const std::string& file_name)>& is_data_file,
                              const ImportFiles& import_files, const std::string& none_found_message);
} // namespace detail

} // namespace moescope::trace
