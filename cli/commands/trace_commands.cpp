// `moescope trace ...`: importing, converting and characterising expert-activation traces.
//   trace formats                      the importers and what they read
//   trace info TRACE                   metadata of any trace (raw formats or .mst)
//   trace convert IN -o OUT.mst        import and write moescope's binary format
//   trace stats TRACE [--json]         load imbalance, drift, domain specificity, prefill/decode, co-activation
//   trace report --shared DIR -o FILE  the validation report over the shared traces (validation/reports/traces.md)
//   trace synth TRACE -o OUT.mst       fit the synthetic routing generator on a trace's train half and generate
//   trace synth TRACE --compare        synthetic vs held-out real statistics
//   trace synth --report DIR -o FILE   validation/reports/synthetic.md over the shared traces
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli_context.hpp"
#include "study/trace_study.hpp"
#include "util/atomic_file.hpp"
#include "util/diagnostics.hpp"
#include "util/text_table.hpp"

namespace moescope::cli {

namespace {

using namespace moescope::trace;

struct ImportArgs {
  std::string path;
  ImportOptions options;
};

void add_import_options(CLI::App* cmd, ImportArgs& a) {
  cmd->add_option("--format", a.options.format,
                  "Input format (default: detected from the content); see `trace formats`");
  cmd->add_option("--top-k", a.options.top_k, "Experts per token, for formats that do not say (ESFT: 6)");
  cmd->add_option("--experts", a.options.num_experts, "Routed experts per layer, for formats that do not say");
  cmd->add_option("--model", a.options.model, "Model name to record");
  cmd->add_option("--domain", a.options.domain, "Domain label (single-domain inputs)");
  cmd->add_option("--tokens-per-request", a.options.tokens_per_request, "FLAME-MoE: tokens per sequence");
  cmd->add_option("--max-requests", a.options.max_requests, "Import at most this many requests per domain");
}

std::string fmt(double v, int decimals = 3) {
  if (!std::isfinite(v)) return "-";
  return format_fixed(v, decimals);
}

std::string layer_list(const std::vector<std::int32_t>& ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1)
      ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(ids[i]);
    if (j > i) out += ".." + std::to_string(ids[j]);
    i = j + 1;
  }
  return out;
}

void print_info(const Json& j) {
  TextTable t({"field", "value"});
  t.add_row({"model", j["model"].get<std::string>()});
  t.add_row({"format", j["source_format"].get<std::string>()});
  t.add_row({"kind", j["kind"].get<std::string>()});
  t.add_row({"experts", std::to_string(j["experts"].get<std::uint32_t>())});
  t.add_row({"top-k", std::to_string(j["top_k"].get<std::uint32_t>())});
  t.add_row({"MoE layers", std::to_string(j["moe_layers"].size()) + " (" +
                               layer_list(j["moe_layers"].get<std::vector<std::int32_t>>()) + ")"});
  std::string domains;
  for (const auto& d : j["domains"])
    domains += (domains.empty() ? "" : ", ") + d.get<std::string>();
  t.add_row({"domains", domains});
  for (const char* key : {"requests", "tokens", "prefill_tokens", "decode_tokens", "pair_tables"})
    if (j.contains(key)) t.add_row({key, std::to_string(j[key].get<std::uint64_t>())});
  if (j.contains("gate_weights")) t.add_row({"gate weights", j["gate_weights"].get<bool>() ? "yes" : "no"});
  std::cout << t.render();
}

