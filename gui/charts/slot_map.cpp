#include "charts/slot_map.hpp"

#include <QPainter>
#include <algorithm>

#include "charts/heatmap.hpp"

namespace moescope::gui {

SlotMap::SlotMap(QWidget* parent) : QWidget(parent) {
  setMinimumSize(320, 260);
}

void SlotMap::set_grid(const QString& title, const QString& subtitle, std::vector<SlotCell> cells,
                       std::vector<double> totals, int columns, int rows, int group) {
  title_ = title;
  subtitle_ = subtitle;
  cells_ = std::move(cells);
  totals_ = std::move(totals);
  columns_ = columns;
  rows_ = rows;
  group_ = group;
  double top = 0, top_total = 0;
  for (const SlotCell& c : cells_)
    top = std::max(top, c.value);
  for (double t : totals_)
    top_total = std::max(top_total, t);
  image_ = QImage(std::max(columns_, 1), std::max(rows_, 1), QImage::Format_RGB32);
  image_.fill(Qt::white);
  totals_image_ = QImage(std::max(columns_, 1), 1, QImage::Format_RGB32);
  totals_image_.fill(Qt::white);
  for (int c = 0; c < columns_; ++c) {
    for (int r = 0; r < rows_; ++r) {
      const SlotCell& cell = cells_[static_cast<std::size_t>(c * rows_ + r)];
      image_.setPixel(c, r, cell.label < 0 ? qRgb(230, 230, 230) : heat_colour(top > 0 ? cell.value / top : 0));
    }
    totals_image_.setPixel(c, 0, heat_colour(top_total > 0 ? totals_[static_cast<std::size_t>(c)] / top_total : 0));
  }
  update();
}

void SlotMap::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().window());
  p.drawText(QRect(0, 0, width(), 18), Qt::AlignCenter, title_);
  p.drawText(QRect(0, 18, width(), 16), Qt::AlignCenter, subtitle_);
  if (columns_ == 0 || rows_ == 0) return;
  const int top = 38, left = 48, strip = 18, gap = 6, bottom = 20;
  const double cw = std::max(1.0, static_cast<double>(width() - left - 8) / columns_);
  const double ch = std::max(1.0, static_cast<double>(height() - top - strip - gap - bottom) / rows_);
  const QRectF grid(left, top, cw * columns_, ch * rows_);
  const QRectF totals(left, grid.bottom() + gap, grid.width(), strip);
  p.drawImage(grid, image_);
  p.drawImage(totals, totals_image_);
  p.drawText(QRectF(0, grid.top(), left - 4, grid.height()), Qt::AlignRight | Qt::AlignVCenter, "slot");
  p.drawText(QRectF(0, totals.top(), left - 4, strip), Qt::AlignRight | Qt::AlignVCenter, "GPU");
  p.drawText(QRectF(left, totals.bottom() + 2, grid.width(), bottom - 2), Qt::AlignCenter,
             "GPU (columns), nodes divided by lines; the strip: tokens per GPU");
  QFont small = p.font();
  small.setPointSizeF(std::clamp(std::min(cw, ch) * 0.35, 5.0, 9.0));
  p.setFont(small);
  const bool labels = cw >= 16 && ch >= 12;
  for (int c = 0; c < columns_; ++c)
    for (int r = 0; r < rows_; ++r) {
      const SlotCell& cell = cells_[static_cast<std::size_t>(c * rows_ + r)];
      const QRectF at(grid.left() + c * cw, grid.top() + r * ch, cw, ch);
      if (cell.marked) {
        const double s = std::min(cw, ch) * 0.4;
        const QPointF corner[3] = {at.topRight(), at.topRight() + QPointF(-s, 0), at.topRight() + QPointF(0, s)};
        p.setPen(Qt::NoPen);
        p.setBrush(QColor("#ff7f0e"));
        p.drawPolygon(corner, 3);
      }
      if (labels && cell.label >= 0) {
        p.setPen(qGray(image_.pixel(c, r)) < 128 ? Qt::white : Qt::black);
        p.drawText(at, Qt::AlignCenter, QString::number(cell.label));
      }
    }
  p.setPen(QPen(QColor("#bbbbbb"), 1));
  for (int c = 1; c < columns_; ++c)
    p.drawLine(QPointF(grid.left() + c * cw, grid.top()), QPointF(grid.left() + c * cw, totals.bottom()));
  if (group_ > 0 && group_ < columns_) {
    p.setPen(QPen(QColor("#222222"), 2));
    for (int g = group_; g < columns_; g += group_)
      p.drawLine(QPointF(grid.left() + g * cw, grid.top() - 2), QPointF(grid.left() + g * cw, totals.bottom() + 2));
  }
  p.setPen(QPen(QColor("#444444"), 1));
  p.setBrush(Qt::NoBrush);
  p.drawRect(grid);
  p.drawRect(totals);
}

} // namespace moescope::gui
