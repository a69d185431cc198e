// hsnet eval: loss, top-1, top-5, per-class accuracy and the confusion matrix of a
// checkpoint on a dataset's test split.
#include <cstdio>
#include <iostream>

#include "core/threads.h"
#include "data/datasets.h"
#include "tools/commands.h"
#include "tools/distributed.h"
#include "tools/evaluate_sharded.h"
#include "tools/model_io.h"
#include "tools/report_html.h"
#include "tools/report_run.h"
#include "tools/trainer.h"

namespace hs::tools {

namespace {

struct EvalArgs {
  std::string checkpoint, dataset, data, device = "cpu", html;
  std::int64_t batch_size = 256, threads = 0, limit = 0;
  bool distributed = false;
  bool fold_bn = true;
};

int evaluate_and_report(const EvalArgs& a, dist::ProcessGroup& group) {
  set_num_threads(static_cast<int>(a.threads));
  const Device device = parse_device(a.device);
  LoadedModel lm = load_model(a.checkpoint);
  lm.model->to(device);
  lm.model->eval();
  if (a.fold_bn) lm.model->fold_batch_norms();
  const std::string dataset = a.dataset.empty() ? lm.meta.dataset : a.dataset;
  const std::string dir = a.data.empty() ? data::default_data_dir(dataset) : a.data;
  data::ImageDataset test = data::load_dataset(dataset, dir, false, lm.meta.height);
  if (a.limit > 0) test = data::subset(test, a.limit);
  HS_CHECK(test.channels == lm.meta.channels &&
               test.num_classes == lm.meta.options.value("classes", test.num_classes),
           "eval: ", dataset, " has ", test.channels, " channels and ", test.num_classes,
           " classes but the checkpoint's model expects ", lm.meta.channels, " and ",
           lm.meta.options.value("classes", 0));
  data::Augment normalise;
  normalise.mean = lm.meta.mean;
  normalise.std = lm.meta.std;
  const EvalResult r = evaluate_sharded(*lm.model, test, normalise, a.batch_size, device, group);
  const std::string problem = r.nonfinite_problem();
  HS_CHECK(problem.empty(), "eval: ", a.checkpoint, " gives no result on ", dataset,
           ": its output is not finite (", problem, ")");
  if (group.rank() != 0) return 0;
  std::printf("eval %s on %s test (%lld images): loss %.4f  top-1 %.2f%%  top-5 %.2f%%\n",
              a.checkpoint.c_str(), dataset.c_str(), static_cast<long long>(r.count), r.loss,
              100 * r.top1, 100 * r.top5);
  std::cout << r.report(lm.meta.class_names);
  if (!a.html.empty()) {
    const std::string title = "eval " + a.checkpoint + " on " + dataset;
    char line[160];
    std::snprintf(line, sizeof line,
                  "<p>%lld test images: loss %.4f, top-1 %.2f%%, top-5 %.2f%%.</p>",
                  static_cast<long long>(r.count), r.loss, 100 * r.top1, 100 * r.top5);
    write_text_atomic(a.html,
                      html_page(title, "<h1>" + html_escape(title) + "</h1>" + line +
                                           confusion_section_html(r.confusion, lm.meta.class_names,
                                                                  r.per_class_accuracy())));
  }
  return 0;
}

}  // namespace

Command add_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  app.add_option("--checkpoint", a->checkpoint, "weights file (e.g. runs/x/best.safetensors)")
      ->required();
  app.add_option("--dataset", a->dataset, "dataset (default: the one it was trained on)");
  app.add_option("--data", a->data, "dataset directory");
  app.add_option("--batch-size", a->batch_size, "batch size")->capture_default_str();
  app.add_option("--threads", a->threads, "CPU threads (0: all cores)");
  app.add_option("--device", a->device, "cpu | cuda")->capture_default_str();
  app.add_flag("--fold-bn,!--no-fold-bn", a->fold_bn,
               "fold batch norms into the convolutions (default; exact to rounding)");
  app.add_option("--limit", a->limit, "use the first N test images");
  app.add_option("--html", a->html, "also write the confusion matrix and per-class table here");
  app.add_flag("--distributed", a->distributed,
               "share the images among the ranks mpirun started; rank 0 reports");
  return [a]() {
    const auto group = make_group(a->distributed, parse_device(a->device));
    return run_on_ranks(*group, [&] { return evaluate_and_report(*a, *group); });
  };
}

}  // namespace hs::tools
