// ESFT expert scores (deepseek-ai/ESFT results/expert_scores/<task>/): expert_weights_<L>.txt[.gz] per MoE layer L.
// One line per sample: tab-separated expert ids, top-k (six) per token, token after token; then two tabs; then the
// gate weights, tab-separated, in the same order. A task directory is one domain (its name), one request per
// sample (line); a directory of task directories is one domain per task. top-k cannot be read from the data: it is
// 6 unless --top-k says otherwise.
#include <algorithm>
#include <filesystem>
#include <map>

#include "trace/byte_source.hpp"
#include "trace/importer.hpp"
#include "util/diagnostics.hpp"

namespace moescope::trace {
namespace {

long long layer_of_file(const std::string& name) {
  if (!name.starts_with("expert_weights_")) return -1;
  if (!(name.ends_with(".txt") || name.ends_with(".txt.gz"))) return -1;
  return detail::number_after(name, "expert_weights_");
}

struct LayerData {
  std::vector<std::uint16_t> ids;
  std::vector<float> weights;
  std::vector<std::uint32_t> sample_tokens;
};

void parse_layer(ByteSource& src, std::uint32_t top_k, std::uint32_t num_experts, std::size_t max_samples,
                 LayerData& out) {
  const std::string& file = src.label();
  std::string line;
  std::uint64_t line_no = 0;
  while (src.read_line(line)) {
    ++line_no;
    if (max_samples && out.sample_tokens.size() >= max_samples) break;
    const auto loc = [&] { return line_location(line_no); }; // formatted only for an error
    const std::size_t sep = line.find("\t\t");
    if (sep == std::string::npos) {
      if (line.empty()) {
        out.sample_tokens.push_back(0);
        continue;
      }
      throw InputError(file, loc(), "expected expert ids, two tabs, then gate weights; found no double tab");
    }
    const std::size_t before = out.ids.size();
    std::string_view ids(line.data(), sep);
    std::string_view weights(line.data() + sep + 2, line.size() - sep - 2);
    std::size_t field = 0;
    while (!ids.empty()) {
      const std::size_t tab = ids.find('\t');
      const std::string_view item = ids.substr(0, tab);
      std::uint64_t id = 0;
      ++field;
      if (!parse_uint(item, 65535, id))
        throw InputError(file, loc(),
                         "expert id field " + std::to_string(field) + " '" + std::string(item) +
                             "' is not an integer in 0..65535");
      if (id >= num_experts)
        throw InputError(file, loc(),
                         "expert id " + std::to_string(id) + " (field " + std::to_string(field) +
                             ") is out of range (the model has " + std::to_string(num_experts) +
                             " experts; set --experts otherwise)");
      out.ids.push_back(static_cast<std::uint16_t>(id));
      if (tab == std::string_view::npos) break;
      ids.remove_prefix(tab + 1);
    }
    const std::size_t n = out.ids.size() - before;
    if (n % top_k != 0)
      throw InputError(file, loc(),
                       std::to_string(n) + " expert ids is not a multiple of top-k " + std::to_string(top_k) + " (" +
                           std::to_string(n % top_k) + " ids of an incomplete token)");
    std::size_t nw = 0;
    while (!weights.empty()) {
      const std::size_t tab = weights.find('\t');
      const std::string_view item = weights.substr(0, tab);
      double w = 0;
      ++nw;
      if (!parse_float(item, w))
        throw InputError(file, loc(),
                         "gate weight field " + std::to_string(nw) + " '" + std::string(item) + "' is not a number");
      out.weights.push_back(static_cast<float>(w));
      if (tab == std::string_view::npos) break;
      weights.remove_prefix(tab + 1);
    }
    if (nw != n)
      throw InputError(file, loc(), std::to_string(n) + " expert ids but " + std::to_string(nw) + " gate weights");
    out.sample_tokens.push_back(static_cast<std::uint32_t>(n / top_k));
  }
}

class EsftImporter final : public TraceImporter {
public:
  std::string name() const override { return "esft"; }
  std::string description() const override {
    return "ESFT expert_weights_<L>.txt[.gz]: per sample line, ids (top-k per token), two tabs, gate weights; a "
           "task directory = one domain";
  }
  int sniff(std::string_view head, std::string_view filename) const override {
    const std::size_t sep = head.find("\t\t");
    const std::size_t nl = head.find('\n');
    const bool named = std::string(filename).starts_with("expert_weights_");
    const auto ids_only = [&](std::size_t end) {
      for (std::size_t i = 0; i < end; ++i)
        if (!((head[i] >= '0' && head[i] <= '9') || head[i] == '\t')) return false;
      return end > 0 && head[0] != '\t';
    };
    // A first line longer than the window (a summary task's long samples): tab-separated ids up to the end of
    // what the detector sees is the ESFT structure so far; the file name decides ties.
    if (sep == std::string_view::npos && nl == std::string_view::npos)
      return ids_only(head.size()) ? (named ? 80 : 60) : 0;
    if (sep == std::string_view::npos || (nl != std::string_view::npos && nl < sep) || sep == 0) return 0;
    if (!ids_only(sep)) return 0;
    int score = 70;
    if (head.substr(sep + 2).starts_with("0.") || head.substr(sep + 2).starts_with("1")) score = 85;
    if (named) score += 10;
    return score;
  }

