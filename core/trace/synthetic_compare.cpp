#include "trace/synthetic_compare.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>
#include <optional>
#include <sstream>

#include "trace/importer.hpp"
#include "trace/trace_stats.hpp"
#include "util/diagnostics.hpp"
#include "util/text_table.hpp"

namespace moescope::trace {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double finite_mean(const std::vector<double>& v) {
  double s = 0;
  std::size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) {
      s += x;
      ++n;
    }
  return n ? s / double(n) : kNaN;
}

std::vector<double> layer_load(const ExpertTrace& t, std::uint32_t l) {
  const std::uint32_t L = t.num_layers(), E = t.num_experts(), K = t.top_k();
  std::vector<double> c(E, 0.0);
  const std::uint16_t* d = t.expert_data().data();
  for (std::uint64_t tok = 0; tok < t.num_tokens(); ++tok) {
    const std::uint16_t* e = d + (tok * L + l) * K;
    for (std::uint32_t k = 0; k < K; ++k)
      c[e[k]] += 1.0;
  }
  return c;
}

std::string f(double v, int d = 3) {
  return std::isfinite(v) ? format_fixed(v, d) : "–";
}

Json num(double v) {
  return std::isfinite(v) ? Json(v) : Json(nullptr);
}

} // namespace

RoutingSummary summarize_routing(const ExpertTrace& t, const std::string& label, const ExpertTrace* reference) {
  RoutingSummary s;
  s.label = label;
  s.requests = t.num_requests();
  s.tokens = t.num_tokens();
  const std::uint32_t L = t.num_layers(), E = t.num_experts(), K = t.top_k();
  StatsOptions o;
  o.coactivation = E <= 4096;
  const TraceStats st = compute_stats(t, o);
  const std::uint16_t* data = t.expert_data().data();
  const bool comparable = reference && reference->num_experts() == E && reference->num_layers() == L;
  std::vector<std::uint64_t> pair(K >= 2 ? std::size_t(E) * E : 0);
  std::vector<double> rc(E);
  for (std::uint32_t l = 0; l < L; ++l) {
    const auto& ll = st.layers[l];
    s.max_over_mean.push_back(ll.max_over_mean);
    s.gini.push_back(ll.gini);
    s.entropy_bits.push_back(ll.entropy_bits);
    const std::vector<double> load = layer_load(t, l);
    // Pair concentration.
    if (K >= 2) {
      std::fill(pair.begin(), pair.end(), 0);
      for (std::uint64_t tok = 0; tok < t.num_tokens(); ++tok) {
        const std::uint16_t* e = data + (tok * L + l) * K;
        for (std::uint32_t i = 0; i < K; ++i)
          for (std::uint32_t j = i + 1; j < K; ++j)
            ++pair[std::size_t(std::min(e[i], e[j])) * E + std::max(e[i], e[j])];
      }
      std::vector<std::uint64_t> nz;
      std::uint64_t total = 0;
      for (auto c : pair)
        if (c) {
          nz.push_back(c);
          total += c;
        }
      const std::size_t top = std::max<std::size_t>(1, std::llround(0.01 * double(E) * (E - 1) / 2.0));
      const std::size_t take = std::min(top, nz.size());
      std::partial_sort(nz.begin(), nz.begin() + take, nz.end(), std::greater<>());
      const std::uint64_t head = std::accumulate(nz.begin(), nz.begin() + take, std::uint64_t(0));
      s.pair_top_share.push_back(total ? double(head) / double(total) : kNaN);
      s.pair_entropy_ratio.push_back(
          st.coactivation && l < st.coactivation->within.size() ? st.coactivation->within[l].pair_entropy_ratio : kNaN);
    } else {
      s.pair_top_share.push_back(kNaN);
      s.pair_entropy_ratio.push_back(kNaN);
    }
    // Per-request divergence from the trace's load (the request-level tilt).
    double js_sum = 0;
    std::size_t js_n = 0;
    for (const auto& r : t.requests()) {
      if (r.num_tokens() == 0) continue;
      std::fill(rc.begin(), rc.end(), 0.0);
      for (std::uint64_t tok = r.token_begin; tok < r.tokens().end; ++tok) {
        const std::uint16_t* e = data + (tok * L + l) * K;
        for (std::uint32_t k = 0; k < K; ++k)
          rc[e[k]] += 1.0;
      }
      js_sum += jensen_shannon(rc, load);
      ++js_n;
    }
    s.request_js.push_back(js_n ? js_sum / double(js_n) : kNaN);
    if (comparable) s.js_to_reference.push_back(jensen_shannon(load, layer_load(*reference, l)));
  }
  s.mean_max_over_mean = finite_mean(s.max_over_mean);
  s.mean_gini = finite_mean(s.gini);
  s.mean_entropy_bits = finite_mean(s.entropy_bits);
  s.mean_pair_top_share = finite_mean(s.pair_top_share);
  s.mean_pair_entropy_ratio = finite_mean(s.pair_entropy_ratio);
  s.mean_request_js = finite_mean(s.request_js);
  s.mean_js_to_reference = comparable ? finite_mean(s.js_to_reference) : kNaN;
  s.domain_js = st.domains ? st.domains->mean_js : kNaN;
  s.pd_request_pearson = st.phases ? st.phases->mean_request_pearson : kNaN;
  s.pd_aggregate_pearson = st.phases ? st.phases->mean_aggregate_pearson : kNaN;
  s.cross_layer_nmi = st.coactivation && !st.coactivation->cross.empty() ? st.coactivation->mean_normalized_mi : kNaN;
  return s;
}

