#include "core/rng.h"

#include <math.h>

uint64_t pe_splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void pe_rng_init(pe_rng *rng, uint64_t seed, uint64_t stream) {
  /* Mix the stream id through splitmix64 first so that neighbouring streams
   * do not start from neighbouring states. */
  uint64_t st = stream;
  uint64_t state = seed ^ pe_splitmix64(&st);
  for (int i = 0; i < 4; i++) rng->s[i] = pe_splitmix64(&state);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t pe_rng_next(pe_rng *rng) {
  uint64_t *s = rng->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double pe_rng_uniform(pe_rng *rng) { return (double)(pe_rng_next(rng) >> 11) * 0x1.0p-53; }

uint64_t pe_rng_below(pe_rng *rng, uint64_t n) {
  /* Lemire's nearly-divisionless method with rejection: unbiased. */
  __uint128_t m = (__uint128_t)pe_rng_next(rng) * n;
  uint64_t low = (uint64_t)m;
  if (low < n) {
    uint64_t threshold = -n % n;
    while (low < threshold) {
      m = (__uint128_t)pe_rng_next(rng) * n;
      low = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}

double pe_rng_normal(pe_rng *rng) {
  double u1 = pe_rng_uniform(rng);
  double u2 = pe_rng_uniform(rng);
  if (u1 < 1e-300) u1 = 1e-300;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double pe_rng_lognormal(pe_rng *rng, double mu, double sigma) {
  return exp(mu + sigma * pe_rng_normal(rng));
}

double pe_rng_exponential(pe_rng *rng, double mean) {
  return -mean * log(1.0 - pe_rng_uniform(rng));
}

uint32_t pe_rng_poisson(pe_rng *rng, double lambda) {
  if (lambda <= 0) return 0;
  if (lambda < 30) {
    double limit = exp(-lambda), p = pe_rng_uniform(rng);
    uint32_t k = 0;
    while (p > limit) {
      p *= pe_rng_uniform(rng);
      k++;
    }
    return k;
  }
  double x = lambda + sqrt(lambda) * pe_rng_normal(rng) + 0.5;
  return x < 0 ? 0 : (uint32_t)x;
}
