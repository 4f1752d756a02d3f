// The binary format round trip, the representation (subset, merge, split) and the placement-facing API.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "trace/binary_format.hpp"
#include "trace/importer.hpp"
#include "trace_test_util.hpp"

namespace moescope::trace {
namespace {

using namespace testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

ExpertTrace tiny_trace(bool weights) {
  TraceMetadata m;
  m.model = "tiny";
  m.source_format = "test";
  m.num_experts = 4;
  m.top_k = 2;
  m.moe_layer_ids = {1, 3};
  m.domains = {"a", "b"};
  // request r0 (domain a): 2 prefill + 1 decode tokens; r1 (domain b): 1 prefill token.
  std::vector<RequestInfo> reqs = {{"r0", 0, 0, 2, 1}, {"r1", 1, 3, 1, 0}};
  std::vector<std::uint16_t> ex = {0, 1, 2, 3, /*t1*/ 1, 0, 3, 2, /*t2*/ 0, 2, 1, 3, /*t3*/ 3, 1, 0, 2};
  std::vector<float> w;
  if (weights)
    for (std::size_t i = 0; i < ex.size(); ++i)
      w.push_back(0.5f + float(i));
  return ExpertTrace(m, reqs, ex, w);
}

TEST(Representation, PlacementApi) {
  const auto t = tiny_trace(false);
  EXPECT_EQ(t.num_tokens(), 4u);
  EXPECT_EQ(t.request(0).prefill().begin, 0u);
  EXPECT_EQ(t.request(0).prefill().end, 2u);
  EXPECT_EQ(t.request(0).decode().begin, 2u);
  EXPECT_EQ(t.request(0).decode().end, 3u);
  EXPECT_TRUE(t.request(1).decode().empty());
  EXPECT_THAT(std::vector<std::uint16_t>(t.experts(1, 1).begin(), t.experts(1, 1).end()), ElementsAre(3, 2));
  EXPECT_EQ(t.domain_of(1), "b");
  EXPECT_TRUE(t.weights(0, 0).empty());
}

TEST(Representation, RejectsInconsistentInput) {
  TraceMetadata m;
  m.num_experts = 4;
  m.top_k = 1;
  m.moe_layer_ids = {0};
  m.domains = {"a"};
  EXPECT_THROW(ExpertTrace(m, {{"r", 0, 0, 2, 0}}, {0}, {}), InputError); // too few ids
  EXPECT_THROW(ExpertTrace(m, {{"r", 0, 1, 1, 0}}, {0}, {}), InputError); // gap before the request
  EXPECT_THROW(ExpertTrace(m, {{"r", 1, 0, 1, 0}}, {0}, {}), InputError); // unknown domain
  try {
    ExpertTrace(m, {{"r", 0, 0, 1, 0}}, {4}, {});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("expert id 4 at token 0, layer 0 is out of range"));
  }
}

TEST(Representation, SubsetMergeAndSplit) {
  const auto t = tiny_trace(true);
  const std::size_t pick[] = {1};
  const auto s = t.subset(pick);
  ASSERT_EQ(s.num_requests(), 1u);
  EXPECT_EQ(s.request(0).token_begin, 0u);
  EXPECT_EQ(s.domain_of(0), "b");
  EXPECT_THAT(std::vector<std::uint16_t>(s.experts(0, 0).begin(), s.experts(0, 0).end()), ElementsAre(3, 1));
  EXPECT_FLOAT_EQ(s.weights(0, 0)[0], t.weights(3, 0)[0]);
  std::vector<ExpertTrace> parts;
  parts.push_back(s);
  parts.push_back(t);
  const auto merged = merge_traces(std::move(parts), "m");
  EXPECT_EQ(merged.num_requests(), 3u);
  EXPECT_EQ(merged.metadata().domains, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(merged.domain_of(1), "a");
  EXPECT_EQ(merged.request(2).token_begin, 4u);
}

TEST(Representation, SplitIsDeterministicStratifiedAndOrderIndependent) {
  const auto& t = load_tokens(data_dir() + "/deepseek-v2-lite-chat-20.mst");
  const auto a = split_requests(t, 0.25, 7);
  const auto b = split_requests(t, 0.25, 7);
  EXPECT_EQ(a.test, b.test);
  EXPECT_EQ(a.test.size(), 5u);
  EXPECT_EQ(a.train.size() + a.test.size(), 20u);
  // Reversing the request order selects the same request ids.
  std::vector<std::size_t> rev;
  for (std::size_t r = 20; r-- > 0;)
    rev.push_back(r);
  const auto reversed = t.subset(rev);
  const auto c = split_requests(reversed, 0.25, 7);
  std::set<std::string> ids_a, ids_c;
  for (auto r : a.test)
    ids_a.insert(t.request(r).id);
  for (auto r : c.test)
    ids_c.insert(reversed.request(r).id);
  EXPECT_EQ(ids_a, ids_c);
  EXPECT_NE(split_requests(t, 0.25, 8).test, a.test); // the seed matters
  // Stratified: both domains of the ESFT sample are in the test set.
  const auto& e = load_tokens(data_dir() + "/esft");
  const auto s = split_requests(e, 0.5);
  std::set<std::uint32_t> doms;
  for (auto r : s.test)
    doms.insert(e.request(r).domain);
  EXPECT_EQ(doms.size(), 2u);
}

TEST(Binary, TokenTraceRoundTripsThroughAFile) {
  ScratchDir dir;
  for (bool weights : {false, true}) {
    const auto t = tiny_trace(weights);
    save_binary(t, dir.file("t.mst"));
    const auto back = load_binary(dir.file("t.mst"), {.verify_checksums = true});
    const auto& b = std::get<ExpertTrace>(back);
    EXPECT_EQ(b.metadata().model, "tiny");
    EXPECT_EQ(b.metadata().source_format, "test");
    EXPECT_EQ(b.metadata().moe_layer_ids, t.metadata().moe_layer_ids);
    EXPECT_EQ(b.metadata().domains, t.metadata().domains);
    EXPECT_EQ(b.num_experts(), 4u);
    EXPECT_EQ(b.top_k(), 2u);
    ASSERT_EQ(b.num_requests(), 2u);
    EXPECT_EQ(b.request(0).id, "r0");
    EXPECT_EQ(b.request(0).decode_tokens, 1u);
    EXPECT_EQ(b.request(1).domain, 1u);
    EXPECT_TRUE(
        std::equal(t.expert_data().begin(), t.expert_data().end(), b.expert_data().begin(), b.expert_data().end()));
    EXPECT_EQ(b.has_weights(), weights);
    EXPECT_TRUE(
        std::equal(t.weight_data().begin(), t.weight_data().end(), b.weight_data().begin(), b.weight_data().end()));
    // Re-encoding gives the same bytes.
    EXPECT_EQ(encode_binary(back), encode_binary(t));
  }
}

TEST(Binary, RealSamplesRoundTrip) {
  ScratchDir dir;
  for (const char* rel : {"/esft", "/llama4", "/flame/prefill-batch", "/olmoe/mistral", "/switch"}) {
    SCOPED_TRACE(rel);
    const auto t = import_trace(data_dir() + rel);
    save_binary(t, dir.file("x.mst"));
    const auto back = import_trace(dir.file("x.mst"));
    EXPECT_EQ(encode_binary(back), encode_binary(t));
  }
}

TEST(Binary, CountTraceWithPairsRoundTrips) {
  const auto t = import_trace(data_dir() + "/olmoe/mistral");
  const std::string bytes = encode_binary(t);
  const auto keep = std::make_shared<std::string>(bytes);
  const auto back = decode_binary({reinterpret_cast<const unsigned char*>(keep->data()), keep->size()}, keep, "mem",
                                  {.verify_checksums = true});
  const auto& a = std::get<ExpertCountTrace>(t);
  const auto& b = std::get<ExpertCountTrace>(back);
  EXPECT_EQ(b.metadata.domains, a.metadata.domains);
  ASSERT_EQ(b.pairs.size(), a.pairs.size());
  EXPECT_EQ(b.pairs[3].matrix, a.pairs[3].matrix);
  EXPECT_EQ(b.domains[1].counts, a.domains[1].counts);
  EXPECT_EQ(b.domains[1].tokens, a.domains[1].tokens);
}

TEST(Binary, ChecksumCatchesAFlippedByte) {
  const auto t = tiny_trace(false);
  std::string bytes = encode_binary(t);
  bytes[bytes.size() - 4] ^= 1; // low byte of the second-to-last id: 0 -> 1, still in range
  const auto keep = std::make_shared<std::string>(bytes);
  std::span<const unsigned char> span(reinterpret_cast<const unsigned char*>(keep->data()), keep->size());
  EXPECT_NO_THROW(decode_binary(span, keep, "mem"));
  EXPECT_THROW(decode_binary(span, keep, "mem", {.verify_checksums = true}), InputError);
}

TEST(Binary, ExpertIdsOutOfRangeInAFileAreRejected) {
  auto t = tiny_trace(false);
  std::string bytes = encode_binary(t);
  bytes[bytes.size() - 2] = 9; // the last id becomes 9 (>= 4 experts)
  const auto keep = std::make_shared<std::string>(bytes);
  std::span<const unsigned char> span(reinterpret_cast<const unsigned char*>(keep->data()), keep->size());
  EXPECT_THROW(decode_binary(span, keep, "mem"), InputError);
}

} // namespace
} // namespace moescope::trace
