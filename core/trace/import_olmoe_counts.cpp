// OLMoE routing analysis counts (allenai/OLMoE scripts/run_routing_analysis.py, Counters converted to JSON):
// <model>/<kind>/<domain>.json = {"model","kind","domain","layers","counts"}.
//  - expert_counts[_top1]: counts[i] maps expert id -> selections at layer layers[i].
//  - expert_counts_crosslayer[_top1]: layers are "a->b", counts[i] maps "x,y" -> tokens choosing x at a and y at b in
//    the same slot.
// A model directory (holding expert_counts/ and optionally expert_counts_crosslayer/) imports every domain of
// expert_counts (all top-k slots) with the cross-layer pairs of the same domain; a directory of JSON files imports
// each file as a domain; a single file imports one domain (a cross-layer file's per-layer counts are its marginals).
// The _top1 kinds are read only when named directly.
#include <algorithm>
#include <filesystem>
#include <map>

#include "trace/byte_source.hpp"
#include "trace/importer.hpp"
#include "util/diagnostics.hpp"
#include "util/json_reader.hpp"

namespace moescope::trace {
namespace {

struct KnownModel {
  const char* prefix;
  const char* name;
  std::uint32_t experts;
  std::uint32_t top_k;
};
constexpr KnownModel kKnown[] = {
    {"olmoe", "OLMoE-1B-7B-0924", 64, 8},
    {"mistral", "Mixtral-8x7B-v0.1", 8, 2},
    {"mixtral", "Mixtral-8x7B-v0.1", 8, 2},
};

// parse_json_text reports syntax errors; nlohmann also throws out_of_range for numbers it cannot represent
// ("1E999"), which must be an InputError too (found by fuzzing).
Json parse_json_checked(const std::string& text, const std::string& label) {
  Diagnostics diags;
  std::optional<Json> j;
  try {
    j = parse_json_text(text, label, diags);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(label, "", std::string("malformed JSON: ") + e.what());
  }
  diags.throw_if_any();
  if (!j) throw InputError(label, "", "not JSON");
  return std::move(*j);
}

Json read_json(const std::string& path) {
  auto src = ByteSource::open_file(path);
  return parse_json_checked(src->read_all(std::size_t(1) << 30), path);
}

struct Parsed {
  std::string model, kind, domain;
  bool cross = false;
  std::vector<std::int32_t> layers;                                // counts kinds
  std::vector<std::pair<std::int32_t, std::int32_t>> links;        // cross kinds
  std::vector<std::map<std::pair<int, int>, std::uint64_t>> cells; // cross kinds
  std::vector<std::map<int, std::uint64_t>> counts;                // counts kinds
  int max_expert = -1;
};

std::uint64_t count_value(const Json& v, const std::string& file, const std::string& pointer) {
  if (!v.is_number_integer() && !v.is_number_unsigned())
    throw InputError(file, pointer, "expected a non-negative integer count, found " + describe_json(v));
  if (v.is_number_integer() && v.get<std::int64_t>() < 0)
    throw InputError(file, pointer, "negative count " + std::to_string(v.get<std::int64_t>()));
  return v.get<std::uint64_t>();
}

int expert_key(std::string_view key, const std::string& file, const std::string& pointer) {
  std::uint64_t id = 0;
  if (!parse_uint(key, 65534, id))
    throw InputError(file, pointer, "key \"" + std::string(key) + "\" is not an expert id");
  return static_cast<int>(id);
}

Parsed parse_doc(const Json& j, const std::string& file) {
  Parsed p;
  if (!j.is_object()) throw InputError(file, "", "expected an object with model, kind, domain, layers, counts");
  for (const char* key : {"model", "kind", "domain", "layers", "counts"})
    if (!j.contains(key)) throw InputError(file, std::string("/") + key, "missing");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "model" && it.key() != "kind" && it.key() != "domain" && it.key() != "layers" &&
        it.key() != "counts")
      throw InputError(file, "/" + json_pointer_escape(it.key()), "unknown key");
  if (!j["model"].is_string() || !j["kind"].is_string() || !j["domain"].is_string())
    throw InputError(file, "", "model, kind and domain must be strings");
  p.model = j["model"].get<std::string>();
  p.kind = j["kind"].get<std::string>();
  p.domain = j["domain"].get<std::string>();
  if (p.kind != "expert_counts" && p.kind != "expert_counts_top1" && p.kind != "expert_counts_crosslayer" &&
      p.kind != "expert_counts_crosslayer_top1")
    throw InputError(file, "/kind", "unknown kind \"" + p.kind + "\"");
  p.cross = p.kind.find("crosslayer") != std::string::npos;
  const Json& layers = j["layers"];
  const Json& counts = j["counts"];
  if (!layers.is_array() || layers.empty()) throw InputError(file, "/layers", "expected a non-empty array");
  if (!counts.is_array() || counts.size() != layers.size())
    throw InputError(file, "/counts",
                     "expected an array with one entry per layer (" + std::to_string(layers.size()) + ")");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string lp = "/layers/" + std::to_string(i);
    const std::string cp = "/counts/" + std::to_string(i);
    if (!counts[i].is_object()) throw InputError(file, cp, "expected an object of counts");
    if (p.cross) {
      if (!layers[i].is_string()) throw InputError(file, lp, "expected \"a->b\"");
      const std::string s = layers[i].get<std::string>();
      const std::size_t arrow = s.find("->");
      std::uint64_t a = 0, b = 0;
      if (arrow == std::string::npos || !parse_uint(std::string_view(s).substr(0, arrow), 1u << 20, a) ||
          !parse_uint(std::string_view(s).substr(arrow + 2), 1u << 20, b))
        throw InputError(file, lp, "expected \"a->b\" with layer numbers, found \"" + s + "\"");
      p.links.push_back({static_cast<int>(a), static_cast<int>(b)});
      std::map<std::pair<int, int>, std::uint64_t> cells;
      for (auto it = counts[i].begin(); it != counts[i].end(); ++it) {
        const std::string kp = cp + "/" + json_pointer_escape(it.key());
        const std::size_t comma = it.key().find(',');
        if (comma == std::string::npos) throw InputError(file, kp, "expected a key \"x,y\" of two expert ids");
        const int x = expert_key(std::string_view(it.key()).substr(0, comma), file, kp);
        const int y = expert_key(std::string_view(it.key()).substr(comma + 1), file, kp);
        cells[{x, y}] += count_value(it.value(), file, kp);
        p.max_expert = std::max({p.max_expert, x, y});
      }
      p.cells.push_back(std::move(cells));
    } else {
      if (!layers[i].is_number_integer() || layers[i].get<std::int64_t>() < 0 ||
          layers[i].get<std::int64_t>() > (1 << 20))
        throw InputError(file, lp, "expected a layer number, found " + describe_json(layers[i]));
      p.layers.push_back(layers[i].get<std::int32_t>());
      std::map<int, std::uint64_t> c;
      for (auto it = counts[i].begin(); it != counts[i].end(); ++it) {
        const std::string kp = cp + "/" + json_pointer_escape(it.key());
        const int x = expert_key(it.key(), file, kp);
        c[x] += count_value(it.value(), file, kp);
        p.max_expert = std::max(p.max_expert, x);
      }
      p.counts.push_back(std::move(c));
    }
  }
  return p;
}

