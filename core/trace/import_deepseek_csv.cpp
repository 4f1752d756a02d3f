// DeepSeek-V2-Lite per-token CSV (moe-beyond's training_data_eamc): prompt_<n>_data.csv[.gz], header
// "Layer ID,Batch Number,Token,Activated Expert IDs", one row per (layer, token), layer-major; the ids are a quoted
// list "[a, b, c, d, e, f]" in the router's top-k order. A directory of prompt files is one request per file
// (natural order of the prompt number; gaps such as the missing prompt 317 are simply absent); a directory of such
// directories is one domain per subdirectory.
#include <algorithm>
#include <filesystem>
#include <map>

#include "trace/byte_source.hpp"
#include "trace/importer.hpp"
#include "util/diagnostics.hpp"

namespace moescope::trace {
namespace {

constexpr const char* kHeader = "Layer ID,Batch Number,Token,Activated Expert IDs";

bool is_data_file(const std::string& name) {
  const auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return (ends(".csv") || ends(".csv.gz")) && name.find("_stats") == std::string::npos;
}

using Shape = detail::RequestShape;

// Parses one prompt file, appending its tokens to `experts` ([token][layer][k]); returns the token count.
std::uint32_t parse_prompt(ByteSource& src, Shape& shape, std::vector<std::uint16_t>& experts) {
  const std::string& file = src.label();
  CsvRecord rec;
  std::string scratch;
  std::uint64_t line_no = 0;
  if (!read_csv_record(src, rec, line_no, scratch)) throw InputError(file, "", "empty file (expected a CSV header)");
  if (rec.size != 4 || rec[0] != "Layer ID" || rec[3] != "Activated Expert IDs")
    throw InputError(file, line_location(1), std::string("expected the header \"") + kHeader + "\"");
  std::map<std::int32_t, std::vector<std::uint16_t>> by_layer;
  std::vector<std::uint16_t> ids;
  std::int32_t last_layer = -1;
  std::vector<std::uint16_t>* current = nullptr;
  while (read_csv_record(src, rec, line_no, scratch)) {
    const auto loc = [&] { return line_location(rec.first_line); }; // formatted only for an error
    if (rec.size == 1 && rec[0].empty()) continue;                  // blank line
    if (rec.size != 4)
      throw InputError(file, loc(),
                       "expected 4 fields (Layer ID, Batch Number, Token, Activated Expert IDs), found " +
                           std::to_string(rec.size));
    std::uint64_t layer = 0, batch = 0;
    if (!parse_uint(rec[0], 1u << 20, layer))
      throw InputError(file, loc(), "Layer ID '" + rec[0] + "' is not a non-negative integer");
    if (!parse_uint(rec[1], 1u << 30, batch))
      throw InputError(file, loc(), "Batch Number '" + rec[1] + "' is not a non-negative integer");
    std::string_view list = rec[3];
    while (!list.empty() && list.front() == ' ')
      list.remove_prefix(1);
    while (!list.empty() && list.back() == ' ')
      list.remove_suffix(1);
    if (list.size() < 2 || list.front() != '[' || list.back() != ']')
      throw InputError(file, loc(), "Activated Expert IDs '" + rec[3] + "' is not a list like \"[1, 2, 3]\"");
    list = list.substr(1, list.size() - 2);
    ids.clear();
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      const std::string_view item = list.substr(0, comma);
      std::uint64_t id = 0;
      if (!parse_uint(item, 65535, id))
        throw InputError(file, loc(), "expert id '" + std::string(item) + "' is not an integer in 0..65535");
      if (id >= shape.num_experts)
        throw InputError(file, loc(),
                         "expert id " + std::to_string(id) + " is out of range (the model has " +
                             std::to_string(shape.num_experts) + " experts; set --experts otherwise)");
      ids.push_back(static_cast<std::uint16_t>(id));
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    if (shape.top_k == 0) {
      if (ids.empty()) throw InputError(file, loc(), "empty expert list");
      shape.top_k = static_cast<std::uint32_t>(ids.size());
    }
    if (ids.size() != shape.top_k)
      throw InputError(file, loc(),
                       std::to_string(ids.size()) + " expert ids where " + std::to_string(shape.top_k) +
                           " (top-k) are expected");
    if (static_cast<std::int32_t>(layer) != last_layer) {
      current = &by_layer[static_cast<std::int32_t>(layer)];
      last_layer = static_cast<std::int32_t>(layer);
    }
    current->insert(current->end(), ids.begin(), ids.end());
  }
  if (by_layer.empty()) throw InputError(file, "", "no data rows after the header");
  std::vector<std::int32_t> layers;
  for (const auto& [l, v] : by_layer)
    layers.push_back(l);
  // The MoE layers must form a contiguous range, the same in every file.
  for (std::size_t i = 1; i < layers.size(); ++i)
    if (layers[i] != layers[i - 1] + 1)
      throw InputError(file, "",
                       "layer " + std::to_string(layers[i - 1] + 1) + " is missing (layers " +
                           std::to_string(layers.front()) + ".." + std::to_string(layers.back()) +
                           " expected to be contiguous)");
  if (shape.layers.empty()) {
    shape.layers = layers;
    shape.layers_from = file;
  } else if (layers != shape.layers) {
    for (auto l : shape.layers)
      if (!by_layer.count(l))
        throw InputError(file, "", "layer " + std::to_string(l) + " is missing (present in " + shape.layers_from + ")");
    throw InputError(file, "",
                     "layers " + std::to_string(layers.front()) + ".." + std::to_string(layers.back()) +
                         " differ from " + shape.layers_from);
  }
  const std::size_t per_layer = by_layer.begin()->second.size();
  for (const auto& [l, v] : by_layer)
    if (v.size() != per_layer)
      throw InputError(file, "",
                       "layer " + std::to_string(l) + " has " + std::to_string(v.size() / shape.top_k) +
                           " tokens, layer " + std::to_string(layers.front()) + " has " +
                           std::to_string(per_layer / shape.top_k));
  const std::size_t tokens = per_layer / shape.top_k;
  const std::size_t L = layers.size(), K = shape.top_k;
  const std::size_t base = experts.size();
  experts.resize(base + tokens * L * K);
  std::size_t li = 0;
  for (const auto& [l, v] : by_layer) {
    for (std::size_t t = 0; t < tokens; ++t)
      std::copy_n(v.data() + t * K, K, experts.data() + base + (t * L + li) * K);
    ++li;
  }
  return static_cast<std::uint32_t>(tokens);
}

std::string request_id(const std::string& file) {
  const std::string name = detail::base_name(file);
  const long long n = detail::number_after(name, "prompt_");
  if (n >= 0) return "prompt_" + std::to_string(n);
  return name.substr(0, name.find('.'));
}

class DeepSeekCsvImporter final : public TraceImporter {
public:
  std::string name() const override { return "deepseek-csv"; }
  std::string description() const override {
    return "DeepSeek-V2-Lite per-token CSV (Layer ID,Batch Number,Token,Activated Expert IDs), gzip or plain; a "
           "directory = one request per file";
  }
  int sniff(std::string_view head, std::string_view) const override {
    if (head.starts_with(kHeader)) return 95;
    if (head.starts_with("Layer ID,")) return 50;
    return 0;
  }