SyntheticComparison compare_synthetic(const ExpertTrace& trace, double test_fraction, std::uint64_t split_seed,
                                      std::uint64_t seed, const SyntheticFitOptions& options) {
  if (!(test_fraction > 0 && test_fraction < 1))
    throw InputError("--test-fraction", "", "must be strictly between 0 and 1");
  const RequestSplit split = split_requests(trace, test_fraction, split_seed);
  if (split.train.empty() || split.test.empty())
    throw InputError("<synthetic compare>", "", "the trace has too few requests for a train/held-out split");
  SyntheticComparison c;
  c.model = trace.metadata().model;
  c.num_layers = trace.num_layers();
  c.num_experts = trace.num_experts();
  c.top_k = trace.top_k();
  c.layer_ids = trace.metadata().moe_layer_ids;
  c.test_fraction = test_fraction;
  c.split_seed = split_seed;
  c.seed = seed;
  const ExpertTrace train = trace.subset(split.train);
  const ExpertTrace held = trace.subset(split.test);
  if (held.num_tokens() == 0 || train.num_tokens() == 0)
    throw InputError("<synthetic compare>", "", "a half of the split has no token");
  const auto t0 = std::chrono::steady_clock::now();
  c.fitted = fit_synthetic(train, options);
  const auto t1 = std::chrono::steady_clock::now();
  SyntheticShape shape;
  shape.tokens = held.num_tokens();
  shape.seed = seed;
  const ExpertTrace synth = generate_synthetic(c.fitted, shape);
  const auto t2 = std::chrono::steady_clock::now();
  c.fit_seconds = std::chrono::duration<double>(t1 - t0).count();
  c.generate_seconds = std::chrono::duration<double>(t2 - t1).count();
  c.train = summarize_routing(train, "train half (real)", &held);
  c.held_out = summarize_routing(held, "held-out half (real)", nullptr);
  c.synthetic = summarize_routing(synth, "synthetic", &held);
  return c;
}

