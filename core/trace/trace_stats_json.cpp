// The JSON form of trace statistics (`moescope trace stats --json`, the trace study); non-finite values are null.
#include <cmath>

#include "trace/trace_stats.hpp"

namespace moescope::trace {

namespace {
Json num(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}
} // namespace

Json stats_to_json(const TraceStats& s) {
  Json j;
  j["model"] = s.model;
  j["kind"] = s.kind;
  j["source_format"] = s.source_format;
  j["layers"] = s.num_layers;
  j["experts"] = s.num_experts;
  j["top_k"] = s.top_k;
  j["requests"] = s.requests;
  j["tokens"] = s.tokens;
  Json load = Json::array();
  for (const auto& l : s.layers) {
    Json h = Json::array();
    for (const auto& e : l.hottest)
      h.push_back({{"expert", e.expert}, {"share", num(e.share)}});
    load.push_back({{"layer", l.layer_id},
                    {"selections", l.selections},
                    {"active_experts", l.active_experts},
                    {"max_over_mean", num(l.max_over_mean)},
                    {"cv", num(l.cv)},
                    {"gini", num(l.gini)},
                    {"entropy_bits", num(l.entropy_bits)},
                    {"normalized_entropy", num(l.normalized_entropy)},
                    {"hottest", h}});
  }
  j["load"] = {{"mean_max_over_mean", num(s.mean_max_over_mean)},
               {"mean_cv", num(s.mean_cv)},
               {"mean_gini", num(s.mean_gini)},
               {"mean_normalized_entropy", num(s.mean_normalized_entropy)},
               {"layers", load}};
  if (s.drift) {
    Json layers = Json::array();
    for (const auto& l : s.drift->layers)
      layers.push_back({{"layer", l.layer_id},
                        {"mean_js", num(l.mean_js)},
                        {"max_js", num(l.max_js)},
                        {"hot_set_overlap", num(l.hot_set_overlap)},
                        {"window_max_over_mean", num(l.window_max_over_mean)}});
    j["drift"] = {{"windows", s.drift->windows},
                  {"requests_per_window", s.drift->requests_per_window},
                  {"mean_js", num(s.drift->mean_js)},
                  {"mean_hot_set_overlap", num(s.drift->mean_hot_set_overlap)},
                  {"layers", layers}};
  }
  if (s.domains) {
    const auto& d = *s.domains;
    Json matrix = Json::array();
    for (std::size_t a = 0; a < d.domains.size(); ++a) {
      Json row = Json::array();
      for (std::size_t b = 0; b < d.domains.size(); ++b)
        row.push_back(num(d.js_matrix[a * d.domains.size() + b]));
      matrix.push_back(row);
    }
    Json per_layer = Json::array();
    for (double v : d.js_per_layer)
      per_layer.push_back(num(v));
    j["domains"] = {{"names", d.domains},  {"tokens", d.tokens},        {"requests", d.requests},
                    {"js_matrix", matrix}, {"js_per_layer", per_layer}, {"mean_js", num(d.mean_js)}};
    if (d.classified) {
      Json per = Json::array();
      for (double v : d.per_domain_accuracy)
        per.push_back(num(v));
      j["domains"]["classification"] = {
          {"method", "nearest centroid, cosine, L2-normalised per-request activation vectors"},
          {"test_fraction", d.test_fraction},
          {"seed", d.seed},
          {"train_requests", d.train_requests},
          {"test_requests", d.test_requests},
          {"accuracy", num(d.accuracy)},
          {"chance", num(d.chance)},
          {"per_domain_accuracy", per}};
    }
  }
  if (s.phases) {
    const auto& p = *s.phases;
    Json layers = Json::array();
    for (const auto& l : p.layers)
      layers.push_back({{"layer", l.layer_id},
                        {"requests", l.requests},
                        {"request_pearson", num(l.request_pearson)},
                        {"request_spearman", num(l.request_spearman)},
                        {"aggregate_pearson", num(l.aggregate_pearson)},
                        {"aggregate_spearman", num(l.aggregate_spearman)}});
    j["prefill_decode"] = {{"requests_with_both", p.requests_with_both},
                           {"prefill_tokens", p.prefill_tokens},
                           {"decode_tokens", p.decode_tokens},
                           {"mean_request_pearson", num(p.mean_request_pearson)},
                           {"mean_request_spearman", num(p.mean_request_spearman)},
                           {"mean_aggregate_pearson", num(p.mean_aggregate_pearson)},
                           {"mean_aggregate_spearman", num(p.mean_aggregate_spearman)},
                           {"layers", layers}};
  }
  if (s.coactivation) {
    Json within = Json::array();
    for (const auto& l : s.coactivation->within) {
      Json pairs = Json::array();
      for (const auto& p : l.top_pairs)
        pairs.push_back({{"a", p.a}, {"b", p.b}, {"count", p.count}, {"lift", num(p.lift)}});
      within.push_back({{"layer", l.layer_id},
                        {"pairs", l.pairs},
                        {"top_pair_share", num(l.top_pair_share)},
                        {"pair_entropy_ratio", num(l.pair_entropy_ratio)},
                        {"top_pairs", pairs}});
    }
    Json cross = Json::array();
    for (const auto& a : s.coactivation->cross)
      cross.push_back({{"from_layer", a.from_layer},
                       {"to_layer", a.to_layer},
                       {"mutual_information_bits", num(a.mutual_information_bits)},
                       {"normalized_mi", num(a.normalized_mi)},
                       {"top_successor_share", num(a.top_successor_share)},
                       {"baseline_top_share", num(a.baseline_top_share)}});
    j["coactivation"] = {{"within_layer", within},
                         {"cross_layer", cross},
                         {"mean_normalized_mi", num(s.coactivation->mean_normalized_mi)}};
  }
  return j;
}

} // namespace moescope::trace
