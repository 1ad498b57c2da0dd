/* The label-diff slot with 8-lane compares: one compare and one mask test
 * per 8 points, and per changed point only its position and old label
 * written (after the first iterations of k-means few points change, and a
 * branch or a write per point cost more than the compare). */
#include <immintrin.h>

#include "kernel_internal.h"

int64_t pe__avx2_label_diff(const int32_t *old, const int32_t *now, int64_t n, int32_t *moved_at,
                            int32_t *moved_old) {
  int64_t m = 0, i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i eq = _mm256_cmpeq_epi32(_mm256_loadu_si256((const __m256i *)(old + i)),
                                    _mm256_loadu_si256((const __m256i *)(now + i)));
    unsigned changed = ~(unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(eq)) & 0xFFu;
    while (changed) {
      int lane = __builtin_ctz(changed);
      changed &= changed - 1;
      moved_at[m] = (int32_t)(i + lane);
      moved_old[m] = old[i + lane];
      m++;
    }
  }
  /* The tail, fewer than a vector, through the reference. */
  const int64_t t = pe__ref_label_diff(old + i, now + i, n - i, moved_at + m, moved_old + m);
  for (int64_t j = m; j < m + t; j++) moved_at[j] += (int32_t)i;
  return m + t;
}
