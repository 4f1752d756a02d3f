#pragma once
// View 8 (second half), solve: inverse design beside the sensitivity view. The smallest (or largest) value of one
// scenario field (a JSON pointer) at which a headline metric meets a target, by the facade's bisection
// (study/solve.hpp), off the UI thread; the answer with its unit and the curve the bisection walked: the metric at
// every evaluated value (log x), the target line and the answer marked. A bracket that does not straddle the target,
// or a field or metric the scenario does not have, is said inline.
#include <QThreadPool>
#include <QWidget>

#include "scenario_document.hpp"
#include "study/solve.hpp"

class QChartView;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QLineSeries;
class QScatterSeries;

namespace moescope::gui {

class SolveView : public QWidget {
  Q_OBJECT
public:
  SolveView(ScenarioDocument& document, Session& session, QWidget* parent = nullptr);
  ~SolveView() override;

  void set_spec(const SolveSpec& spec);
  void run(); // solves the current document
  bool busy() const { return busy_; }
  const SolveResult& result() const { return result_; }
  QString answer() const; // the answer as shown ("" when none)
  QString error() const;  // the inline error ("" when none)
  QLineSeries* curve() const { return curve_; }
  QScatterSeries* answer_marker() const { return answer_marker_; }
  QLineSeries* target_line() const { return target_line_; }

Q_SIGNALS:
  void solved();

private:
  bool read_spec(SolveSpec& spec, QString& error) const;
  void redraw();

  ScenarioDocument& document_;
  Session& session_;
  QThreadPool pool_;
  QLineEdit* path_;
  QComboBox* metric_;
  QComboBox* goal_;
  QLineEdit* target_;
  QLineEdit* lo_;
  QLineEdit* hi_;
  QCheckBox* integer_;
  QLabel* answer_;
  QLabel* error_;
  QChartView* view_;
  QLineSeries* curve_ = nullptr;
  QLineSeries* target_line_ = nullptr;
  QScatterSeries* answer_marker_ = nullptr;
  SolveSpec spec_; // of the result shown
  SolveResult result_;
  bool busy_ = false;
};

} // namespace moescope::gui
