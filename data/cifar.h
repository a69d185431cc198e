#pragma once
// Readers for the binary versions of CIFAR-10 and CIFAR-100: fixed-size records of label
// byte(s) followed by a 32x32 colour image stored as its R, G and B planes (already NCHW).
#include <string>

#include "data/dataset.h"

namespace hs::data {

// CIFAR-10 from `dir` (or its cifar-10-batches-bin subfolder): data_batch_1..5.bin for the
// training set (50,000 images), test_batch.bin otherwise (10,000); records of 1 label byte +
// 3072 pixel bytes; classes airplane ... truck.
ImageDataset load_cifar10(const std::string& dir, bool train);

// CIFAR-100 from `dir` (or its cifar-100-binary subfolder): train.bin or test.bin; records of
// a coarse label byte, a fine label byte and 3072 pixel bytes. Labels are the 100 fine
// classes, or the 20 coarse superclasses when `coarse` is set.
ImageDataset load_cifar100(const std::string& dir, bool train, bool coarse = false);

}  // namespace hs::data
