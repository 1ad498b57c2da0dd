/* The scalar reference of the centroid-update slot: for each point i,
 * sums[labels[i]][t] += w_i * x[i][t] and counts[labels[i]] += w_i in double,
 * with w_i = weights[i] (or 1 when weights is NULL), adding to what sums and
 * counts already hold. Points are visited in index order, so the result is
 * the same on every run. */
#include "kernel_internal.h"

void pe__ref_accumulate(const float *x, int64_t n, int d, const int32_t *labels,
                        const float *weights, int k, double *sums, double *counts) {
  (void)k;
  for (int64_t i = 0; i < n; i++) {
    double w = weights ? (double)weights[i] : 1.0;
    double *row = sums + (size_t)labels[i] * d;
    const float *xi = x + (size_t)i * d;
    for (int t = 0; t < d; t++) row[t] += w * (double)xi[t];
    counts[labels[i]] += w;
  }
}
