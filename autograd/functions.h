#pragma once
// Differentiable functions on Variables. Each computes its forward with ops:: and, when
// grad mode is on and an input requires grad, records a Node whose backward also calls
// ops::. Binary arithmetic broadcasts like NumPy.
#include <cstdint>
#include <vector>

#include "autograd/variable.h"

namespace hs {

Variable add(const Variable& a, const Variable& b);
Variable sub(const Variable& a, const Variable& b);
Variable mul(const Variable& a, const Variable& b);
Variable div(const Variable& a, const Variable& b);
Variable add(const Variable& a, double s);
Variable sub(const Variable& a, double s);
Variable mul(const Variable& a, double s);
Variable div(const Variable& a, double s);
Variable neg(const Variable& x);

inline Variable operator+(const Variable& a, const Variable& b) { return add(a, b); }
inline Variable operator-(const Variable& a, const Variable& b) { return sub(a, b); }
inline Variable operator*(const Variable& a, const Variable& b) { return mul(a, b); }
inline Variable operator/(const Variable& a, const Variable& b) { return div(a, b); }
inline Variable operator+(const Variable& a, double s) { return add(a, s); }
inline Variable operator-(const Variable& a, double s) { return sub(a, s); }
inline Variable operator*(const Variable& a, double s) { return mul(a, s); }
inline Variable operator/(const Variable& a, double s) { return div(a, s); }
inline Variable operator+(double s, const Variable& a) { return add(a, s); }
inline Variable operator*(double s, const Variable& a) { return mul(a, s); }
inline Variable operator-(double s, const Variable& a) { return add(neg(a), s); }
inline Variable operator-(const Variable& x) { return neg(x); }

Variable relu(const Variable& x);
Variable exp(const Variable& x);
Variable log(const Variable& x);
Variable sigmoid(const Variable& x);
Variable tanh(const Variable& x);

// Over all dims (dims empty) or the given dims.
Variable sum(const Variable& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
Variable mean(const Variable& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);

Variable view(const Variable& x, const Shape& shape);
Variable reshape(const Variable& x, const Shape& shape);
Variable flatten(const Variable& x, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
Variable narrow(const Variable& x, std::int64_t dim, std::int64_t start, std::int64_t length);
// Views of x; their gradients are assembled into one buffer in backward.
std::vector<Variable> split(const Variable& x, const std::vector<std::int64_t>& sizes,
                            std::int64_t dim);
// Output written once; backward hands each input a view of the incoming gradient.
Variable cat(const std::vector<Variable>& xs, std::int64_t dim);
Variable transpose(const Variable& x, std::int64_t d0, std::int64_t d1);
Variable permute(const Variable& x, const std::vector<std::int64_t>& order);
Variable unsqueeze(const Variable& x, std::int64_t dim);
Variable squeeze(const Variable& x, std::int64_t dim);

// 2-D or batched 3-D.
Variable matmul(const Variable& a, const Variable& b);

}  // namespace hs
