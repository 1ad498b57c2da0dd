/* The `auto` rule table and the SIMD form thresholds, from measurements.
 *
 * `bench_kernels --sweep` times every variant single-threaded (thread CPU
 * time, best of 3) over D in {4..128} x K in {4..1024}; docs/kernels.md has
 * the full table. On the development machine (AMD EPYC, AVX-512 on 256-bit
 * units, separate FP add and FMA pipes) the direct SIMD kernels won or tied
 * at every shape, sgemm included: the subtraction of the direct form runs on
 * the add pipes beside the FMAs, while the GEMM form pays for packing, a
 * distance tile written and read back, and the guard. So every rule ranks
 * the SIMD variants first and BLAS only ahead of the scalar reference (on a
 * CPU without AVX2 its SSE selection beats the double-precision reference
 * at every K·D measured).
 *
 * Within a SIMD variant the dot form (one FMA per multiply-add, guarded)
 * overtook the direct form from K·D = 16384 with AVX2 and only at K·D >=
 * 65536 with AVX-512; a CPU whose adds share the FMA ports (most Intel
 * cores) favours the dot form and BLAS earlier: re-run the sweep there and
 * edit these tables. */
#include "kernel_auto.h"

const int64_t pe__avx2_dot_form_min_kd = 16384;
const int64_t pe__avx512_dot_form_min_kd = 65536;

typedef struct {
  int64_t max_kd; /* the rule applies while K·D <= max_kd */
  pe_kernel_id order[4];
} auto_rule;

static const auto_rule auto_rules[] = {
    {INT64_MAX, {PE_KERNEL_AVX512, PE_KERNEL_AVX2, PE_KERNEL_BLAS, PE_KERNEL_SCALAR}},
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
