/* The scalar reference of the assignment slot: the contract every other
 * variant is tested against (tests/test_kernels.c).
 *
 * For each point i and centroid j the squared distance ‖x_i − c_j‖² is
 * accumulated in double from the exact float differences and rounded to
 * float once. The nearest centroid is the smallest distance, ties going to
 * the lowest index; d2 is the smallest distance over the other centroids
 * (equal to d1 when two centroids tie, +INFINITY when k == 1). A NaN point
 * has NaN distances, none of which compares smaller, so it keeps label 0 and
 * d1 = NaN. c_norms and work are unused. */
#include <math.h>

#include "kernel_internal.h"

double pe__ref_sq_dist(const float *x, const float *c, int d) {
  double s = 0.0;
  for (int t = 0; t < d; t++) {
    double diff = (double)x[t] - (double)c[t];
    s += diff * diff;
  }
  return s;
}

void pe__ref_assign_point(const float *x, int d, const float *c, int k, int32_t *label, float *d1,
                          float *d2) {
  double best = pe__ref_sq_dist(x, c, d), second = INFINITY;
  int32_t arg = 0;
  for (int j = 1; j < k; j++) {
    double v = pe__ref_sq_dist(x, c + (size_t)j * d, d);
    if (v < best) {
      second = best;
      best = v;
      arg = j;
    } else if (v < second) {
      second = v;
    }
  }
  *label = arg;
  *d1 = (float)best;
  if (d2) *d2 = (float)second;
}

void pe__ref_assign(const float *x, int64_t n, int d, const float *c, const float *c_norms, int k,
                    int32_t *labels, float *d1, float *d2, void *work) {
  (void)c_norms;
  (void)work;
  for (int64_t i = 0; i < n; i++)
    pe__ref_assign_point(x + (size_t)i * d, d, c, k, &labels[i], &d1[i], d2 ? &d2[i] : NULL);
}

size_t pe__ref_assign_work_bytes(int64_t n, int d, int k) {
  (void)n;
  (void)d;
  (void)k;
  return 0;
}
