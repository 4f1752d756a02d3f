// The data root: $MOESCOPE_DATA_DIR wins, then the root a front end set, then the source tree.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

#include "util/data_paths.hpp"

using namespace moescope;

namespace {

// Unsets MOESCOPE_DATA_DIR and the default root for one test, and puts both back.
class NoDataDirEnv : public ::testing::Test {
protected:
  void SetUp() override {
    if (const char* v = std::getenv("MOESCOPE_DATA_DIR")) saved_ = v;
    unsetenv("MOESCOPE_DATA_DIR");
  }
  void TearDown() override {
    set_default_data_root("");
    if (saved_) setenv("MOESCOPE_DATA_DIR", saved_->c_str(), 1);
  }
  std::optional<std::string> saved_;
};

} // namespace

TEST_F(NoDataDirEnv, DefaultRootReplacesTheSourceTree) {
  const std::string source_tree = data_root();
  set_default_data_root("/nonexistent/packaged");
  EXPECT_EQ(data_root(), "/nonexistent/packaged");
  EXPECT_EQ(hwdb_dir(), "/nonexistent/packaged/hwdb");
  EXPECT_EQ(model_catalog_dir(), "/nonexistent/packaged/models/catalog");
  set_default_data_root("");
  EXPECT_EQ(data_root(), source_tree);
}

TEST_F(NoDataDirEnv, EnvironmentWinsOverTheDefaultRoot) {
  set_default_data_root("/nonexistent/packaged");
  setenv("MOESCOPE_DATA_DIR", "/nonexistent/env", 1);
  EXPECT_EQ(data_root(), "/nonexistent/env");
  unsetenv("MOESCOPE_DATA_DIR");
  EXPECT_EQ(data_root(), "/nonexistent/packaged");
}
