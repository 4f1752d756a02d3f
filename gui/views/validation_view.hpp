#pragma once
// View 10, validation: predicted against measured on log-log axes for one validation suite (validation/suites/),
// calibration and held-out rows apart, the line of perfect prediction, and the suite's error summary, from the
// facade's run_validation_study. Run off the UI thread on request (the largest suite takes about 20 s).
#include <QThreadPool>
#include <QWidget>

#include "study/validation_study.hpp"

class QChartView;
class QComboBox;
class QLabel;
class QScatterSeries;

namespace moescope::gui {

class ValidationView : public QWidget {
  Q_OBJECT
public:
  ValidationView(Session& session, QWidget* parent = nullptr);
  ~ValidationView() override;

  void set_suite(const QString& file_name); // a file name under validation/suites/
  void run();
  bool busy() const { return busy_; }
  const Json& suite_result() const { return result_; } // the facade's JSON of the suite ({} before a run)
  // The plotted points of one split ("calibration", "holdout", "excluded"): (measured, predicted).
  QScatterSeries* split_series(const QString& split) const;
  QString summary() const;

Q_SIGNALS:
  void finished();

private:
  void redraw();

  Session& session_;
  QThreadPool pool_;
  QComboBox* suite_;
  QLabel* summary_;
  QChartView* view_;
  Json result_ = Json::object();
  bool busy_ = false;
};

} // namespace moescope::gui
