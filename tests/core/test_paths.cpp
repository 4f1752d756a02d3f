// The paths of tests/core/test_paths.hpp, set by tests/CMakeLists.txt on this file alone.
#include "test_paths.hpp"

namespace moescope::test_paths {
const char* const source_dir = MOESCOPE_TEST_SOURCE_PATH;
const char* const test_data_dir = MOESCOPE_TEST_DATA_PATH;
const char* const shared_dir = MOESCOPE_TEST_SHARED_PATH;
} // namespace moescope::test_paths
