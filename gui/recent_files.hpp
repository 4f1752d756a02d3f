#pragma once
// The most recently opened or saved scenario files, newest first, kept in QSettings between runs.
#include <QStringList>

namespace moescope::gui {

class RecentFiles {
public:
  explicit RecentFiles(int capacity = 8) : capacity_(capacity) {}
  QStringList list() const;
  void add(const QString& path); // moves it to the front
  void remove(const QString& path);

private:
  int capacity_;
};

} // namespace moescope::gui
