#include <QTableWidget>
#include <QtTest>

#include "main_window.hpp"

class TestMainWindow : public QObject {
  Q_OBJECT
private slots:
  void lists_every_accelerator() {
    moescope::gui::MainWindow window;
    QVERIFY(window.accelerator_table()->rowCount() >= 18);
    QCOMPARE(window.accelerator_table()->columnCount(), 4);
  }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
