#pragma once
// View 9, what-if sliders: log-scale sliders over the hardware figures (HBM bandwidth, FLOP/s per data type,
// scale-up and scale-out bandwidth and latency) and the batch and node count. A slider writes the scenario's
// hardware_overrides (or workload / deployment field) into the document, so the what-if is part of the scenario
// and undoable; the centre tick is the hwdb value, with its source in the tooltip. Re-evaluation is the
// main window's: debounced, off the UI thread, stale results dropped.
#include <QWidget>
#include <memory>
#include <string>
#include <vector>

#include "evaluator.hpp"
#include "scenario_document.hpp"

class QGridLayout;
class QLabel;
class QSlider;

namespace moescope::gui {

struct Knob {
  std::string pointer; // the scenario field the slider writes
  QString label;
  QString unit;
  double hwdb = 0; // the value without overrides (centre of a hardware slider)
  QString source;  // where the hwdb value comes from
  double lo = 0, hi = 0;
  bool integer = false;
};

// The knobs for a scenario resolved without its overrides.
std::vector<Knob> whatif_knobs(const ResolvedScenario& hwdb);

class WhatIfView : public QWidget {
  Q_OBJECT
public:
  explicit WhatIfView(ScenarioDocument& document, QWidget* parent = nullptr);
  void show_outcome(const Outcome& outcome);

  QSlider* slider(const std::string& pointer) const; // nullptr when the scenario has no such knob
  const std::vector<Knob>& knobs() const { return knobs_; }
  static constexpr int kSteps = 1000;
  static double value_at(const Knob& k, int position);
  static int position_of(const Knob& k, double value);

private:
  void rebuild(const std::vector<Knob>& knobs);
  void sync(); // document -> slider positions and labels

  ScenarioDocument& document_;
  std::vector<Knob> knobs_;
  std::vector<QSlider*> sliders_;
  std::vector<QLabel*> values_;
  QGridLayout* grid_;
  bool syncing_ = false;
};

} // namespace moescope::gui
