/* The exact inertia slot with 256-bit double vectors, for the AVX2 and
 * AVX-512 tables (a CPU the dispatch gives AVX-512 also runs AVX2). The
 * scalar definition (ref/ref_exact_inertia.c) is already four lanes: a
 * point's coordinate t goes to sum t mod 4, and point i to block sum
 * i mod 4. One vector therefore holds the four sums of a point, and one the
 * four block sums, each lane adding the same values in the same order as the
 * scalar code: the same bits. Compiled with -ffp-contract=off so that no
 * multiply and add are fused. */
#include <immintrin.h>

#include "kernel_internal.h"

/* The four coordinate sums of ‖x − c‖²; the lanes of a partial last group of
 * coordinates load zeros and add +0, which leaves a sum of squares as is. */
static inline __m256d point_sums(const float *x, const float *c, int d, __m128i tail) {
  __m256d acc = _mm256_setzero_pd();
  int t = 0;
  for (; t + 4 <= d; t += 4) {
    __m256d e = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + t)),
                              _mm256_cvtps_pd(_mm_loadu_ps(c + t)));
    acc = _mm256_add_pd(acc, _mm256_mul_pd(e, e));
  }
  if (t < d) {
    __m256d e = _mm256_sub_pd(_mm256_cvtps_pd(_mm_maskload_ps(x + t, tail)),
                              _mm256_cvtps_pd(_mm_maskload_ps(c + t, tail)));
    acc = _mm256_add_pd(acc, _mm256_mul_pd(e, e));
  }
  return acc;
}

double pe__avx2_exact_inertia(const float *x, int64_t n, int d, const float *c,
                              const int32_t *labels, const float *weights) {
  const int r = d & 3;
  const __m128i tail = _mm_setr_epi32(r > 0 ? -1 : 0, r > 1 ? -1 : 0, r > 2 ? -1 : 0, 0);
  __m256d s = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float *xi = x + (size_t)i * d;
    __m256d a = point_sums(xi, c + (size_t)labels[i] * d, d, tail);
    __m256d b = point_sums(xi + d, c + (size_t)labels[i + 1] * d, d, tail);
    __m256d e = point_sums(xi + 2 * (size_t)d, c + (size_t)labels[i + 2] * d, d, tail);
    __m256d f = point_sums(xi + 3 * (size_t)d, c + (size_t)labels[i + 3] * d, d, tail);
    /* (a0 + a1, b0 + b1, a2 + a3, b2 + b3) and the same for e, f; then the
     * pairs are regrouped so lane j holds (s0 + s1) + (s2 + s3) of point
     * i + j. */
    __m256d ab = _mm256_hadd_pd(a, b), ef = _mm256_hadd_pd(e, f);
    __m256d dist = _mm256_add_pd(_mm256_permute2f128_pd(ab, ef, 0x20),
                                 _mm256_permute2f128_pd(ab, ef, 0x31));
    if (weights) dist = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(weights + i)), dist);
    s = _mm256_add_pd(s, dist);
  }
  _Alignas(32) double lane[4];
  _mm256_store_pd(lane, s);
  for (; i < n; i++) {
    double di = pe_kernel_exact_sq_dist(x + (size_t)i * d, c + (size_t)labels[i] * d, d);
    lane[i & 3] += weights ? (double)weights[i] * di : di;
  }
  return (lane[0] + lane[1]) + (lane[2] + lane[3]);
}
