/* How `auto` picks a variant per shape; the table itself is in
 * kernel_auto.c with the measurements behind it. */
#ifndef PE_KERNEL_AUTO_H
#define PE_KERNEL_AUTO_H

#include "pe_kernels.h"

/* K·D from which the SIMD variants switch from the direct form to the
 * guarded dot form (see kernel_auto.c for the measurements). */
#define PE__DOT_FORM_MIN_KD 2048

/* The first variant of the shape's preference list that `tables` has. */
pe_kernel_id pe__kernel_auto_pick(int d, int k, const pe_kernel_table *const *tables);

#endif
