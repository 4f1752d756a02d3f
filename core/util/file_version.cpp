#include "util/file_version.hpp"

#include <filesystem>

namespace moescope {

std::string file_version(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return path + "|absent";
  const auto mtime = std::filesystem::last_write_time(path, ec);
  if (ec) return path + "|absent";
  return path + "|" + std::to_string(size) + "|" + std::to_string(mtime.time_since_epoch().count());
}

} // namespace moescope
