#include "tools/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

namespace hs::tools {

namespace {

// Ten colours a reader tells apart (Tableau 10), then dashed lines for more series.
const char* const kColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                               "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

constexpr double kW = 560, kH = 340, kLeft = 64, kRight = 16, kTop = 34, kBottom = 46;

const char* const kStyle =
    R"(body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right;white-space:nowrap}
th{background:#f0f0f0;cursor:pointer;user-select:none}th:hover{background:#e0e6f0}
td:first-child,th:first-child{text-align:left}
tr:nth-child(even) td{background:#fafafa}
pre{background:#f6f6f6;padding:8px;font-size:11px;overflow-x:auto}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg{background:#fff;border:1px solid #ddd}
.note{color:#666;font-size:12px})";

// Sorts a table by the clicked column; numbers numerically, the rest as text.
const char* const kSortScript = R"(document.querySelectorAll('table.sortable').forEach(function(t){
t.querySelectorAll('th').forEach(function(th,col){th.addEventListener('click',function(){
var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
var asc=th.getAttribute('data-order')!=='asc';th.setAttribute('data-order',asc?'asc':'desc');
var num=rows.every(function(r){var v=r.cells[col].textContent;return v===''||!isNaN(parseFloat(v))&&isFinite(v);});
rows.sort(function(a,b){var x=a.cells[col].textContent,y=b.cells[col].textContent;
var c=num?(parseFloat(x||'-Infinity')-parseFloat(y||'-Infinity')):x.localeCompare(y);return asc?c:-c;});
rows.forEach(function(r){body.appendChild(r);});});});});)";

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double pos(double v, double from, double to) const {
    const double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi;
    const double t = ((log ? std::log10(v) : v) - a) / (b - a);
    return from + t * (to - from);
  }
  std::vector<double> ticks() const {
    std::vector<double> t;
    if (log) {
      for (double d = std::pow(10, std::floor(std::log10(lo))); d <= hi * 1.0001; d *= 10)
        for (double m : {1.0, 2.0, 5.0})
          if (d * m >= lo * 0.9999 && d * m <= hi * 1.0001) t.push_back(d * m);
      if (t.size() < 2) t = {lo, hi};
      return t;
    }
    for (int i = 0; i <= 4; ++i) t.push_back(lo + (hi - lo) * i / 4);
    return t;
  }
};

Axis make_axis(std::vector<double> values, bool allow_log, double pad = 0.05) {
  Axis a;
  values.erase(
      std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }),
      values.end());
  if (values.empty()) return a;
  a.lo = *std::min_element(values.begin(), values.end());
  a.hi = *std::max_element(values.begin(), values.end());
  a.log = allow_log && a.lo > 0 && a.hi / a.lo > 20;
  if (a.log) {
    a.lo /= 1.15;
    a.hi *= 1.15;
    return a;
  }
  if (a.hi - a.lo < 1e-12) {
    const double d = std::max(std::abs(a.lo) * 0.05, 1e-6);
    a.lo -= d;
    a.hi += d;
  }
  const double d = (a.hi - a.lo) * pad;
  a.lo -= d;
  a.hi += d;
  return a;
}

// Frame, ticks and labels of a chart.
void frame(std::ostringstream& svg, const std::string& title, const std::string& x_label,
           const std::string& y_label, const Axis& x, const Axis& y, double legend_width = 0) {
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kW + legend_width << "' height='"
      << kH << "' viewBox='0 0 " << kW + legend_width << " " << kH
      << "' font-family='sans-serif' font-size='11'>";
  svg << "<text x='" << kW / 2 << "' y='20' text-anchor='middle' font-size='13' font-weight='bold'>"
      << html_escape(title) << "</text>";
  svg << "<rect x='" << kLeft << "' y='" << kTop << "' width='" << kW - kLeft - kRight
      << "' height='" << kH - kTop - kBottom << "' fill='none' stroke='#999'/>";
  for (double t : x.ticks()) {
    const double px = x.pos(t, kLeft, kW - kRight);
    svg << "<line x1='" << px << "' y1='" << kTop << "' x2='" << px << "' y2='" << kH - kBottom
        << "' stroke='#eee'/><text x='" << px << "' y='" << kH - kBottom + 14
        << "' text-anchor='middle'>" << format_number(t, 3) << "</text>";
  }
  for (double t : y.ticks()) {
    const double py = y.pos(t, kH - kBottom, kTop);
    svg << "<line x1='" << kLeft << "' y1='" << py << "' x2='" << kW - kRight << "' y2='" << py
        << "' stroke='#eee'/><text x='" << kLeft - 5 << "' y='" << py + 4 << "' text-anchor='end'>"
        << format_number(t, 3) << "</text>";
  }
  svg << "<text x='" << (kLeft + kW - kRight) / 2 << "' y='" << kH - 8 << "' text-anchor='middle'>"
      << html_escape(x_label) << "</text>";
  svg << "<text transform='translate(14," << (kTop + kH - kBottom) / 2
      << ") rotate(-90)' text-anchor='middle'>" << html_escape(y_label) << "</text>";
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_number(double value, int digits) {
  if (!std::isfinite(value)) return std::isnan(value) ? "NaN" : (value > 0 ? "inf" : "-inf");
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, value);
  return buf;
}

