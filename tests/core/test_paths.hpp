#pragma once
// Where the tests find the checkout, its test data and ../shared. Only tests/core/test_paths.cpp is compiled with
// these paths, so that every other test file's compile line is the same in every clone of the tree and ccache
// reuses its object (an absolute path on the command line would make each clone miss).
namespace moescope::test_paths {
extern const char* const source_dir;    // the checkout
extern const char* const test_data_dir; // <checkout>/tests/data
extern const char* const shared_dir;    // <checkout>/../shared (may not exist)
} // namespace moescope::test_paths

#define MOESCOPE_SOURCE_DIR ::moescope::test_paths::source_dir
#define MOESCOPE_TEST_DATA_DIR ::moescope::test_paths::test_data_dir
#define MOESCOPE_SHARED_DIR ::moescope::test_paths::shared_dir
