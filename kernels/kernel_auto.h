/* How `auto` picks a variant per shape; the table itself is in
 * kernel_auto.c with the measurements behind it. */
#ifndef PE_KERNEL_AUTO_H
#define PE_KERNEL_AUTO_H

#include <stdint.h>

#include "pe_kernels.h"

/* K·D from which a SIMD variant ranks centroids with the guarded dot form
 * instead of the direct form (kernel_auto.c has the measurements). */
extern const int64_t pe__avx2_dot_form_min_kd;
extern const int64_t pe__avx512_dot_form_min_kd;

/* The first variant of the shape's preference list that `tables` has. */
pe_kernel_id pe__kernel_auto_pick(int d, int k, const pe_kernel_table *const *tables);

#endif