  AnyTrace import(const std::string& path, const ImportOptions& options) const override {
    if (!detail::is_directory(path)) {
      const std::string dir_label = detail::base_name(std::filesystem::path(path).parent_path().string());
      const long long L = layer_of_file(detail::base_name(path));
      return import_layers({{L < 0 ? 0 : L, path}}, options.domain.empty() ? dir_label : options.domain, options);
    }
    auto layer_files = [](const std::string& dir) {
      std::map<long long, std::string> out;
      for (const auto& f : detail::list_files(dir, false)) {
        const long long L = layer_of_file(detail::base_name(f));
        if (L >= 0) out[L] = f;
      }
      return out;
    };
    return detail::import_domain_folders(
        path, options, layer_files,
        [this](const std::map<long long, std::string>& files, const std::string& domain, const ImportOptions& o) {
          return import_layers(files, domain, o);
        },
        "no expert_weights_<L>.txt[.gz] file found");
  }

  AnyTrace import_memory(std::string_view data, const std::string& label, const ImportOptions& options) const override {
    LayerData layer;
    auto src = ByteSource::from_memory(data, label);
    parse_layer(*src, top_k(options), num_experts(options), options.max_requests, layer);
    std::vector<LayerData> layers;
    layers.push_back(std::move(layer));
    return assemble({1}, layers, options.domain.empty() ? "default" : options.domain, label, options);
  }

private:
  static std::uint32_t top_k(const ImportOptions& o) { return o.top_k ? o.top_k : 6; }
  static std::uint32_t num_experts(const ImportOptions& o) { return o.num_experts ? o.num_experts : 64; }

  ExpertTrace import_layers(const std::map<long long, std::string>& files, const std::string& domain,
                            const ImportOptions& options) const {
    const std::string& dir_label = files.begin()->second;
    // Layers must be contiguous: a gap is a missing file.
    long long expect = files.begin()->first;
    for (const auto& [L, f] : files) {
      if (L != expect)
        throw InputError(std::filesystem::path(f).parent_path().string(), "",
                         "layer " + std::to_string(expect) + " is missing: no expert_weights_" +
                             std::to_string(expect) + ".txt[.gz] between layers " +
                             std::to_string(files.begin()->first) + " and " + std::to_string(files.rbegin()->first));
      ++expect;
    }
    std::vector<LayerData> layers;
    std::vector<std::int32_t> ids;
    for (const auto& [L, f] : files) {
      LayerData d;
      auto src = ByteSource::open_file(f);
      parse_layer(*src, top_k(options), num_experts(options), options.max_requests, d);
      if (!layers.empty()) {
        const auto& first = layers.front().sample_tokens;
        if (d.sample_tokens.size() != first.size())
          throw InputError(f, "",
                           std::to_string(d.sample_tokens.size()) + " samples (lines), but " + files.begin()->second +
                               " has " + std::to_string(first.size()));
        for (std::size_t s = 0; s < first.size(); ++s)
          if (d.sample_tokens[s] != first[s])
            throw InputError(f, line_location(s + 1),
                             std::to_string(d.sample_tokens[s]) + " tokens, but " + files.begin()->second + " has " +
                                 std::to_string(first[s]) + " for this sample");
      }
      layers.push_back(std::move(d));
      ids.push_back(static_cast<std::int32_t>(L));
    }
    return assemble(ids, layers, domain, dir_label, options);
  }

  ExpertTrace assemble(const std::vector<std::int32_t>& layer_ids, const std::vector<LayerData>& layers,
                       const std::string& domain, const std::string& label, const ImportOptions& options) const {
    const std::size_t L = layers.size(), K = top_k(options);
    const auto& samples = layers.front().sample_tokens;
    std::uint64_t tokens = 0;
    for (auto n : samples)
      tokens += n;
    std::vector<std::uint16_t> experts(tokens * L * K);
    std::vector<float> weights(tokens * L * K);
    for (std::size_t l = 0; l < L; ++l)
      for (std::uint64_t t = 0; t < tokens; ++t) {
        std::copy_n(layers[l].ids.data() + t * K, K, experts.data() + (t * L + l) * K);
        std::copy_n(layers[l].weights.data() + t * K, K, weights.data() + (t * L + l) * K);
      }
    TraceMetadata meta;
    meta.model = options.model.empty() ? "ESFT-vanilla-lite" : options.model;
    meta.source_format = "esft";
    meta.num_experts = num_experts(options);
    meta.top_k = static_cast<std::uint32_t>(K);
    meta.moe_layer_ids = layer_ids;
    meta.domains = {domain};
    std::vector<RequestInfo> requests;
    std::uint64_t next = 0;
    for (std::size_t s = 0; s < samples.size(); ++s) {
      requests.push_back(RequestInfo{domain + "/" + std::to_string(s), 0, next, samples[s], 0});
      next += samples[s];
    }
    return ExpertTrace(std::move(meta), std::move(requests), std::move(experts), std::move(weights), label);
  }
};

// Self-registration (util/registry.hpp): nothing else names this importer.
const Registrar<TraceImporter> registered{40, [] { return std::make_unique<EsftImporter>(); }};

} // namespace

} // namespace moescope::trace
