#pragma once
// moescope's own compact trace format (.mst), documented in docs/trace-format.md: a versioned little-endian file
// with magic "MOESCTRC", a fixed header (model shape), a section table and 64-byte-aligned sections. Token traces
// load by memory mapping: the expert-id and gate-weight arrays are used in place, not copied.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "trace/trace.hpp"

namespace moescope::trace {

inline constexpr char kBinaryMagic[8] = {'M', 'O', 'E', 'S', 'C', 'T', 'R', 'C'};
inline constexpr std::uint32_t kBinaryVersion = 1;

// Serialises a trace (either kind).
std::string encode_binary(const AnyTrace& trace);
// Writes encode_binary(trace) to `path` atomically.
void save_binary(const AnyTrace& trace, const std::string& path);

struct BinaryLoadOptions {
  bool verify_checksums = false; // CRC-32 of every section (reads every byte once more)
};

// Memory-maps `path`. Throws InputError (naming the file and byte offset) on a bad or truncated file.
AnyTrace load_binary(const std::string& path, const BinaryLoadOptions& options = {});
// Decodes a buffer; `keepalive` owns it (token arrays point into it when aligned, else they are copied).
AnyTrace decode_binary(std::span<const unsigned char> data, std::shared_ptr<const void> keepalive,
                       const std::string& label, const BinaryLoadOptions& options = {});

} // namespace moescope::trace