std::string html_page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>" +
         html_escape(title) + "</title><style>" + kStyle + "</style></head><body>\n" + body +
         "\n<script>" + kSortScript + "</script></body></html>\n";
}

std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream os;
  os << "<div style='overflow-x:auto'><table class='sortable'><thead><tr>";
  for (const auto& h : header) os << "<th title='click to sort'>" << html_escape(h) << "</th>";
  os << "</tr></thead><tbody>";
  for (const auto& row : rows) {
    os << "<tr>";
    for (const auto& c : row) os << "<td>" << html_escape(c) << "</td>";
    os << "</tr>";
  }
  os << "</tbody></table></div>";
  return os.str();
}

std::string line_chart_svg(const std::string& title, const std::string& x_label,
                           const std::string& y_label, const std::vector<LineSeries>& series,
                           bool log_y) {
  std::vector<double> xs, ys;
  for (const auto& s : series)
    for (const auto& [x, y] : s.points) {
      xs.push_back(x);
      if (!log_y || y > 0) ys.push_back(y);
    }
  const Axis x = make_axis(xs, false, 0.0), y = make_axis(ys, log_y);
  // Many curves get their legend in a column of its own, beside rather than over them.
  const bool side_legend = series.size() > 3;
  std::ostringstream svg;
  frame(svg, title, x_label, y_label, x, y, side_legend ? 190 : 0);
  for (std::size_t i = 0; i < series.size(); ++i) {
    const char* color = kColors[i % 10];
    svg << "<polyline fill='none' stroke='" << color << "' stroke-width='1.6'"
        << (i >= 10 ? " stroke-dasharray='5,3'" : "") << " points='";
    for (const auto& [px, py] : series[i].points)
      if (std::isfinite(py) && (!log_y || py > 0))
        svg << format_number(x.pos(px, kLeft, kW - kRight), 6) << ","
            << format_number(y.pos(py, kH - kBottom, kTop), 6) << " ";
    svg << "'/>";
    if (series[i].points.size() == 1) {  // a single point: a dot rather than nothing
      const auto [px, py] = series[i].points[0];
      svg << "<circle cx='" << x.pos(px, kLeft, kW - kRight) << "' cy='"
          << y.pos(py, kH - kBottom, kTop) << "' r='3' fill='" << color << "'/>";
    }
  }
  const double lx = side_legend ? kW + 4 : kW - kRight - 150;
  for (std::size_t i = 0; i < series.size() && series.size() > 1; ++i) {
    const double ly = kTop + 12 + 13.0 * static_cast<double>(i);
    svg << "<line x1='" << lx << "' y1='" << ly - 4 << "' x2='" << lx + 16 << "' y2='" << ly - 4
        << "' stroke='" << kColors[i % 10] << "' stroke-width='2'"
        << (i >= 10 ? " stroke-dasharray='5,3'" : "") << "/><text x='" << lx + 20 << "' y='" << ly
        << "' font-size='10'>" << html_escape(series[i].name) << "</text>";
  }
  svg << "</svg>";
  return svg.str();
}

std::vector<std::size_t> pareto_front(const std::vector<ScatterPoint>& points) {
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return points[a].x != points[b].x ? points[a].x < points[b].x : points[a].y > points[b].y;
  });
  std::vector<std::size_t> front;
  double best = -INFINITY;
  for (std::size_t i : order)
    if (points[i].y > best) {
      front.push_back(i);
      best = points[i].y;
    }
  return front;
}

