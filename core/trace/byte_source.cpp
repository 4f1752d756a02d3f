#include "trace/byte_source.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <zlib.h>

#include "util/diagnostics.hpp"

namespace moescope::trace {

namespace {
constexpr std::size_t kBufferSize = 1 << 17;

class FileSource final : public ByteSource {
public:
  FileSource(const std::string& path) {
    label_ = path;
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) throw InputError(path, "", std::string("cannot open: ") + std::strerror(errno));
  }
  ~FileSource() override {
    if (file_) std::fclose(file_);
  }
  std::size_t read_raw(char* dst, std::size_t n) override {
    const std::size_t got = std::fread(dst, 1, n, file_);
    if (got < n && std::ferror(file_)) throw InputError(label_, "", std::string("read error: ") + std::strerror(errno));
    return got;
  }

private:
  std::FILE* file_ = nullptr;
};

class MemorySource final : public ByteSource {
public:
  MemorySource(std::string_view data, std::string label) : data_(data) { label_ = std::move(label); }
  std::size_t read_raw(char* dst, std::size_t n) override {
    const std::size_t take = std::min(n, data_.size() - pos_);
    if (take) std::memcpy(dst, data_.data() + pos_, take);
    pos_ += take;
    return take;
  }

private:
  std::string_view data_;
  std::size_t pos_ = 0;
};
} // namespace

struct ByteSource::Inflater {
  z_stream zs{};
  std::vector<unsigned char> in;
  bool initialised = false;
  bool input_done = false;
  ~Inflater() {
    if (initialised) inflateEnd(&zs);
  }
};

ByteSource::~ByteSource() = default;

std::unique_ptr<ByteSource> ByteSource::open_file(const std::string& path) {
  std::unique_ptr<ByteSource> s(new FileSource(path));
  s->init_gzip_detection();
  return s;
}

std::unique_ptr<ByteSource> ByteSource::from_memory(std::string_view data, std::string label) {
  std::unique_ptr<ByteSource> s(new MemorySource(data, std::move(label)));
  s->init_gzip_detection();
  return s;
}

void ByteSource::init_gzip_detection() {
  buffer_.resize(kBufferSize);
  inflater_ = std::make_unique<Inflater>();
  auto& in = inflater_->in;
  in.resize(kBufferSize);
  const std::size_t got = read_raw(reinterpret_cast<char*>(in.data()), in.size());
  raw_offset_ = got;
  if (got >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
    gzipped_ = true;
    auto& zs = inflater_->zs;
    if (inflateInit2(&zs, 15 + 16) != Z_OK) throw InputError(label_, "", "cannot initialise zlib");
    inflater_->initialised = true;
    zs.next_in = in.data();
    zs.avail_in = static_cast<uInt>(got);
    inflater_->input_done = got < in.size();
  } else {
    std::memcpy(buffer_.data(), in.data(), got);
    end_ = got;
    inflater_.reset();
  }
}

bool ByteSource::refill() {
  pos_ = end_ = 0;
  if (!gzipped_) {
    end_ = read_raw(buffer_.data(), buffer_.size());
    return end_ > 0;
  }
  if (stream_ended_) return false;
  auto& inf = *inflater_;
  auto& zs = inf.zs;
  while (end_ == 0) {
    if (zs.avail_in == 0 && !inf.input_done) {
      const std::size_t got = read_raw(reinterpret_cast<char*>(inf.in.data()), inf.in.size());
      raw_offset_ += got;
      if (got == 0) inf.input_done = true;
      zs.next_in = inf.in.data();
      zs.avail_in = static_cast<uInt>(got);
    }
    zs.next_out = reinterpret_cast<Bytef*>(buffer_.data());
    zs.avail_out = static_cast<uInt>(buffer_.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    end_ = buffer_.size() - zs.avail_out;
    const std::uint64_t at = raw_offset_ - zs.avail_in;
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (concatenated .gz files); trailing zero padding is tolerated.
      bool more = false;
      while (!more) {
        while (zs.avail_in > 0 && *zs.next_in == 0) {
          ++zs.next_in;
          --zs.avail_in;
        }
        if (zs.avail_in > 0) {
          more = true;
          break;
        }
        if (inf.input_done) break;
        const std::size_t got = read_raw(reinterpret_cast<char*>(inf.in.data()), inf.in.size());
        raw_offset_ += got;
        if (got == 0) inf.input_done = true;
        zs.next_in = inf.in.data();
        zs.avail_in = static_cast<uInt>(got);
      }
      if (!more) {
        stream_ended_ = true;
        return end_ > 0;
      }
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && inf.input_done)
      throw InputError(label_, byte_location(at) + " (compressed)",
                       "truncated gzip stream: the file ends before the end of the compressed data (decompressed " +
                           std::to_string(offset_ + end_) + " bytes)");
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR)
      throw InputError(label_, byte_location(at) + " (compressed)",
                       std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : "inflate failed"));
    if (end_ == 0 && zs.avail_in == 0 && inf.input_done)
      throw InputError(label_, byte_location(at) + " (compressed)",
                       "truncated gzip stream: the file ends before the end of the compressed data");
  }
  return true;
}