void print_stats(const TraceStats& s) {
  std::cout << s.model << " (" << s.source_format << ", " << s.kind << "): " << s.num_layers << " MoE layers, "
            << s.num_experts << " experts, top-" << s.top_k << ", " << s.requests << " requests, " << s.tokens
            << " tokens\n\n";
  std::cout << "Expert load per layer (mean over layers: max/mean " << fmt(s.mean_max_over_mean, 2) << ", CV "
            << fmt(s.mean_cv) << ", Gini " << fmt(s.mean_gini) << ", H/Hmax " << fmt(s.mean_normalized_entropy)
            << ")\n";
  TextTable load(
      {"layer", "selections", "active", "max/mean", "CV", "Gini", "entropy bits", "H/Hmax", "hottest (share)"});
  for (const auto& l : s.layers) {
    std::string hot;
    for (const auto& e : l.hottest)
      hot += (hot.empty() ? "" : " ") + std::to_string(e.expert) + ":" + fmt(100 * e.share, 1) + "%";
    load.add_row({std::to_string(l.layer_id), std::to_string(l.selections), std::to_string(l.active_experts),
                  fmt(l.max_over_mean, 2), fmt(l.cv), fmt(l.gini), fmt(l.entropy_bits, 2), fmt(l.normalized_entropy),
                  hot});
  }
  std::cout << load.render({0, 1, 2, 3, 4, 5, 6, 7}) << "\n";
  if (s.drift && !s.drift->layers.empty()) {
    std::cout << "Drift between " << s.drift->windows << " consecutive windows of ~" << s.drift->requests_per_window
              << " requests: mean JS " << fmt(s.drift->mean_js, 4) << " bits, hot-set (top 10%) overlap "
              << fmt(s.drift->mean_hot_set_overlap) << "\n";
    TextTable t({"layer", "mean JS", "max JS", "hot-set overlap", "worst window max/mean"});
    for (const auto& l : s.drift->layers)
      t.add_row({std::to_string(l.layer_id), fmt(l.mean_js, 4), fmt(l.max_js, 4), fmt(l.hot_set_overlap),
                 fmt(l.window_max_over_mean, 2)});
    std::cout << t.render({0, 1, 2, 3, 4}) << "\n";
  }
  if (s.domains) {
    const auto& d = *s.domains;
    std::cout << "Domain specificity: mean Jensen-Shannon divergence " << fmt(d.mean_js, 4)
              << " bits (mean over layers and domain pairs)\n";
    std::vector<std::string> header{"domain", "tokens", "requests"};
    for (const auto& n : d.domains)
      header.push_back(n);
    TextTable t(header);
    for (std::size_t a = 0; a < d.domains.size(); ++a) {
      std::vector<std::string> row{d.domains[a], std::to_string(d.tokens[a]), std::to_string(d.requests[a])};
      for (std::size_t b = 0; b < d.domains.size(); ++b)
        row.push_back(fmt(d.js_matrix[a * d.domains.size() + b], 4));
      t.add_row(row);
    }
    std::vector<std::size_t> right;
    for (std::size_t i = 1; i < header.size(); ++i)
      right.push_back(i);
    std::cout << t.render(right);
    if (d.classified)
      std::cout << "Held-out domain classification (nearest centroid, " << d.train_requests << " train / "
                << d.test_requests << " test requests, seed " << d.seed << "): accuracy " << fmt(100 * d.accuracy, 1)
                << "% (chance " << fmt(100 * d.chance, 1) << "%)\n";
    std::cout << "\n";
  }
  if (s.phases) {
    const auto& p = *s.phases;
    std::cout << "Prefill/decode correlation (" << p.requests_with_both << " requests with both phases; "
              << p.prefill_tokens << " prefill, " << p.decode_tokens << " decode tokens): per-request Pearson "
              << fmt(p.mean_request_pearson) << ", Spearman " << fmt(p.mean_request_spearman) << "; aggregate Pearson "
              << fmt(p.mean_aggregate_pearson) << ", Spearman " << fmt(p.mean_aggregate_spearman) << "\n";
    TextTable t({"layer", "requests", "req. Pearson", "req. Spearman", "agg. Pearson", "agg. Spearman"});
    for (const auto& l : p.layers)
      t.add_row({std::to_string(l.layer_id), std::to_string(l.requests), fmt(l.request_pearson),
                 fmt(l.request_spearman), fmt(l.aggregate_pearson), fmt(l.aggregate_spearman)});
    std::cout << t.render({0, 1, 2, 3, 4, 5}) << "\n";
  }
  if (s.coactivation) {
    const auto& c = *s.coactivation;
    bool any_within = false;
    for (const auto& l : c.within)
      any_within |= l.pairs > 0;
    if (any_within) {
      std::cout << "Within-token co-activation (same layer)\n";
      TextTable t({"layer", "pairs", "top pairs (count, lift)", "top pair share", "pair H/Hmax"});
      for (const auto& l : c.within) {
        std::string pairs;
        for (const auto& p : l.top_pairs)
          pairs += (pairs.empty() ? "" : " ") + std::to_string(p.a) + "+" + std::to_string(p.b) + " (" +
                   std::to_string(p.count) + ", " + fmt(p.lift, 1) + "x)";
        t.add_row({std::to_string(l.layer_id), std::to_string(l.pairs), pairs, fmt(l.top_pair_share, 4),
                   fmt(l.pair_entropy_ratio)});
      }
      std::cout << t.render({0, 1, 3, 4}) << "\n";
    }
    if (!c.cross.empty()) {
      std::cout << "Cross-layer affinity (mean normalised MI " << fmt(c.mean_normalized_mi) << ")\n";
      TextTable t({"from", "to", "MI bits", "MI / min H", "top successor share", "baseline top share"});
      for (const auto& a : c.cross)
        t.add_row({std::to_string(a.from_layer), std::to_string(a.to_layer), fmt(a.mutual_information_bits),
                   fmt(a.normalized_mi), fmt(a.top_successor_share), fmt(a.baseline_top_share)});
      std::cout << t.render({0, 1, 2, 3, 4, 5}) << "\n";
    }
  }
}

} // namespace

