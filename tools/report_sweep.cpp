#include "tools/report_sweep.h"

#include <cmath>
#include <fstream>
#include <map>

#include "tools/report_html.h"
#include "tools/sweep_results.h"

namespace hs::tools {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

std::string cell_text(const ojson& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return format_number(v.get<double>(), 5);
  return v.dump();
}

// One configuration (a trial without its seed) over its seeds.
struct Group {
  std::string label;
  std::vector<double> acc;
  double params = 0, macs = 0;
};

std::string config_label(const SweepSpec& spec, const SweepTrial& t) {
  std::string label;
  for (const std::string& axis : spec.axes) {
    const json& v = t.axes[axis];
    if (v.is_null()) continue;
    const auto dot = axis.rfind('.');
    const std::string key = axis.substr(dot == std::string::npos ? 0 : dot + 1);
    label +=
        (label.empty() ? "" : " ") + (v.is_string() ? v.get<std::string>() : key + "=" + v.dump());
  }
  return label.empty() ? t.name : label;
}

std::vector<Group> groups_of(const SweepSpec& spec, const std::vector<ojson>& records) {
  std::map<std::string, Group> by_label;
  std::vector<std::string> order;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const ojson& r = records[i];
    if (r["status"] != "done" || !r["best_test_acc"].is_number()) continue;
    const std::string label = config_label(spec, spec.trials[i]);
    if (!by_label.count(label)) order.push_back(label);
    Group& g = by_label[label];
    g.label = label;
    g.acc.push_back(100 * r["best_test_acc"].get<double>());
    g.params = r["params"].is_number() ? r["params"].get<double>() : 0;
    g.macs = r["macs"].is_number() ? r["macs"].get<double>() : 0;
  }
  std::vector<Group> groups;
  for (const auto& label : order) groups.push_back(by_label[label]);
  return groups;
}

std::vector<ScatterPoint> points(const std::vector<Group>& groups, bool macs) {
  std::vector<ScatterPoint> pts;
  for (const Group& g : groups) {
    double mean = 0, var = 0;
    for (double a : g.acc) mean += a / static_cast<double>(g.acc.size());
    for (double a : g.acc) var += (a - mean) * (a - mean);
    const double std =
        g.acc.size() > 1 ? std::sqrt(var / static_cast<double>(g.acc.size() - 1)) : 0;
    pts.push_back({macs ? g.macs : g.params, mean, std, g.label});
  }
  return pts;
}

std::string curves(const SweepSpec& spec, const std::vector<ojson>& records) {
  std::vector<LineSeries> loss, acc;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const SweepTrial& t = spec.trials[i];
    LineSeries l{t.name, {}}, a{t.name, {}};
    for (const json& s : read_jsonl(t.config.out + "/steps.jsonl"))
      if (s.contains("epoch") && s.contains("loss"))
        l.points.push_back({s["epoch"].get<double>(), s["loss"].get<double>()});
    for (const json& m : read_jsonl(t.config.out + "/metrics.jsonl"))
      if (m.contains("epoch") && m.contains("test_acc"))
        a.points.push_back({m["epoch"].get<double>(), 100 * m["test_acc"].get<double>()});
    if (!l.points.empty()) loss.push_back(l);
    if (!a.points.empty()) acc.push_back(a);
  }
  if (loss.empty() && acc.empty()) return "<p class='note'>No trial has trained yet.</p>";
  return "<div class='charts'>" +
         line_chart_svg("training loss per step (all trials)", "epoch", "loss", loss, true) +
         line_chart_svg("test accuracy per epoch (all trials)", "epoch", "test accuracy %", acc) +
         "</div>";
}

}  // namespace

std::vector<json> read_jsonl(const std::string& path) {
  std::vector<json> lines;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object()) lines.push_back(j);
  }
  return lines;
}

std::string sweep_report_html(const SweepSpec& spec, const std::vector<ojson>& records) {
  std::size_t done = 0;
  for (const ojson& r : records) done += r["status"] == "done";
  std::string body = "<h1>Sweep " + html_escape(spec.out) + "</h1><p>" +
                     std::to_string(records.size()) + " trials, " + std::to_string(done) +
                     " done. Axes: ";
  for (std::size_t i = 0; i < spec.axes.size(); ++i)
    body += (i ? ", " : "") + html_escape(spec.axes[i]);
  body += ".</p>";

  const std::vector<Group> groups = groups_of(spec, records);
  body += "<h2>Accuracy against cost</h2>";
  if (groups.empty()) {
    body += "<p class='note'>No trial has finished yet.</p>";
  } else {
    body +=
        "<p class='note'>Best test accuracy of each configuration, mean ± std over its "
        "seeds; filled red points and the dashed line: the Pareto front (no other "
        "configuration is both cheaper and more accurate).</p><div class='charts'>" +
        scatter_svg("best test accuracy vs MACs", "MACs per image", "best test accuracy %",
                    points(groups, true)) +
        scatter_svg("best test accuracy vs parameters", "parameters", "best test accuracy %",
                    points(groups, false)) +
        "</div>";
  }
  body += "<h2>Results</h2><p class='note'>Click a heading to sort.</p>";
  const std::vector<std::string> cols = result_columns(spec);
  std::vector<std::vector<std::string>> rows;
  for (const ojson& r : records) {
    std::vector<std::string> row;
    for (const std::string& c : cols) row.push_back(cell_text(r[c]));
    rows.push_back(row);
  }
  body += html_table(cols, rows);
  body += "<h2>Learning curves</h2>" + curves(spec, records);
  return html_page("hsnet sweep " + spec.out, body);
}

}  // namespace hs::tools
