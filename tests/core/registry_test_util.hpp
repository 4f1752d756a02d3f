#pragma once
// Helper of the run-every-entry registry tests (tests/core/<module>/registry_test.cpp): how many entries the
// sources register, to check that the test binary's registry holds all of them (no registrar dropped at link time).
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "test_paths.hpp"

namespace moescope::registry_testing {

// Occurrences of "Registrar<interface>" followed by a name (a registrar object) in the .cpp files of
// core/<module>/ of the source tree.
inline std::size_t registrars_in_sources(const std::string& module, const std::string& interface) {
  const std::string needle = "Registrar<" + interface + "> ";
  std::size_t n = 0;
  for (const auto& f : std::filesystem::directory_iterator(std::string(MOESCOPE_SOURCE_DIR) + "/core/" + module)) {
    if (f.path().extension() != ".cpp") continue;
    std::ifstream in(f.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
      ++n;
  }
  return n;
}

} // namespace moescope::registry_testing