namespace {

struct SynthArgs {
  std::string path;
  ImportOptions import;
  std::string output;
  std::string report_dir;
  SyntheticShape shape;
  double test_fraction = 0.5;
  std::uint64_t split_seed = 0;
  bool all = false;
  bool compare = false;
  bool per_layer = false;
  SyntheticFitOptions fit;
};

void print_comparison(const SyntheticComparison& c, bool per_layer) {
  const auto& tr = c.train;
  const auto& ho = c.held_out;
  const auto& sy = c.synthetic;
  std::cout << c.model << ": " << c.num_layers << " MoE layers, " << c.num_experts << " experts, top-" << c.top_k
            << "; fitted on " << tr.requests << " train requests (" << tr.tokens << " tokens) in "
            << format_seconds(c.fit_seconds) << ", " << sy.tokens << " synthetic tokens generated in "
            << format_seconds(c.generate_seconds) << "; held-out " << ho.requests << " requests (" << ho.tokens
            << " tokens)\n\n";
  TextTable t({"statistic (mean over layers)", "train (real)", "held-out (real)", "synthetic", "synth - held-out"});
  const auto row = [&](const std::string& name, double a, double b, double s, int d = 3) {
    t.add_row({name, fmt(a, d), fmt(b, d), fmt(s, d), std::isfinite(s) && std::isfinite(b) ? fmt(s - b, d) : "-"});
  };
  row("max/mean", tr.mean_max_over_mean, ho.mean_max_over_mean, sy.mean_max_over_mean, 2);
  row("Gini", tr.mean_gini, ho.mean_gini, sy.mean_gini);
  row("entropy bits", tr.mean_entropy_bits, ho.mean_entropy_bits, sy.mean_entropy_bits);
  row("top-1% pair share", tr.mean_pair_top_share, ho.mean_pair_top_share, sy.mean_pair_top_share, 4);
  row("pair H/Hmax", tr.mean_pair_entropy_ratio, ho.mean_pair_entropy_ratio, sy.mean_pair_entropy_ratio);
  row("request JS to load", tr.mean_request_js, ho.mean_request_js, sy.mean_request_js, 4);
  row("domain JS", tr.domain_js, ho.domain_js, sy.domain_js, 4);
  row("prefill/decode req. Pearson", tr.pd_request_pearson, ho.pd_request_pearson, sy.pd_request_pearson);
  row("prefill/decode agg. Pearson", tr.pd_aggregate_pearson, ho.pd_aggregate_pearson, sy.pd_aggregate_pearson);
  row("cross-layer MI / min H", tr.cross_layer_nmi, ho.cross_layer_nmi, sy.cross_layer_nmi);
  row("JS(load, held-out load)", tr.mean_js_to_reference, 0.0, sy.mean_js_to_reference, 4);
  std::cout << t.render({1, 2, 3, 4});
  if (per_layer) {
    std::cout << "\n";
    TextTable pl({"layer", "Gini held-out", "Gini synth", "H held-out", "H synth", "max/mean held-out",
                  "max/mean synth", "top-1% pairs held-out", "top-1% pairs synth", "alpha prefill", "alpha decode",
                  "follow", "prefill copy"});
    const auto alpha = [](const FittedParameter& p) {
      return !std::isfinite(p.target) ? std::string("-") : p.value >= 1e12 ? std::string("inf") : fmt(p.value, 2);
    };
    for (std::size_t l = 0; l < ho.gini.size(); ++l) {
      const auto& p = c.fitted.layers[l];
      pl.add_row({std::to_string(c.layer_ids[l]), fmt(ho.gini[l]), fmt(sy.gini[l]), fmt(ho.entropy_bits[l]),
                  fmt(sy.entropy_bits[l]), fmt(ho.max_over_mean[l], 2), fmt(sy.max_over_mean[l], 2),
                  fmt(ho.pair_top_share[l], 4), fmt(sy.pair_top_share[l], 4), alpha(p.alpha[0]), alpha(p.alpha[1]),
                  std::isfinite(p.follow.target) ? fmt(p.follow.value) : "-",
                  std::isfinite(p.prefill_copy.target) ? fmt(p.prefill_copy.value) : "-"});
    }
    std::cout << pl.render({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  }
}

void register_synth_command(CLI::App* trace, CliContext& ctx) {
  auto a = std::make_shared<SynthArgs>();
  auto* synth = trace->add_subcommand(
      "synth", "Fit the synthetic routing generator on a trace's train half and write a synthetic .mst trace "
               "(any expert count, layer count, top-k, token count), or compare synthetic with held-out statistics");
  synth->add_option("trace", a->path, "Real token trace to fit (any supported format or .mst)");
  synth->add_option("--format", a->import.format, "Input format (default: detected from the content)");
  synth->add_option("--max-requests", a->import.max_requests, "Import at most this many requests per domain");
  synth->add_option("-o,--output", a->output, "Output: the synthetic .mst trace (with --report: the Markdown file)");
  synth->add_option("--experts", a->shape.num_experts, "Target routed experts per layer (default: the trace's)");
  synth->add_option("--layers", a->shape.num_layers, "Target MoE layer count (default: the trace's)");
  synth->add_option("--top-k", a->shape.top_k, "Target experts per token (default: the trace's)");
  synth->add_option("--tokens", a->shape.tokens, "Tokens to generate (default: as many as the fitted requests)");
  synth->add_option("--seed", a->shape.seed, "Generator seed (default 0); the output depends only on it");
  synth->add_option("--model", a->shape.model_name, "Model name to record (default: '<source model> (synthetic)')");
  synth->add_option("--threads", a->shape.threads, "Generator threads (default: all; does not change the output)");
  synth->add_option("--test-fraction", a->test_fraction,
                    "Fraction of each domain's requests held out from the fit (default 0.5)");
  synth->add_option("--split-seed", a->split_seed, "Seed of the train/held-out split (default 0)");
  synth->add_option("--partners", a->fit.partners, "Co-activation partners kept per expert (default 8; 0 = none)");
  synth->add_option("--calibration-tokens", a->fit.calibration_tokens,
                    "Training tokens simulated per layer when calibrating (default 16384)");
  synth->add_flag("--all", a->all, "Fit on the whole trace instead of the train half");
  synth->add_flag("--compare", a->compare, "Print synthetic vs held-out real statistics");
  synth->add_flag("--per-layer", a->per_layer, "With --compare: per-layer table and fitted parameters");
  synth->add_option("--report", a->report_dir,
                    "Write the synthetic-routing validation report over this shared traces directory");
  synth->callback([&ctx, a] {
    if (!a->report_dir.empty()) {
      const std::string md = build_synthetic_report(a->report_dir);
      if (a->output.empty())
        std::cout << md;
      else
        write_file_atomically(a->output, md);
      return;
    }
    if (a->path.empty()) throw InputError("trace synth", "", "a trace to fit is required (or --report DIR)");
    if (!a->compare && a->output.empty())
      throw InputError("trace synth", "", "nothing to do: give -o OUT.mst and/or --compare");
    SyntheticStudy study;
    study.path = a->path;
    study.import = a->import;
    study.output = a->output;
    study.shape = a->shape;
    study.fit = a->fit;
    study.test_fraction = a->test_fraction;
    study.split_seed = a->split_seed;
    study.fit_on_all = a->all;
    study.compare = a->compare;
    const SyntheticRun run = run_synthetic_study(study);
    Json out = Json::object();
    if (run.comparison) {
      out["comparison"] = comparison_to_json(*run.comparison);
      if (!ctx.json) print_comparison(*run.comparison, a->per_layer);
    }
    if (!run.synthetic.is_null()) {
      const Json& j = run.synthetic;
      out["synthetic"] = j;
      if (!ctx.json) {
        if (run.comparison) std::cout << "\n";
        std::cout << "wrote " << a->output << ": fitted on " << run.fitted_on_requests << " requests in "
                  << format_seconds(j["fit_seconds"].get<double>()) << ", generated "
                  << j["tokens"].get<std::uint64_t>() << " tokens in "
                  << format_seconds(j["generate_seconds"].get<double>()) << ", written in "
                  << format_seconds(j["write_seconds"].get<double>()) << "\n";
        print_info(j);
      }
    }
    if (ctx.json) std::cout << out.dump(2) << "\n";
  });
}

} // namespace

void register_trace_commands(CLI::App& app, CliContext& ctx) {
  auto* trace = app.add_subcommand("trace", "Expert-activation traces: import, convert, stats, report");
  trace->require_subcommand(1);

  auto* formats = trace->add_subcommand("formats", "List the trace formats moescope reads");
  formats->callback([&ctx] {
    Json j = Json::array();
    TextTable t({"format", "reads"});
    for (const auto& imp : importers()) {
      j.push_back({{"name", imp->name()}, {"description", imp->description()}});
      t.add_row({imp->name(), imp->description()});
    }
    ctx.emit(j, [&] { std::cout << t.render(); });
  });

  auto info_args = std::make_shared<ImportArgs>();
  auto* info = trace->add_subcommand("info", "Show a trace's metadata (any format)");
  info->add_option("trace", info_args->path, "Trace file or directory")->required();
  add_import_options(info, *info_args);
  info->callback([&ctx, info_args] {
    const AnyTrace t = import_trace(info_args->path, info_args->options);
    const Json j = trace_info_json(t);
    ctx.emit(j, [&] { print_info(j); });
  });

  auto conv_args = std::make_shared<ImportArgs>();
  auto output = std::make_shared<std::string>();
  auto* convert = trace->add_subcommand("convert", "Import a trace and write moescope's binary format (.mst)");
  convert->add_option("input", conv_args->path, "Trace file or directory (any supported format)")->required();
  convert->add_option("-o,--output", *output, "Output .mst file")->required();
  add_import_options(convert, *conv_args);
  convert->callback([&ctx, conv_args, output] {
    const Json j = convert_trace(conv_args->path, conv_args->options, *output);
    ctx.emit(j, [&] {
      std::cout << "wrote " << *output << " (" << format_bytes(j["output_bytes"].get<double>()) << ") from "
                << j["source_format"].get<std::string>() << " in " << format_seconds(j["import_seconds"].get<double>())
                << "\n";
      print_info(j);
    });
  });

  auto stats_args = std::make_shared<ImportArgs>();
  auto stats_opts = std::make_shared<StatsOptions>();
  auto no_coact = std::make_shared<bool>(false);
  auto* stats = trace->add_subcommand("stats", "Characterise a trace: load imbalance, drift, domains, "
                                               "prefill/decode correlation, co-activation");
  stats->add_option("trace", stats_args->path, "Trace file or directory (any supported format)")->required();
  add_import_options(stats, *stats_args);
  stats->add_option("--windows", stats_opts->windows, "Drift: number of consecutive request windows (default 4)");
  stats->add_option("--test-fraction", stats_opts->test_fraction,
                    "Domain classification: fraction of each domain's requests held out (default 0.5)");
  stats->add_option("--seed", stats_opts->seed, "Seed of the train/test split (default 0)");
  stats->add_option("--hottest", stats_opts->hottest, "Hottest experts listed per layer (default 5)");
  stats->add_flag("--no-coactivation", *no_coact, "Skip the co-activation analysis");
  stats->callback([&ctx, stats_args, stats_opts, no_coact] {
    StatsOptions o = *stats_opts;
    o.coactivation = !*no_coact;
    const TraceStats s = trace_statistics(stats_args->path, stats_args->options, o);
    ctx.emit(stats_to_json(s), [&] { print_stats(s); });
  });

  auto report_shared = std::make_shared<std::string>();
  auto report_out = std::make_shared<std::string>();
  auto* report = trace->add_subcommand("report", "Write the trace validation report (Markdown) over the shared traces");
  report->add_option("--shared", *report_shared, "The shared traces directory (e.g. ../shared/traces)")->required();
  report->add_option("-o,--output", *report_out, "Output Markdown file (default: print)");
  report->callback([report_shared, report_out] {
    const std::string md = build_traces_report(*report_shared);
    if (report_out->empty())
      std::cout << md;
    else
      write_file_atomically(*report_out, md);
  });

  register_synth_command(trace, ctx);
}

} // namespace moescope::cli
