#include "util/version.hpp"

namespace moescope {

const char* moescope_version() {
  return MOESCOPE_VERSION; // defined by core/CMakeLists.txt from project(VERSION)
}

} // namespace moescope
