/* The label-diff slot with 16-lane compares: the changed lanes' positions and
 * old labels are compressed in a register and stored as whole vectors at the
 * output's end (a compress straight to memory is microcoded and slow on some
 * cores). A whole vector may be stored only where 16 more entries fit: the
 * m changed points so far number at most i, so m + 16 <= n there. */
#include <immintrin.h>

#include "kernel_internal.h"

int64_t pe__avx512_label_diff(const int32_t *old, const int32_t *now, int64_t n,
                              int32_t *moved_at, int32_t *moved_old) {
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  int64_t m = 0, i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i a = _mm512_loadu_si512(old + i);
    __mmask16 changed = _mm512_cmpneq_epi32_mask(a, _mm512_loadu_si512(now + i));
    if (!changed) continue;
    __m512i at = _mm512_add_epi32(iota, _mm512_set1_epi32((int32_t)i));
    _mm512_storeu_si512(moved_at + m, _mm512_maskz_compress_epi32(changed, at));
    _mm512_storeu_si512(moved_old + m, _mm512_maskz_compress_epi32(changed, a));
    m += __builtin_popcount((unsigned)changed);
  }
  /* The tail, fewer than a vector, through the reference. */
  const int64_t t = pe__ref_label_diff(old + i, now + i, n - i, moved_at + m, moved_old + m);
  for (int64_t j = m; j < m + t; j++) moved_at[j] += (int32_t)i;
  return m + t;
}