bool ByteSource::read_line(std::string& line) {
  line.clear();
  bool any = false;
  for (;;) {
    if (pos_ == end_ && !refill()) break;
    any = true;
    const char* start = buffer_.data() + pos_;
    const void* nl = std::memchr(start, '\n', end_ - pos_);
    if (nl) {
      const std::size_t n = static_cast<const char*>(nl) - start;
      line.append(start, n);
      pos_ += n + 1;
      offset_ += n + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return true;
    }
    line.append(start, end_ - pos_);
    offset_ += end_ - pos_;
    pos_ = end_;
    if (line.size() > (std::size_t(1) << 30))
      throw InputError(label_, byte_location(offset_), "line longer than 1 GiB");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return any;
}

std::string ByteSource::read_all(std::size_t limit) {
  std::string out;
  for (;;) {
    if (pos_ == end_ && !refill()) break;
    out.append(buffer_.data() + pos_, end_ - pos_);
    offset_ += end_ - pos_;
    pos_ = end_;
    if (out.size() > limit) throw InputError(label_, "", "larger than " + std::to_string(limit) + " bytes");
  }
  return out;
}

std::string ByteSource::head_of_file(const std::string& path, std::size_t n) {
  try {
    auto src = open_file(path);
    std::string out;
    while (out.size() < n) {
      const int c = src->get();
      if (c < 0) break;
      out.push_back(static_cast<char>(c));
    }
    return out;
  } catch (const std::exception&) {
    return {};
  }
}

std::string line_location(std::uint64_t line) {
  return "line " + std::to_string(line);
}
std::string byte_location(std::uint64_t offset) {
  return "byte " + std::to_string(offset);
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}
} // namespace

bool parse_uint(std::string_view text, std::uint64_t max, std::uint64_t& out) {
  text = trim(text);
  if (text.empty()) return false;
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v > max) return false;
  out = v;
  return true;
}

bool parse_float(std::string_view text, double& out) {
  text = trim(text);
  if (text.empty()) return false;
  double v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v)) return false;
  out = v;
  return true;
}

bool read_csv_record(ByteSource& source, CsvRecord& record, std::uint64_t& line_no, std::string& line) {
  record.size = 0;
  if (!source.read_line(line)) return false;
  ++line_no;
  record.first_line = line_no;
  const auto next_field = [&]() -> std::string& {
    if (record.size == record.storage.size()) record.storage.emplace_back();
    auto& f = record.storage[record.size++];
    f.clear();
    return f;
  };
  std::size_t i = 0;
  for (;;) {
    std::string& field = next_field();
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) {
          // The quoted field goes on on the next line.
          field.push_back('\n');
          if (!source.read_line(line))
            throw InputError(source.label(), line_location(record.first_line), "unterminated quoted CSV field");
          ++line_no;
          i = 0;
          continue;
        }
        const char c = line[i];
        if (c == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(c);
        ++i;
      }
      if (i < line.size() && line[i] != ',')
        throw InputError(source.label(), line_location(line_no),
                         "unexpected character after a closing quote in a CSV field");
    } else {
      const std::size_t comma = line.find(',', i);
      const std::size_t stop = comma == std::string::npos ? line.size() : comma;
      field.assign(line, i, stop - i);
      i = stop;
    }
    if (i >= line.size()) break;
    ++i; // the comma
    if (i == line.size()) {
      next_field();
      break;
    }
  }
  return true;
}

} // namespace moescope::trace
