#include "util/data_paths.hpp"

#include <cstdlib>
#include <filesystem>

namespace moescope {

std::string data_root() {
  if (const char* env = std::getenv("MOESCOPE_DATA_DIR"); env && *env) return env;
  return MOESCOPE_SOURCE_DIR;
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
