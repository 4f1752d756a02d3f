#pragma once
// The figures the headline panel shows, read from an evaluation's typed result (engine/step_model.hpp through the
// facade), each with its unit for formatting. Nothing is computed here but memory headroom (capacity - total).
#include <QString>
#include <QStringList>
#include <string>
#include <vector>

#include "study/session.hpp"

namespace moescope::gui {

enum class Unit { seconds, tokens_per_s, bytes, fraction, usd_per_million_tokens, joules, count };

struct HeadlineRow {
  std::string key; // "decode.tpot_seconds"
  QString label;
  Unit unit;
  double value;
};

// Rows of the phases that were evaluated, in display order.
std::vector<HeadlineRow> headline_rows(const Evaluation& e);
QString format_value(double value, Unit unit);
// Notes of the engine (fallbacks, KV-bound batch), prefixed by their phase.
QStringList engine_notes(const Evaluation& e);

} // namespace moescope::gui
