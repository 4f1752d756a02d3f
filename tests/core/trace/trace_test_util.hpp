#pragma once
// Helpers of the trace tests: data locations, scratch directories, gzip writing, running the CLI.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include "test_paths.hpp"
#include "trace/importer.hpp"
#include "util/diagnostics.hpp"

namespace moescope::trace::testing {

inline std::string data_dir() {
  return std::string(MOESCOPE_TEST_DATA_DIR) + "/traces";
}
inline std::string shared_traces() {
  return std::string(MOESCOPE_SHARED_DIR) + "/traces";
}
inline bool have_shared() {
  return std::filesystem::exists(shared_traces() + "/README.md");
}

#define SKIP_WITHOUT_SHARED()                                                                                          \
  do {                                                                                                                 \
    if (!::moescope::trace::testing::have_shared()) GTEST_SKIP() << "../shared/traces is not present";                 \
  } while (0)

// Imports and unwraps by value (binding a reference into a temporary AnyTrace would dangle).
inline ExpertTrace load_tokens(const std::string& path, const ImportOptions& o = {}) {
  return std::get<ExpertTrace>(import_trace(path, o));
}
inline ExpertCountTrace load_counts(const std::string& path, const ImportOptions& o = {}) {
  return std::get<ExpertCountTrace>(import_trace(path, o));
}

// A fresh scratch directory, removed at destruction.
class ScratchDir {
public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "moescope-trace-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& rel) const {
    const auto p = std::filesystem::path(path_) / rel;
    std::filesystem::create_directories(p.parent_path());
    return p.string();
  }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::string gzip(const std::string& text) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, text.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline void write_gzip(const std::string& path, const std::string& text) {
  write_text(path, gzip(text));
}

inline std::string gunzip_file(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::string out;
  char buf[65536];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0)
    out.append(buf, n);
  gzclose(f);
  return out;
}

// The CLI built beside this test executable; empty when absent.
inline std::string cli_path() {
  std::array<char, 4096> buf{};
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return {};
  const auto p = std::filesystem::path(std::string(buf.data(), n)).parent_path() / "moescope";
  return std::filesystem::exists(p) ? p.string() : std::string();
}

struct CliResult {
  int status = -1;
  std::string output; // stdout and stderr
};

inline CliResult run_cli(const std::string& args) {
  CliResult r;
  const std::string cmd = cli_path() + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

#define SKIP_WITHOUT_CLI()                                                                                             \
  do {                                                                                                                 \
    if (::moescope::trace::testing::cli_path().empty()) GTEST_SKIP() << "moescope CLI not built";                      \
  } while (0)

} // namespace moescope::trace::testing