std::string scatter_svg(const std::string& title, const std::string& x_label,
                        const std::string& y_label, const std::vector<ScatterPoint>& points) {
  std::vector<double> xs, ys;
  for (const auto& p : points) {
    xs.push_back(p.x);
    ys.push_back(p.y - p.y_err);
    ys.push_back(p.y + p.y_err);
  }
  const Axis x = make_axis(xs, true, 0.08), y = make_axis(ys, false, 0.08);
  std::ostringstream svg;
  frame(svg, title, x_label + (x.log ? " (log scale)" : ""), y_label, x, y);
  const std::vector<std::size_t> front = pareto_front(points);
  svg << "<polyline fill='none' stroke='#e15759' stroke-width='1.5' stroke-dasharray='4,3' "
         "points='";
  for (std::size_t i : front)
    svg << x.pos(points[i].x, kLeft, kW - kRight) << "," << y.pos(points[i].y, kH - kBottom, kTop)
        << " ";
  svg << "'/>";
  for (std::size_t i = 0; i < points.size(); ++i) {
    const ScatterPoint& p = points[i];
    const double px = x.pos(p.x, kLeft, kW - kRight), py = y.pos(p.y, kH - kBottom, kTop);
    const bool on_front = std::find(front.begin(), front.end(), i) != front.end();
    if (p.y_err > 0)
      svg << "<line x1='" << px << "' y1='" << y.pos(p.y - p.y_err, kH - kBottom, kTop) << "' x2='"
          << px << "' y2='" << y.pos(p.y + p.y_err, kH - kBottom, kTop) << "' stroke='#555'/>";
    svg << "<circle cx='" << px << "' cy='" << py << "' r='4.5' fill='"
        << (on_front ? "#e15759" : "#fff") << "' stroke='" << (on_front ? "#e15759" : "#4e79a7")
        << "' stroke-width='1.5'><title>" << html_escape(p.label) << ": " << format_number(p.y)
        << "</title></circle>";
    // Labels alternate above and below so that neighbours overlap less; near the right
    // edge they end at their point instead of running off the chart.
    const bool right = px > kW * 0.65;
    svg << "<text x='" << (right ? px - 6 : px + 6) << "' y='" << py + (i % 2 ? 13 : -6)
        << "' text-anchor='" << (right ? "end" : "start") << "' font-size='9.5' fill='#333'>"
        << html_escape(p.label) << "</text>";
  }
  svg << "</svg>";
  return svg.str();
}

std::string confusion_svg(const std::vector<std::int64_t>& counts,
                          const std::vector<std::string>& class_names) {
  const std::size_t k = class_names.size();
  if (k == 0 || counts.size() != k * k) return "";
  const double cell = std::min(44.0, 440.0 / static_cast<double>(k)), left = 110, top = 90;
  const double size = cell * static_cast<double>(k);
  std::int64_t most = 1;
  for (std::int64_t c : counts) most = std::max(most, c);
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << left + size + 20 << "' height='"
      << top + size + 30 << "' font-family='sans-serif' font-size='10'>";
  svg << "<text x='" << left + size / 2
      << "' y='14' text-anchor='middle' font-size='13' "
         "font-weight='bold'>confusion matrix (rows: true, columns: predicted)</text>";
  for (std::size_t i = 0; i < k; ++i) {
    const double at = static_cast<double>(i) * cell;
    svg << "<text x='" << left - 4 << "' y='" << top + at + cell / 2 + 3 << "' text-anchor='end'>"
        << html_escape(class_names[i]) << "</text>";
    svg << "<text transform='translate(" << left + at + cell / 2 + 3 << "," << top - 4
        << ") rotate(-60)'>" << html_escape(class_names[i]) << "</text>";
    for (std::size_t j = 0; j < k; ++j) {
      const std::int64_t c = counts[i * k + j];
      const double t = std::sqrt(static_cast<double>(c) / static_cast<double>(most));
      const int shade = static_cast<int>(255 - 200 * t);
      svg << "<rect x='" << left + static_cast<double>(j) * cell << "' y='" << top + at
          << "' width='" << cell << "' height='" << cell << "' fill='rgb(" << shade << "," << shade
          << ",255)' stroke='#fff'><title>" << html_escape(class_names[i]) << " as "
          << html_escape(class_names[j]) << ": " << c << "</title></rect>";
      if (c > 0 && cell >= 18)
        svg << "<text x='" << left + static_cast<double>(j) * cell + cell / 2 << "' y='"
            << top + at + cell / 2 + 3 << "' text-anchor='middle' font-size='9' fill='"
            << (t > 0.6 ? "#fff" : "#222") << "'>" << c << "</text>";
    }
  }
  svg << "</svg>";
  return svg.str();
}

}  // namespace hs::tools