namespace {

Json summary_json(const RoutingSummary& s) {
  Json layers = Json::array();
  for (std::size_t l = 0; l < s.gini.size(); ++l) {
    Json j = {{"max_over_mean", num(s.max_over_mean[l])},
              {"gini", num(s.gini[l])},
              {"entropy_bits", num(s.entropy_bits[l])},
              {"pair_top_share", num(s.pair_top_share[l])},
              {"pair_entropy_ratio", num(s.pair_entropy_ratio[l])},
              {"request_js", num(s.request_js[l])}};
    if (l < s.js_to_reference.size()) j["js_to_held_out"] = num(s.js_to_reference[l]);
    layers.push_back(j);
  }
  return {{"label", s.label},
          {"requests", s.requests},
          {"tokens", s.tokens},
          {"mean_max_over_mean", num(s.mean_max_over_mean)},
          {"mean_gini", num(s.mean_gini)},
          {"mean_entropy_bits", num(s.mean_entropy_bits)},
          {"mean_pair_top_share", num(s.mean_pair_top_share)},
          {"mean_pair_entropy_ratio", num(s.mean_pair_entropy_ratio)},
          {"mean_request_js", num(s.mean_request_js)},
          {"mean_js_to_held_out", num(s.mean_js_to_reference)},
          {"domain_js", num(s.domain_js)},
          {"prefill_decode_request_pearson", num(s.pd_request_pearson)},
          {"prefill_decode_aggregate_pearson", num(s.pd_aggregate_pearson)},
          {"cross_layer_normalized_mi", num(s.cross_layer_nmi)},
          {"layers", layers}};
}

Json param_json(const FittedParameter& p) {
  return {{"value", num(p.value >= 1e12 ? kNaN : p.value)}, {"target", num(p.target)}, {"achieved", num(p.achieved)}};
}

std::string alpha_text(double a) {
  return a >= 1e12 ? "∞" : (a >= 100 ? f(a, 0) : f(a, 2));
}

} // namespace

Json comparison_to_json(const SyntheticComparison& c) {
  Json params = Json::array();
  for (const auto& l : c.fitted.layers)
    params.push_back({{"layer", l.layer_id},
                      {"alpha_prefill", param_json(l.alpha[0])},
                      {"alpha_decode", param_json(l.alpha[1])},
                      {"follow", param_json(l.follow)},
                      {"prefill_copy", param_json(l.prefill_copy)},
                      {"partners", l.partner_ids.size()}});
  return {{"model", c.model},
          {"layers", c.num_layers},
          {"experts", c.num_experts},
          {"top_k", c.top_k},
          {"layer_ids", c.layer_ids},
          {"test_fraction", c.test_fraction},
          {"split_seed", c.split_seed},
          {"seed", c.seed},
          {"fit_seconds", c.fit_seconds},
          {"generate_seconds", c.generate_seconds},
          {"train", summary_json(c.train)},
          {"held_out", summary_json(c.held_out)},
          {"synthetic", summary_json(c.synthetic)},
          {"fitted", params}};
}

