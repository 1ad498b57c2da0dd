/* A 16 x 8 float transpose in AVX-512 registers, for the point packing of
 * the AVX-512 kernels: 16 points' 8 coordinates into 8 vectors of 16 lanes
 * (one per coordinate). Three rounds of 8 two-source permutes (vpermt2ps),
 * each exchanging one bit of the register index with one bit of the lane
 * index, where two 8 x 8 AVX transposes take 48 shuffles: measured on
 * (1e6, 8, 8), where packing is a large share of the work. (The index
 * vectors come from a simulation of the three exchanges.) */
#ifndef PE_TRANSPOSE16X8_AVX512_H
#define PE_TRANSPOSE16X8_AVX512_H

#include <immintrin.h>
#include <stddef.h>

/* dst[t * ldd + q] = src[q * ld + t] for q < 16, t < 8; dst 64-byte
 * aligned. */
static inline void pe__transpose16x8(const float *src, size_t ld, float *dst, size_t ldd) {
  __m512 z[8];
  /* z[r]: points 2r and 2r + 1, coordinates 0..7 each. */
  if (ld == 8)
    for (int r = 0; r < 8; r++) z[r] = _mm512_loadu_ps(src + 16 * r);
  else
    for (int r = 0; r < 8; r++)
      z[r] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_loadu_ps(src + 2 * r * ld)),
                                _mm256_loadu_ps(src + (2 * r + 1) * ld), 1);
  /* Round 1: register bit 0 <-> lane bit 0. */
  const __m512i e0 = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
  const __m512i o0 = _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
  __m512 a[8];
  for (int r = 0; r < 8; r += 2) {
    a[r] = _mm512_permutex2var_ps(z[r], e0, z[r + 1]);
    a[r + 1] = _mm512_permutex2var_ps(z[r], o0, z[r + 1]);
  }
  /* Round 2: register bit 1 <-> lane bit 1. */
  const __m512i e1 = _mm512_setr_epi32(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
  const __m512i o1 = _mm512_setr_epi32(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
  __m512 b[8];
  for (int r = 0; r < 8; r += 4)
    for (int h = 0; h < 2; h++) {
      b[r + h] = _mm512_permutex2var_ps(a[r + h], e1, a[r + h + 2]);
      b[r + h + 2] = _mm512_permutex2var_ps(a[r + h], o1, a[r + h + 2]);
    }
  /* Round 3: register bit 2 <-> lane bit 2, lanes in point order. */
  const __m512i e2 = _mm512_setr_epi32(0, 8, 1, 9, 2, 10, 3, 11, 16, 24, 17, 25, 18, 26, 19, 27);
  const __m512i o2 = _mm512_setr_epi32(4, 12, 5, 13, 6, 14, 7, 15, 20, 28, 21, 29, 22, 30, 23, 31);
  for (int h = 0; h < 4; h++) {
    _mm512_store_ps(dst + (size_t)h * ldd, _mm512_permutex2var_ps(b[h], e2, b[h + 4]));
    _mm512_store_ps(dst + (size_t)(h + 4) * ldd, _mm512_permutex2var_ps(b[h], o2, b[h + 4]));
  }
}

#define PE_TRANSPOSE16X8(src, ld, dst, ldd) pe__transpose16x8((src), (ld), (dst), (ldd))

#endif
