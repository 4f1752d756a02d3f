#pragma once
// View 7, sweeps: axes over any scenario field (JSON pointer and values) of the current document, run through the
// facade's run_sweep on all cores with a progress bar and Cancel, then a Pareto scatter of tokens/s per GPU against
// latency with the front drawn, the latency SLO line and the compliant region shaded. Clicking a point loads that
// scenario into the editor (an undoable edit).
#include <QWidget>
#include <atomic>
#include <memory>
#include <thread>

#include "scenario_document.hpp"
#include "study/sweep.hpp"

class QChartView;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QScatterSeries;

namespace moescope::gui {

class SweepView : public QWidget {
  Q_OBJECT
public:
  SweepView(ScenarioDocument& document, Session& session, QWidget* parent = nullptr);
  ~SweepView() override; // cancels and joins a running sweep

  // The axes as typed: pointer and comma-separated values (each read as JSON, else as a string).
  void set_axis(int row, const QString& pointer, const QString& values);
  SweepSpec spec() const; // the sweep the Run button starts
  void run();
  void cancel();
  bool running() const { return worker_.joinable() && !done_; }
  QString state() const; // "idle", "running", "cancelled", "done", or the error
  const SweepResult& result() const { return result_; }
  QScatterSeries* points() const { return points_; }
  QScatterSeries* front() const { return front_; }
  void load_point(std::size_t index); // as a click on the point does

Q_SIGNALS:
  void finished();

private:
  void on_finished(std::shared_ptr<SweepResult> result, QString state);
  void redraw();

  ScenarioDocument& document_;
  Session& session_;
  QLineEdit* paths_[2];
  QLineEdit* values_[2];
  QDoubleSpinBox* slo_ms_;
  QPushButton* run_;
  QPushButton* cancel_;
  QProgressBar* progress_;
  QLabel* status_;
  QChartView* view_;
  QScatterSeries* points_ = nullptr;
  QScatterSeries* front_ = nullptr;
  SweepSpec spec_;
  SweepResult result_;
  std::vector<std::size_t> shown_; // point index behind each marker of points_
  QString state_ = "idle";
  std::thread worker_;
  std::atomic<bool> cancel_requested_{false};
  bool done_ = true;
};

} // namespace moescope::gui
