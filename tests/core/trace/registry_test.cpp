// Run-every-entry test of the importer registry: every registered importer on its fixture in tests/data/traces,
// detected by content and imported. An importer without a fixture fails the test, so a new importer is tested the
// moment its file exists (core/trace/README.md).
#include <filesystem>
#include <map>
#include <numeric>
#include <set>

#include <gtest/gtest.h>

#include "../registry_test_util.hpp"
#include "trace/importer.hpp"
#include "trace_test_util.hpp"

namespace moescope::trace {
namespace {

// Importer name -> its fixture (file or directory under tests/data/traces).
const std::map<std::string, std::string> kFixtures = {
    {"moescope-binary", "deepseek-v2-lite-chat-20.mst"},
    {"llama4-json", "llama4"},
    {"deepseek-csv", "deepseek-chat/prompts"},
    {"esft", "esft"},
    {"olmoe-counts", "olmoe/mistral"},
    {"flame-csv", "flame/prefill-batch"},
    {"switch-counts", "switch"},
};

TEST(ImporterRegistry, EveryImporterInTheSourcesIsLinkedIn) {
  const auto& all = importers();
  EXPECT_EQ(all.size(), registry_testing::registrars_in_sources("trace", "TraceImporter"));
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front()->name(), "moescope-binary"); // detection tries the binary format first
  std::set<std::string> names;
  for (const auto& imp : all) {
    EXPECT_TRUE(names.insert(imp->name()).second) << imp->name();
    EXPECT_FALSE(imp->description().empty()) << imp->name();
    EXPECT_EQ(find_importer(imp->name()), imp.get());
  }
  EXPECT_EQ(find_importer("no-such-format"), nullptr);
  for (const auto& [name, path] : kFixtures)
    EXPECT_NE(find_importer(name), nullptr) << "kFixtures names an unregistered importer: " << name;
}

TEST(ImporterRegistry, EveryImporterDetectsAndImportsItsFixture) {
  for (const auto& imp : importers()) {
    SCOPED_TRACE(imp->name());
    const auto it = kFixtures.find(imp->name());
    if (it == kFixtures.end()) {
      ADD_FAILURE() << "importer " << imp->name() << " has no fixture: add a small sample to tests/data/traces and "
                    << "an entry to kFixtures (tests/core/trace/registry_test.cpp)";
      continue;
    }
    const std::string path = testing::data_dir() + "/" + it->second;
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    EXPECT_EQ(detect_importer(path).name(), imp->name()) << path;
    const AnyTrace t = imp->import(path, {});
    const TraceMetadata& m = metadata_of(t);
    EXPECT_FALSE(m.source_format.empty());
    EXPECT_GT(m.num_experts, 0u);
    EXPECT_GT(m.top_k, 0u);
    EXPECT_GT(m.num_layers(), 0u);
    if (const auto* tok = std::get_if<ExpertTrace>(&t)) {
      EXPECT_GT(tok->num_tokens(), 0u);
      EXPECT_GT(tok->num_requests(), 0u);
    } else {
      const auto totals = std::get<ExpertCountTrace>(t).total_counts();
      EXPECT_GT(std::accumulate(totals.begin(), totals.end(), std::uint64_t{0}), 0u);
    }
    // The same through import_trace with the format named.
    ImportOptions o;
    o.format = imp->name();
    EXPECT_EQ(metadata_of(import_trace(path, o)).num_experts, m.num_experts);
  }
}

} // namespace
} // namespace moescope::trace
