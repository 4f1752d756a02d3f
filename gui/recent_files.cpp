#include "recent_files.hpp"

#include <QFileInfo>
#include <QSettings>

namespace moescope::gui {

namespace {
const char* const kKey = "recent_files";
}

QStringList RecentFiles::list() const {
  return QSettings().value(kKey).toStringList();
}

void RecentFiles::add(const QString& path) {
  QStringList l = list();
  const QString absolute = QFileInfo(path).absoluteFilePath();
  l.removeAll(absolute);
  l.prepend(absolute);
  while (l.size() > capacity_)
    l.removeLast();
  QSettings().setValue(kKey, l);
}

void RecentFiles::remove(const QString& path) {
  QStringList l = list();
  l.removeAll(path);
  QSettings().setValue(kKey, l);
}

} // namespace moescope::gui
