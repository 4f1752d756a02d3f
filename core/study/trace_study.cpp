#include "study/trace_study.hpp"

#include <chrono>

#include "util/atomic_file.hpp"
#include "util/diagnostics.hpp"

namespace moescope {

using namespace moescope::trace;

Json trace_info_json(const AnyTrace& t) {
  const auto& m = metadata_of(t);
  Json j = {{"model", m.model},
            {"source_format", m.source_format},
            {"kind", std::holds_alternative<ExpertTrace>(t) ? "tokens" : "counts"},
            {"experts", m.num_experts},
            {"top_k", m.top_k},
            {"moe_layers", m.moe_layer_ids},
            {"domains", m.domains}};
  if (const auto* x = std::get_if<ExpertTrace>(&t)) {
    std::uint64_t prefill = 0, decode = 0;
    for (const auto& r : x->requests()) {
      prefill += r.prefill_tokens;
      decode += r.decode_tokens;
    }
    j["requests"] = x->num_requests();
    j["tokens"] = x->num_tokens();
    j["prefill_tokens"] = prefill;
    j["decode_tokens"] = decode;
    j["gate_weights"] = x->has_weights();
  } else {
    const auto& c = std::get<ExpertCountTrace>(t);
    std::uint64_t tokens = 0;
    for (const auto& d : c.domains)
      tokens += d.tokens;
    j["tokens"] = tokens;
    j["pair_tables"] = c.pairs.size();
  }
  return j;
}

Json convert_trace(const std::string& path, const ImportOptions& import, const std::string& output) {
  const auto t0 = std::chrono::steady_clock::now();
  const AnyTrace t = import_trace(path, import);
  const auto t1 = std::chrono::steady_clock::now();
  const std::string bytes = encode_binary(t);
  write_file_atomically(output, bytes);
  Json j = trace_info_json(t);
  j["output"] = output;
  j["output_bytes"] = bytes.size();
  j["import_seconds"] = std::chrono::duration<double>(t1 - t0).count();
  return j;
}

TraceStats trace_statistics(const std::string& path, const ImportOptions& import, const StatsOptions& options) {
  if (!(options.test_fraction > 0 && options.test_fraction < 1))
    throw InputError("--test-fraction", "", "must be strictly between 0 and 1");
  return compute_stats(import_trace(path, import), options);
}

SyntheticRun run_synthetic_study(const SyntheticStudy& study) {
  if (!(study.test_fraction > 0 && study.test_fraction < 1))
    throw InputError("--test-fraction", "", "must be strictly between 0 and 1");
  AnyTrace any = import_trace(study.path, study.import);
  auto* tok = std::get_if<ExpertTrace>(&any);
  if (!tok)
    throw InputError(study.path, "", "the synthetic generator needs a token-level trace, not per-expert counts");
  SyntheticRun run;
  if (study.compare) {
    SyntheticFitOptions fo = study.fit;
    fo.seed = study.shape.seed;
    run.comparison = compare_synthetic(*tok, study.test_fraction, study.split_seed, study.shape.seed, fo);
  }
  if (study.output.empty()) return run;
  const auto t0 = std::chrono::steady_clock::now();
  ExpertTrace train_half;
  const ExpertTrace* train = tok;
  if (!study.fit_on_all) {
    const RequestSplit split = split_requests(*tok, study.test_fraction, study.split_seed);
    if (split.train.empty()) throw InputError(study.path, "", "the train half is empty");
    train_half = tok->subset(split.train);
    train = &train_half;
  }
  SyntheticFitOptions fo = study.fit;
  fo.seed = study.shape.seed;
  const SyntheticModel model = fit_synthetic(*train, fo);
  const auto t1 = std::chrono::steady_clock::now();
  SyntheticShape shape = study.shape;
  if (shape.tokens == 0) shape.tokens = train->num_tokens();
  const ExpertTrace synth = generate_synthetic(model, shape);
  const auto t2 = std::chrono::steady_clock::now();
  save_binary(synth, study.output);
  const auto t3 = std::chrono::steady_clock::now();
  run.fitted_on_requests = train->num_requests();
  Json j = trace_info_json(synth);
  j["output"] = study.output;
  j["fitted_on_requests"] = run.fitted_on_requests;
  j["fit_seconds"] = std::chrono::duration<double>(t1 - t0).count();
  j["generate_seconds"] = std::chrono::duration<double>(t2 - t1).count();
  j["write_seconds"] = std::chrono::duration<double>(t3 - t2).count();
  run.synthetic = j;
  return run;
}

} // namespace moescope
