// tour: README's tour of the C++ API, compiled with the examples so it stays true. Builds an
// HS-ResNet, runs a batch forward and backward, takes an SGD step and saves the weights.
#include <cstdio>

#include "hsnet.h"

int main() {
  hs::register_backends();
  hs::nn::manual_seed(0);
  auto model = hs::models::create_model("hs_resnet29_cifar", {{"s", 4}, {"ratio", 0.5}});
  hs::nn::SGD sgd(model->named_parameters(), {.lr = 0.1, .momentum = 0.9});
  hs::Generator gen(1);
  hs::Variable x(hs::randn({8, 3, 32, 32}, gen));
  hs::Tensor labels = hs::from_vector(std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7}, {8});
  hs::Variable loss = hs::cross_entropy((*model)(x), labels);
  loss.backward();  // gradients in every parameter's .grad()
  sgd.step();
  hs::nn::save(*model, "tour.safetensors");
  std::printf("loss %.4f, %lld parameters, saved tour.safetensors\n", loss.item(),
              static_cast<long long>(model->num_parameters()));
  return 0;
}
