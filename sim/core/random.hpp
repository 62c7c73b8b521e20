#pragma once
// Seeded randomness that gives the same numbers on every machine: std:: distributions are
// implementation-defined, so the few we need are written out here over splitmix64.
#include <cmath>
#include <cstdint>
#include <string_view>

namespace trainsim {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  // Independent stream per purpose: Rng(seed).fork("bandwidth-spread").
  Rng fork(std::string_view purpose) const {
    uint64_t h = state_ ^ 0x9E3779B97F4A7C15ull;
    for (char c : purpose) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
    return Rng(h);
  }
  uint64_t next_u64() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform01() { return (next_u64() >> 11) * (1.0 / 9007199254740992.0); }  // [0,1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }
  uint64_t below(uint64_t n) { return n ? next_u64() % n : 0; }
  double normal() {  // Box-Muller, one value per call
    double u1 = uniform01(), u2 = uniform01();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Lognormal with median 1 (mu = 0): a multiplicative spread around the nominal value.
  double lognormal(double sigma) { return std::exp(sigma * normal()); }

 private:
  uint64_t state_;
};

}  // namespace trainsim
