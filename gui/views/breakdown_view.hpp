#pragma once
// View 4, the time breakdown: per layer type, stacked bars of each component's time (attention, gate, dispatch,
// routed experts, combine, shared experts, ...) with no overlap, and the layer's time under each overlap mode,
// for the chosen phase. Times are shown in microseconds per layer occurrence. Below them, the two-stream timeline of
// the two-batch-overlap schedule (timeline_view.hpp), following the same phase choice.
#include <QWidget>
#include <memory>

#include "study/session.hpp"

class QBarSeries;
class QChartView;
class QComboBox;
class QStackedBarSeries;

namespace moescope::gui {

class TimelineView;

class BreakdownView : public QWidget {
  Q_OBJECT
public:
  explicit BreakdownView(QWidget* parent = nullptr);
  void show_evaluation(std::shared_ptr<const Evaluation> e);
  void set_phase(Phase phase);

  // The plotted series (bar set i = a component or an overlap mode, value j = layer type j of the phase).
  QStackedBarSeries* components() const { return components_; }
  QBarSeries* overlaps() const { return overlaps_; }
  TimelineView* timeline() const { return timeline_; }
  // The overlap modes in bar-set order, as the engine names them.
  static const std::vector<Overlap>& overlap_modes();
  static double overlap_seconds(const LayerBreakdown& layer, Overlap mode);

private:
  void redraw();
  const PhaseResult* shown_phase() const; // null when that phase was not evaluated

  std::shared_ptr<const Evaluation> evaluation_;
  QComboBox* phase_;
  QChartView* components_view_;
  QChartView* overlaps_view_;
  QStackedBarSeries* components_ = nullptr;
  QBarSeries* overlaps_ = nullptr;
  TimelineView* timeline_;
};

} // namespace moescope::gui
