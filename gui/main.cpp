// moescope-gui [SCENARIO] [--screenshots DIR]: the desktop explorer. With --screenshots it writes one PNG per view
// and exits (run with QT_QPA_PLATFORM=offscreen on a machine without a display).
#include <QApplication>
#include <QCommandLineParser>
#include <QTextStream>

#include "main_window.hpp"
#include "screenshots.hpp"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QCoreApplication::setOrganizationName("moescope");
  QCoreApplication::setApplicationName("moescope-gui");
  QCommandLineParser parser;
  parser.setApplicationDescription("moescope desktop explorer");
  parser.addHelpOption();
  parser.addPositionalArgument("scenario", "Scenario file to open (default: scenarios/default.json as a template)");
  QCommandLineOption shots("screenshots", "Write one PNG per view into DIR and exit.", "DIR");
  parser.addOption(shots);
  parser.process(app);

  moescope::gui::MainWindow window;
  if (!parser.positionalArguments().isEmpty() && !window.open_file(parser.positionalArguments().first()))
    QTextStream(stderr) << window.banner() << "\n";
  window.show();
  if (parser.isSet(shots)) {
    const QStringList written = moescope::gui::write_screenshots(window, parser.value(shots));
    for (const QString& f : written)
      QTextStream(stdout) << f << "\n";
    return written.isEmpty() ? 1 : 0;
  }
  return app.exec();
}
