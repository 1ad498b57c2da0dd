/* Explicit, seedable random number generator (xoshiro256** seeded through
 * splitmix64). There is no global state: every consumer owns a pe_rng, and
 * parallel code derives one independent stream per fixed work unit (customer,
 * block) from (seed, stream id), so results never depend on thread count. */
#ifndef PE_CORE_RNG_H
#define PE_CORE_RNG_H

#include <stdint.h>

typedef struct {
  uint64_t s[4];
} pe_rng;

/* Seeds `rng` for stream `stream` of `seed`. Distinct (seed, stream) pairs give
 * statistically independent sequences. */
void pe_rng_init(pe_rng *rng, uint64_t seed, uint64_t stream);
uint64_t pe_rng_next(pe_rng *rng);
/* Uniform in [0, 1) with 53 random bits. */
double pe_rng_uniform(pe_rng *rng);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t pe_rng_below(pe_rng *rng, uint64_t n);
/* Standard normal (Box-Muller; the second value is discarded so that the
 * sequence position depends only on the number of calls). */
double pe_rng_normal(pe_rng *rng);
/* exp(N(mu, sigma^2)). */
double pe_rng_lognormal(pe_rng *rng, double mu, double sigma);
/* Exponential with the given mean. */
double pe_rng_exponential(pe_rng *rng, double mean);
/* Poisson with mean `lambda` (exact inversion below 30, normal approximation
 * above, which is plenty for synthetic data). */
uint32_t pe_rng_poisson(pe_rng *rng, double lambda);

/* splitmix64 step, also useful as a cheap integer hash. */
uint64_t pe_splitmix64(uint64_t *state);

#endif
