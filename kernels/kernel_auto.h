/* How `auto` picks a variant per shape; the table itself is in
 * kernel_auto.c with the measurements behind it. */
#ifndef PE_KERNEL_AUTO_H
#define PE_KERNEL_AUTO_H

#include <stdint.h>

#include "pe_kernels.h"

/* Where a SIMD variant ranks centroids with the guarded dot form instead of
 * the direct form: K·D and D both at least these (kernel_auto.c has the
 * measurements). The dot form's per-point costs (a 10-operation selection
 * per centroid, the guard's two recomputed distances) need a long
 * coordinate loop to amortise. */
typedef struct {
  int64_t min_kd;
  int min_d;
} pe__dot_form_rule;

/* The rules of this CPU (by vendor; kernel_auto.c), for PE_KERNEL_AVX2 or
 * PE_KERNEL_AVX512. */
const pe__dot_form_rule *pe__dot_form_rule_of(pe_kernel_id isa);

static inline int pe__use_dot_form(const pe__dot_form_rule *rule, int d, int k) {
  return d >= rule->min_d && (int64_t)k * d >= rule->min_kd;
}

/* The first variant of the shape's preference list that `tables` has. */
pe_kernel_id pe__kernel_auto_pick(int d, int k, const pe_kernel_table *const *tables);

#endif
