#pragma once
// A file's version as a cache key: its path, size and modification time. Two reads of an unchanged file give the same
// key; an edit (or a replacement) changes it. Absent files give "<path>|absent".
#include <string>

namespace moescope {

std::string file_version(const std::string& path);

} // namespace moescope
