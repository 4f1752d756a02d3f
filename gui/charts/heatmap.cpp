#include "charts/heatmap.hpp"

#include <QPainter>
#include <algorithm>

#include "util/text_table.hpp"

namespace moescope::gui {

QRgb heat_colour(double f) {
  f = std::clamp(f, 0.0, 1.0);
  const auto mix = [f](int a, int b) { return static_cast<int>(a + (b - a) * f); };
  return qRgb(mix(255, 8), mix(255, 48), mix(255, 107));
}

Heatmap::Heatmap(QWidget* parent) : QWidget(parent) {
  setMinimumSize(240, 260);
}

void Heatmap::set_matrix(const QString& title, std::vector<double> values, int n, int group) {
  title_ = title;
  values_ = std::move(values);
  n_ = n;
  group_ = group;
  max_ = 0;
  busiest_ = {-1, -1};
  double top = 0;
  for (int r = 0; r < n_; ++r)
    for (int c = 0; c < n_; ++c) {
      const double v = values_[static_cast<std::size_t>(r * n_ + c)];
      max_ = std::max(max_, v);
      if (r != c && v > top) {
        top = v;
        busiest_ = {r, c};
      }
    }
  image_ = QImage(std::max(n_, 1), std::max(n_, 1), QImage::Format_RGB32);
  image_.fill(Qt::white);
  for (int r = 0; r < n_; ++r)
    for (int c = 0; c < n_; ++c)
      image_.setPixel(c, r, heat_colour(max_ > 0 ? values_[static_cast<std::size_t>(r * n_ + c)] / max_ : 0));
  update();
}

void Heatmap::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().window());
  const int top = 36;
  p.drawText(QRect(0, 0, width(), 18), Qt::AlignCenter, title_);
  p.drawText(QRect(0, 18, width(), 16), Qt::AlignCenter,
             QString::fromStdString("max " + format_bytes(max_) + " per cell; row = source, column = destination"));
  if (n_ == 0) return;
  const int side = std::max(1, std::min(width() - 8, height() - top - 4));
  const QRect area((width() - side) / 2, top, side, side);
  p.drawImage(area, image_); // nearest-neighbour: one pixel per cell
  const double cell = static_cast<double>(side) / n_;
  if (group_ > 0 && group_ < n_) {
    p.setPen(QPen(QColor("#444444"), 1));
    for (int g = group_; g < n_; g += group_) {
      const double at = g * cell;
      p.drawLine(QPointF(area.left() + at, area.top()), QPointF(area.left() + at, area.bottom()));
      p.drawLine(QPointF(area.left(), area.top() + at), QPointF(area.right(), area.top() + at));
    }
  }
  if (busiest_.first >= 0) {
    p.setPen(QPen(QColor("#d62728"), 2));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(area.left() + busiest_.second * cell, area.top() + busiest_.first * cell, cell, cell)
                   .adjusted(-1, -1, 1, 1));
  }
}

} // namespace moescope::gui
