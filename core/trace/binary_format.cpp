#include "trace/binary_format.hpp"

#include <bit>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "trace/byte_source.hpp"
#include "trace/importer.hpp"
#include "util/atomic_file.hpp"
#include "util/diagnostics.hpp"

static_assert(std::endian::native == std::endian::little, "the .mst format is little-endian; add byte swapping");

namespace moescope::trace {
namespace {

enum : std::uint32_t { kKindTokens = 1, kKindCounts = 2 };
enum : std::uint32_t { kFlagWeights = 1, kFlagPairs = 2 };
enum : std::uint32_t {
  kSecStrings = 1,
  kSecLayerIds = 2,
  kSecRequests = 3,
  kSecRequestIds = 4,
  kSecExperts = 5,
  kSecWeights = 6,
  kSecCounts = 7,
  kSecPairs = 8,
};
constexpr std::size_t kHeaderSize = 64;
constexpr std::size_t kSectionEntrySize = 32;
constexpr std::size_t kRequestEntrySize = 32;
constexpr std::size_t kAlign = 64;

struct Writer {
  std::string out;
  template <class T> void put(T v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void pad_to(std::size_t align) { out.resize((out.size() + align - 1) / align * align, '\0'); }
};

struct Section {
  std::uint32_t id;
  std::string data;
};

std::string strings_blob(const TraceMetadata& m) {
  Writer w;
  auto put_str = [&](const std::string& s) {
    w.put<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
    w.out += s;
  };
  put_str(m.model);
  put_str(m.source_format);
  for (const auto& d : m.domains)
    put_str(d);
  return w.out;
}

template <class T> std::string raw_bytes(std::span<const T> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size_bytes());
}

std::string assemble(std::uint32_t kind, std::uint32_t flags, const TraceMetadata& m, std::uint64_t requests,
                     std::uint64_t tokens, std::vector<Section>& sections) {
  Writer w;
  w.out.append(kBinaryMagic, 8);
  w.put<std::uint32_t>(kBinaryVersion);
  w.put<std::uint32_t>(kHeaderSize);
  w.put<std::uint32_t>(kind);
  w.put<std::uint32_t>(flags);
  w.put<std::uint32_t>(m.num_layers());
  w.put<std::uint32_t>(m.num_experts);
  w.put<std::uint32_t>(m.top_k);
  w.put<std::uint32_t>(static_cast<std::uint32_t>(m.domains.size()));
  w.put<std::uint64_t>(requests);
  w.put<std::uint64_t>(tokens);
  w.put<std::uint32_t>(static_cast<std::uint32_t>(sections.size()));
  w.put<std::uint32_t>(0);
  // Section table, then the sections, each 64-byte aligned.
  std::size_t offset = kHeaderSize + sections.size() * kSectionEntrySize;
  std::vector<std::uint64_t> offsets;
  for (const auto& s : sections) {
    offset = (offset + kAlign - 1) / kAlign * kAlign;
    offsets.push_back(offset);
    offset += s.data.size();
  }
  for (std::size_t i = 0; i < sections.size(); ++i) {
    w.put<std::uint32_t>(sections[i].id);
    w.put<std::uint32_t>(0);
    w.put<std::uint64_t>(offsets[i]);
    w.put<std::uint64_t>(sections[i].data.size());
    uLong crc = crc32(0L, Z_NULL, 0);
    const auto* p = reinterpret_cast<const Bytef*>(sections[i].data.data());
    std::size_t left = sections[i].data.size();
    while (left > 0) {
      const uInt chunk = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
      crc = crc32(crc, p, chunk);
      p += chunk;
      left -= chunk;
    }
    w.put<std::uint32_t>(static_cast<std::uint32_t>(crc));
    w.put<std::uint32_t>(0);
  }
  w.out.reserve(offset);
  for (std::size_t i = 0; i < sections.size(); ++i) {
    w.out.resize(offsets[i], '\0');
    w.out += sections[i].data;
  }
  return w.out;
}

} // namespace

std::string encode_binary(const AnyTrace& any) {
  std::vector<Section> sections;
  if (const auto* t = std::get_if<ExpertTrace>(&any)) {
    const auto& m = t->metadata();
    sections.push_back({kSecStrings, strings_blob(m)});
    sections.push_back({kSecLayerIds, raw_bytes(std::span<const std::int32_t>(m.moe_layer_ids))});
    Writer req, ids;
    for (const auto& r : t->requests()) {
      req.put<std::uint64_t>(r.token_begin);
      req.put<std::uint32_t>(r.prefill_tokens);
      req.put<std::uint32_t>(r.decode_tokens);
      req.put<std::uint32_t>(r.domain);
      req.put<std::uint32_t>(static_cast<std::uint32_t>(ids.out.size()));
      req.put<std::uint32_t>(static_cast<std::uint32_t>(r.id.size()));
      req.put<std::uint32_t>(0);
      ids.out += r.id;
    }
    sections.push_back({kSecRequests, std::move(req.out)});
    sections.push_back({kSecRequestIds, std::move(ids.out)});
    sections.push_back({kSecExperts, raw_bytes(t->expert_data())});
    if (t->has_weights()) sections.push_back({kSecWeights, raw_bytes(t->weight_data())});
    return assemble(kKindTokens, t->has_weights() ? std::uint32_t(kFlagWeights) : 0u, m, t->num_requests(),
                    t->num_tokens(), sections);
  }
  const auto& c = std::get<ExpertCountTrace>(any);
  sections.push_back({kSecStrings, strings_blob(c.metadata)});
  sections.push_back({kSecLayerIds, raw_bytes(std::span<const std::int32_t>(c.metadata.moe_layer_ids))});
  Writer counts;
  for (const auto& d : c.domains) {
    counts.put<std::uint64_t>(d.tokens);
    counts.out += raw_bytes(std::span<const std::uint64_t>(d.counts));
  }
  sections.push_back({kSecCounts, std::move(counts.out)});
  if (!c.pairs.empty()) {
    Writer pairs;
    pairs.put<std::uint64_t>(c.pairs.size());
    for (const auto& p : c.pairs) {
      pairs.put<std::uint32_t>(p.domain);
      pairs.put<std::uint32_t>(p.from_layer);
      pairs.put<std::uint32_t>(p.to_layer);
      pairs.put<std::uint32_t>(0);
      pairs.out += raw_bytes(std::span<const std::uint64_t>(p.matrix));
    }
    sections.push_back({kSecPairs, std::move(pairs.out)});
  }
  return assemble(kKindCounts, c.pairs.empty() ? 0u : std::uint32_t(kFlagPairs), c.metadata, 0, 0, sections);
}

void save_binary(const AnyTrace& trace, const std::string& path) {
  write_file_atomically(path, encode_binary(trace));
}

namespace {

class Reader {
public:
  Reader(std::span<const unsigned char> data, const std::string& label) : data_(data), label_(label) {}
  [[noreturn]] void fail(std::uint64_t at, const std::string& message) const {
    throw InputError(label_, byte_location(at), message);
  }
  template <class T> T get(std::uint64_t at) const {
    if (at > data_.size() || data_.size() - at < sizeof(T))
      fail(at, "truncated: the file ends (at byte " + std::to_string(data_.size()) + ") inside a " +
                   std::to_string(sizeof(T)) + "-byte field");
    T v;
    std::memcpy(&v, data_.data() + at, sizeof v);
    return v;
  }
  std::span<const unsigned char> data() const { return data_; }

private:
  std::span<const unsigned char> data_;
  const std::string& label_;
};

struct SectionRef {
  std::uint64_t offset = 0, size = 0;
  std::uint32_t crc = 0;
  bool present = false;
  std::uint64_t entry_at = 0;
};

} // namespace

AnyTrace decode_binary(std::span<const unsigned char> data, std::shared_ptr<const void> keepalive,
                       const std::string& label, const BinaryLoadOptions& options) {
  Reader r(data, label);
  if (data.size() < 8 || std::memcmp(data.data(), kBinaryMagic, 8) != 0)
    r.fail(0, "not a moescope trace (.mst): the magic \"MOESCTRC\" is missing");
  const auto version = r.get<std::uint32_t>(8);
  if (version != kBinaryVersion)
    r.fail(8, "format version " + std::to_string(version) + " is not supported (this build reads version " +
                  std::to_string(kBinaryVersion) + ")");
  const auto header_size = r.get<std::uint32_t>(12);
  if (header_size < kHeaderSize) r.fail(12, "header size " + std::to_string(header_size) + " is below 64");
  const auto kind = r.get<std::uint32_t>(16);
  const auto flags = r.get<std::uint32_t>(20);
  const auto L = r.get<std::uint32_t>(24);
  const auto E = r.get<std::uint32_t>(28);
  const auto K = r.get<std::uint32_t>(32);
  const auto D = r.get<std::uint32_t>(36);
  const auto R = r.get<std::uint64_t>(40);
  const auto T = r.get<std::uint64_t>(48);
  const auto S = r.get<std::uint32_t>(56);
  if (kind != kKindTokens && kind != kKindCounts) r.fail(16, "unknown trace kind " + std::to_string(kind));
  if (L == 0 || L > 65536) r.fail(24, "layer count " + std::to_string(L) + " outside 1..65536");
  if (E == 0 || E > 65535) r.fail(28, "expert count " + std::to_string(E) + " outside 1..65535");
  if (kind == kKindTokens && (K == 0 || K > E)) r.fail(32, "top-k " + std::to_string(K) + " outside 1..experts");
  if (D > (1u << 20)) r.fail(36, "too many domains");
  if (S > 1024) r.fail(56, "too many sections");
  SectionRef secs[9];
  for (std::uint32_t i = 0; i < S; ++i) {
    const std::uint64_t at = header_size + std::uint64_t(i) * kSectionEntrySize;
    const auto id = r.get<std::uint32_t>(at);
    SectionRef s;
    s.offset = r.get<std::uint64_t>(at + 8);
    s.size = r.get<std::uint64_t>(at + 16);
    s.crc = r.get<std::uint32_t>(at + 24);
    s.present = true;
    s.entry_at = at;
    if (s.offset > data.size() || s.size > data.size() - s.offset)
      r.fail(at, "section " + std::to_string(id) + " (bytes " + std::to_string(s.offset) + "+" +
                     std::to_string(s.size) + ") runs past the end of the file (" + std::to_string(data.size()) +
                     " bytes): truncated?");
    if (id >= 1 && id <= 8) {
      if (secs[id].present) r.fail(at, "section " + std::to_string(id) + " appears twice");
      secs[id] = s;
    } // unknown sections are skipped
  }
  const auto need = [&](std::uint32_t id, const char* what) -> const SectionRef& {
    if (!secs[id].present) r.fail(header_size, std::string("the ") + what + " section is missing");
    return secs[id];
  };
  if (options.verify_checksums)
    for (const auto& s : secs)
      if (s.present) {
        uLong crc = crc32(0L, Z_NULL, 0);
        std::uint64_t left = s.size, off = s.offset;
        while (left > 0) {
          const uInt chunk = static_cast<uInt>(std::min<std::uint64_t>(left, 1u << 30));
          crc = crc32(crc, data.data() + off, chunk);
          off += chunk;
          left -= chunk;
        }
        if (static_cast<std::uint32_t>(crc) != s.crc)
          r.fail(s.offset, "section checksum mismatch: the file is corrupt");
      }

  TraceMetadata meta;
  {
    const auto& s = need(kSecStrings, "strings");
    std::uint64_t at = s.offset;
    const std::uint64_t end = s.offset + s.size;
    auto get_str = [&]() {
      const auto n = r.get<std::uint32_t>(at);
      if (at + 4 > end || n > end - at - 4)
        r.fail(at, "string of " + std::to_string(n) + " bytes runs past its section");
      std::string v(reinterpret_cast<const char*>(data.data() + at + 4), n);
      at += 4 + n;
      return v;
    };
    meta.model = get_str();
    meta.source_format = get_str();
    for (std::uint32_t d = 0; d < D; ++d)
      meta.domains.push_back(get_str());
  }
  meta.num_experts = E;
  meta.top_k = K;
  {
    const auto& s = need(kSecLayerIds, "layer id");
    if (s.size != std::uint64_t(L) * 4) r.fail(s.entry_at, "layer id section size does not match the layer count");
    meta.moe_layer_ids.resize(L);
    std::memcpy(meta.moe_layer_ids.data(), data.data() + s.offset, s.size);
  }

  if (kind == kKindCounts) {
    ExpertCountTrace c;
    c.metadata = std::move(meta);
    const auto& s = need(kSecCounts, "counts");
    const std::uint64_t per = 8 + std::uint64_t(L) * E * 8;
    if (s.size != per * D) r.fail(s.entry_at, "counts section size does not match domains x layers x experts");
    for (std::uint32_t d = 0; d < D; ++d) {
      CountDomain cd;
      cd.name = c.metadata.domains[d];
      cd.tokens = r.get<std::uint64_t>(s.offset + d * per);
      cd.counts.resize(std::size_t(L) * E);
      std::memcpy(cd.counts.data(), data.data() + s.offset + d * per + 8, cd.counts.size() * 8);
      c.domains.push_back(std::move(cd));
    }
    if (flags & kFlagPairs) {
      const auto& p = need(kSecPairs, "pairs");
      const std::uint64_t n = r.get<std::uint64_t>(p.offset);
      const std::uint64_t per_pair = 16 + std::uint64_t(E) * E * 8;
      if (p.size < 8 || n > (p.size - 8) / per_pair || p.size != 8 + n * per_pair)
        r.fail(p.entry_at, "pairs section size does not match its entry count");
      for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t at = p.offset + 8 + i * per_pair;
        PairCounts pc;
        pc.domain = r.get<std::uint32_t>(at);
        pc.from_layer = r.get<std::uint32_t>(at + 4);
        pc.to_layer = r.get<std::uint32_t>(at + 8);
        pc.matrix.resize(std::size_t(E) * E);
        std::memcpy(pc.matrix.data(), data.data() + at + 16, pc.matrix.size() * 8);
        c.pairs.push_back(std::move(pc));
      }
    }
    c.validate(label);
    return c;
  }

