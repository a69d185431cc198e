#pragma once
// Readers for the IDX format of MNIST and Fashion-MNIST: a big-endian magic number
// (0x0000 08 <ndims>, 08 meaning unsigned bytes), one big-endian u32 per dimension, then
// the values. Files may be plain or gzip-compressed (detected from the content).
#include <cstdint>
#include <string>

#include "data/dataset.h"

namespace hs::data {

// Images from an IDX file of magic 0x00000803 (n x height x width bytes) with their labels
// from one of magic 0x00000801 (n bytes, each < num_classes). Class names default to the
// label numbers. Throws hs::Error naming the file on any malformed or mismatched input.
ImageDataset read_idx(const std::string& images_path, const std::string& labels_path,
                      std::int64_t num_classes = 10);

// Fashion-MNIST from `dir` holding {train,t10k}-{images-idx3,labels-idx1}-ubyte, each
// optionally with .gz: 28x28 grey images of 10 clothing classes (T-shirt/top ... Ankle boot).
ImageDataset load_fashion_mnist(const std::string& dir, bool train);

// MNIST handwritten digits from `dir`, with the same file names as Fashion-MNIST.
ImageDataset load_mnist(const std::string& dir, bool train);

}  // namespace hs::data