  AnyTrace import(const std::string& path, const ImportOptions& options) const override {
    return detail::import_request_files(
        path, options, [](const std::string& name) { return is_data_file(name); },
        [this](const std::vector<std::string>& files, const std::string& domain, const ImportOptions& o) {
          return import_files(files, domain, o);
        },
        "no prompt_<n>_data.csv[.gz] file found");
  }

  AnyTrace import_memory(std::string_view data, const std::string& label, const ImportOptions& options) const override {
    Shape shape = initial_shape(options);
    std::vector<std::uint16_t> experts;
    auto src = ByteSource::from_memory(data, label);
    const std::uint32_t tokens = parse_prompt(*src, shape, experts);
    TraceMetadata meta = metadata(shape, options);
    const std::uint32_t dom = meta.domain_index(options.domain.empty() ? "default" : options.domain);
    return ExpertTrace(std::move(meta), {RequestInfo{label, dom, 0, tokens, 0}}, std::move(experts), {}, label);
  }

private:
  static Shape initial_shape(const ImportOptions& options) {
    return Shape::initial(options, 64); // DeepSeek-V2-Lite: 64 routed experts
  }
  static TraceMetadata metadata(const Shape& shape, const ImportOptions& options) {
    return shape.metadata(options, "DeepSeek-V2-Lite-Chat", "deepseek-csv");
  }

  ExpertTrace import_files(const std::vector<std::string>& files, const std::string& domain,
                           const ImportOptions& options) const {
    Shape shape = initial_shape(options);
    std::vector<std::uint16_t> experts;
    std::vector<RequestInfo> requests;
    std::uint64_t next = 0;
    for (const auto& f : files) {
      if (options.max_requests && requests.size() >= options.max_requests) break;
      auto src = ByteSource::open_file(f);
      const std::uint32_t tokens = parse_prompt(*src, shape, experts);
      requests.push_back(RequestInfo{request_id(f), 0, next, tokens, 0});
      next += tokens;
    }
    TraceMetadata meta = metadata(shape, options);
    meta.domains = {domain};
    return ExpertTrace(std::move(meta), std::move(requests), std::move(experts), {}, files.empty() ? "" : files[0]);
  }
};

// Self-registration (util/registry.hpp): nothing else names this importer.
const Registrar<TraceImporter> registered{30, [] { return std::make_unique<DeepSeekCsvImporter>(); }};

} // namespace

} // namespace moescope::trace
