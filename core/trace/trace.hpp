#pragma once
// Expert-activation traces: what a MoE router chose, per request, per MoE layer, per token.
//
// Two kinds:
//  - ExpertTrace: token level. For every token (in request order; within a request, the prefill tokens first and
//    then the decode tokens, decode token j being decode step j+1) and every MoE layer, the top-k expert ids in the
//    router's order, and optionally the gate weights. Stored flat, token-major: experts[(token * L + layer) * k +
//    slot], uint16 ids, so 1M tokens x 58 layers x top-8 is 928 MB and a loaded binary trace is just a memory mapping.
//  - ExpertCountTrace: aggregates only (per domain, per layer, per expert selection counts, optional pair counts),
//    for sources that publish nothing finer.
// Layers are addressed by their slot 0..L-1; metadata().moe_layer_ids maps a slot to the model's layer id.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace moescope::trace {

enum class Phase : std::uint8_t { prefill = 0, decode = 1 };
const char* phase_name(Phase phase);

struct TraceMetadata {
  std::string model;                       // e.g. "DeepSeek-V2-Lite-Chat"
  std::string source_format;               // importer name that produced it, e.g. "deepseek-csv"
  std::uint32_t num_experts = 0;           // routed experts per MoE layer
  std::uint32_t top_k = 0;                 // experts per token per layer
  std::vector<std::int32_t> moe_layer_ids; // model layer id of each layer slot; size = number of MoE layers
  std::vector<std::string> domains;        // domain labels; requests refer to them by index

  std::uint32_t num_layers() const { return static_cast<std::uint32_t>(moe_layer_ids.size()); }
  // Index of `name` in domains, appending it when absent.
  std::uint32_t domain_index(const std::string& name);
};

// Half-open range of global token indices.
struct TokenRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::uint64_t size() const { return end - begin; }
  bool empty() const { return end == begin; }
};

struct RequestInfo {
  std::string id;                // e.g. "prompt_17", "abstract_algebra/3"
  std::uint32_t domain = 0;      // index into TraceMetadata::domains
  std::uint64_t token_begin = 0; // first global token index
  std::uint32_t prefill_tokens = 0;
  std::uint32_t decode_tokens = 0; // decode token j (0-based) is decode step j+1

  std::uint64_t num_tokens() const { return std::uint64_t(prefill_tokens) + decode_tokens; }
  TokenRange tokens() const { return {token_begin, token_begin + num_tokens()}; }
  TokenRange prefill() const { return {token_begin, token_begin + prefill_tokens}; }
  TokenRange decode() const { return {token_begin + prefill_tokens, token_begin + num_tokens()}; }
};

class ExpertTrace {
public:
  ExpertTrace() = default;
  // Owned storage. Validates sizes, token ranges (contiguous, in order) and expert ids (< num_experts); throws
  // InputError labelled `label` on a violation.
  ExpertTrace(TraceMetadata metadata, std::vector<RequestInfo> requests, std::vector<std::uint16_t> experts,
              std::vector<float> weights, const std::string& label = "<trace>");
  // Borrowed storage kept alive by `keepalive` (e.g. a memory mapping). Same validation.
  ExpertTrace(TraceMetadata metadata, std::vector<RequestInfo> requests, std::span<const std::uint16_t> experts,
              std::span<const float> weights, std::shared_ptr<const void> keepalive, const std::string& label);

  // Copies share a memory mapping but duplicate owned arrays; the spans are re-pointed accordingly.
  ExpertTrace(const ExpertTrace& other);
  ExpertTrace(ExpertTrace&& other) noexcept;
  ExpertTrace& operator=(const ExpertTrace& other);
  ExpertTrace& operator=(ExpertTrace&& other) noexcept;

  const TraceMetadata& metadata() const { return metadata_; }
  std::uint32_t num_layers() const { return metadata_.num_layers(); }
  std::uint32_t num_experts() const { return metadata_.num_experts; }
  std::uint32_t top_k() const { return metadata_.top_k; }
  bool has_weights() const { return !weights_.empty(); }

