#include "ops/cat.h"

#include <cstdint>
#include <cstring>

#include "ops/dispatch.h"
#include "ops/iteration.h"

namespace hs::ops {
namespace {

// Copies contiguous x into out's slice [offset, offset + x.size(dim)) along dim: for every
// index of the dims before dim, one block of x lands as one block of out (in NCHW along
// channels: a memcpy per image).
void copy_contiguous_into_slice(const Tensor& out, const Tensor& x, int dim, std::int64_t offset) {
  std::int64_t outer = 1;
  for (int d = 0; d < dim; ++d) outer *= x.size(d);
  std::int64_t inner = 1;
  for (int d = dim + 1; d < x.dim(); ++d) inner *= x.size(d);
  const std::size_t elem = element_size(x.dtype());
  const std::size_t block = static_cast<std::size_t>(x.size(dim) * inner) * elem;
  const std::size_t out_row = static_cast<std::size_t>(out.size(dim) * inner) * elem;
  const char* src = static_cast<const char*>(x.data_ptr());
  char* dst = static_cast<char*>(out.data_ptr()) + offset * inner * elem;
  const std::int64_t bytes = outer * static_cast<std::int64_t>(block);
#pragma omp parallel for if (outer > 1 && worth_parallel(bytes / 8))
  for (std::int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * out_row, src + o * block, block);
}

}  // namespace

Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim) {
  HS_CHECK(!xs.empty(), "cat: expected at least one tensor, got an empty list");
  for (const Tensor& x : xs) detail::check_defined("cat", x, "an input");
  const Tensor& first = xs.front();
  HS_CHECK(first.dim() > 0, "cat: cannot concatenate 0-d tensors");
  const int d = wrap_dim(dim, first.dim(), "cat");
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    HS_CHECK(x.dtype() == first.dtype(), "cat: tensor ", i, " is ", x.dtype(), " but tensor 0 is ",
             first.dtype());
    HS_CHECK(x.device() == first.device(), "cat: tensor ", i, " is on ", x.device(),
             " but tensor 0 is on ", first.device());
    bool same_extents = x.dim() == first.dim();
    for (int e = 0; e < first.dim() && same_extents; ++e)
      same_extents = e == d || x.size(e) == first.size(e);
    HS_CHECK(same_extents, "cat: tensor ", i, " has shape ", x.shape(), " but tensor 0 has ",
             first.shape(), "; they must agree in every dim except dim ", d);
    out_shape[d] += x.size(d);
  }
  Tensor out = empty(out_shape, {first.dtype(), first.device()});
  std::int64_t offset = 0;
  for (const Tensor& x : xs) {
    const std::int64_t length = x.size(d);
    if (length > 0 && x.numel() > 0) {
      if (x.is_cpu() && x.is_contiguous())
        copy_contiguous_into_slice(out, x, d, offset);
      else
        out.narrow(d, offset, length).copy_(x);
    }
    offset += length;
  }
  return out;
}

}  // namespace hs::ops
