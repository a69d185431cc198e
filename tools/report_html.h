#pragma once
// The pieces every hsnet report is built from: one self-contained HTML page (inline CSS, a
// small inline script that sorts tables, no font, image or script from anywhere else),
// tables, and SVG charts — line charts for curves, scatter plots with error bars and a
// highlighted Pareto front, and a confusion-matrix heat map.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hs::tools {

std::string html_escape(const std::string& text);
// A number as a report shows it: up to `digits` significant digits.
std::string format_number(double value, int digits = 4);

// The whole page: <!DOCTYPE html> .. </html>, `body` inside.
std::string html_page(const std::string& title, const std::string& body);

// A table whose columns sort when their heading is clicked (numerically where every cell
// of the column is a number).
std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows);

struct LineSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), in x order
};
// One chart of several curves with axes, ticks and a legend; log_y for losses.
std::string line_chart_svg(const std::string& title, const std::string& x_label,
                           const std::string& y_label, const std::vector<LineSeries>& series,
                           bool log_y = false);

struct ScatterPoint {
  double x = 0, y = 0, y_err = 0;  // y_err: half the error bar (0: none)
  std::string label;
};
// Points with their labels and error bars; the Pareto front (highest y for no more x) is
// drawn as a line through its points, which are filled. log_x when x spans a wide range.
std::string scatter_svg(const std::string& title, const std::string& x_label,
                        const std::string& y_label, const std::vector<ScatterPoint>& points);
// Indices of the points on the front, in increasing x.
std::vector<std::size_t> pareto_front(const std::vector<ScatterPoint>& points);

// A classes x classes heat map of counts (rows: true class, columns: predicted).
std::string confusion_svg(const std::vector<std::int64_t>& counts,
                          const std::vector<std::string>& class_names);

}  // namespace hs::tools
