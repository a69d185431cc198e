#pragma once
// Pieces every skeleton builder shares: a stage of residual blocks, and the block counts of
// the ImageNet depths.
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/error.h"
#include "nn/sequential.h"

namespace hs::models {

// One stage of `blocks` blocks whose first block has `stride`; make(in, stride) builds one
// block and returns it with its output channel count, which becomes `in` for the next.
template <class Make>
std::shared_ptr<nn::Sequential> stage(int blocks, std::int64_t& in, std::int64_t stride,
                                      Make&& make) {
  auto seq = std::make_shared<nn::Sequential>();
  for (int b = 0; b < blocks; ++b) {
    auto [block, out] = make(in, b == 0 ? stride : 1);
    seq->push_back(block);
    in = out;
  }
  return seq;
}

// Blocks per stage of the ImageNet ResNet depths; `family` names the model in the error.
inline std::vector<int> imagenet_blocks(int depth, const char* family) {
  switch (depth) {
    case 50:
      return {3, 4, 6, 3};
    case 101:
      return {3, 4, 23, 3};
    case 152:
      return {3, 8, 36, 3};
  }
  HS_FAIL(family, ": depth must be 50, 101 or 152, got ", depth);
}

}  // namespace hs::models
