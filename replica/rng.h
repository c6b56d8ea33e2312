#ifndef STEPWISE_REPLICA_RNG_H_
#define STEPWISE_REPLICA_RNG_H_

#include <cstdint>

namespace stepwise {

// A small seeded generator (SplitMix64) whose output is fixed by its seed on
// every platform. std::*_distribution is implementation-defined, so ranges
// are drawn here too: a trace must replay byte for byte from one seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [lo, hi] (inclusive); lo <= hi. The modulo bias is below
  // 2^-40 for the ranges used here, which no test can observe.
  int64_t Uniform(int64_t lo, int64_t hi) {
    uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    if (span == 0) return static_cast<int64_t>(Next());
    return lo + static_cast<int64_t>(Next() % span);
  }

  // Uniform in [0, 1).
  double NextDouble() { return (Next() >> 11) * 0x1.0p-53; }

  // True with probability p.
  bool Chance(double p) { return NextDouble() < p; }

  // A new independent stream derived from this one and a label, so adding a
  // consumer of one stream does not shift any other.
  static uint64_t Derive(uint64_t seed, uint64_t label) {
    Rng mix(seed ^ (label * 0xD1B54A32D192ED03ULL));
    mix.Next();
    return mix.Next();
  }

 private:
  uint64_t state_;
};

}  // namespace stepwise

#endif  // STEPWISE_REPLICA_RNG_H_