std::string comparison_markdown(const SyntheticComparison& c, bool per_layer) {
  std::ostringstream md;
  const auto& tr = c.train;
  const auto& ho = c.held_out;
  const auto& sy = c.synthetic;
  md << "**" << c.model << "**: " << c.num_layers << " MoE layers, " << c.num_experts << " experts, top-" << c.top_k
     << ". Split `split_requests(test_fraction " << f(c.test_fraction, 2) << ", seed " << c.split_seed << ")`: train "
     << tr.requests << " requests / " << tr.tokens << " tokens, held-out " << ho.requests << " requests / " << ho.tokens
     << " tokens; synthetic " << sy.requests << " requests / " << sy.tokens << " tokens (seed " << c.seed << "). Fit "
     << f(c.fit_seconds, 2) << " s, generation " << f(c.generate_seconds, 3) << " s.\n\n";
  md << "| statistic (mean over layers) | train half | held-out half | synthetic | synthetic − held-out |\n"
     << "|---|---:|---:|---:|---:|\n";
  const auto row = [&](const std::string& name, double a, double b, double s, int d = 3) {
    md << "| " << name << " | " << f(a, d) << " | " << f(b, d) << " | " << f(s, d) << " | "
       << (std::isfinite(s) && std::isfinite(b) ? (s - b >= 0 ? "+" : "") + f(s - b, d) : "–") << " |\n";
  };
  row("max/mean", tr.mean_max_over_mean, ho.mean_max_over_mean, sy.mean_max_over_mean, 2);
  row("Gini", tr.mean_gini, ho.mean_gini, sy.mean_gini);
  row("entropy (bits)", tr.mean_entropy_bits, ho.mean_entropy_bits, sy.mean_entropy_bits);
  row("top-1% pair share", tr.mean_pair_top_share, ho.mean_pair_top_share, sy.mean_pair_top_share, 4);
  row("pair H/Hmax", tr.mean_pair_entropy_ratio, ho.mean_pair_entropy_ratio, sy.mean_pair_entropy_ratio);
  row("request JS to load (bits)", tr.mean_request_js, ho.mean_request_js, sy.mean_request_js, 4);
  row("domain JS (bits)", tr.domain_js, ho.domain_js, sy.domain_js, 4);
  row("prefill/decode request Pearson", tr.pd_request_pearson, ho.pd_request_pearson, sy.pd_request_pearson);
  row("prefill/decode aggregate Pearson", tr.pd_aggregate_pearson, ho.pd_aggregate_pearson, sy.pd_aggregate_pearson);
  row("cross-layer MI / min H", tr.cross_layer_nmi, ho.cross_layer_nmi, sy.cross_layer_nmi);
  md << "| JS(load, held-out load) (bits) | " << f(tr.mean_js_to_reference, 4) << " | 0 | "
     << f(sy.mean_js_to_reference, 4) << " | |\n\n";
  double max_dg = 0, max_dh = 0, max_dg_train = 0, max_dh_train = 0;
  for (std::size_t l = 0; l < ho.gini.size(); ++l) {
    max_dg = std::max(max_dg, std::abs(sy.gini[l] - ho.gini[l]));
    max_dh = std::max(max_dh, std::abs(sy.entropy_bits[l] - ho.entropy_bits[l]));
    max_dg_train = std::max(max_dg_train, std::abs(tr.gini[l] - ho.gini[l]));
    max_dh_train = std::max(max_dh_train, std::abs(tr.entropy_bits[l] - ho.entropy_bits[l]));
  }
  md << "Worst layer: |ΔGini| synthetic vs held-out " << f(max_dg) << " (train vs held-out " << f(max_dg_train)
     << "), |Δentropy| " << f(max_dh) << " bits (train vs held-out " << f(max_dh_train) << ").\n\n";
  if (per_layer) {
    md << "| layer | Gini held-out | Gini synthetic | entropy held-out | entropy synthetic | max/mean held-out | "
          "max/mean synthetic | top-1% pairs held-out | top-1% pairs synthetic | α prefill | α decode | follow | "
          "prefill copy |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (std::size_t l = 0; l < ho.gini.size(); ++l) {
      const auto& p = c.fitted.layers[l];
      md << "| " << c.layer_ids[l] << " | " << f(ho.gini[l]) << " | " << f(sy.gini[l]) << " | " << f(ho.entropy_bits[l])
         << " | " << f(sy.entropy_bits[l]) << " | " << f(ho.max_over_mean[l], 2) << " | " << f(sy.max_over_mean[l], 2)
         << " | " << f(ho.pair_top_share[l], 4) << " | " << f(sy.pair_top_share[l], 4) << " | "
         << (std::isfinite(p.alpha[0].target) ? alpha_text(p.alpha[0].value) : "–") << " | "
         << (std::isfinite(p.alpha[1].target) ? alpha_text(p.alpha[1].value) : "–") << " | "
         << (std::isfinite(p.follow.target) ? f(p.follow.value) : "–") << " | "
         << (std::isfinite(p.prefill_copy.target) ? f(p.prefill_copy.value) : "–") << " |\n";
    }
    md << "\n";
  }
  return md.str();
}

