/* The `auto` rule table: for each range of K·D (the multiply-adds per point),
 * the variants in order of preference. The first one this CPU runs wins.
 *
 * Measured with bench/bench_kernels (docs/kernels.md has the numbers): the
 * direct SIMD kernels are memory-bound and beat sgemm while K·D is small,
 * because sgemm packs its operands and writes a distance tile that must be
 * read back; from K·D of a few thousand the work per point amortises that
 * and sgemm's register blocking wins. */
#include "kernel_auto.h"

#include <stdint.h>

typedef struct {
  int64_t max_kd; /* the rule applies while K·D <= max_kd */
  pe_kernel_id order[4];
} auto_rule;

static const auto_rule auto_rules[] = {
    {4095, {PE_KERNEL_AVX512, PE_KERNEL_AVX2, PE_KERNEL_BLAS, PE_KERNEL_SCALAR}},
    {INT64_MAX, {PE_KERNEL_BLAS, PE_KERNEL_AVX512, PE_KERNEL_AVX2, PE_KERNEL_SCALAR}},
};

pe_kernel_id pe__kernel_auto_pick(int d, int k, const pe_kernel_table *const *tables) {
  int64_t kd = (int64_t)k * d;
  for (size_t r = 0; r < sizeof auto_rules / sizeof auto_rules[0]; r++) {
    if (kd > auto_rules[r].max_kd) continue;
    for (int i = 0; i < 4; i++)
      if (tables[auto_rules[r].order[i]]) return auto_rules[r].order[i];
  }
  return PE_KERNEL_SCALAR;
}
