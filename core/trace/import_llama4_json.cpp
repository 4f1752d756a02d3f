// Llama 4 Maverick JSON steps (MoE_expert_selection_trace, recorded with SGLang): one JSON file per request, a list
// of steps; step 0 is the prefill, steps 1.. are decode steps. Each step maps layer id "0".."47" to null (dense
// layer) or to a list over the step's tokens of that token's routed expert ids. A directory of such files is one
// request per file; a directory of directories is one domain per subdirectory (e.g. MMLU subjects).
// Parsed by a small streaming JSON reader, so errors carry the byte offset and memory is bounded by the output.
#include <algorithm>
#include <filesystem>
#include <map>

#include "trace/byte_source.hpp"
#include "trace/importer.hpp"
#include "util/diagnostics.hpp"

namespace moescope::trace {
namespace {

class JsonStream {
public:
  explicit JsonStream(ByteSource& src) : src_(src) {}
  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(src_.label(), byte_location(src_.offset()), message);
  }
  int peek_non_ws() {
    for (;;) {
      const int c = src_.peek();
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        src_.get();
        continue;
      }
      return c;
    }
  }
  void expect(char want, const char* what) {
    const int c = peek_non_ws();
    if (c != want) fail(std::string("expected ") + what + ", found " + describe(c));
    src_.get();
  }
  // Consumes ',' (returns true) or `close` (returns false).
  bool next_or_close(char close, const char* what) {
    const int c = peek_non_ws();
    if (c == ',') {
      src_.get();
      return true;
    }
    if (c == close) {
      src_.get();
      return false;
    }
    fail(std::string("expected ',' or '") + close + "' in " + what + ", found " + describe(c));
  }
  std::string string() {
    expect('"', "a string");
    std::string out;
    for (;;) {
      const int c = src_.get();
      if (c < 0) fail("unterminated string");
      if (c == '"') return out;
      if (c == '\\') {
        const int e = src_.get();
        if (e < 0) fail("unterminated string");
        out.push_back(static_cast<char>(e));
        continue;
      }
      out.push_back(static_cast<char>(c));
      if (out.size() > 4096) fail("string longer than 4096 bytes");
    }
  }
  std::uint64_t uint(std::uint64_t max) {
    int c = peek_non_ws();
    if (c < '0' || c > '9') fail("expected a non-negative integer, found " + describe(c));
    std::uint64_t v = 0;
    while (c >= '0' && c <= '9') {
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
      if (v > max) fail("integer larger than " + std::to_string(max));
      src_.get();
      c = src_.peek();
    }
    if (c == '.' || c == 'e' || c == 'E') fail("expected an integer, found a fraction or exponent");
    return v;
  }
  bool null_literal() {
    if (peek_non_ws() != 'n') return false;
    for (char want : std::string_view("null"))
      if (src_.get() != want) fail("expected null");
    return true;
  }
  ByteSource& source() { return src_; }

private:
  static std::string describe(int c) {
    if (c < 0) return "the end of the file";
    if (c >= 32 && c < 127) return std::string("'") + static_cast<char>(c) + "'";
    return "byte " + std::to_string(c);
  }
  ByteSource& src_;
};

using Shape = detail::RequestShape;

struct RequestTokens {
  std::uint32_t prefill = 0;
  std::uint32_t decode = 0;
};

