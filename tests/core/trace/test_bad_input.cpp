// Bad input: every error is an InputError naming the file and a line or byte offset; the CLI exits with status 2.
// Also replays the fuzzer's regression inputs (tests/data/traces/fuzz-regressions/).
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "trace/binary_format.hpp"
#include "trace/importer.hpp"
#include "trace_test_util.hpp"

namespace moescope::trace {
namespace {

using namespace testing;
using ::testing::HasSubstr;

constexpr const char* kHeader = "Layer ID,Batch Number,Token,Activated Expert IDs\n";

ImportOptions with_format(const std::string& name) {
  ImportOptions o;
  o.format = name;
  return o;
}

std::string error_of(const std::string& path, const ImportOptions& o = {}) {
  try {
    import_trace(path, o);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(BadInput, TruncatedGzipNamesFileAndOffset) {
  ScratchDir dir;
  const std::string whole = read_bytes(data_dir() + "/deepseek-chat/prompts/prompt_316_data.csv.gz");
  const std::string path = dir.file("prompt_316_data.csv.gz");
  write_text(path, whole.substr(0, whole.size() / 2));
  const std::string msg = error_of(path);
  EXPECT_THAT(msg, HasSubstr(path));
  EXPECT_THAT(msg, HasSubstr("truncated gzip"));
  EXPECT_THAT(msg, HasSubstr("byte "));
  // Truncated just before the trailer (CRC + size) too.
  write_text(path, whole.substr(0, whole.size() - 4));
  EXPECT_THAT(error_of(path), HasSubstr("truncated gzip"));
}

TEST(BadInput, CorruptGzip) {
  ScratchDir dir;
  std::string bytes = gzip(std::string(kHeader) + "1,0,a,\"[1, 2, 3, 4, 5, 6]\"\n");
  for (std::size_t i = 12; i < bytes.size() - 8; ++i)
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  const std::string path = dir.file("prompt_1_data.csv.gz");
  write_text(path, bytes);
  const std::string msg = error_of(path, with_format("deepseek-csv"));
  EXPECT_THAT(msg, HasSubstr(path));
  EXPECT_THAT(msg, AnyOf(HasSubstr("corrupt gzip"), HasSubstr("truncated gzip")));
}

TEST(BadInput, CsvRowWithFiveIdsWhereSixExpected) {
  ScratchDir dir;
  const std::string path = dir.file("prompt_1_data.csv.gz");
  write_gzip(path, std::string(kHeader) + "1,0,a,\"[1, 2, 3, 4, 5, 6]\"\n1,0,b,\"[1, 2, 3, 4, 5]\"\n");
  const std::string msg = error_of(path);
  EXPECT_THAT(msg, HasSubstr(path + ": line 3: 5 expert ids where 6 (top-k) are expected"));
}

TEST(BadInput, EsftLineWithAnIncompleteToken) {
  ScratchDir dir;
  write_gzip(dir.file("t/expert_weights_1.txt.gz"), "1\t2\t3\t4\t5\t6\t\t0.1\t0.1\t0.1\t0.1\t0.1\t0.1\n"
                                                    "1\t2\t3\t4\t5\t\t0.1\t0.1\t0.1\t0.1\t0.1\n");
  const std::string msg = error_of(dir.path() + "/t");
  EXPECT_THAT(msg, HasSubstr("expert_weights_1.txt.gz: line 2: 5 expert ids is not a multiple of top-k 6"));
}

TEST(BadInput, EsftIdsAndWeightsDiffer) {
  ScratchDir dir;
  write_gzip(dir.file("t/expert_weights_1.txt.gz"), "1\t2\t3\t4\t5\t6\t\t0.1\t0.1\n");
  EXPECT_THAT(error_of(dir.path() + "/t"), HasSubstr("line 1: 6 expert ids but 2 gate weights"));
}

TEST(BadInput, ExpertIdOutOfRange) {
  ScratchDir dir;
  const std::string csv = dir.file("prompt_1_data.csv");
  write_text(csv, std::string(kHeader) + "1,0,a,\"[1, 2, 3, 4, 5, 64]\"\n");
  EXPECT_THAT(error_of(csv), HasSubstr(csv + ": line 2: expert id 64 is out of range (the model has 64 experts"));
  const std::string json = dir.file("r.json");
  write_text(json, R"([{"0":null,"1":[[3],[128]]}])");
  const std::string msg = error_of(json);
  EXPECT_THAT(msg, HasSubstr(json + ": byte "));
  EXPECT_THAT(msg, HasSubstr("expert id 128 at layer 1 is out of range"));
  write_gzip(dir.file("t/expert_weights_1.txt.gz"), "1\t2\t3\t4\t5\t70\t\t0.1\t0.1\t0.1\t0.1\t0.1\t0.1\n");
  EXPECT_THAT(error_of(dir.path() + "/t"), HasSubstr("line 1: expert id 70 (field 6) is out of range"));
  // --experts raises the limit.
  ImportOptions o;
  o.num_experts = 65;
  EXPECT_NO_THROW(import_trace(csv, o));
}

TEST(BadInput, MissingLayer) {
  ScratchDir dir;
  // A CSV prompt without layer 2 rows.
  const std::string csv = dir.file("prompt_1_data.csv");
  write_text(csv, std::string(kHeader) + "1,0,a,\"[1, 2]\"\n3,0,a,\"[1, 2]\"\n");
  EXPECT_THAT(error_of(csv), HasSubstr("layer 2 is missing"));
  // A second prompt lacking a layer the first has.
  write_text(dir.file("p/prompt_1_data.csv"), std::string(kHeader) + "1,0,a,\"[1, 2]\"\n2,0,a,\"[1, 2]\"\n");
  write_text(dir.file("p/prompt_2_data.csv"), std::string(kHeader) + "1,0,a,\"[1, 2]\"\n");
  EXPECT_THAT(error_of(dir.path() + "/p"), HasSubstr("prompt_2_data.csv: layer 2 is missing"));
  // An ESFT task directory without expert_weights_2.
  for (int L : {1, 3})
    write_gzip(dir.file("t/expert_weights_" + std::to_string(L) + ".txt.gz"), "1\t2\t3\t4\t5\t6\t\t1\t1\t1\t1\t1\t1\n");
  EXPECT_THAT(error_of(dir.path() + "/t"), HasSubstr("layer 2 is missing: no expert_weights_2"));
  // A Llama 4 step where a MoE layer is null.
  const std::string json = dir.file("r.json");
  write_text(json, R"([{"0":null,"1":[[3]],"3":[[4]]},{"0":null,"1":[[5]],"3":null}])");
  EXPECT_THAT(error_of(json), HasSubstr("MoE layer 3 is missing or null"));
  // A Switch file listing a layer it has no counts for.
  const std::string sw = dir.file("s.json");
  write_text(
      sw,
      R"({"format":"3D_layer_expert_frequency","num_experts":4,"layers":[1,3],"expert_usage_by_layer":{"1":{"0":5}}})");
  EXPECT_THAT(error_of(sw), HasSubstr("/expert_usage_by_layer/3: layer 3 is missing"));
}

TEST(BadInput, LayersWithDifferentTokenCounts) {
  ScratchDir dir;
  const std::string csv = dir.file("prompt_1_data.csv");
  write_text(csv, std::string(kHeader) + "1,0,a,\"[1, 2]\"\n1,0,b,\"[1, 2]\"\n2,0,a,\"[1, 2]\"\n");
  EXPECT_THAT(error_of(csv), HasSubstr("layer 2 has 1 tokens, layer 1 has 2"));
}

TEST(BadInput, MalformedCsvAndJson) {
  ScratchDir dir;
  const std::string csv = dir.file("prompt_1_data.csv");
  write_text(csv, std::string(kHeader) + "1,0,\"unterminated,\"[1, 2]\n");
  EXPECT_THAT(error_of(csv), HasSubstr("line 2"));
  write_text(csv, std::string(kHeader) + "1,0,a\n");
  EXPECT_THAT(error_of(csv), HasSubstr("line 2: expected 4 fields"));
  write_text(csv, std::string(kHeader) + "x,0,a,\"[1]\"\n");
  EXPECT_THAT(error_of(csv), HasSubstr("line 2: Layer ID 'x'"));
  const std::string json = dir.file("r.json");
  write_text(json, R"([{"0":null,"1":[[3],[4])");
  EXPECT_THAT(error_of(json), HasSubstr(json + ": byte "));
  write_text(json, R"([{"0":null,"1":[[3,4],[4]]}])");
  EXPECT_THAT(error_of(json), HasSubstr("1 expert ids for a token at layer 1 where 2 (top-k) are expected"));
  // Found by fuzzing (llama4-json, 10^6 runs): only empty token lists left the top-k unknown, and the token count
  // divided by it.
  write_text(json, R"([{"0":null,"1":[]}])");
  EXPECT_THAT(error_of(json), HasSubstr("step 0 (starting at byte 1) has no tokens"));
  const std::string olmoe = dir.file("o.json");
  write_text(olmoe, R"({"model":"olmoe","kind":"expert_counts","domain":"x","layers":[0],"counts":[{"a":1}]})");
  EXPECT_THAT(error_of(olmoe), HasSubstr("/counts/0/a: key \"a\" is not an expert id"));
  write_text(olmoe, R"({"model":"olmoe","kind":"expert_counts","domain":"x","layers":[0],"counts":[{"1":-1}]})");
  EXPECT_THAT(error_of(olmoe), HasSubstr("negative count"));
}

TEST(BadInput, FlameRowWithTheWrongNumberOfSelectedExperts) {
  ScratchDir dir;
  const std::string path = dir.file("Layer_2/x.csv");
  write_text(path, "layer_id,token_id,expert_0,expert_1,expert_2\n0,0,0.5,0.5,0\n0,1,0.3,0.3,0.4\n");
  EXPECT_THAT(error_of(path), HasSubstr("line 3: 3 non-zero expert scores where 2 (top-k) are expected"));
  write_text(path, "layer_id,token_id,expert_0,expert_1,expert_2\n0,0,0.5,0.5,0\n0,5,0.3,0.3,0\n");
  EXPECT_THAT(error_of(path), HasSubstr("line 3: token_id 5 where 1"));
}

TEST(BadInput, BinaryTruncatedAtEveryLengthNeverCrashes) {
  ScratchDir dir;
  const std::string whole = read_bytes(data_dir() + "/deepseek-v2-lite-chat-20.mst");
  const std::string path = dir.file("t.mst");
  for (std::size_t n : {0ul, 4ul, 8ul, 40ul, 63ul, 64ul, 100ul, 200ul, 1000ul, whole.size() / 2, whole.size() - 1}) {
    write_text(path, whole.substr(0, n));
    const std::string msg = error_of(path, with_format("moescope-binary"));
    EXPECT_THAT(msg, HasSubstr(path)) << n;
  }
  std::string bad = whole;
  bad[8] = 9; // version 9
  write_text(path, bad);
  EXPECT_THAT(error_of(path), HasSubstr("format version 9 is not supported"));
}

TEST(BadInput, CliExitsWithStatusTwoAndTheMessage) {
  SKIP_WITHOUT_CLI();
  ScratchDir dir;
  const std::string csv = dir.file("prompt_1_data.csv");
  write_text(csv, std::string(kHeader) + "1,0,a,\"[1, 2, 3, 4, 5, 6]\"\n1,0,b,\"[1, 2, 3, 4, 5]\"\n");
  auto r = run_cli("trace stats " + csv);
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output, HasSubstr("line 3: 5 expert ids where 6"));
  const std::string whole = read_bytes(data_dir() + "/deepseek-chat/prompts/prompt_316_data.csv.gz");
  write_text(dir.file("cut.csv.gz"), whole.substr(0, whole.size() / 3));
  r = run_cli("trace convert " + dir.file("cut.csv.gz") + " -o " + dir.file("out.mst"));
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.output, HasSubstr("truncated gzip"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.mst")));
  r = run_cli("trace info " + dir.file("missing.json"));
  EXPECT_EQ(r.status, 2);
}

TEST(BadInput, FuzzRegressionsAreRejectedCleanly) {
  // Each file in fuzz-regressions/<importer>/ once crashed or hung an importer; now it must import or fail with an
  // InputError.
  const std::string root = data_dir() + "/fuzz-regressions";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << "no regressions recorded";
  std::size_t n = 0;
  for (const auto& dir : std::filesystem::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    const TraceImporter* imp = find_importer(dir.path().filename().string());
    ASSERT_NE(imp, nullptr) << dir.path();
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      const std::string data = read_bytes(f.path().string());
      try {
        imp->import_memory(data, f.path().string(), {});
      } catch (const InputError&) {
      }
      ++n;
    }
  }
  SUCCEED() << n << " regression inputs";
}

} // namespace
} // namespace moescope::trace
