#include "charts/chart_adapter.hpp"

#include <QAbstractSeries>
#include <QLegend>
#include <QLogValueAxis>
#include <QValueAxis>

namespace moescope::gui {

QChartView* make_chart_view(const QString& title, QWidget* parent) {
  auto* chart = new QChart;
  chart->setTitle(title);
  chart->legend()->setAlignment(Qt::AlignBottom);
  auto* view = new QChartView(chart, parent);
  view->setRenderHint(QPainter::Antialiasing);
  return view;
}

QLogValueAxis* log_axis(const QString& title) {
  auto* a = new QLogValueAxis;
  a->setTitleText(title);
  a->setBase(10);
  a->setLabelFormat("%.0e");
  a->setMinorTickCount(8);
  return a;
}

QValueAxis* value_axis(const QString& title) {
  auto* a = new QValueAxis;
  a->setTitleText(title);
  return a;
}

void attach(QChartView* view, QAbstractSeries* series) {
  QChart* chart = view->chart();
  chart->addSeries(series);
  const auto h = chart->axes(Qt::Horizontal), v = chart->axes(Qt::Vertical);
  if (!h.isEmpty()) series->attachAxis(h.first());
  if (!v.isEmpty()) series->attachAxis(v.first());
}

void clear_chart(QChartView* view) {
  QChart* chart = view->chart();
  chart->removeAllSeries();
  for (QAbstractAxis* a : chart->axes()) {
    chart->removeAxis(a);
    delete a;
  }
}

} // namespace moescope::gui
