#include "tools/report_run.h"

#include <fstream>

#include "tools/report_html.h"
#include "tools/report_sweep.h"

namespace hs::tools {

namespace {

using json = nlohmann::json;

LineSeries series(const std::string& name, const std::vector<json>& lines, const char* x,
                  const char* y, double scale = 1) {
  LineSeries s{name, {}};
  for (const json& l : lines)
    if (l.contains(x) && l.contains(y) && l[x].is_number() && l[y].is_number())
      s.points.push_back({l[x].get<double>(), scale * l[y].get<double>()});
  return s;
}

}  // namespace

std::string confusion_section_html(const std::vector<std::int64_t>& confusion,
                                   const std::vector<std::string>& names,
                                   const std::vector<double>& per_class) {
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < names.size() && i < per_class.size(); ++i) {
    std::int64_t count = 0;
    for (std::size_t j = 0; j < names.size(); ++j) count += confusion[i * names.size() + j];
    rows.push_back({names[i], std::to_string(count), format_number(100 * per_class[i], 4)});
  }
  return "<div class='charts'>" + confusion_svg(confusion, names) + "<div>" +
         html_table({"class", "test images", "accuracy %"}, rows) + "</div></div>";
}

namespace {

std::string best_epoch_section(const std::filesystem::path& out) {
  std::ifstream f(out / "best_eval.json");
  const json best = f.good() ? json::parse(f, nullptr, false) : json(nullptr);
  if (!best.is_object() || !best.contains("confusion"))
    return "<p class='note'>No epoch has finished yet.</p>";
  const auto names = best["class_names"].get<std::vector<std::string>>();
  const auto confusion = best["confusion"].get<std::vector<std::int64_t>>();
  const auto per_class = best["per_class_accuracy"].get<std::vector<double>>();
  return "<p>Best checkpoint: epoch " + best["epoch"].dump() + ", test accuracy " +
         format_number(100 * best["test_acc"].get<double>(), 4) + "%, test loss " +
         format_number(best["test_loss"].get<double>(), 4) + ".</p>" +
         confusion_section_html(confusion, names, per_class);
}

}  // namespace

std::string run_report_html(const std::filesystem::path& out, const std::string& title,
                            const json& config, const std::string& summary) {
  const std::vector<json> steps = read_jsonl((out / "steps.jsonl").string());
  const std::vector<json> epochs = read_jsonl((out / "metrics.jsonl").string());
  std::string body = "<h1>" + html_escape(title) + "</h1><p>" + std::to_string(epochs.size()) +
                     " epochs done, " + std::to_string(steps.size()) +
                     " step-log points. Files: " + html_escape(out.string()) + "</p>";
  body += "<h2>Per step</h2><div class='charts'>" +
          line_chart_svg("training loss (mean over each logged interval)", "epoch", "loss",
                         {series("train loss", steps, "epoch", "loss")}, true) +
          line_chart_svg("training accuracy", "epoch", "accuracy %",
                         {series("train accuracy", steps, "epoch", "accuracy", 100)}) +
          line_chart_svg("learning rate", "epoch", "lr", {series("lr", steps, "epoch", "lr")}) +
          "</div>";
  body += "<h2>Per epoch</h2><div class='charts'>" +
          line_chart_svg("loss", "epoch", "loss",
                         {series("train", epochs, "epoch", "train_loss"),
                          series("test", epochs, "epoch", "test_loss")}) +
          line_chart_svg("accuracy", "epoch", "accuracy %",
                         {series("train", epochs, "epoch", "train_acc", 100),
                          series("test", epochs, "epoch", "test_acc", 100)}) +
          "</div>";
  std::vector<std::vector<std::string>> rows;
  for (const json& m : epochs) {
    std::vector<std::string> row;
    for (const char* key : {"epoch", "train_loss", "train_acc", "test_loss", "test_acc",
                            "test_top5", "lr", "seconds", "images_per_second"})
      row.push_back(m.contains(key) && m[key].is_number() ? format_number(m[key].get<double>(), 5)
                                                          : "");
    rows.push_back(row);
  }
  body += html_table({"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "test_top5",
                      "lr", "seconds", "images_per_second"},
                     rows);
  body += "<h2>Best checkpoint on the test set</h2>" + best_epoch_section(out);
  body += "<h2>Model</h2><pre>" + html_escape(summary) + "</pre>";
  body += "<h2>Config</h2><pre>" + html_escape(config.dump(2)) + "</pre>";
  return html_page(title, body);
}

}  // namespace hs::tools
