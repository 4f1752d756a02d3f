#pragma once
// A timeline of horizontal bars in lanes (a Gantt chart), drawn with QPainter: Qt Charts has no range-bar series,
// and one series per bar would put every op of the schedule into the legend. Bars carry their own colour, fill
// pattern and tooltip; the time axis gets 1-2-5 ticks; hovering a bar shows its tooltip.
#include <QColor>
#include <QString>
#include <QStringList>
#include <QWidget>
#include <vector>

namespace moescope::gui {

struct GanttBar {
  int lane = 0;
  double start = 0, end = 0; // in the axis unit
  QColor colour;
  Qt::BrushStyle pattern = Qt::SolidPattern;
  QString label;   // drawn inside the bar when it fits
  QString tooltip; // shown on hover
};

struct GanttLegendEntry {
  QString text;
  QColor colour;
  Qt::BrushStyle pattern = Qt::SolidPattern;
};

class Gantt : public QWidget {
  Q_OBJECT
public:
  explicit Gantt(QWidget* parent = nullptr);
  void set_bars(const QString& title, const QStringList& lanes, const QString& axis, std::vector<GanttBar> bars,
                std::vector<GanttLegendEntry> legend);
  const std::vector<GanttBar>& bars() const { return bars_; }
  const QStringList& lanes() const { return lanes_; }
  QRectF bar_rect(std::size_t i) const; // where bar i is drawn at the current size
  int bar_at(const QPointF& at) const;  // index of the bar under `at`, -1 for none

protected:
  void paintEvent(QPaintEvent*) override;
  bool event(QEvent* e) override; // tooltips

private:
  QRectF plot() const; // the area of the lanes
  double x_of(double t) const;

  QString title_, axis_;
  QStringList lanes_;
  std::vector<GanttBar> bars_;
  std::vector<GanttLegendEntry> legend_;
  double end_ = 0;
};

} // namespace moescope::gui
