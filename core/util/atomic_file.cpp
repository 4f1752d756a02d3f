#include "util/atomic_file.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>

#include <unistd.h>

#include "util/diagnostics.hpp"

namespace moescope {

namespace {

namespace fs = std::filesystem;

// Temporary files not yet renamed, for the signal handler. Fixed storage: a handler may not allocate.
constexpr std::size_t kMaxPending = 16;
std::array<std::array<char, 4096>, kMaxPending> g_pending{};
std::array<std::atomic<bool>, kMaxPending> g_pending_used{};

void remove_pending_and_reraise(int signal_number) {
  for (std::size_t i = 0; i < kMaxPending; ++i)
    if (g_pending_used[i].load()) ::unlink(g_pending[i].data());
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

void install_cleanup_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int s : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction current {};
      if (::sigaction(s, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
        struct sigaction cleanup {};
        cleanup.sa_handler = remove_pending_and_reraise;
        sigemptyset(&cleanup.sa_mask);
        ::sigaction(s, &cleanup, nullptr);
      }
    }
  });
}

// Registers a temporary file for the handler; -1 when the table is full (then only the signal is lost on it).
int register_pending(const fs::path& tmp) {
  const std::string s = tmp.string();
  if (s.size() >= g_pending[0].size()) return -1;
  for (std::size_t i = 0; i < kMaxPending; ++i) {
    bool expected = false;
    if (g_pending_used[i].compare_exchange_strong(expected, true)) {
      std::memcpy(g_pending[i].data(), s.c_str(), s.size() + 1);
      return static_cast<int>(i);
    }
  }
  return -1;
}

void unregister_pending(int slot) {
  if (slot >= 0) g_pending_used[static_cast<std::size_t>(slot)].store(false);
}

struct Pending {
  fs::path target;
  fs::path tmp;
  int slot = -1;
};

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw InputError(path, "", "cannot write this output: " + why);
}

Pending write_temporary(const std::string& path, std::string_view contents) {
  fs::path target(path);
  std::error_code ec;
  if (fs::is_directory(target, ec)) fail(path, "it is a directory");
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) fail(path, "cannot create folder " + dir.string() + ": " + ec.message());
  } else if (!fs::is_directory(dir, ec)) {
    fail(path, dir.string() + " is not a folder");
  }
  std::random_device rd;
  Pending p;
  p.target = target;
  p.tmp = dir / ("." + target.filename().string() + ".tmp" + std::to_string(::getpid()) + "." +
                 std::to_string(rd() & 0xffffff));
  install_cleanup_handlers();
  p.slot = register_pending(p.tmp);
  std::ofstream out(p.tmp, std::ios::binary | std::ios::trunc);
  if (!out) {
    const std::string why = std::strerror(errno);
    unregister_pending(p.slot);
    fail(path, "cannot create a file in " + dir.string() + ": " + why);
  }
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.flush();
  if (!out) {
    out.close();
    fs::remove(p.tmp, ec);
    unregister_pending(p.slot);
    fail(path, "the write failed (is the disk full?)");
  }
  return p;
}

} // namespace

void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<Pending> pending;
  std::error_code ec;
  const auto discard = [&] {
    for (const Pending& p : pending) {
      fs::remove(p.tmp, ec);
      unregister_pending(p.slot);
    }
  };
  try {
    for (const auto& [path, contents] : files)
      pending.push_back(write_temporary(path, contents));
  } catch (...) {
    discard();
    throw;
  }
  for (std::size_t i = 0; i < pending.size(); ++i) {
    fs::rename(pending[i].tmp, pending[i].target, ec);
    if (ec) {
      const std::string why = ec.message(); // before remove() reuses ec
      pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(i));
      discard();
      fail(files[i].first, "cannot rename the temporary file into place: " + why);
    }
    unregister_pending(pending[i].slot);
  }
}

void write_file_atomically(const std::string& path, std::string_view contents) {
  write_files_atomically({{path, std::string(contents)}});
}

} // namespace moescope