// Parses one request file, appending its tokens to `experts` ([token][layer][k]).
RequestTokens parse_request(ByteSource& src, Shape& shape, std::vector<std::uint16_t>& experts) {
  JsonStream js(src);
  RequestTokens out;
  js.expect('[', "'[' opening the list of steps");
  if (js.peek_non_ws() == ']') js.fail("the list of steps is empty");
  std::map<std::int32_t, std::vector<std::uint16_t>> step_layers; // layer id -> [token][k]
  std::size_t step = 0;
  do {
    step_layers.clear();
    const std::uint64_t step_offset = src.offset();
    js.expect('{', "'{' opening a step");
    if (js.peek_non_ws() != '}') {
      do {
        const std::string key = js.string();
        std::uint64_t layer = 0;
        if (!parse_uint(key, 1u << 20, layer)) js.fail("layer key \"" + key + "\" is not a layer number");
        js.expect(':', "':' after a layer key");
        if (js.null_literal()) continue; // dense layer
        if (step_layers.count(static_cast<std::int32_t>(layer))) js.fail("layer " + key + " appears twice in a step");
        auto& ids = step_layers[static_cast<std::int32_t>(layer)];
        js.expect('[', "null or a list of tokens for a layer");
        if (js.peek_non_ws() != ']') {
          do {
            js.expect('[', "'[' opening a token's expert ids");
            std::uint32_t n = 0;
            if (js.peek_non_ws() != ']') {
              do {
                const std::uint64_t id = js.uint(65535);
                if (id >= shape.num_experts)
                  js.fail("expert id " + std::to_string(id) + " at layer " + key + " is out of range (the model has " +
                          std::to_string(shape.num_experts) + " experts; set --experts otherwise)");
                ids.push_back(static_cast<std::uint16_t>(id));
                ++n;
              } while (js.next_or_close(']', "a token's expert ids"));
            } else {
              js.expect(']', "']'");
            }
            if (shape.top_k == 0) {
              if (n == 0) js.fail("a token with no expert id");
              shape.top_k = n;
            }
            if (n != shape.top_k)
              js.fail(std::to_string(n) + " expert ids for a token at layer " + key + " where " +
                      std::to_string(shape.top_k) + " (top-k) are expected");
          } while (js.next_or_close(']', "a layer's token list"));
        } else {
          js.expect(']', "']'");
        }
      } while (js.next_or_close('}', "a step"));
    } else {
      js.expect('}', "'}'");
    }
    // Check the step's MoE layers against the request's (first step) and the trace's.
    std::vector<std::int32_t> layers;
    for (const auto& [l, v] : step_layers)
      layers.push_back(l);
    const std::string where =
        "step " + std::to_string(step) + " (starting at byte " + std::to_string(step_offset) + ")";
    if (layers.empty()) js.fail(where + " has no MoE layer (all layers null)");
    if (shape.layers.empty()) {
      shape.layers = layers;
      shape.layers_from = src.label();
    } else if (layers != shape.layers) {
      for (auto l : shape.layers)
        if (!step_layers.count(l))
          js.fail(where + ": MoE layer " + std::to_string(l) + " is missing or null (it holds routing in " +
                  shape.layers_from + ")");
      for (auto l : layers)
        if (std::find(shape.layers.begin(), shape.layers.end(), l) == shape.layers.end())
          js.fail(where + ": layer " + std::to_string(l) + " holds routing but is not a MoE layer in " +
                  shape.layers_from);
    }
    // No token list seen yet in the trace: the top-k is unknown and this step routes nothing.
    if (shape.top_k == 0) js.fail(where + " has no tokens: every MoE layer's token list is empty");
    const std::size_t per_layer = step_layers.begin()->second.size();
    for (const auto& [l, v] : step_layers)
      if (v.size() != per_layer)
        js.fail(where + ": layer " + std::to_string(l) + " has " + std::to_string(v.size() / shape.top_k) +
                " tokens, layer " + std::to_string(layers.front()) + " has " + std::to_string(per_layer / shape.top_k));
    const std::size_t tokens = per_layer / shape.top_k;
    const std::size_t L = layers.size(), K = shape.top_k;
    const std::size_t base = experts.size();
    experts.resize(base + tokens * L * K);
    std::size_t li = 0;
    for (const auto& [l, v] : step_layers) {
      for (std::size_t t = 0; t < tokens; ++t)
        std::copy_n(v.data() + t * K, K, experts.data() + base + (t * L + li) * K);
      ++li;
    }
    if (step == 0)
      out.prefill = static_cast<std::uint32_t>(tokens);
    else
      out.decode += static_cast<std::uint32_t>(tokens);
    ++step;
  } while (js.next_or_close(']', "the list of steps"));
  if (js.peek_non_ws() >= 0) js.fail("unexpected content after the list of steps");
  return out;
}

bool is_json(const std::string& name) {
  return name.size() > 5 && name.ends_with(".json");
}

class Llama4JsonImporter final : public TraceImporter {
public:
  std::string name() const override { return "llama4-json"; }
  std::string description() const override {
    return "Llama 4 Maverick JSON steps (one file per request: [prefill step, decode steps...], each {layer: null | "
           "[[ids] per token]}); a directory of directories = one domain each";
  }
  int sniff(std::string_view head, std::string_view) const override {
    std::size_t i = 0;
    const auto skip_ws = [&] {
      while (i < head.size() && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        ++i;
    };
    skip_ws();
    if (i >= head.size() || head[i] != '[') return 0;
    ++i;
    skip_ws();
    if (i >= head.size() || head[i] != '{') return 0;
    ++i;
    skip_ws();
    if (i >= head.size() || head[i] != '"') return 0;
    ++i;
    if (i >= head.size() || head[i] < '0' || head[i] > '9') return 0;
    return head.find("[[") != std::string_view::npos ? 90 : 60;
  }

  AnyTrace import(const std::string& path, const ImportOptions& options) const override {
    return detail::import_request_files(
        path, options, [](const std::string& name) { return is_json(name); },
        [this](const std::vector<std::string>& files, const std::string& domain, const ImportOptions& o) {
          return import_files(files, domain, o);
        },
        "no .json request file found");
  }

  AnyTrace import_memory(std::string_view data, const std::string& label, const ImportOptions& options) const override {
    Shape shape = initial_shape(options);
    std::vector<std::uint16_t> experts;
    auto src = ByteSource::from_memory(data, label);
    const RequestTokens t = parse_request(*src, shape, experts);
    TraceMetadata meta = metadata(shape, options);
    const std::uint32_t dom = meta.domain_index(options.domain.empty() ? "default" : options.domain);
    return ExpertTrace(std::move(meta), {RequestInfo{label, dom, 0, t.prefill, t.decode}}, std::move(experts), {},
                       label);
  }

private:
  static Shape initial_shape(const ImportOptions& options) {
    return Shape::initial(options, 128); // Llama 4 Maverick: 128 routed experts
  }
  static TraceMetadata metadata(const Shape& shape, const ImportOptions& options) {
    return shape.metadata(options, "Llama-4-Maverick-17B-128E-Instruct", "llama4-json");
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
      const RequestTokens t = parse_request(*src, shape, experts);
      const std::string stem = detail::base_name(f).substr(0, detail::base_name(f).size() - 5);
      requests.push_back(RequestInfo{domain + "/" + stem, 0, next, t.prefill, t.decode});
      next += t.prefill + t.decode;
    }
    TraceMetadata meta = metadata(shape, options);
    meta.domains = {domain};
    return ExpertTrace(std::move(meta), std::move(requests), std::move(experts), {}, files.empty() ? "" : files[0]);
  }
};

// Self-registration (util/registry.hpp): nothing else names this importer.
const Registrar<TraceImporter> registered{20, [] { return std::make_unique<Llama4JsonImporter>(); }};

} // namespace

} // namespace moescope::trace
