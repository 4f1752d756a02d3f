// FLAME-MoE router-score CSV (CMU-FLAME/FLAME-MoE-Traces as sampled by DynaNDE-Simulator): Layer_<L>/*.csv.gz with
// header layer_id,token_id,expert_0,...,expert_<E-1>; one row per token; exactly top-k non-zero columns, each the
// router softmax score of a selected expert. The layer comes from the folder name (the layer_id column is 0 in the
// published files). Tokens are split into requests of tokens_per_request (from "<S>seqs_<T>tokens" in the file
// name, or --tokens-per-request); the top-k order is by descending score.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <numeric>

#include "trace/byte_source.hpp"
#include "trace/importer.hpp"
#include "util/diagnostics.hpp"

namespace moescope::trace {
namespace {

bool is_data_file(const std::string& name) {
  return (name.ends_with(".csv.gz") || name.ends_with(".csv")) && name.find("_stats") == std::string::npos;
}

long long layer_of_dir(const std::string& name) {
  if (!name.starts_with("Layer_")) return -1;
  return detail::number_after(name, "Layer_");
}

struct LayerData {
  std::uint32_t num_experts = 0;
  std::vector<std::uint16_t> ids;
  std::vector<float> weights;
  std::uint64_t tokens = 0;
};

void parse_layer(ByteSource& src, std::uint32_t& top_k, const ImportOptions& options, LayerData& out) {
  const std::string& file = src.label();
  std::string line;
  std::uint64_t line_no = 0;
  if (!src.read_line(line)) throw InputError(file, "", "empty file (expected a CSV header)");
  ++line_no;
  if (!line.starts_with("layer_id,token_id,expert_0"))
    throw InputError(file, line_location(1), "expected the header \"layer_id,token_id,expert_0,...\"");
  {
    std::size_t cols = std::count(line.begin(), line.end(), ',') + 1;
    out.num_experts = static_cast<std::uint32_t>(cols - 2);
    if (out.num_experts > 65535) throw InputError(file, line_location(1), "more than 65535 expert columns");
    if (options.num_experts && options.num_experts != out.num_experts)
      throw InputError(file, line_location(1),
                       "the header names " + std::to_string(out.num_experts) + " experts, --experts says " +
                           std::to_string(options.num_experts));
  }
  std::vector<std::pair<float, std::uint16_t>> selected;
  while (src.read_line(line)) {
    ++line_no;
    if (line.empty()) continue;
    const auto loc = [&] { return line_location(line_no); }; // formatted only for an error
    selected.clear();
    std::string_view rest = line;
    std::size_t col = 0;
    while (true) {
      const std::size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      if (col == 0 || col == 1) {
        std::uint64_t v = 0;
        if (!parse_uint(item, ~0ull >> 1, v))
          throw InputError(file, loc(),
                           std::string(col == 0 ? "layer_id" : "token_id") + " '" + std::string(item) +
                               "' is not a non-negative integer");
        if (col == 1 && v != out.tokens)
          throw InputError(file, loc(),
                           "token_id " + std::to_string(v) + " where " + std::to_string(out.tokens) +
                               " (the row index) is expected");
      } else {
        if (col - 2 >= out.num_experts)
          throw InputError(file, loc(), "more columns than the header's " + std::to_string(out.num_experts + 2));
        double score = 0;
        if (!parse_float(item, score))
          throw InputError(file, loc(),
                           "score of expert " + std::to_string(col - 2) + " '" + std::string(item) +
                               "' is not a number");
        if (score < 0) throw InputError(file, loc(), "negative score for expert " + std::to_string(col - 2));
        if (score > 0) selected.push_back({static_cast<float>(score), static_cast<std::uint16_t>(col - 2)});
      }
      ++col;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (col != out.num_experts + 2)
      throw InputError(file, loc(),
                       std::to_string(col) + " columns where the header has " + std::to_string(out.num_experts + 2));
    if (top_k == 0) {
      if (selected.empty()) throw InputError(file, loc(), "no selected (non-zero) expert");
      top_k = static_cast<std::uint32_t>(selected.size());
    }
    if (selected.size() != top_k)
      throw InputError(file, loc(),
                       std::to_string(selected.size()) + " non-zero expert scores where " + std::to_string(top_k) +
                           " (top-k) are expected");
    std::stable_sort(selected.begin(), selected.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [s, e] : selected) {
      out.ids.push_back(e);
      out.weights.push_back(s);
    }
    ++out.tokens;
  }
  if (out.tokens == 0) throw InputError(file, "", "no data rows after the header");
}

std::uint32_t tokens_per_request_from_name(const std::string& name) {
  // "..._32seqs_2048tokens..." -> 64
  const std::size_t s = name.find("seqs_");
  if (s == std::string::npos) return 0;
  std::size_t b = s;
  while (b > 0 && std::isdigit(static_cast<unsigned char>(name[b - 1])))
    --b;
  const long long seqs = b < s ? std::stoll(name.substr(b, s - b)) : -1;
  const long long toks = detail::number_after(name.substr(s), "seqs_");
  if (seqs <= 0 || toks <= 0 || toks % seqs != 0) return 0;
  return static_cast<std::uint32_t>(toks / seqs);
}

class FlameCsvImporter final : public TraceImporter {
public:
  std::string name() const override { return "flame-csv"; }
  std::string description() const override {
    return "FLAME-MoE router scores: Layer_<L>/*.csv.gz, layer_id,token_id,expert_0..expert_<E-1>, top-k non-zero";
  }
  int sniff(std::string_view head, std::string_view) const override {
    if (head.starts_with("layer_id,token_id,expert_0,")) return 95;
    return 0;
  }

  AnyTrace import(const std::string& path, const ImportOptions& options) const override {
    if (!detail::is_directory(path)) {
      const long long L = layer_of_dir(detail::base_name(std::filesystem::path(path).parent_path().string()));
      return import_layers({{L < 0 ? 0 : L, path}}, options.domain.empty() ? "default" : options.domain, options);
    }
    auto layer_files = [](const std::string& dir) {
      std::map<long long, std::string> out;
      for (const auto& sub : detail::list_subdirs(dir)) {
        const long long L = layer_of_dir(detail::base_name(sub));
        if (L < 0) continue;
        for (const auto& f : detail::list_files(sub, false))
          if (is_data_file(detail::base_name(f))) {
            if (out.count(L)) throw InputError(sub, "", "more than one data file for layer " + std::to_string(L));
            out[L] = f;
          }
      }
      return out;
    };
    return detail::import_domain_folders(
        path, options, layer_files,
        [this](const std::map<long long, std::string>& files, const std::string& domain, const ImportOptions& o) {
          return import_layers(files, domain, o);
        },
        "no Layer_<L>/*.csv[.gz] file found");
  }

  AnyTrace import_memory(std::string_view data, const std::string& label, const ImportOptions& options) const override {
    std::uint32_t top_k = options.top_k;
    std::vector<LayerData> layers(1);
    auto src = ByteSource::from_memory(data, label);
    parse_layer(*src, top_k, options, layers[0]);
    return assemble({0}, layers, top_k, options.domain.empty() ? "default" : options.domain, label, options);
  }

private:
  ExpertTrace import_layers(const std::map<long long, std::string>& files, const std::string& domain,
                            const ImportOptions& options) const {
    long long expect = files.begin()->first;
    for (const auto& [L, f] : files) {
      if (L != expect)
        throw InputError(std::filesystem::path(f).parent_path().parent_path().string(), "",
                         "layer " + std::to_string(expect) + " is missing: no Layer_" + std::to_string(expect) +
                             "/ data file between layers " + std::to_string(files.begin()->first) + " and " +
                             std::to_string(files.rbegin()->first));
      ++expect;
    }
    std::uint32_t top_k = options.top_k;
    std::vector<LayerData> layers;
    std::vector<std::int32_t> ids;
    for (const auto& [L, f] : files) {
      LayerData d;
      auto src = ByteSource::open_file(f);
      parse_layer(*src, top_k, options, d);
      if (!layers.empty()) {
        if (d.tokens != layers.front().tokens)
          throw InputError(f, "",
                           std::to_string(d.tokens) + " tokens, but " + files.begin()->second + " has " +
                               std::to_string(layers.front().tokens));
        if (d.num_experts != layers.front().num_experts)
          throw InputError(f, line_location(1),
                           std::to_string(d.num_experts) + " expert columns, but " + files.begin()->second + " has " +
                               std::to_string(layers.front().num_experts));
      }
      layers.push_back(std::move(d));
      ids.push_back(static_cast<std::int32_t>(L));
    }
    ImportOptions o = options;
    if (!o.tokens_per_request)
      o.tokens_per_request = tokens_per_request_from_name(detail::base_name(files.begin()->second));
    return assemble(ids, layers, top_k, domain, files.begin()->second, o);
  }

  ExpertTrace assemble(const std::vector<std::int32_t>& layer_ids, const std::vector<LayerData>& layers,
                       std::uint32_t top_k, const std::string& domain, const std::string& label,
                       const ImportOptions& options) const {
    const std::size_t L = layers.size(), K = top_k;
    const std::uint64_t tokens = layers.front().tokens;
    std::vector<std::uint16_t> experts(tokens * L * K);
    std::vector<float> weights(tokens * L * K);
    for (std::size_t l = 0; l < L; ++l)
      for (std::uint64_t t = 0; t < tokens; ++t) {
        std::copy_n(layers[l].ids.data() + t * K, K, experts.data() + (t * L + l) * K);
        std::copy_n(layers[l].weights.data() + t * K, K, weights.data() + (t * L + l) * K);
      }
    TraceMetadata meta;
    meta.model = options.model.empty() ? "FLAME-MoE-290M" : options.model;
    meta.source_format = "flame-csv";
    meta.num_experts = layers.front().num_experts;
    meta.top_k = top_k;
    meta.moe_layer_ids = layer_ids;
    meta.domains = {domain};
    const std::uint64_t per = options.tokens_per_request ? options.tokens_per_request : tokens;
    std::vector<RequestInfo> requests;
    for (std::uint64_t b = 0, s = 0; b < tokens; b += per, ++s) {
      if (options.max_requests && requests.size() >= options.max_requests) break;
      const std::uint64_t n = std::min(per, tokens - b);
      requests.push_back(RequestInfo{domain + "/seq" + std::to_string(s), 0, b, static_cast<std::uint32_t>(n), 0});
    }
    if (!requests.empty() && requests.back().tokens().end != tokens) {
      const std::uint64_t keep = requests.back().tokens().end;
      experts.resize(keep * L * K);
      weights.resize(keep * L * K);
    }
    return ExpertTrace(std::move(meta), std::move(requests), std::move(experts), std::move(weights), label);
  }
};

// Self-registration (util/registry.hpp): nothing else names this importer.
const Registrar<TraceImporter> registered{60, [] { return std::make_unique<FlameCsvImporter>(); }};

} // namespace

} // namespace moescope::trace
