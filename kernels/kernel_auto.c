/* The `auto` rule table and the SIMD form thresholds, from measurements.
 *
 * `bench_kernels --sweep` times each variant single-threaded (thread CPU
 * time, best of 5) over D in {4..128} x K in {4..1024}; docs/kernels.md has
 * the table. On the development machine (AMD EPYC with AVX-512 on 256-bit
 * units and FP adds on their own pipes) a SIMD kernel won at every one of the
 * 54 shapes; sgemm (kernels/blas/) came within 10-15 % only at K·D >= 32768
 * and never ahead, as it pays for packing, a distance tile written and read
 * back, and the guard, which the register-blocked dot form does without. So
 * the one rule ranks the SIMD variants first and BLAS only ahead of the
 * scalar reference (which it beats at every shape, for CPUs without AVX2).
 *
 * Within a SIMD variant, the dot form (one FMA per multiply-add) beats the
 * direct form (a subtraction and an FMA) only with long coordinate loops,
 * and where depends on the core:
 *
 * - AMD Zen 4 (FP adds on pipes of their own, so the direct form's
 *   subtraction is nearly free): AVX2 from D >= 32 and K·D >= 8192 (e.g.
 *   D=32 K=256: 62 vs 50 GFLOP/s, D=128 K=1024: 87 vs 67), AVX-512 from
 *   D >= 64 and K·D >= 16384 (D=64 K=1024: 95 vs 88, D=128 K=1024: 100 vs 88;
 *   at D = 32 the direct form stayed ahead, 77-80 vs 66-71).
 * - AMD Zen 5 (family 0x1A; 2026-11-24 sweep on 2 vCPUs of an EPYC VM, 512-bit
 *   FP pipes): the AVX-512 direct form won at all 54 shapes, by 4-10% where
 *   the dot form came closest (D=128 K=1024: 246 vs 232 GFLOP/s, D=64 K=1024:
 *   239 vs 218, D=32 K=1024: 227 vs 193), so AVX-512 never takes the dot
 *   form there; AVX2 as on Zen 4 (D=32 K=512: 97 vs 93, D=128 K=128: 104
 *   vs 93; D=32 K=256 and D=64 K=64 tie).
 * - Intel Xeon (2026-11 sweep on 2 vCPUs of a Xeon with AVX-512; the adds
 *   share the FMA ports, so the subtraction costs a port slot): AVX-512 from
 *   D >= 16 and K·D >= 4096 (D=16 K=256: 91 vs 87, D=32 K=256: 118 vs 94,
 *   D=128 K=1024: 153 vs 101; D=16 K=128 stays direct, 78 vs 83), AVX2 from
 *   D >= 32 and K·D >= 4096 (D=32 K=128: 62 vs 59, D=64 K=64: 65 vs 59; at
 *   D = 16 the direct form won every K).
 *
 * Other vendors get the Intel rules (the common case of shared ports). The
 * vendor is a proxy for the core's port layout, measured on one core of
 * each kind; a new core that disagrees deserves its own row.
 * docs/kernels.md has both sweeps; re-run `bench_kernels --sweep` on a new
 * core and add its row here. */
#include "kernel_auto.h"

#include <limits.h>
#include <string.h>

typedef struct {
  const char *vendor; /* cpuid leaf 0; NULL: any other */
  int min_family;     /* the row applies from this cpuid family on */
  pe__dot_form_rule avx2, avx512;
} vendor_rules;

/* A rule that never picks the dot form. */
#define NEVER {INT64_MAX, INT_MAX}

/* First matching row wins: newer families before older ones. */
static const vendor_rules dot_form_rules[] = {
    {"AuthenticAMD", 0x1A, {8192, 32}, NEVER}, /* Zen 5 */
    {"AuthenticAMD", 0, {8192, 32}, {16384, 64}},
    {"HygonGenuine", 0, {8192, 32}, {16384, 64}}, /* Zen cores */
    {NULL, 0, {4096, 32}, {4096, 16}},
};

const pe__dot_form_rule *pe__dot_form_rule_of(pe_kernel_id isa) {
  const pe_cpu_features *cpu = pe_kernel_cpu();
  const vendor_rules *r = dot_form_rules;
  while (r->vendor && (strcmp(r->vendor, cpu->vendor) != 0 || cpu->family < r->min_family)) r++;
  return isa == PE_KERNEL_AVX512 ? &r->avx512 : &r->avx2;
}

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
