#include "headline_rows.hpp"

#include "util/text_table.hpp"

namespace moescope::gui {

namespace {

void phase_rows(const PhaseResult& p, const std::string& phase, std::vector<HeadlineRow>& out) {
  const QString ph = QString::fromStdString(phase) + " ";
  auto add = [&](const char* key, const QString& label, Unit unit, double v) {
    out.push_back(HeadlineRow{phase + "." + key, ph + label, unit, v});
  };
  if (phase == "prefill") add("ttft_seconds", "TTFT", Unit::seconds, p.ttft_seconds);
  if (phase == "decode") add("tpot_seconds", "TPOT", Unit::seconds, p.tpot_seconds);
  add("tokens_per_s_per_gpu", "tokens/s per GPU", Unit::tokens_per_s, p.tokens_per_s_per_gpu);
  add("tokens_per_s_per_node", "tokens/s per node", Unit::tokens_per_s, p.tokens_per_s_per_node);
  add("step_seconds", "step time", Unit::seconds, p.step_seconds);
  if (phase == "decode") add("batch_per_gpu", "batch per GPU (run)", Unit::count, p.batch_per_gpu);
  add("memory_total_bytes", "memory per GPU", Unit::bytes, p.memory_total_bytes);
  add("memory_headroom_bytes", "memory headroom", Unit::bytes, p.memory_capacity_bytes - p.memory_total_bytes);
  add("compute_utilization", "compute utilization", Unit::fraction, p.compute_utilization);
  add("hbm_bandwidth_utilization", "HBM utilization", Unit::fraction, p.hbm_bandwidth_utilization);
  add("scale_up_utilization", "scale-up utilization", Unit::fraction, p.scale_up_utilization);
  add("scale_out_utilization", "scale-out utilization", Unit::fraction, p.scale_out_utilization);
  if (p.cost_per_million_tokens_usd > 0)
    add("cost_per_million_tokens_usd", "cost per 1M tokens", Unit::usd_per_million_tokens,
        p.cost_per_million_tokens_usd);
  if (p.energy_per_token_joules > 0)
    add("energy_per_token_joules", "energy per token", Unit::joules, p.energy_per_token_joules);
}

} // namespace

std::vector<HeadlineRow> headline_rows(const Evaluation& e) {
  std::vector<HeadlineRow> out;
  if (e.result.prefill.evaluated) phase_rows(e.result.prefill, "prefill", out);
  if (e.result.decode.evaluated) phase_rows(e.result.decode, "decode", out);
  return out;
}

QString format_value(double v, Unit unit) {
  switch (unit) {
  case Unit::seconds:
    return QString::fromStdString(format_seconds(v));
  case Unit::tokens_per_s:
    return QString::fromStdString(format_si(v, "tok/s"));
  case Unit::bytes:
    return QString::fromStdString(v < 0 ? "-" + format_bytes(-v) : format_bytes(v));
  case Unit::fraction:
    return QString::number(100 * v, 'f', 1) + " %";
  case Unit::usd_per_million_tokens:
    return "$" + QString::number(v, 'f', 3);
  case Unit::joules:
    return QString::fromStdString(format_si(v, "J"));
  case Unit::count:
    return QString::number(v, 'g', 6);
  }
  return {};
}

QStringList engine_notes(const Evaluation& e) {
  QStringList out;
  for (const PhaseResult* p : {&e.result.prefill, &e.result.decode})
    if (p->evaluated)
      for (const auto& n : p->notes)
        out << QString::fromStdString(to_string(p->phase) + ": " + n);
  return out;
}

} // namespace moescope::gui
