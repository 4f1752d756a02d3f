#pragma once
// The decode / prefill chooser the chart views share, and the phase result it selects.
#include <QComboBox>

#include "study/session.hpp"

namespace moescope::gui {

QComboBox* phase_combo(QWidget* parent); // "decode" first
Phase chosen_phase(const QComboBox* combo);
void choose_phase(QComboBox* combo, Phase phase);
const PhaseResult& phase_result(const Evaluation& e, Phase phase);

} // namespace moescope::gui
