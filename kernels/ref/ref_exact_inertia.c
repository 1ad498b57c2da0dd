/* The scalar definition of the exact inertia slot and of the exact distance
 * it sums. Compiled with -ffp-contract=off (kernels/CMakeLists.txt): every
 * variant must reproduce these bits, and a fused multiply-add would round
 * differently. */
#include "kernel_internal.h"

double pe_kernel_exact_sq_dist(const float *x, const float *c, int d) {
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  for (int t = 0; t < d; t++) {
    double e = (double)x[t] - (double)c[t];
    s[t & 3] += e * e;
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

double pe__ref_exact_inertia(const float *x, int64_t n, int d, const float *c,
                             const int32_t *labels, const float *weights) {
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  for (int64_t i = 0; i < n; i++) {
    double di = pe_kernel_exact_sq_dist(x + (size_t)i * d, c + (size_t)labels[i] * d, d);
    s[i & 3] += weights ? (double)weights[i] * di : di;
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}
