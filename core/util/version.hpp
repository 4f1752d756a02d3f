#pragma once
// The version of moescope: CMake's project() version, the only place it is written.

namespace moescope {

const char* moescope_version();

} // namespace moescope
