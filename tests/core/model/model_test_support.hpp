#pragma once
// Paths and small builders shared by the model tests.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "model/model_architecture.hpp"
#include "test_paths.hpp"

namespace moescope::test {

// A path relative to the repository root (MOESCOPE_TEST_DATA_DIR is <root>/tests/data, which need not exist,
// so the path is normalized lexically rather than resolved).
inline std::string repo_path(const std::string& relative) {
  return (std::filesystem::path(MOESCOPE_TEST_DATA_DIR) / ".." / ".." / relative).lexically_normal().string();
}

inline std::string catalog_dir() {
  return (std::filesystem::path(std::string(MOESCOPE_TEST_DATA_DIR) + "/../../models/catalog"))
      .lexically_normal()
      .string();
}

inline std::string configs_dir() {
  return repo_path("models/configs");
}

inline std::string shared_configs_dir() {
  return (std::filesystem::path(MOESCOPE_SHARED_DIR) / "reference" / "model-configs").string();
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline Json read_json(const std::string& path) {
  return Json::parse(read_text(path));
}

// True when some diagnostic has this file and location and its message contains `fragment`.
inline bool has_problem(const Diagnostics& d, const std::string& file, const std::string& location,
                        const std::string& fragment) {
  for (const auto& item : d.items())
    if (item.file == file && item.location == location && item.message.find(fragment) != std::string::npos) return true;
  return false;
}

} // namespace moescope::test