std::string build_synthetic_report(const std::string& shared_dir) {
  namespace fs = std::filesystem;
  std::ostringstream md;
  md << "# Synthetic routing: fitted generator vs held-out real traces\n\n"
     << "Generated by `moescope trace synth --report ../shared/traces -o validation/reports/synthetic.md` (run by "
     << "`validation/scripts/traces_report.sh`). The generator (`core/trace/synthetic_routing.hpp`, described in "
     << "docs/traces.md, \"Synthetic routing\") is fitted on the train half of each real trace "
     << "(`split_requests`, test fraction 0.5, seed 0) and generates as many tokens as the held-out half has (seed 0). "
     << "The \"train half\" column is the noise floor: how far two real halves of the same trace are apart. "
     << "Statistics are defined in docs/traces.md; \"top-1% pair share\" is the share of within-token expert pairs "
     << "taken by the most frequent 1% of the E(E−1)/2 possible pairs; \"request JS to load\" is the mean over "
     << "requests of the Jensen-Shannon divergence between a request's expert counts and the whole trace's load. "
     << "Do not edit by hand.\n\n";
  struct Item {
    const char* rel;
    const char* title;
  };
  const Item items[] = {
      {"deepseek-v2-lite-chat/prompts-0001-1000", "DeepSeek-V2-Lite chat (imbalance, co-activation)"},
      {"llama4-maverick-mmlu", "Llama 4 Maverick MMLU (domains, prefill/decode)"},
      {"deepseek-v2-lite-esft", "ESFT intent + law (domains, co-activation)"},
  };
  std::optional<SyntheticModel> deepseek;
  for (const auto& it : items) {
    const std::string path = (fs::path(shared_dir) / it.rel).string();
    md << "## " << it.title << "\n\n";
    if (!fs::exists(path)) {
      md << "`" << it.rel << "` is missing.\n\n";
      continue;
    }
    const AnyTrace any = import_trace(path);
    const auto& t = std::get<ExpertTrace>(any);
    const SyntheticComparison c = compare_synthetic(t, 0.5, 0, 0);
    md << comparison_markdown(c, true);
    if (!deepseek) deepseek = c.fitted;
  }
  if (deepseek) {
    md << "## DeepSeek-V3 size (58 layers × 256 experts, top-8), fitted on the DeepSeek-V2-Lite chat train half\n\n";
    SyntheticShape shape;
    shape.num_experts = 256;
    shape.num_layers = 58;
    shape.top_k = 8;
    shape.tokens = 1000000;
    shape.seed = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const ExpertTrace big = generate_synthetic(*deepseek, shape);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Popularity curve: Gini of the source profiles vs the generated loads.
    double src_gini = 0, syn_gini = 0, syn_maxmean = 0, src_maxmean = 0;
    for (const auto& l : deepseek->layers) {
      src_gini += gini(l.profile) / double(deepseek->layers.size());
      src_maxmean += max_over_mean(l.profile) / double(deepseek->layers.size());
    }
    for (std::uint32_t l = 0; l < big.num_layers(); ++l) {
      const auto load = layer_load(big, l);
      syn_gini += gini(load) / big.num_layers();
      syn_maxmean += max_over_mean(load) / big.num_layers();
    }
    md << "1,000,000 tokens (" << big.num_requests() << " requests) generated in " << f(secs, 2)
       << " s on this machine (all hardware threads; the time varies with the machine's load). Popularity curve after "
          "resampling 64 → 256 experts: mean Gini of the fitted 64-expert profiles "
       << f(src_gini) << ", of the generated 256-expert loads " << f(syn_gini) << "; max/mean " << f(src_maxmean, 2)
       << " → " << f(syn_maxmean, 2) << ".\n";
  }
  return md.str();
}

} // namespace moescope::trace
