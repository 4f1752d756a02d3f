#pragma once
// View 3, the roofline with three roofs: compute per data type, HBM, scale-up and scale-out bandwidth, on log-log
// axes. One point per operator (FLOP per HBM byte) and per layer type at each level (FLOP per HBM, NVLink and NIC
// byte), coloured by what bounds it; hovering a point shows its numbers.
#include <QWidget>
#include <memory>
#include <vector>

#include "study/roofline.hpp"

class QChartView;
class QComboBox;
class QScatterSeries;

namespace moescope::gui {

class RooflineView : public QWidget {
  Q_OBJECT
public:
  explicit RooflineView(QWidget* parent = nullptr);
  void show_evaluation(std::shared_ptr<const Evaluation> e);
  void set_phase(Phase phase);

  // What is plotted: each scatter series with the roofline points behind its markers, in marker order.
  struct PlottedSeries {
    QScatterSeries* series;
    std::vector<RooflinePoint> points;
  };
  const std::vector<PlottedSeries>& plotted() const { return plotted_; }
  const Roofline& roofline() const { return roofline_; }
  QChartView* chart_view() const { return view_; }

private:
  void redraw();
  Phase phase() const;

  Roofline roofline_;
  std::vector<PlottedSeries> plotted_;
  QComboBox* phase_;
  QChartView* view_;
};

// The tooltip text of a point: its name and figures.
QString describe(const RooflinePoint& p);

} // namespace moescope::gui
