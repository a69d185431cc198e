#pragma once
// Generator: an explicit, seeded random source (xoshiro256++). The same seed gives the same
// stream on every machine and run, so initialisation and augmentation are reproducible.
// Its state can be saved and restored (checkpoints).
#include <array>
#include <cstdint>

namespace hs {

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0) { seed_with(seed); }
  void seed_with(std::uint64_t seed);

  std::uint64_t next_u64();
  // Uniform in [0, 1), 53 random bits.
  double uniform();
  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n);
  // Standard normal (Box–Muller).
  double normal();

  struct State {
    std::array<std::uint64_t, 4> s{};
    bool has_spare = false;
    double spare = 0.0;
  };
  State state() const { return {s_, has_spare_, spare_}; }
  void set_state(const State& st) {
    s_ = st.s;
    has_spare_ = st.has_spare;
    spare_ = st.spare;
  }

 private:
  std::array<std::uint64_t, 4> s_{};
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace hs
