// Fuzz target: a CIFAR-10 or CIFAR-100 binary file. Input layout: one byte choosing the
// reader (0: CIFAR-10's test_batch.bin, 1: CIFAR-100 fine labels, 2: CIFAR-100 coarse labels,
// the byte taken modulo 3), the rest the file.
#include "data/cifar.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const int reader = data[0] % 3;
  const std::string dir = hs::fuzz::scratch_dir().string();
  hs::fuzz::write_scratch_file(reader == 0 ? "test_batch.bin" : "test.bin", data + 1, size - 1);
  hs::fuzz::expect_only_hs_errors([&] {
    const hs::data::ImageDataset ds = reader == 0
                                          ? hs::data::load_cifar10(dir, false)
                                          : hs::data::load_cifar100(dir, false, reader == 2);
    hs::fuzz::require_consistent(ds);
  });
  return 0;
}
