#pragma once
// Where moescope finds its bundled data (hwdb/, models/, scenarios/): $MOESCOPE_DATA_DIR if set, else the root a
// front end set (the installed Python package points it at its packaged data), else the source tree the binary was
// built from.
#include <string>

namespace moescope {

std::string data_root();
// The root used when $MOESCOPE_DATA_DIR is unset; "" goes back to the source tree. Thread-safe.
void set_default_data_root(const std::string& root);
std::string hwdb_dir();
std::string model_catalog_dir();
// Resolves a name or path: an existing path is returned as is; otherwise it is looked up under data_root().
std::string resolve_data_path(const std::string& path_or_relative);

} // namespace moescope
