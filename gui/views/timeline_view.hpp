#pragma once
// The two-stream timeline of the two-batch-overlap schedule, in the time-breakdown tab: the compute and
// communication streams as lanes, each op of micro-batches a (solid) and b (lighter) coloured by kind, the compute
// stream's stalls hatched, for the first MoE layers of the chosen phase (study/tbo_timeline). A scenario with
// another overlap mode gets the same schedule, titled as what two-batch overlap would do.
#include <QWidget>
#include <memory>

#include "study/tbo_timeline.hpp"

class QComboBox;
class QLabel;
class QSpinBox;

namespace moescope::gui {

class Gantt;

class TimelineView : public QWidget {
  Q_OBJECT
public:
  explicit TimelineView(QWidget* parent = nullptr);
  void show_evaluation(std::shared_ptr<const Evaluation> e);
  void set_phase(Phase phase);
  Phase phase() const;
  void set_layers(int layers);

  const TboTimeline& timeline() const { return timeline_; } // what is drawn
  Gantt* gantt() const { return gantt_; }                   // bar i = timeline().intervals[i], in microseconds
  QComboBox* phase_box() const { return phase_; }
  QString summary() const;
  static QString tooltip(const TboTimeline& t, const TboInterval& i);

private:
  void redraw();

  std::shared_ptr<const Evaluation> evaluation_;
  TboTimeline timeline_;
  QComboBox* phase_;
  QSpinBox* layers_;
  QLabel* summary_;
  Gantt* gantt_;
};

} // namespace moescope::gui
