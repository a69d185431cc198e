#pragma once
// Grad mode: whether differentiable functions record a graph. Thread-local; NoGradGuard
// turns recording off for a scope (inference, optimizer updates).
namespace hs {

bool grad_enabled();
void set_grad_enabled(bool enabled);

class NoGradGuard {
 public:
  NoGradGuard() : saved_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(saved_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool saved_;
};

}  // namespace hs
