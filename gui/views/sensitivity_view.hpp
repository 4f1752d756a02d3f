#pragma once
// View 8 (first half), sensitivity: a tornado chart of the change in a headline metric when each hardware figure
// of the scenario moves by -step and +step (the facade's sensitivity study), with the elasticities in a table.
// Computed off the UI thread on request: it evaluates the scenario twice per figure.
#include <QThreadPool>
#include <QWidget>
#include <memory>

#include "scenario_document.hpp"
#include "study/sensitivity.hpp"

class QComboBox;
class QChartView;
class QHorizontalBarSeries;
class QLabel;
class QTableWidget;

namespace moescope::gui {

class SensitivityView : public QWidget {
  Q_OBJECT
public:
  SensitivityView(ScenarioDocument& document, Session& session, QWidget* parent = nullptr);
  ~SensitivityView() override;

  void compute(); // the current document, +-10 %
  bool busy() const { return busy_; }
  const SensitivityResult& result() const { return result_; }
  QHorizontalBarSeries* series() const { return series_; }
  QTableWidget* table() const { return table_; }
  QString metric() const;

Q_SIGNALS:
  void computed();

private:
  void redraw();

  ScenarioDocument& document_;
  Session& session_;
  QThreadPool pool_;
  QComboBox* metric_;
  QLabel* status_;
  QChartView* view_;
  QTableWidget* table_;
  QHorizontalBarSeries* series_ = nullptr;
  SensitivityResult result_;
  bool busy_ = false;
};

} // namespace moescope::gui
