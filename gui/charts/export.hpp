#pragma once
// Exports of what a view shows: charts and heatmaps as PNG (raster), SVG and PDF (vector), tables as CSV.
#include <QString>

class QHBoxLayout;
class QTableWidget;
class QWidget;

namespace moescope::gui {

bool save_png(QWidget* widget, const QString& path);
bool save_svg(QWidget* widget, const QString& path);
bool save_pdf(QWidget* widget, const QString& path);
QString table_csv(const QTableWidget* table); // header row, then the cells as shown
bool save_csv(const QTableWidget* table, const QString& path);
bool save_text(const QString& text, const QString& path); // CSV a view built itself

// Buttons "PNG...", "SVG...", "PDF..." (and "CSV..." when `table` is given) that ask for a file and export `target`.
QHBoxLayout* export_bar(QWidget* target, QTableWidget* table = nullptr);

} // namespace moescope::gui