const KnownModel* known(const std::string& model) {
  for (const auto& k : kKnown)
    if (model.starts_with(k.prefix)) return &k;
  return nullptr;
}

// Builds a one-domain count trace from a counts document and/or a cross-layer document.
ExpertCountTrace build(const Parsed* counts, const Parsed* cross, const std::string& file,
                       const ImportOptions& options) {
  const Parsed& any = counts ? *counts : *cross;
  const KnownModel* k = known(any.model);
  ExpertCountTrace t;
  int max_expert = std::max(counts ? counts->max_expert : -1, cross ? cross->max_expert : -1);
  std::uint32_t E =
      options.num_experts ? options.num_experts : (k ? k->experts : static_cast<std::uint32_t>(max_expert + 1));
  if (E == 0) throw InputError(file, "", "no expert id in the counts");
  if (cross && E > 4096)
    throw InputError(file, "",
                     "cross-layer pair counts are supported for at most 4096 experts, not " + std::to_string(E));
  if (max_expert >= static_cast<int>(E))
    throw InputError(file, "",
                     "expert id " + std::to_string(max_expert) + " is out of range (the model has " +
                         std::to_string(E) + " experts; set --experts otherwise)");
  t.metadata.model = options.model.empty()
                         ? (k ? std::string(k->name) + (any.model.size() > std::string(k->prefix).size()
                                                            ? any.model.substr(std::string(k->prefix).size())
                                                            : "")
                              : any.model)
                         : options.model;
  t.metadata.source_format = "olmoe-counts";
  t.metadata.num_experts = E;
  t.metadata.top_k = options.top_k ? options.top_k : (k ? k->top_k : 0);
  if (counts) {
    t.metadata.moe_layer_ids = counts->layers;
  } else {
    for (const auto& [a, b] : cross->links) {
      t.metadata.moe_layer_ids.push_back(a);
      t.metadata.moe_layer_ids.push_back(b);
    }
    std::sort(t.metadata.moe_layer_ids.begin(), t.metadata.moe_layer_ids.end());
    t.metadata.moe_layer_ids.erase(std::unique(t.metadata.moe_layer_ids.begin(), t.metadata.moe_layer_ids.end()),
                                   t.metadata.moe_layer_ids.end());
  }
  {
    auto ids = t.metadata.moe_layer_ids;
    std::sort(ids.begin(), ids.end());
    if (std::adjacent_find(ids.begin(), ids.end()) != ids.end())
      throw InputError(file, "/layers", "a layer appears twice");
  }
  const std::string domain = options.domain.empty() ? any.domain : options.domain;
  t.metadata.domains = {domain};
  CountDomain d{domain, std::vector<std::uint64_t>(t.metadata.moe_layer_ids.size() * E, 0), 0};
  const auto slot_of = [&](int layer) -> std::uint32_t {
    for (std::size_t i = 0; i < t.metadata.moe_layer_ids.size(); ++i)
      if (t.metadata.moe_layer_ids[i] == layer) return static_cast<std::uint32_t>(i);
    throw InputError(file, "/layers",
                     "cross-layer pair names layer " + std::to_string(layer) + ", which the counts do not hold");
  };
  if (counts) {
    for (std::size_t i = 0; i < counts->layers.size(); ++i)
      for (const auto& [e, c] : counts->counts[i])
        d.counts[i * E + e] += c;
  }
  if (cross) {
    for (std::size_t i = 0; i < cross->links.size(); ++i) {
      PairCounts pc;
      pc.domain = 0;
      pc.from_layer = slot_of(cross->links[i].first);
      pc.to_layer = slot_of(cross->links[i].second);
      pc.matrix.assign(std::size_t(E) * E, 0);
      for (const auto& [xy, c] : cross->cells[i])
        pc.matrix[std::size_t(xy.first) * E + xy.second] += c;
      t.pairs.push_back(std::move(pc));
    }
    if (!counts) {
      // Each layer's counts from the first pair that touches it (row sums for the source, column sums for the target).
      std::vector<bool> done(t.metadata.moe_layer_ids.size(), false);
      for (const auto& pc : t.pairs) {
        if (!done[pc.from_layer]) {
          for (std::uint32_t x = 0; x < E; ++x)
            for (std::uint32_t y = 0; y < E; ++y)
              d.counts[std::size_t(pc.from_layer) * E + x] += pc.matrix[std::size_t(x) * E + y];
          done[pc.from_layer] = true;
        }
        if (!done[pc.to_layer]) {
          for (std::uint32_t x = 0; x < E; ++x)
            for (std::uint32_t y = 0; y < E; ++y)
              d.counts[std::size_t(pc.to_layer) * E + y] += pc.matrix[std::size_t(x) * E + y];
          done[pc.to_layer] = true;
        }
      }
    }
  }
  std::uint64_t first_layer = 0;
  for (std::uint32_t e = 0; e < E; ++e)
    first_layer += d.counts[e];
  if (any.kind.ends_with("_top1") || (cross && !counts))
    d.tokens = any.kind.ends_with("_top1") ? first_layer : 0;
  else if (t.metadata.top_k)
    d.tokens = first_layer / t.metadata.top_k;
  t.domains.push_back(std::move(d));
  t.validate(file);
  return t;
}

