#include "charts/phase_choice.hpp"

namespace moescope::gui {

QComboBox* phase_combo(QWidget* parent) {
  auto* c = new QComboBox(parent);
  c->addItems({"decode", "prefill"});
  return c;
}

Phase chosen_phase(const QComboBox* combo) {
  return combo->currentText() == "prefill" ? Phase::prefill : Phase::decode;
}

void choose_phase(QComboBox* combo, Phase phase) {
  combo->setCurrentText(phase == Phase::prefill ? "prefill" : "decode");
}

const PhaseResult& phase_result(const Evaluation& e, Phase phase) {
  return phase == Phase::prefill ? e.result.prefill : e.result.decode;
}

} // namespace moescope::gui
