#pragma once
// Streaming input for the importers: a file or a memory buffer, gunzipped on the fly (zlib) when it starts with
// the gzip magic, read through a fixed buffer so memory stays bounded by what the importer keeps. Every error is an
// InputError naming the file and a byte offset or line.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace moescope::trace {

class ByteSource {
public:
  // Opens `path`; throws InputError when it cannot be read.
  static std::unique_ptr<ByteSource> open_file(const std::string& path);
  // Reads from `data` (not copied: it must outlive the source); `label` names it in messages.
  static std::unique_ptr<ByteSource> from_memory(std::string_view data, std::string label);
  virtual ~ByteSource();

  const std::string& label() const { return label_; }
  bool gzipped() const { return gzipped_; }

  // Next byte, or -1 at the end. Throws InputError on a corrupt or truncated gzip stream.
  int get() {
    if (pos_ == end_ && !refill()) return -1;
    ++offset_;
    return static_cast<unsigned char>(buffer_[pos_++]);
  }
  int peek() {
    if (pos_ == end_ && !refill()) return -1;
    return static_cast<unsigned char>(buffer_[pos_]);
  }
  // Bytes consumed so far (of the decompressed stream).
  std::uint64_t offset() const { return offset_; }
  // Appends the bytes up to (not including) the next '\n' to `line` (cleared first), consumes the '\n', strips a
  // trailing '\r'. Returns false at the end of input with nothing read.
  bool read_line(std::string& line);
  // Reads everything that remains (at most `limit` bytes; more is an InputError).
  std::string read_all(std::size_t limit = std::size_t(1) << 31);

  // Up to `n` first bytes of the (decompressed) content of a file; an empty string when unreadable or corrupt.
  static std::string head_of_file(const std::string& path, std::size_t n);

protected:
  ByteSource() = default;
  bool refill();
  virtual std::size_t read_raw(char* dst, std::size_t n) = 0; // compressed/plain bytes; 0 at end

  std::string label_;

private:
  void init_gzip_detection();

  bool gzipped_ = false;
  bool stream_ended_ = false;
  std::vector<char> buffer_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t raw_offset_ = 0;
  struct Inflater;
  std::unique_ptr<Inflater> inflater_;
};

// "line N" for messages.
std::string line_location(std::uint64_t line);
std::string byte_location(std::uint64_t offset);

// Parses an unsigned decimal integer that is the whole of `text` (surrounding spaces allowed). False on anything
// else, including overflow past `max`.
bool parse_uint(std::string_view text, std::uint64_t max, std::uint64_t& out);
// Parses a finite floating-point number that is the whole of `text` (surrounding spaces allowed).
bool parse_float(std::string_view text, double& out);

// Splits one CSV record (RFC 4180: fields may be quoted, "" inside quotes is a quote; quoted fields may span lines).
// Reads lines from `source` as needed; `line_no` counts lines consumed. Returns false at the end of input.
// Throws InputError for an unterminated quote.
struct CsvRecord {
  std::vector<std::string> storage; // reused between records to avoid allocation
  std::size_t size = 0;             // fields in the current record
  std::uint64_t first_line = 0;     // line number where the record starts
  const std::string& operator[](std::size_t i) const { return storage[i]; }
};
bool read_csv_record(ByteSource& source, CsvRecord& record, std::uint64_t& line_no, std::string& scratch);

} // namespace moescope::trace
