#include "ops/reduce.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "cuda/elementwise.h"
#include "cuda/reduce.h"
#include "ops/dispatch.h"
#include "ops/iteration.h"

namespace hs::ops {
namespace {

// f32 and f64 accumulate in double, i64 in int64.
template <class T>
using Acc = std::conditional_t<std::is_integral_v<T>, std::int64_t, double>;

// A long row is summed in chunks of this many elements, then the chunk sums in order, so
// rows can be split across threads and the result does not depend on the thread count.
constexpr std::int64_t kChunk = 16384;
// Output columns handled together when summing over a dim that has dims after it.
constexpr std::int64_t kMaxColumns = 256;

// Sum of n contiguous values with eight independent partial sums: the compiler can
// vectorise them, and rounding error grows more slowly than with one running sum.
template <class A, class In>
A sum_contiguous(const In* p, std::int64_t n) {
  constexpr int kLanes = 8;
  A lanes[kLanes] = {};
  std::int64_t r = 0;
  for (; r + kLanes <= n; r += kLanes)
    for (int j = 0; j < kLanes; ++j) lanes[j] += static_cast<A>(p[r + j]);
  A total = 0;
  for (int j = 0; j < kLanes; ++j) total += lanes[j];
  for (; r < n; ++r) total += static_cast<A>(p[r]);
  return total;
}

template <class Out, class A>
Out finish(A acc, double scale) {
  if constexpr (std::is_integral_v<Out>) {
    return static_cast<Out>(acc);
  } else {
    return static_cast<Out>(acc * scale);
  }
}

// out[o, i] = scale * sum_r in[o, r, i], for contiguous in [outer, reduced, inner] and
// contiguous out [outer, inner]; sums accumulate in A.
template <class A, class In, class Out>
void reduce_block(const In* in, Out* out, std::int64_t outer, std::int64_t reduced,
                  std::int64_t inner, double scale) {
  if (inner == 1 && reduced >= 2 * kChunk) {
    const std::int64_t chunks = (reduced + kChunk - 1) / kChunk;
    std::vector<A> partial(chunks);
    for (std::int64_t o = 0; o < outer; ++o) {
      const In* row = in + o * reduced;
#pragma omp parallel for if (worth_parallel(reduced))
      for (std::int64_t c = 0; c < chunks; ++c)
        partial[c] = sum_contiguous<A>(row + c * kChunk, std::min(kChunk, reduced - c * kChunk));
      A total = 0;
      for (const A p : partial) total += p;
      out[o] = finish<Out>(total, scale);
    }
    return;
  }
  if (inner == 1) {
#pragma omp parallel for if (worth_parallel(outer * reduced))
    for (std::int64_t o = 0; o < outer; ++o)
      out[o] = finish<Out>(sum_contiguous<A>(in + o * reduced, reduced), scale);
    return;
  }
  // Each work item sums a block of columns of one outer index down the reduced dim, reading
  // whole rows of the block at a time. Narrower blocks when there are few work items; the
  // order of each column's sum is the same whatever the width.
  std::int64_t width = kMaxColumns;
  const std::int64_t wanted_items = 2 * omp_get_max_threads();
  while (width > 16 && outer * ((inner + width - 1) / width) < wanted_items) width /= 2;
  const std::int64_t blocks = (inner + width - 1) / width;
#pragma omp parallel for if (worth_parallel(outer * reduced * inner))
  for (std::int64_t item = 0; item < outer * blocks; ++item) {
    const std::int64_t o = item / blocks;
    const std::int64_t c0 = (item % blocks) * width;
    const std::int64_t n = std::min(width, inner - c0);
    A acc[kMaxColumns];
    std::fill(acc, acc + n, A(0));
    const In* base = in + o * reduced * inner + c0;
    for (std::int64_t r = 0; r < reduced; ++r) {
      const In* row = base + r * inner;
      for (std::int64_t j = 0; j < n; ++j) acc[j] += static_cast<A>(row[j]);
    }
    Out* dst = out + o * inner + c0;
    for (std::int64_t j = 0; j < n; ++j) dst[j] = finish<Out>(acc[j], scale);
  }
}

// A contiguous tensor seen as alternating runs of kept and reduced dims: size-1 dims are
// dropped and neighbours of the same kind merged.
struct Run {
  std::int64_t extent;
  bool reduced;
};

std::vector<Run> coalesce_runs(const Shape& shape, const std::vector<bool>& reduced) {
  std::vector<Run> runs;
  for (int d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!runs.empty() && runs.back().reduced == reduced[d])
      runs.back().extent *= shape[d];
    else
      runs.push_back({shape[d], reduced[d]});
  }
  return runs;
}

std::int64_t extent_product(const std::vector<Run>& runs, std::size_t begin, std::size_t end) {
  std::int64_t n = 1;
  for (std::size_t i = begin; i < end; ++i) n *= runs[i].extent;
  return n;
}

// Reduces the runs from the innermost outwards, one [outer, reduced, inner] block sum each;
// intermediate results stay in the accumulator type.
template <class T>
void sum_cpu(const Tensor& x, std::vector<Run> runs, const Tensor& out, double scale) {
  using A = Acc<T>;
  const T* src = x.data<T>();
  T* dst = out.data<T>();
  const auto reduced_count =
      std::count_if(runs.begin(), runs.end(), [](const Run& r) { return r.reduced; });
  if (reduced_count == 0) {
    const std::int64_t n = x.numel();
    for (std::int64_t i = 0; i < n; ++i) dst[i] = finish<T>(static_cast<A>(src[i]), scale);
    return;
  }
  std::vector<A> current;
  std::vector<A> next;
  auto remaining = reduced_count;
  for (std::size_t j = runs.size(); j-- > 0;) {
    if (!runs[j].reduced) continue;
    const std::int64_t outer = extent_product(runs, 0, j);
    const std::int64_t inner = extent_product(runs, j + 1, runs.size());
    const std::int64_t reduced = runs[j].extent;
    const bool first_step = remaining == reduced_count;
    if (--remaining == 0) {
      if (first_step)
        reduce_block<A>(src, dst, outer, reduced, inner, scale);
      else
        reduce_block<A>(current.data(), dst, outer, reduced, inner, scale);
    } else {
      next.resize(outer * inner);
      if (first_step)
        reduce_block<A>(src, next.data(), outer, reduced, inner, 1.0);
      else
        reduce_block<A>(current.data(), next.data(), outer, reduced, inner, 1.0);
      std::swap(current, next);
    }
    runs.erase(runs.begin() + static_cast<std::ptrdiff_t>(j));
  }
}

// One CUDA sum_reduce call: reduced dims that are not one run are moved last first.
void sum_cuda(const Tensor& x, const std::vector<bool>& reduced, const Tensor& out, double scale) {
  if (out.numel() == 0) return;
  Tensor xc = x.contiguous();
  const std::vector<Run> runs = coalesce_runs(x.shape(), reduced);
  std::int64_t outer = xc.numel();
  std::int64_t reduced_extent = 1;
  std::int64_t inner = 1;
  const auto reduced_runs =
      std::count_if(runs.begin(), runs.end(), [](const Run& r) { return r.reduced; });
  if (reduced_runs == 1) {
    const auto j = static_cast<std::size_t>(
        std::find_if(runs.begin(), runs.end(), [](const Run& r) { return r.reduced; }) -
        runs.begin());
    outer = extent_product(runs, 0, j);
    reduced_extent = runs[j].extent;
    inner = extent_product(runs, j + 1, runs.size());
  } else if (reduced_runs > 1) {
    std::vector<std::int64_t> order;
    for (int d = 0; d < x.dim(); ++d)
      if (!reduced[d]) order.push_back(d);
    for (int d = 0; d < x.dim(); ++d)
      if (reduced[d]) order.push_back(d);
    xc = x.permute(order).contiguous();
    outer = out.numel();
    reduced_extent = xc.numel() / outer;
  }
  cuda::sum_reduce(out.ref(), xc.ref(), outer, reduced_extent, inner);
  if (scale != 1.0) cuda::binary_scalar(BinaryOp::mul, out.ref(), out.ref(), scale);
}

Tensor reduce(const char* op, const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim,
              bool is_mean) {
  detail::check_defined(op, x, "x");
  if (is_mean) detail::check_floating(op, x);
  std::vector<bool> reduced(x.dim(), dims.empty());
  for (const std::int64_t dim : dims) {
    const int d = wrap_dim(dim, x.dim(), op);
    HS_CHECK(!reduced[d], op, ": dim ", d, " is listed more than once (x ", x.shape(), ")");
    reduced[d] = true;
  }
  Shape out_shape;
  std::int64_t count = 1;
  for (int d = 0; d < x.dim(); ++d) {
    if (!reduced[d])
      out_shape.push_back(x.size(d));
    else if (keepdim)
      out_shape.push_back(1);
    if (reduced[d]) count *= x.size(d);
  }
  const double scale = is_mean ? 1.0 / static_cast<double>(count) : 1.0;
  Tensor out = empty(out_shape, {x.dtype(), x.device()});
  return dispatch(
      op, x,
      [&] {
        const Tensor xc = x.contiguous();
        dispatch_dtype(x.dtype(), [&](auto t) {
          sum_cpu<decltype(t)>(xc, coalesce_runs(x.shape(), reduced), out, scale);
        });
        return out;
      },
      [&] {
        sum_cuda(x, reduced, out, scale);
        return out;
      });
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  return reduce("sum", x, dims, keepdim, false);
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  return reduce("mean", x, dims, keepdim, true);
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  detail::check_defined("sum_to", x, "x");
  if (x.shape() == shape) return x;
  const int lead = x.dim() - shape.size();
  HS_CHECK(lead >= 0, "sum_to: cannot sum ", x.shape(), " down to ", shape,
           " (the target has more dims)");
  std::vector<std::int64_t> dims;
  for (int d = 0; d < lead; ++d) dims.push_back(d);
  for (int i = 0; i < shape.size(); ++i) {
    const std::int64_t extent = x.size(lead + i);
    HS_CHECK(shape[i] == extent || shape[i] == 1, "sum_to: cannot sum ", x.shape(), " down to ",
             shape, " (dim ", lead + i, ": ", extent, " vs ", shape[i], ")");
    if (shape[i] != extent) dims.push_back(lead + i);
  }
  return sum(x, dims, true).view(shape);
}

}  // namespace hs::ops
