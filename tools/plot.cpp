#include "tools/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>

namespace hs::tools {

namespace {

constexpr double kPanelW = 420, kPanelH = 300, kMargin = 50;

struct Series {
  std::string name, color;
  std::function<double(const EpochPoint&)> value;
};

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// One panel at horizontal offset x0 with its axes, ticks, legend and polylines.
void panel(std::ostringstream& svg, double x0, const std::string& label,
           const std::vector<EpochPoint>& pts, const std::vector<Series>& series) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& s : series)
    for (const auto& p : pts) {
      const double v = s.value(p);
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-9) hi = lo + 1;
  const double e0 = pts.empty() ? 0 : pts.front().epoch;
  const double e1 = pts.empty() || pts.back().epoch == e0 ? e0 + 1 : pts.back().epoch;
  const double left = x0 + kMargin, top = kMargin, w = kPanelW - kMargin - 10,
               h = kPanelH - 2 * kMargin;
  auto px = [&](double e) { return left + (e - e0) / (e1 - e0) * w; };
  auto py = [&](double v) { return top + (1 - (v - lo) / (hi - lo)) * h; };
  svg << "<rect x='" << left << "' y='" << top << "' width='" << w << "' height='" << h
      << "' fill='none' stroke='#888'/>\n";
  svg << "<text x='" << left + w / 2 << "' y='" << top - 10 << "' text-anchor='middle'>" << label
      << "</text>\n";
  for (int i = 0; i <= 4; ++i) {
    const double v = lo + (hi - lo) * i / 4;
    svg << "<text x='" << left - 5 << "' y='" << py(v) + 4 << "' text-anchor='end' font-size='10'>"
        << fmt(v) << "</text>\n";
    const double e = e0 + (e1 - e0) * i / 4;
    svg << "<text x='" << px(e) << "' y='" << top + h + 15
        << "' text-anchor='middle' font-size='10'>" << fmt(e) << "</text>\n";
  }
  svg << "<text x='" << left + w / 2 << "' y='" << top + h + 32
      << "' text-anchor='middle' font-size='11'>epoch</text>\n";
  for (std::size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    svg << "<polyline fill='none' stroke-width='2' stroke='" << s.color << "' points='";
    for (const auto& p : pts)
      if (std::isfinite(s.value(p))) svg << px(p.epoch) << "," << py(s.value(p)) << " ";
    svg << "'/>\n";
    for (const auto& p : pts)
      if (std::isfinite(s.value(p)))
        svg << "<circle r='2.5' fill='" << s.color << "' cx='" << px(p.epoch) << "' cy='"
            << py(s.value(p)) << "'/>\n";
    svg << "<text x='" << left + 8 << "' y='" << top + 16 + 14 * k << "' font-size='11' fill='"
        << s.color << "'>" << s.name << "</text>\n";
  }
}

}  // namespace

std::string curves_svg(const std::vector<EpochPoint>& points, const std::string& title) {
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << 2 * kPanelW << "' height='"
      << kPanelH + 20 << "' font-family='sans-serif' font-size='12'>\n";
  svg << "<rect width='100%' height='100%' fill='white'/>\n";
  svg << "<text x='" << kPanelW << "' y='18' text-anchor='middle' font-weight='bold'>" << title
      << "</text>\n";
  svg << "<g transform='translate(0,10)'>\n";
  panel(svg, 0, "loss", points,
        {{"train", "#1f77b4", [](const EpochPoint& p) { return p.train_loss; }},
         {"test", "#d62728", [](const EpochPoint& p) { return p.test_loss; }}});
  panel(svg, kPanelW, "accuracy (%)", points,
        {{"train", "#1f77b4", [](const EpochPoint& p) { return 100 * p.train_acc; }},
         {"test", "#d62728", [](const EpochPoint& p) { return 100 * p.test_acc; }}});
  svg << "</g>\n</svg>\n";
  return svg.str();
}

}  // namespace hs::tools
