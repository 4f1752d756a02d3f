#include "charts/gantt.hpp"

#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

namespace moescope::gui {

namespace {

constexpr double kLaneLabel = 110, kTop = 28, kAxis = 40, kLegend = 26, kRight = 16;

// A step of 1, 2 or 5 times a power of ten giving at most `n` ticks over [0, span].
double tick_step(double span, int n) {
  if (span <= 0) return 1;
  const double raw = span / n, p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

} // namespace

Gantt::Gantt(QWidget* parent) : QWidget(parent) {
  setMinimumSize(480, 160);
}

void Gantt::set_bars(const QString& title, const QStringList& lanes, const QString& axis, std::vector<GanttBar> bars,
                     std::vector<GanttLegendEntry> legend) {
  title_ = title;
  lanes_ = lanes;
  axis_ = axis;
  bars_ = std::move(bars);
  legend_ = std::move(legend);
  end_ = 0;
  for (const auto& b : bars_)
    end_ = std::max(end_, b.end);
  update();
}

QRectF Gantt::plot() const {
  return QRectF(kLaneLabel, kTop, std::max(1.0, width() - kLaneLabel - kRight),
                std::max(1.0, height() - kTop - kAxis - kLegend));
}

double Gantt::x_of(double t) const {
  const QRectF p = plot();
  return p.left() + (end_ > 0 ? t / end_ : 0) * p.width();
}

QRectF Gantt::bar_rect(std::size_t i) const {
  const GanttBar& b = bars_[i];
  const QRectF p = plot();
  const double lane = p.height() / std::max<qsizetype>(1, lanes_.size());
  return QRectF(x_of(b.start), p.top() + b.lane * lane + 0.15 * lane, std::max(1.0, x_of(b.end) - x_of(b.start)),
                0.7 * lane);
}

int Gantt::bar_at(const QPointF& at) const {
  for (std::size_t i = 0; i < bars_.size(); ++i)
    if (bar_rect(i).contains(at)) return static_cast<int>(i);
  return -1;
}

bool Gantt::event(QEvent* e) {
  if (e->type() == QEvent::ToolTip) {
    auto* h = static_cast<QHelpEvent*>(e);
    const int i = bar_at(h->pos());
    if (i >= 0)
      QToolTip::showText(h->globalPos(), bars_[static_cast<std::size_t>(i)].tooltip, this);
    else
      QToolTip::hideText();
    return true;
  }
  return QWidget::event(e);
}

void Gantt::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  p.fillRect(rect(), Qt::white);
  p.setPen(Qt::black);
  p.drawText(QRectF(0, 4, width(), kTop - 8), Qt::AlignCenter, title_);
  const QRectF area = plot();
  const double lane = area.height() / std::max<qsizetype>(1, lanes_.size());
  for (int l = 0; l < lanes_.size(); ++l) {
    const QRectF row(0, area.top() + l * lane, kLaneLabel - 8, lane);
    p.setPen(Qt::black);
    p.drawText(row, Qt::AlignRight | Qt::AlignVCenter, lanes_[l]);
    if (l % 2 == 1) p.fillRect(QRectF(area.left(), row.top(), area.width(), lane), QColor("#f4f4f4"));
  }
  // Time axis with grid lines.
  const double step = tick_step(end_, 10);
  for (double t = 0; end_ > 0 && t <= end_ * (1 + 1e-9); t += step) {
    const double x = x_of(t);
    p.setPen(QColor("#dddddd"));
    p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
    p.setPen(Qt::black);
    p.drawText(QRectF(x - 40, area.bottom() + 2, 80, 16), Qt::AlignHCenter | Qt::AlignTop, QString::number(t));
  }
  p.drawText(QRectF(area.left(), area.bottom() + 18, area.width(), 18), Qt::AlignCenter, axis_);
  for (std::size_t i = 0; i < bars_.size(); ++i) {
    const GanttBar& b = bars_[i];
    const QRectF r = bar_rect(i);
    p.setPen(QPen(b.colour.darker(140), 0.8));
    if (b.pattern != Qt::SolidPattern) p.fillRect(r, Qt::white);
    p.setBrush(QBrush(b.colour, b.pattern));
    p.drawRect(r);
    if (!b.label.isEmpty() && p.fontMetrics().horizontalAdvance(b.label) + 4 < r.width()) {
      p.setPen(b.pattern == Qt::SolidPattern && b.colour.lightness() < 140 ? Qt::white : Qt::black);
      p.drawText(r, Qt::AlignCenter, b.label);
    }
  }
  // Legend, one row under the axis.
  double x = area.left();
  const double y = height() - kLegend + 6;
  for (const auto& g : legend_) {
    const QRectF swatch(x, y, 14, 12);
    p.setPen(QPen(g.colour.darker(140), 0.8));
    p.fillRect(swatch, Qt::white);
    p.setBrush(QBrush(g.colour, g.pattern));
    p.drawRect(swatch);
    p.setPen(Qt::black);
    const double w = p.fontMetrics().horizontalAdvance(g.text);
    p.drawText(QRectF(x + 18, y - 2, w + 4, 16), Qt::AlignLeft | Qt::AlignVCenter, g.text);
    x += 18 + w + 16;
  }
}

} // namespace moescope::gui
