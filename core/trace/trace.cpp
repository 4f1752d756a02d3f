#include "trace/trace.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "util/diagnostics.hpp"

namespace moescope::trace {

const char* phase_name(Phase phase) {
  return phase == Phase::prefill ? "prefill" : "decode";
}

std::uint32_t TraceMetadata::domain_index(const std::string& name) {
  for (std::size_t i = 0; i < domains.size(); ++i)
    if (domains[i] == name) return static_cast<std::uint32_t>(i);
  domains.push_back(name);
  return static_cast<std::uint32_t>(domains.size() - 1);
}

ExpertTrace::ExpertTrace(TraceMetadata metadata, std::vector<RequestInfo> requests, std::vector<std::uint16_t> experts,
                         std::vector<float> weights, const std::string& label)
    : metadata_(std::move(metadata)), requests_(std::move(requests)), owned_experts_(std::move(experts)),
      owned_weights_(std::move(weights)) {
  experts_ = owned_experts_;
  weights_ = owned_weights_;
  validate(label);
}

ExpertTrace::ExpertTrace(TraceMetadata metadata, std::vector<RequestInfo> requests,
                         std::span<const std::uint16_t> experts, std::span<const float> weights,
                         std::shared_ptr<const void> keepalive, const std::string& label)
    : metadata_(std::move(metadata)), requests_(std::move(requests)), keepalive_(std::move(keepalive)),
      experts_(experts), weights_(weights) {
  validate(label);
}

ExpertTrace::ExpertTrace(const ExpertTrace& other)
    : metadata_(other.metadata_), requests_(other.requests_), num_tokens_(other.num_tokens_),
      owned_experts_(other.owned_experts_), owned_weights_(other.owned_weights_), keepalive_(other.keepalive_) {
  rebind(other);
}

ExpertTrace::ExpertTrace(ExpertTrace&& other) noexcept
    : metadata_(std::move(other.metadata_)), requests_(std::move(other.requests_)), num_tokens_(other.num_tokens_),
      keepalive_(std::move(other.keepalive_)) {
  const bool owned = other.experts_.data() == other.owned_experts_.data();
  owned_experts_ = std::move(other.owned_experts_);
  owned_weights_ = std::move(other.owned_weights_);
  experts_ = owned ? std::span<const std::uint16_t>(owned_experts_) : other.experts_;
  weights_ = owned ? std::span<const float>(owned_weights_) : other.weights_;
  other.experts_ = {};
  other.weights_ = {};
  other.num_tokens_ = 0;
}

ExpertTrace& ExpertTrace::operator=(const ExpertTrace& other) {
  if (this != &other) {
    ExpertTrace copy(other);
    *this = std::move(copy);
  }
  return *this;
}

ExpertTrace& ExpertTrace::operator=(ExpertTrace&& other) noexcept {
  if (this != &other) {
    metadata_ = std::move(other.metadata_);
    requests_ = std::move(other.requests_);
    num_tokens_ = other.num_tokens_;
    keepalive_ = std::move(other.keepalive_);
    const bool owned = other.experts_.data() == other.owned_experts_.data();
    owned_experts_ = std::move(other.owned_experts_);
    owned_weights_ = std::move(other.owned_weights_);
    experts_ = owned ? std::span<const std::uint16_t>(owned_experts_) : other.experts_;
    weights_ = owned ? std::span<const float>(owned_weights_) : other.weights_;
    other.experts_ = {};
    other.weights_ = {};
    other.num_tokens_ = 0;
  }
  return *this;
}

void ExpertTrace::rebind(const ExpertTrace& from) {
  const bool owned = from.experts_.data() == from.owned_experts_.data();
  experts_ = owned ? std::span<const std::uint16_t>(owned_experts_) : from.experts_;
  weights_ = owned ? std::span<const float>(owned_weights_) : from.weights_;
}

void ExpertTrace::validate(const std::string& label) {
  const auto fail = [&](const std::string& message) { throw InputError(label, "", message); };
  if (metadata_.top_k == 0) fail("top-k is 0");
  if (metadata_.num_experts == 0 || metadata_.num_experts > 65535)
    fail("expert count " + std::to_string(metadata_.num_experts) + " is outside 1..65535");
  if (metadata_.moe_layer_ids.empty()) fail("the trace has no MoE layer");
  // Per-domain count tables are domains x layers x experts: keep them under 2^26 entries.
  if (std::uint64_t(std::max<std::size_t>(metadata_.domains.size(), 1)) * num_layers() * metadata_.num_experts >
      (std::uint64_t(1) << 26))
    fail("domains x layers x experts (" + std::to_string(metadata_.domains.size()) + " x " +
         std::to_string(num_layers()) + " x " + std::to_string(metadata_.num_experts) + ") exceeds 2^26");
  std::uint64_t next = 0;
  for (std::size_t r = 0; r < requests_.size(); ++r) {
    const auto& req = requests_[r];
    if (req.token_begin != next)
      fail("request " + std::to_string(r) + " (" + req.id + ") starts at token " + std::to_string(req.token_begin) +
           ", expected " + std::to_string(next));
    if (req.domain >= metadata_.domains.size())
      fail("request " + std::to_string(r) + " (" + req.id + ") names domain " + std::to_string(req.domain) + " of " +
           std::to_string(metadata_.domains.size()));
    next += req.num_tokens();
  }
  num_tokens_ = next;
  const std::uint64_t per_token = std::uint64_t(num_layers()) * top_k();
  if (next > (std::uint64_t(1) << 40) / per_token) fail("too many tokens");
  if (experts_.size() != next * per_token)
    fail("expert array holds " + std::to_string(experts_.size()) + " ids, expected " +
         std::to_string(next * per_token));
  if (!weights_.empty() && weights_.size() != experts_.size())
    fail("weight array holds " + std::to_string(weights_.size()) + " values, expected " +
         std::to_string(experts_.size()));
  // Vectorisable range check first; locate the offender only on failure.
  std::uint16_t max_id = 0;
  for (std::uint16_t e : experts_)
    max_id = std::max(max_id, e);
  if (!experts_.empty() && max_id >= metadata_.num_experts) {
    for (std::size_t i = 0; i < experts_.size(); ++i)
      if (experts_[i] >= metadata_.num_experts) {
        const std::uint64_t token = i / per_token;
        const std::uint64_t layer = (i / top_k()) % num_layers();
        fail("expert id " + std::to_string(experts_[i]) + " at token " + std::to_string(token) + ", layer " +
             std::to_string(metadata_.moe_layer_ids[layer]) + " is out of range (the model has " +
             std::to_string(metadata_.num_experts) + " experts)");
      }
  }
}

ExpertTrace ExpertTrace::subset(std::span<const std::size_t> request_indices) const {
  const std::uint64_t per_token = std::uint64_t(num_layers()) * top_k();
  std::vector<RequestInfo> reqs;
  std::vector<std::uint16_t> ex;
  std::vector<float> w;
  std::uint64_t next = 0;
  for (std::size_t r : request_indices) {
    RequestInfo info = requests_.at(r);
    const auto range = info.tokens();
    ex.insert(ex.end(), experts_.begin() + range.begin * per_token, experts_.begin() + range.end * per_token);
    if (has_weights())
      w.insert(w.end(), weights_.begin() + range.begin * per_token, weights_.begin() + range.end * per_token);
    info.token_begin = next;
    next += info.num_tokens();
    reqs.push_back(std::move(info));
  }
  return ExpertTrace(metadata_, std::move(reqs), std::move(ex), std::move(w), "<subset>");
}

std::vector<std::uint64_t> ExpertCountTrace::total_counts() const {
  std::vector<std::uint64_t> total(std::size_t(num_layers()) * num_experts(), 0);
  for (const auto& d : domains)
    for (std::size_t i = 0; i < total.size() && i < d.counts.size(); ++i)
      total[i] += d.counts[i];
  return total;
}

void ExpertCountTrace::validate(const std::string& label) const {
  const auto fail = [&](const std::string& message) { throw InputError(label, "", message); };
  if (metadata.num_experts == 0 || metadata.num_experts > 65535) fail("expert count outside 1..65535");
  if (metadata.moe_layer_ids.empty()) fail("the trace has no MoE layer");
  if (domains.size() != metadata.domains.size()) fail("domain table and count table differ in size");
  const std::size_t n = std::size_t(num_layers()) * num_experts();
  for (std::size_t i = 0; i < domains.size(); ++i) {
    if (domains[i].name != metadata.domains[i]) fail("domain " + std::to_string(i) + " name mismatch");
    if (domains[i].counts.size() != n)
      fail("domain " + domains[i].name + " has " + std::to_string(domains[i].counts.size()) + " counts, expected " +
           std::to_string(n));
  }
  for (const auto& p : pairs) {
    if (p.domain >= domains.size() || p.from_layer >= num_layers() || p.to_layer >= num_layers())
      fail("pair table refers to a missing domain or layer");
    if (p.matrix.size() != std::size_t(num_experts()) * num_experts()) fail("pair matrix is not E x E");
  }
}

ExpertCountTrace aggregate_counts(const ExpertTrace& trace) {
  ExpertCountTrace out;
  out.metadata = trace.metadata();
  const std::uint32_t L = trace.num_layers(), E = trace.num_experts(), K = trace.top_k();
  for (const auto& name : out.metadata.domains)
    out.domains.push_back(CountDomain{name, std::vector<std::uint64_t>(std::size_t(L) * E, 0), 0});
  const auto data = trace.expert_data();
  for (const auto& req : trace.requests()) {
    auto& dom = out.domains[req.domain];
    dom.tokens += req.num_tokens();
    auto* counts = dom.counts.data();
    const std::uint16_t* p = data.data() + req.token_begin * L * K;
    for (std::uint64_t t = 0; t < req.num_tokens(); ++t)
      for (std::uint32_t l = 0; l < L; ++l)
        for (std::uint32_t k = 0; k < K; ++k)
          ++counts[std::size_t(l) * E + *p++];
  }
  return out;
}

namespace {
std::string shape_of(const TraceMetadata& m) {
  std::string ids;
  for (auto id : m.moe_layer_ids)
    ids += (ids.empty() ? "" : ",") + std::to_string(id);
  return std::to_string(m.num_experts) + " experts, top-" + std::to_string(m.top_k) + ", layers [" + ids + "]";
}
} // namespace

ExpertTrace merge_traces(std::vector<ExpertTrace> parts, const std::string& label) {
  if (parts.empty()) throw InputError(label, "", "nothing to merge: no trace found");
  if (parts.size() == 1) return std::move(parts.front());
  TraceMetadata meta = parts.front().metadata();
  meta.domains.clear();
  const bool weights = parts.front().has_weights();
  std::vector<RequestInfo> reqs;
  std::vector<std::uint16_t> ex;
  std::vector<float> w;
  std::uint64_t next = 0;
  for (const auto& part : parts) {
    const auto& m = part.metadata();
    if (m.num_experts != meta.num_experts || m.top_k != meta.top_k || m.moe_layer_ids != meta.moe_layer_ids)
      throw InputError(label, "", "cannot merge traces of different shapes: " + shape_of(meta) + " vs " + shape_of(m));
    if (part.has_weights() != weights)
      throw InputError(label, "", "cannot merge a trace with gate weights and one without");
    ex.insert(ex.end(), part.expert_data().begin(), part.expert_data().end());
    w.insert(w.end(), part.weight_data().begin(), part.weight_data().end());
    for (const auto& r : part.requests()) {
      RequestInfo info = r;
      info.domain = meta.domain_index(m.domains[r.domain]);
      info.token_begin = next;
      next += info.num_tokens();
      reqs.push_back(std::move(info));
    }
  }
  return ExpertTrace(std::move(meta), std::move(reqs), std::move(ex), std::move(w), label);
}

ExpertCountTrace merge_count_traces(std::vector<ExpertCountTrace> parts, const std::string& label) {
  if (parts.empty()) throw InputError(label, "", "nothing to merge: no trace found");
  if (parts.size() == 1) return std::move(parts.front());
  ExpertCountTrace out;
  out.metadata = parts.front().metadata;
  out.metadata.domains.clear();
  for (auto& part : parts) {
    const auto& m = part.metadata;
    if (m.num_experts != out.metadata.num_experts || m.moe_layer_ids != out.metadata.moe_layer_ids)
      throw InputError(
          label, "", "cannot merge count traces of different shapes: " + shape_of(out.metadata) + " vs " + shape_of(m));
    std::vector<std::uint32_t> remap;
    for (auto& d : part.domains) {
      const std::uint32_t idx = out.metadata.domain_index(d.name);
      remap.push_back(idx);
      if (idx == out.domains.size()) {
        out.domains.push_back(std::move(d));
      } else {
        auto& dst = out.domains[idx];
        for (std::size_t i = 0; i < dst.counts.size(); ++i)
          dst.counts[i] += d.counts[i];
        dst.tokens += d.tokens;
      }
    }
    for (auto& p : part.pairs) {
      p.domain = remap.at(p.domain);
      out.pairs.push_back(std::move(p));
    }
  }
  out.validate(label);
  return out;
}

const TraceMetadata& metadata_of(const AnyTrace& trace) {
  if (const auto* t = std::get_if<ExpertTrace>(&trace)) return t->metadata();
  return std::get<ExpertCountTrace>(trace).metadata;
}

namespace {
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
std::uint64_t hash_id(std::uint64_t seed, const std::string& id) {
  std::uint64_t h = 1469598103934665603ULL ^ splitmix64(seed); // FNV-1a over the id, then mixed
  for (unsigned char c : id)
    h = (h ^ c) * 1099511628211ULL;
  return splitmix64(h);
}
} // namespace

RequestSplit split_requests(const ExpertTrace& trace, double test_fraction, std::uint64_t seed) {
  RequestSplit split;
  test_fraction = std::clamp(test_fraction, 0.0, 1.0);
  std::map<std::uint32_t, std::vector<std::pair<std::uint64_t, std::size_t>>> by_domain;
  for (std::size_t r = 0; r < trace.num_requests(); ++r)
    by_domain[trace.request(r).domain].push_back({hash_id(seed, trace.request(r).id), r});
  for (auto& [domain, items] : by_domain) {
    std::sort(items.begin(), items.end());
    std::size_t n_test = static_cast<std::size_t>(std::llround(test_fraction * double(items.size())));
    if (test_fraction > 0 && n_test == 0 && items.size() >= 2) n_test = 1;
    for (std::size_t i = 0; i < items.size(); ++i)
      (i < n_test ? split.test : split.train).push_back(items[i].second);
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.test.begin(), split.test.end());
  return split;
}

} // namespace moescope::trace
