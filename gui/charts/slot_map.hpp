#pragma once
// A columns x rows grid drawn as a heatmap (one QImage pixel per cell, scaled without smoothing, as charts/heatmap):
// the placement view's GPUs (columns) x expert slots (rows). Each cell may carry a label (the expert) and a mark (a
// replicated expert, drawn as an orange corner); group boundaries (nodes) are vertical lines, and a strip under the
// grid shows each column's total.
#include <QImage>
#include <QWidget>
#include <vector>

namespace moescope::gui {

struct SlotCell {
  double value = 0; // colours the cell (fraction of the largest)
  int label = -1;   // drawn when >= 0 and the cell is large enough
  bool marked = false;
};

class SlotMap : public QWidget {
  Q_OBJECT
public:
  explicit SlotMap(QWidget* parent = nullptr);
  // `cells`: [column * rows + row]; `totals`: one per column; `group`: columns per boundary (0 = none).
  void set_grid(const QString& title, const QString& subtitle, std::vector<SlotCell> cells, std::vector<double> totals,
                int columns, int rows, int group);
  const std::vector<SlotCell>& cells() const { return cells_; }
  const std::vector<double>& totals() const { return totals_; }
  int columns() const { return columns_; }
  int rows() const { return rows_; }
  const QImage& image() const { return image_; }
  QString title() const { return title_; }
  QString subtitle() const { return subtitle_; }

protected:
  void paintEvent(QPaintEvent*) override;

private:
  QString title_, subtitle_;
  std::vector<SlotCell> cells_;
  std::vector<double> totals_;
  int columns_ = 0, rows_ = 0, group_ = 0;
  QImage image_, totals_image_;
};

} // namespace moescope::gui
