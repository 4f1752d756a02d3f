#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/hf_config_importer.hpp"
#include "model/known_models.hpp"
#include "model/model_catalog.hpp"
#include "model_test_support.hpp"

namespace moescope {
namespace {

namespace fs = std::filesystem;
using test::has_problem;

TEST(ModelCatalog, LoadsTheShippedCatalog) {
  Diagnostics d;
  ModelCatalog catalog = ModelCatalog::load(test::catalog_dir(), d);
  EXPECT_TRUE(d.empty()) << d.to_string();
  for (const char* name :
       {"deepseek-v3", "deepseek-v2-lite", "kimi-k2", "glm-4.5", "qwen3-235b-a22b", "qwen3-30b-a3b", "llama-4-maverick",
        "llama-4-scout", "mixtral-8x7b", "mixtral-8x22b", "gpt-oss-120b", "olmoe-1b-7b", "llama-3-70b"})
    EXPECT_TRUE(catalog.contains(name)) << name;
  EXPECT_EQ(catalog.size(), catalog.names().size());
  EXPECT_EQ(catalog.all().size(), catalog.size());
}

TEST(ModelCatalog, EveryKnownModelIsInTheCatalogAndEveryCatalogModelHasAConfig) {
  ModelCatalog catalog = ModelCatalog::load_or_throw(test::catalog_dir());
  for (const auto& k : known_models())
    EXPECT_TRUE(catalog.contains(k.name)) << k.name;
  EXPECT_EQ(catalog.size(), known_models().size());
}

// The catalog is generated: importing models/configs reproduces every catalog file byte for byte.
TEST(ModelCatalog, CatalogFilesAreTheImporterOutput) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(test::configs_dir())) {
    if (entry.path().extension() != ".json") continue;
    Diagnostics d;
    ModelArchitecture m = import_hf_config_file(entry.path().string(), d);
    ASSERT_TRUE(d.empty()) << d.to_string();
    fs::path catalog_file = fs::path(test::catalog_dir()) / (m.name + ".json");
    ASSERT_TRUE(fs::exists(catalog_file)) << catalog_file << " (from " << entry.path() << ")";
    EXPECT_EQ(test::read_text(catalog_file.string()), model_to_json_text(m))
        << catalog_file << " is stale; regenerate it with `moescope model import " << entry.path().filename().string()
        << " -o " << catalog_file.string() << "`";
    ++n;
  }
  EXPECT_EQ(n, static_cast<int>(known_models().size()));
}

TEST(ModelCatalog, UnknownNameListsTheKnownOnes) {
  ModelCatalog catalog = ModelCatalog::load_or_throw(test::catalog_dir());
  try {
    catalog.get("deepseek-v4", "scenario.json", "/model");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    const Diagnostic& d = e.diagnostics().items()[0];
    EXPECT_EQ(d.file, "scenario.json");
    EXPECT_EQ(d.location, "/model");
    EXPECT_NE(d.message.find("unknown model \"deepseek-v4\""), std::string::npos) << d.message;
    EXPECT_NE(d.message.find("deepseek-v3"), std::string::npos) << d.message;
    EXPECT_NE(d.message.find("mixtral-8x7b"), std::string::npos) << d.message;
  }
  EXPECT_EQ(&catalog.get("deepseek-v3"), catalog.find("deepseek-v3"));
  EXPECT_EQ(catalog.find("nope"), nullptr);
}

class TemporaryCatalog : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("moescope-model-catalog-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::string copy_of(const std::string& catalog_name, const std::string& as) {
    return write(as, test::read_text(test::catalog_dir() + "/" + catalog_name + ".json"));
  }
  fs::path dir_;
};

TEST_F(TemporaryCatalog, ReportsEveryBadFileAndKeepsTheGoodOnes) {
  copy_of("mixtral-8x7b", "mixtral-8x7b.json");
  std::string renamed = copy_of("mixtral-8x22b", "big-mixtral.json"); // name inside differs from the file
  Json bad = test::read_json(test::catalog_dir() + "/deepseek-v3.json");
  bad["moe"]["top_k"] = 300;
  bad["attention"]["colour"] = "red";
  std::string bad_file = write("deepseek-v3.json", bad.dump(2));
  std::string broken = write("broken.json", "{ \"name\": ");

  Diagnostics d;
  ModelCatalog catalog = ModelCatalog::load(dir_.string(), d);
  EXPECT_TRUE(catalog.contains("mixtral-8x7b"));
  EXPECT_FALSE(catalog.contains("mixtral-8x22b"));
  EXPECT_FALSE(catalog.contains("deepseek-v3"));
  EXPECT_TRUE(has_problem(d, renamed, "/name", "expected \"big-mixtral\" (the file name)")) << d.to_string();
  EXPECT_TRUE(has_problem(d, bad_file, "/moe/top_k", "expected at most num_routed_experts (256), got 300"));
  EXPECT_TRUE(has_problem(d, bad_file, "/attention/colour", "unknown field"));
  EXPECT_TRUE(has_problem(d, broken, "line 1, column 11", "malformed JSON")) << d.to_string();
  EXPECT_THROW(ModelCatalog::load_or_throw(dir_.string()), InputError);
}

TEST_F(TemporaryCatalog, MissingDirectory) {
  Diagnostics d;
  std::string missing = (dir_ / "nope").string();
  ModelCatalog catalog = ModelCatalog::load(missing, d);
  EXPECT_TRUE(catalog.empty());
  EXPECT_TRUE(has_problem(d, missing, "", "model catalog directory not found"));
  try {
    catalog.get("deepseek-v3");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("catalog is empty"), std::string::npos) << e.what();
  }
}

} // namespace
} // namespace moescope
