// hsnet export: a model's weights, an input batch and the eval-mode logits hsnet computes for
// it, and one training step on that batch (train-mode logits, loss, every parameter's
// gradient, the state after one SGD step), as safetensors files, so an independent
// implementation (bench/torch_models.py) can be checked against hsnet on exactly the same
// numbers.
#include <filesystem>
#include <iostream>
#include <sstream>

#include "autograd/grad_mode.h"
#include "autograd/loss.h"
#include "models/registry.h"
#include "nn/checkpoint.h"
#include "nn/init.h"
#include "nn/safetensors.h"
#include "nn/sgd.h"
#include "tools/commands.h"
#include "tools/model_args.h"

namespace hs::tools {

namespace {

struct ExportArgs {
  ModelArgs model;
  std::int64_t batch = 2;
  std::string input = "3x32x32";
  std::uint64_t seed = 0;
  std::string dtype = "f32";
  std::string out;
};

// "CxHxW" -> {C, H, W}.
Shape parse_chw(const std::string& text) {
  std::int64_t c = 0, h = 0, w = 0;
  char x1 = 0, x2 = 0;
  std::istringstream is(text);
  is >> c >> x1 >> h >> x2 >> w;
  HS_CHECK(is && is.eof() && x1 == 'x' && x2 == 'x' && c > 0 && h > 0 && w > 0,
           "export: --input must look like 3x32x32, got '", text, "'");
  return {c, h, w};
}

// Fills every tensor in place with uniform values in [low, high).
void fill_uniform(const std::vector<Tensor>& tensors, Generator& gen, double low, double high) {
  for (Tensor t : tensors) t.copy_(rand(t.shape(), gen, t.dtype(), low, high));
}

// Freshly built BatchNorms are the identity in eval mode (mean 0, var 1, γ 1, β 0), which
// would let a wrong use of any of the four go unnoticed. Moves all four away from their
// defaults. γ stays below 1 so the residual sums of deep models keep moderate magnitudes.
void perturb_batch_norms(nn::Module& model, Generator& gen) {
  const nn::StateDict state = model.state_dict();  // shares storage with the model
  std::vector<Tensor> means, vars, gammas, betas;
  for (const auto& [key, tensor] : state) {
    const std::string suffix = ".running_var";
    if (!key.ends_with(suffix)) continue;
    const std::string prefix = key.substr(0, key.size() - suffix.size());
    vars.push_back(tensor);
    means.push_back(state.at(prefix + ".running_mean"));
    gammas.push_back(state.at(prefix + ".weight"));
    betas.push_back(state.at(prefix + ".bias"));
  }
  fill_uniform(means, gen, -0.3, 0.3);
  fill_uniform(vars, gen, 0.5, 2.0);
  fill_uniform(gammas, gen, 0.4, 0.9);
  fill_uniform(betas, gen, -0.2, 0.2);
}

// The SGD step of the export's training step, with every term in play: momentum (its buffer
// starts as the gradient), weight decay on every parameter.
nn::SgdOptions export_sgd() {
  nn::SgdOptions o;
  o.lr = 0.1;
  o.momentum = 0.9;
  o.weight_decay = 5e-4;
  return o;
}

// One training step of `model` on (input, labels): the train-mode logits, the loss, every
// parameter's gradient ("grad.<name>") and the whole state after one SGD step
// ("after.<key>": weights and the BN statistics the train-mode forward updated).
nn::StateDict training_step(nn::Module& model, const Tensor& input, const Tensor& labels) {
  model.train();
  const Variable logits = model(Variable(input));
  const Variable loss = cross_entropy(logits, labels);
  loss.backward();
  nn::StateDict out = {{"labels", labels}, {"logits", logits.data()}, {"loss", loss.data()}};
  const auto params = model.named_parameters();
  for (const auto& [name, p] : params) out["grad." + name] = p.grad().clone();
  nn::SGD sgd(params, export_sgd());
  sgd.step();
  for (const auto& [key, t] : model.state_dict()) out["after." + key] = t.clone();
  return out;
}

}  // namespace

Command add_export(CLI::App& app) {
  auto a = std::make_shared<ExportArgs>();
  a->model.add_to(app);
  app.add_option("--batch", a->batch, "batch size of the input")->capture_default_str();
  app.add_option("--input", a->input, "input size CxHxW (its C sets in_channels)")
      ->capture_default_str();
  app.add_option("--seed", a->seed, "seed of weights, BN statistics and input")
      ->capture_default_str();
  app.add_option("--dtype", a->dtype, "f32, or f64 to export hsnet's f64 results")
      ->check(CLI::IsMember({"f32", "f64"}))
      ->capture_default_str();
  app.add_option("--out", a->out, "directory for model.safetensors and io.safetensors")->required();
  return [a]() {
    HS_CHECK(a->batch >= 1, "export: --batch must be >= 1, got ", a->batch);
    const Shape chw = parse_chw(a->input);
    nlohmann::json options = a->model.options();
    if (!options.contains("in_channels")) options["in_channels"] = chw[0];
    HS_CHECK(options["in_channels"] == chw[0], "export: --in-channels ",
             options["in_channels"].dump(), " disagrees with --input ", a->input);

    nn::manual_seed(a->seed);
    auto model = models::create_model(a->model.model, options);
    Generator gen(a->seed + 1);
    perturb_batch_norms(*model, gen);
    model->eval();
    const DType dtype = a->dtype == "f64" ? DType::f64 : DType::f32;
    model->to(dtype);
    const Tensor input = randn({a->batch, chw[0], chw[1], chw[2]}, gen).to(dtype);
    Tensor logits;
    {
      NoGradGuard no_grad;
      logits = (*model)(Variable(input)).data();
    }

    std::error_code error;
    std::filesystem::create_directories(a->out, error);
    HS_CHECK(!error, "export: cannot create directory '", a->out, "': ", error.message());
    const std::map<std::string, std::string> metadata = {{"model", a->model.model},
                                                         {"options", options.dump()}};
    const std::string weights = (std::filesystem::path(a->out) / "model.safetensors").string();
    const std::string io = (std::filesystem::path(a->out) / "io.safetensors").string();
    const std::string train = (std::filesystem::path(a->out) / "train.safetensors").string();
    nn::save(*model, weights, metadata);
    nn::write_safetensors(io, {{"input", input}, {"logits", logits}}, metadata);
    const std::int64_t classes = logits.shape()[1];
    std::vector<std::int64_t> labels(a->batch);
    for (auto& label : labels) label = static_cast<std::int64_t>(gen.below(classes));
    const nn::SgdOptions sgd = export_sgd();
    std::map<std::string, std::string> train_metadata = metadata;
    train_metadata["sgd"] = nlohmann::json{
        {"lr", sgd.lr},
        {"momentum", sgd.momentum},
        {"weight_decay",
         sgd.weight_decay}}.dump();
    nn::write_safetensors(train, training_step(*model, input, from_vector<std::int64_t>(labels)),
                          train_metadata);
    std::cout << "export " << a->model.model << " " << options.dump() << ": " << weights << ", "
              << io << ", " << train << " (logits " << logits.shape() << ")\n";
    return 0;
  };
}

}  // namespace hs::tools