class OlmoeCountsImporter final : public TraceImporter {
public:
  std::string name() const override { return "olmoe-counts"; }
  std::string description() const override {
    return "OLMoE routing-analysis counts JSON {model, kind, domain, layers, counts}; a model directory = all domains";
  }
  int sniff(std::string_view head, std::string_view) const override {
    if (head.find("\"kind\"") != std::string_view::npos && head.find("\"expert_counts") != std::string_view::npos &&
        head.find("\"counts\"") != std::string_view::npos)
      return 90;
    return 0;
  }

  AnyTrace import(const std::string& path, const ImportOptions& options) const override {
    if (!detail::is_directory(path)) {
      const Json j = read_json(path);
      const Parsed p = parse_doc(j, path);
      return p.cross ? build(nullptr, &p, path, options) : build(&p, nullptr, path, options);
    }
    namespace fs = std::filesystem;
    const std::string counts_dir = (fs::path(path) / "expert_counts").string();
    if (detail::is_directory(counts_dir)) {
      const std::string cross_dir = (fs::path(path) / "expert_counts_crosslayer").string();
      std::vector<ExpertCountTrace> parts;
      for (const auto& f : detail::list_files(counts_dir, false)) {
        if (!f.ends_with(".json")) continue;
        if (options.max_requests && parts.size() >= options.max_requests) break;
        const Parsed c = parse_doc(read_json(f), f);
        const std::string cf = (fs::path(cross_dir) / detail::base_name(f)).string();
        if (fs::exists(cf)) {
          const Parsed x = parse_doc(read_json(cf), cf);
          if (x.model != c.model || x.domain != c.domain) throw InputError(cf, "", "model/domain differ from " + f);
          parts.push_back(build(&c, &x, f, options));
        } else {
          parts.push_back(build(&c, nullptr, f, options));
        }
      }
      if (parts.empty()) throw InputError(counts_dir, "", "no .json file");
      return merge_count_traces(std::move(parts), path);
    }
    std::vector<ExpertCountTrace> parts;
    for (const auto& f : detail::list_files(path, false)) {
      if (!f.ends_with(".json")) continue;
      const Parsed p = parse_doc(read_json(f), f);
      parts.push_back(p.cross ? build(nullptr, &p, f, options) : build(&p, nullptr, f, options));
    }
    if (!parts.empty()) return merge_count_traces(std::move(parts), path);
    std::string models;
    for (const auto& sub : detail::list_subdirs(path))
      if (detail::is_directory((fs::path(sub) / "expert_counts").string()))
        models += (models.empty() ? "" : ", ") + detail::base_name(sub);
    if (!models.empty())
      throw InputError(path, "", "holds the counts of several models (" + models + "): import one model directory");
    throw InputError(path, "", "no OLMoE counts JSON found");
  }

