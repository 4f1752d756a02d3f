#include "util/data_paths.hpp"

#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace moescope {

namespace {

std::mutex default_root_mutex;
std::string& default_root() {
  static std::string root;
  return root;
}

} // namespace

std::string data_root() {
  if (const char* env = std::getenv("MOESCOPE_DATA_DIR"); env && *env) return env;
  std::lock_guard<std::mutex> lock(default_root_mutex);
  return default_root().empty() ? std::string(MOESCOPE_SOURCE_DIR) : default_root();
}

void set_default_data_root(const std::string& root) {
  std::lock_guard<std::mutex> lock(default_root_mutex);
  default_root() = root;
}

std::string hwdb_dir() {
  return data_root() + "/hwdb";
}
std::string model_catalog_dir() {
  return data_root() + "/models/catalog";
}

std::string resolve_data_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(path, ec)) return path;
  fs::path candidate = fs::path(data_root()) / path;
  if (fs::exists(candidate, ec)) return candidate.string();
  return path;
}

} // namespace moescope
