#pragma once
// Outputs are written to a temporary file beside the target and renamed into place, so a crash, a full disk or
// Ctrl-C never leaves a half-written report behind, and a command's several outputs appear all or none.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace moescope {

// Writes `contents` to `path` atomically. A path that cannot be written (a directory, a path under a regular file,
// an unwritable folder) throws InputError naming it: the user chose it.
void write_file_atomically(const std::string& path, std::string_view contents);

// Writes several (path, contents) outputs of one command: every temporary file is written before the first
// rename, so a failed write (full disk, bad path) leaves none of them; only a rename failing after another
// succeeded (the folder changed underneath) could leave some. SIGINT, SIGTERM and SIGHUP remove pending temporary files
// (unless the program installed its own handlers, as Python does).
void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files);

} // namespace moescope