  AnyTrace import_memory(std::string_view data, const std::string& label, const ImportOptions& options) const override {
    const Json j = parse_json_checked(std::string(data), label);
    const Parsed p = parse_doc(j, label);
    return p.cross ? build(nullptr, &p, label, options) : build(&p, nullptr, label, options);
  }
};

// Switch Transformer counts (specMoE routing_data/expert_statistics_3d.json):
// {"format":"3D_layer_expert_frequency","num_experts":E,"layers":[...],"expert_usage_by_layer":{"L":{"e":count}}}.
class SwitchCountsImporter final : public TraceImporter {
public:
  std::string name() const override { return "switch-counts"; }
  std::string description() const override {
    return "Switch Transformer per-layer expert counts (expert_statistics_3d.json, 3D_layer_expert_frequency)";
  }
  int sniff(std::string_view head, std::string_view) const override {
    if (head.find("3D_layer_expert_frequency") != std::string_view::npos) return 95;
    if (head.find("\"expert_usage_by_layer\"") != std::string_view::npos) return 80;
    return 0;
  }
  AnyTrace import(const std::string& path, const ImportOptions& options) const override {
    std::string file = path;
    if (detail::is_directory(path)) {
      file.clear();
      for (const auto& f : detail::list_files(path, false))
        if (sniff(ByteSource::head_of_file(f, 4096), detail::base_name(f)) > 0) {
          file = f;
          break;
        }
      if (file.empty()) throw InputError(path, "", "no 3D_layer_expert_frequency JSON file found");
    }
    auto src = ByteSource::open_file(file);
    const std::string text = src->read_all(std::size_t(1) << 30);
    return import_memory(text, file, options);
  }
  AnyTrace import_memory(std::string_view data, const std::string& label, const ImportOptions& options) const override {
    const Json j = parse_json_checked(std::string(data), label);
    if (!j.is_object()) throw InputError(label, "", "expected an object");
    if (!j.contains("expert_usage_by_layer") || !j["expert_usage_by_layer"].is_object())
      throw InputError(label, "/expert_usage_by_layer", "missing or not an object");
    if (!j.contains("layers") || !j["layers"].is_array() || j["layers"].empty())
      throw InputError(label, "/layers", "missing or not a non-empty array");
    std::uint32_t E = options.num_experts;
    if (!E) {
      if (!j.contains("num_experts") || !j["num_experts"].is_number_unsigned() ||
          j["num_experts"].get<std::uint64_t>() == 0 || j["num_experts"].get<std::uint64_t>() > 65535)
        throw InputError(label, "/num_experts", "expected a positive expert count");
      E = j["num_experts"].get<std::uint32_t>();
    }
    ExpertCountTrace t;
    t.metadata.model = options.model.empty() ? "switch-base-" + std::to_string(E) : options.model;
    t.metadata.source_format = "switch-counts";
    t.metadata.num_experts = E;
    t.metadata.top_k = options.top_k ? options.top_k : 1;
    const Json& usage = j["expert_usage_by_layer"];
    const std::string domain = options.domain.empty() ? "mixed" : options.domain;
    t.metadata.domains = {domain};
    CountDomain d{domain, {}, 0};
    for (std::size_t i = 0; i < j["layers"].size(); ++i) {
      const Json& l = j["layers"][i];
      const std::string lp = "/layers/" + std::to_string(i);
      if (!l.is_number_unsigned() || l.get<std::uint64_t>() > (1u << 20))
        throw InputError(label, lp, "expected a layer number, found " + describe_json(l));
      const std::int32_t layer = l.get<std::int32_t>();
      if (std::find(t.metadata.moe_layer_ids.begin(), t.metadata.moe_layer_ids.end(), layer) !=
          t.metadata.moe_layer_ids.end())
        throw InputError(label, lp, "layer " + std::to_string(layer) + " appears twice");
      t.metadata.moe_layer_ids.push_back(layer);
      const std::string key = std::to_string(layer);
      const std::string up = "/expert_usage_by_layer/" + key;
      if (!usage.contains(key) || !usage[key].is_object())
        throw InputError(label, up, "layer " + key + " is missing (listed in /layers)");
      const std::size_t base = d.counts.size();
      d.counts.resize(base + E, 0);
      for (auto it = usage[key].begin(); it != usage[key].end(); ++it) {
        const std::string kp = up + "/" + json_pointer_escape(it.key());
        const int e = expert_key(it.key(), label, kp);
        if (e >= static_cast<int>(E))
          throw InputError(label, kp,
                           "expert id " + std::to_string(e) + " is out of range (the model has " + std::to_string(E) +
                               " experts)");
        d.counts[base + e] += count_value(it.value(), label, kp);
      }
    }
    for (std::uint32_t e = 0; e < E; ++e)
      d.tokens += d.counts[e];
    d.tokens /= t.metadata.top_k;
    t.domains.push_back(std::move(d));
    t.validate(label);
    return t;
  }
};

// Self-registration (util/registry.hpp): nothing else names these importers.
const Registrar<TraceImporter> registered_olmoe{50, [] { return std::make_unique<OlmoeCountsImporter>(); }};
const Registrar<TraceImporter> registered_switch{70, [] { return std::make_unique<SwitchCountsImporter>(); }};

} // namespace

} // namespace moescope::trace