  std::vector<RequestInfo> requests;
  {
    const auto& s = need(kSecRequests, "requests");
    const auto& ids = need(kSecRequestIds, "request ids");
    if (R > s.size / kRequestEntrySize || s.size != R * kRequestEntrySize)
      r.fail(s.entry_at, "requests section size does not match the request count " + std::to_string(R));
    requests.reserve(R);
    for (std::uint64_t i = 0; i < R; ++i) {
      const std::uint64_t at = s.offset + i * kRequestEntrySize;
      RequestInfo info;
      info.token_begin = r.get<std::uint64_t>(at);
      info.prefill_tokens = r.get<std::uint32_t>(at + 8);
      info.decode_tokens = r.get<std::uint32_t>(at + 12);
      info.domain = r.get<std::uint32_t>(at + 16);
      const auto id_off = r.get<std::uint32_t>(at + 20);
      const auto id_len = r.get<std::uint32_t>(at + 24);
      if (id_off > ids.size || id_len > ids.size - id_off) r.fail(at, "request id runs past the id section");
      info.id.assign(reinterpret_cast<const char*>(data.data() + ids.offset + id_off), id_len);
      requests.push_back(std::move(info));
    }
  }
  const std::uint64_t per_token = std::uint64_t(L) * K;
  if (T > (std::uint64_t(1) << 40) / per_token)
    r.fail(48, "token count " + std::to_string(T) + " is implausibly large");
  const auto& ex = need(kSecExperts, "expert id");
  if (ex.size != T * per_token * 2)
    r.fail(ex.entry_at, "expert id section holds " + std::to_string(ex.size) + " bytes, expected " +
                            std::to_string(T * per_token * 2) + " (tokens x layers x top-k x 2): truncated?");
  std::span<const std::uint16_t> experts;
  std::span<const float> weights;
  std::vector<std::uint16_t> ex_copy;
  std::vector<float> w_copy;
  const unsigned char* ex_ptr = data.data() + ex.offset;
  const bool aligned = reinterpret_cast<std::uintptr_t>(ex_ptr) % alignof(std::uint16_t) == 0;
  if (aligned) {
    experts = {reinterpret_cast<const std::uint16_t*>(ex_ptr), T * per_token};
  } else {
    ex_copy.resize(T * per_token);
    std::memcpy(ex_copy.data(), ex_ptr, ex.size);
  }
  if (flags & kFlagWeights) {
    const auto& ws = need(kSecWeights, "gate weight");
    if (ws.size != T * per_token * 4)
      r.fail(ws.entry_at, "gate weight section size does not match tokens x layers x top-k x 4: truncated?");
    const unsigned char* w_ptr = data.data() + ws.offset;
    if (reinterpret_cast<std::uintptr_t>(w_ptr) % alignof(float) == 0 && aligned) {
      weights = {reinterpret_cast<const float*>(w_ptr), T * per_token};
    } else {
      w_copy.resize(T * per_token);
      std::memcpy(w_copy.data(), w_ptr, ws.size);
    }
  }
  // Every request must lie inside the token range; ExpertTrace's constructor checks contiguity and ids.
  std::uint64_t total = 0;
  for (const auto& q : requests)
    total += q.num_tokens();
  if (total != T)
    r.fail(40, "requests cover " + std::to_string(total) + " tokens, the header says " + std::to_string(T));
  if (!aligned || !w_copy.empty()) {
    if (ex_copy.empty()) ex_copy.assign(experts.begin(), experts.end());
    if ((flags & kFlagWeights) && w_copy.empty()) w_copy.assign(weights.begin(), weights.end());
    return ExpertTrace(std::move(meta), std::move(requests), std::move(ex_copy), std::move(w_copy), label);
  }
  return ExpertTrace(std::move(meta), std::move(requests), experts, weights, std::move(keepalive), label);
}

