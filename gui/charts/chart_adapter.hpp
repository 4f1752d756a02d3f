#pragma once
// Small adapters over Qt Charts, so that views say what they plot, not how Qt Charts wants it built.
#include <QChartView>
#include <QString>

class QAbstractAxis;
class QAbstractSeries;
class QLogValueAxis;
class QValueAxis;

namespace moescope::gui {

// A chart view with antialiasing, a title and the legend at the bottom.
QChartView* make_chart_view(const QString& title, QWidget* parent);
QLogValueAxis* log_axis(const QString& title);
QValueAxis* value_axis(const QString& title);
// Adds `series` to `view`'s chart and attaches it to the chart's first horizontal and vertical axes.
void attach(QChartView* view, QAbstractSeries* series);
// Removes every series and axis (before a view redraws from a new evaluation).
void clear_chart(QChartView* view);

} // namespace moescope::gui
