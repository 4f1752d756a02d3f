#pragma once
// A square matrix drawn as a heatmap: one QImage pixel per cell, scaled without smoothing. Qt Charts has no heatmap
// series, and a 256 x 256 GPU matrix as chart items would be 65536 graphics items; one image is one drawImage call.
// Optional group boundaries (nodes) are drawn as lines and one cell (the busiest link) is outlined.
#include <QImage>
#include <QWidget>
#include <vector>

namespace moescope::gui {

class Heatmap : public QWidget {
  Q_OBJECT
public:
  explicit Heatmap(QWidget* parent = nullptr);
  // `values`: n x n, row-major (row = source, column = destination). `group`: cells per boundary (0 = none).
  void set_matrix(const QString& title, std::vector<double> values, int n, int group);
  const std::vector<double>& values() const { return values_; }
  int size() const { return n_; }
  // The largest off-diagonal cell (row, column); (-1, -1) when all are zero.
  std::pair<int, int> busiest() const { return busiest_; }
  const QImage& image() const { return image_; }

protected:
  void paintEvent(QPaintEvent*) override;

private:
  QString title_;
  std::vector<double> values_;
  int n_ = 0, group_ = 0;
  std::pair<int, int> busiest_{-1, -1};
  double max_ = 0;
  QImage image_;
};

// White to dark blue, for a fraction in [0, 1].
QRgb heat_colour(double fraction);

} // namespace moescope::gui