  std::size_t num_requests() const { return requests_.size(); }
  const RequestInfo& request(std::size_t r) const { return requests_[r]; }
  std::span<const RequestInfo> requests() const { return requests_; }
  const std::string& domain_of(std::size_t r) const { return metadata_.domains[requests_[r].domain]; }
  std::uint64_t num_tokens() const { return num_tokens_; }

  // Top-k expert ids of global token `token` at layer slot `layer`, in the router's order.
  std::span<const std::uint16_t> experts(std::uint64_t token, std::uint32_t layer) const {
    return experts_.subspan((token * num_layers() + layer) * top_k(), top_k());
  }
  // Gate weights in the same order; empty when the trace has none.
  std::span<const float> weights(std::uint64_t token, std::uint32_t layer) const {
    if (weights_.empty()) return {};
    return weights_.subspan((token * num_layers() + layer) * top_k(), top_k());
  }
  // The whole arrays, token-major [token][layer][slot].
  std::span<const std::uint16_t> expert_data() const { return experts_; }
  std::span<const float> weight_data() const { return weights_; }

  // A new trace holding copies of the given requests (in the given order). Domain labels are kept.
  ExpertTrace subset(std::span<const std::size_t> request_indices) const;

private:
  void validate(const std::string& label);
  void rebind(const ExpertTrace& from);

  TraceMetadata metadata_;
  std::vector<RequestInfo> requests_;
  std::uint64_t num_tokens_ = 0;
  std::vector<std::uint16_t> owned_experts_;
  std::vector<float> owned_weights_;
  std::shared_ptr<const void> keepalive_;
  std::span<const std::uint16_t> experts_;
  std::span<const float> weights_;
};

// Selection counts where no per-token data exists (or aggregated from an ExpertTrace).
struct CountDomain {
  std::string name;
  std::vector<std::uint64_t> counts; // [layer slot][expert]
  std::uint64_t tokens = 0;          // tokens behind the counts, 0 when unknown
};

// Pair counts between two layer slots (from != to: cross-layer; from == to: within-layer pairs of one token).
struct PairCounts {
  std::uint32_t domain = 0;
  std::uint32_t from_layer = 0; // layer slots
  std::uint32_t to_layer = 0;
  std::vector<std::uint64_t> matrix; // [expert at from][expert at to], E x E
};

class ExpertCountTrace {
public:
  TraceMetadata metadata;
  std::vector<CountDomain> domains; // domains[i].name == metadata.domains[i]
  std::vector<PairCounts> pairs;

  std::uint32_t num_layers() const { return metadata.num_layers(); }
  std::uint32_t num_experts() const { return metadata.num_experts; }
  std::uint64_t count(std::size_t domain, std::uint32_t layer, std::uint32_t expert) const {
    return domains[domain].counts[std::size_t(layer) * num_experts() + expert];
  }
  // Counts summed over domains, [layer][expert].
  std::vector<std::uint64_t> total_counts() const;
  // Checks sizes; throws InputError labelled `label`.
  void validate(const std::string& label) const;
};

// Per-domain per-layer counts of a token trace (no pair counts).
ExpertCountTrace aggregate_counts(const ExpertTrace& trace);

// Concatenates token traces of the same model shape (experts, top-k, layer ids, weights or not); domain labels are
// unified by name. Throws InputError naming the mismatch.
ExpertTrace merge_traces(std::vector<ExpertTrace> parts, const std::string& label);
ExpertCountTrace merge_count_traces(std::vector<ExpertCountTrace> parts, const std::string& label);

// Either kind, as an importer returns it.
using AnyTrace = std::variant<ExpertTrace, ExpertCountTrace>;
const TraceMetadata& metadata_of(const AnyTrace& trace);

// Train/test split of requests. Documented rule (docs/traces.md): within each domain, requests are ordered by a
// 64-bit hash of (seed, request id) and the first round(test_fraction * n) go to the test set (at least one when
// the domain has two or more requests and test_fraction > 0). Deterministic and independent of request order.
struct RequestSplit {
  std::vector<std::size_t> train;
  std::vector<std::size_t> test;
};
RequestSplit split_requests(const ExpertTrace& trace, double test_fraction, std::uint64_t seed = 0);

} // namespace moescope::trace