namespace {
struct Mapping {
  void* addr = nullptr;
  std::size_t size = 0;
  ~Mapping() {
    if (addr && size) ::munmap(addr, size);
  }
};
} // namespace

AnyTrace load_binary(const std::string& path, const BinaryLoadOptions& options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path, "", std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw InputError(path, "", std::string("cannot stat: ") + std::strerror(errno));
  }
  auto mapping = std::make_shared<Mapping>();
  mapping->size = static_cast<std::size_t>(st.st_size);
  if (mapping->size > 0) {
    void* addr = ::mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      ::close(fd);
      throw InputError(path, "", std::string("cannot map: ") + std::strerror(errno));
    }
    mapping->addr = addr;
    ::madvise(addr, mapping->size, MADV_WILLNEED);
  }
  ::close(fd);
  std::span<const unsigned char> data(static_cast<const unsigned char*>(mapping->addr), mapping->size);
  return decode_binary(data, mapping, path, options);
}

namespace {
class BinaryImporter final : public TraceImporter {
public:
  std::string name() const override { return "moescope-binary"; }
  std::string description() const override { return "moescope's compact binary trace (.mst, docs/trace-format.md)"; }
  int sniff(std::string_view head, std::string_view) const override {
    return head.size() >= 8 && std::memcmp(head.data(), kBinaryMagic, 8) == 0 ? 100 : 0;
  }
  AnyTrace import(const std::string& path, const ImportOptions&) const override { return load_binary(path); }
  AnyTrace import_memory(std::string_view data, const std::string& label, const ImportOptions&) const override {
    auto copy = std::make_shared<std::string>(data);
    std::span<const unsigned char> span(reinterpret_cast<const unsigned char*>(copy->data()), copy->size());
    return decode_binary(span, copy, label);
  }
};

// Self-registration (util/registry.hpp): nothing else names this importer.
const Registrar<TraceImporter> registered{10, [] { return std::make_unique<BinaryImporter>(); }};

} // namespace

} // namespace moescope::trace
