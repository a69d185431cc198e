// train_loop: a complete training run written against the library, without the hsnet
// command line: Fashion-MNIST, a small HS-ResNet, SGD with Nesterov momentum and a cosine
// schedule, random-crop/flip augmentation, a test-set evaluation and a saved checkpoint.
//
//   usage: train_loop [epochs] [limit]     (defaults: 1 25600, i.e. 200 steps of 128 images)
//
// limit 0 trains on all 60,000 training images. The data is looked for where the Debian
// package puts it (/usr/share/datasets/fashion-mnist).
#include <cstdio>
#include <exception>
#include <string>

#include "autograd/grad_mode.h"
#include "autograd/loss.h"
#include "core/error.h"
#include "core/threads.h"
#include "data/datasets.h"
#include "data/loader.h"
#include "models/registry.h"
#include "nn/checkpoint.h"
#include "nn/init.h"
#include "nn/lr_schedule.h"
#include "nn/sgd.h"
#include "ops/backends.h"
#include "ops/loss.h"

using namespace hs;

int main(int argc, char** argv) {
  register_backends();
  choose_openmp_wait(argv);  // idle OpenMP threads spin only while the machine is quiet
  std::int64_t epochs = 1, limit = 25600;
  try {
    if (argc > 1) epochs = std::stoll(argv[1]);
    if (argc > 2) limit = std::stoll(argv[2]);
  } catch (const std::exception&) {
    epochs = 0;
  }
  if (argc > 3 || epochs < 1 || limit < 0) {
    std::fprintf(stderr, "usage: train_loop [epochs >= 1] [limit >= 0]\n");
    return 1;
  }
  const std::string dir = data::default_data_dir("fashion-mnist");
  data::ImageDataset train, test;
  try {
    train = data::load_dataset("fashion-mnist", dir, true);
    test = data::load_dataset("fashion-mnist", dir, false);
  } catch (const Error& e) {
    std::fprintf(stderr, "train_loop: Fashion-MNIST is not in %s (%s)\n", dir.c_str(), e.what());
    return 1;
  }
  if (limit > 0) train = data::subset(train, limit);

  try {
    // Pixels become (x/255 - mean)/std; training images are also shifted by up to 2 pixels
    // and mirrored at random.
    const data::ChannelStats stats = *data::known_channel_stats("fashion-mnist");
    const data::Augment normalise{0, false, stats.mean, stats.std};
    data::LoaderOptions train_opts;
    train_opts.batch_size = 128;
    train_opts.augment = {2, true, stats.mean, stats.std};
    data::Loader loader(train, train_opts);

    nn::manual_seed(0);
    auto model =
        models::create_model("hs_resnet29_cifar", {{"in_channels", 1}, {"classes", 10}, {"w0", 4}});
    nn::SGD optimizer(model->named_parameters(),
                      {.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 5e-4});
    const nn::CosineLr schedule(0.1, epochs * loader.batches_per_epoch());
    std::printf("hs_resnet29_cifar (w0 4): %lld parameters, %lld training images, %lld steps\n",
                static_cast<long long>(model->num_parameters()), static_cast<long long>(train.n),
                static_cast<long long>(epochs * loader.batches_per_epoch()));

    std::int64_t step = 0;
    for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
      model->train();
      loader.start_epoch(epoch);
      double loss_sum = 0;
      std::int64_t correct = 0, seen = 0;
      data::Batch batch;
      while (loader.next(batch)) {
        optimizer.set_lr(schedule.lr_at(step++));
        optimizer.zero_grad();
        const Variable logits = (*model)(Variable(batch.images));
        const Variable loss = cross_entropy(logits, batch.labels);
        loss.backward();
        optimizer.step();
        const std::int64_t n = batch.labels.size(0);
        loss_sum += loss.item() * n;
        correct += ops::topk_correct(logits.data(), batch.labels, {1})[0];
        seen += n;
        if (step % 50 == 0 || batch.index + 1 == loader.batches_per_epoch())
          std::printf("epoch %lld step %lld  lr %.4f  loss %.4f  train accuracy %.2f%%\n",
                      static_cast<long long>(epoch + 1), static_cast<long long>(step),
                      optimizer.lr(), loss_sum / seen, 100.0 * correct / seen);
      }
    }

    // Evaluation: BatchNorm uses its running statistics, and no graph is recorded.
    model->eval();
    NoGradGuard no_grad;
    data::LoaderOptions test_opts;
    test_opts.batch_size = 256;
    test_opts.shuffle = false;
    test_opts.augment = normalise;
    data::Loader test_loader(test, test_opts);
    test_loader.start_epoch(0);
    std::int64_t correct = 0;
    data::Batch batch;
    while (test_loader.next(batch))
      correct += ops::topk_correct((*model)(Variable(batch.images)).data(), batch.labels, {1})[0];
    std::printf("test accuracy %.2f%% on %lld images\n", 100.0 * correct / test.n,
                static_cast<long long>(test.n));

    nn::save(*model, "train_loop.safetensors");
    std::printf("saved the weights to train_loop.safetensors\n");
  } catch (const Error& e) {
    std::fprintf(stderr, "train_loop: %s\n", e.what());
    return 1;
  }
  return 0;
}
