#include "charts/export.hpp"

#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QPainter>
#include <QPdfWriter>
#include <QPushButton>
#include <QSvgGenerator>
#include <QTableWidget>
#include <QTextStream>

namespace moescope::gui {

bool save_png(QWidget* widget, const QString& path) {
  return widget->grab().save(path, "PNG");
}

bool save_pdf(QWidget* widget, const QString& path) {
  QPdfWriter pdf(path);
  pdf.setPageSize(QPageSize(widget->size() * 0.75, QPageSize::Point)); // 96 dpi pixels to points
  pdf.setPageMargins({});
  pdf.setResolution(96);
  QPainter painter;
  if (!painter.begin(&pdf)) return false;
  widget->render(&painter);
  return painter.end();
}

bool save_svg(QWidget* widget, const QString& path) {
  QSvgGenerator svg;
  svg.setFileName(path);
  svg.setSize(widget->size());
  svg.setViewBox(QRect(QPoint(0, 0), widget->size()));
  svg.setTitle(widget->windowTitle());
  QPainter painter;
  if (!painter.begin(&svg)) return false;
  widget->render(&painter);
  return painter.end();
}

namespace {

QString csv_cell(QString s) {
  if (s.contains(',') || s.contains('"') || s.contains('\n')) s = '"' + s.replace('"', "\"\"") + '"';
  return s;
}

} // namespace

QString table_csv(const QTableWidget* table) {
  QString out;
  QStringList row;
  for (int c = 0; c < table->columnCount(); ++c) {
    const auto* h = table->horizontalHeaderItem(c);
    row << csv_cell(h ? h->text() : QString());
  }
  out += row.join(',') + '\n';
  for (int r = 0; r < table->rowCount(); ++r) {
    row.clear();
    for (int c = 0; c < table->columnCount(); ++c)
      row << csv_cell(table->item(r, c) ? table->item(r, c)->text() : QString());
    out += row.join(',') + '\n';
  }
  return out;
}

bool save_text(const QString& text, const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) return false;
  QTextStream(&f) << text;
  return true;
}

bool save_csv(const QTableWidget* table, const QString& path) {
  return save_text(table_csv(table), path);
}

QHBoxLayout* export_bar(QWidget* target, QTableWidget* table) {
  auto* bar = new QHBoxLayout;
  bar->addStretch(1);
  auto button = [&](const QString& text, const QString& filter, auto save) {
    auto* b = new QPushButton(text);
    QObject::connect(b, &QPushButton::clicked, target, [target, filter, save] {
      const QString p = QFileDialog::getSaveFileName(target, "Export", {}, filter);
      if (!p.isEmpty()) save(p);
    });
    bar->addWidget(b);
  };
  button("PNG...", "PNG image (*.png)", [target](const QString& p) { save_png(target, p); });
  button("SVG...", "SVG (*.svg)", [target](const QString& p) { save_svg(target, p); });
  button("PDF...", "PDF (*.pdf)", [target](const QString& p) { save_pdf(target, p); });
  if (table) button("CSV...", "CSV (*.csv)", [table](const QString& p) { save_csv(table, p); });
  return bar;
}

} // namespace moescope::gui
