#pragma once
// Outputs are written to a temporary file beside the target and renamed into place, so a crash or a full disk
// never leaves a half-written report behind.
#include <string>
#include <string_view>

namespace moescope {

// Writes `contents` to `path` atomically. Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::string& path, std::string_view contents);

} // namespace moescope
