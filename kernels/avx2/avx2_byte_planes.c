/* Joining byte planes with AVX2 (see pe_kernels.h, pe_kernel_unshuffle): 32
 * elements at a time, as a transpose of byte planes by unpacking pairs of
 * registers at 8, 16 and 32 bits. The unpacks work within 128-bit lanes, so
 * the low lanes end up holding elements 0-15 and the high lanes 16-31, which
 * the final lane permutes put back in order. About six times the reference's
 * speed on a 1 MiB chunk (48 vs 8 GB/s, 8-byte elements, in cache). Element
 * sizes other than 4 and 8, and the tail of fewer than 32 elements, go
 * through the reference. */
#include <immintrin.h>
#include <stddef.h>

#include "kernel_internal.h"

/* The eight planes' 32 bytes at a[0..7] -> 32 whole 8-byte elements. */
static inline void join8(const __m256i a[8], unsigned char *out) {
  const __m256i b0 = _mm256_unpacklo_epi8(a[0], a[1]), b1 = _mm256_unpackhi_epi8(a[0], a[1]);
  const __m256i b2 = _mm256_unpacklo_epi8(a[2], a[3]), b3 = _mm256_unpackhi_epi8(a[2], a[3]);
  const __m256i b4 = _mm256_unpacklo_epi8(a[4], a[5]), b5 = _mm256_unpackhi_epi8(a[4], a[5]);
  const __m256i b6 = _mm256_unpacklo_epi8(a[6], a[7]), b7 = _mm256_unpackhi_epi8(a[6], a[7]);
  const __m256i c0 = _mm256_unpacklo_epi16(b0, b2), c1 = _mm256_unpackhi_epi16(b0, b2);
  const __m256i c2 = _mm256_unpacklo_epi16(b1, b3), c3 = _mm256_unpackhi_epi16(b1, b3);
  const __m256i c4 = _mm256_unpacklo_epi16(b4, b6), c5 = _mm256_unpackhi_epi16(b4, b6);
  const __m256i c6 = _mm256_unpacklo_epi16(b5, b7), c7 = _mm256_unpackhi_epi16(b5, b7);
  const __m256i d0 = _mm256_unpacklo_epi32(c0, c4), d1 = _mm256_unpackhi_epi32(c0, c4);
  const __m256i d2 = _mm256_unpacklo_epi32(c1, c5), d3 = _mm256_unpackhi_epi32(c1, c5);
  const __m256i d4 = _mm256_unpacklo_epi32(c2, c6), d5 = _mm256_unpackhi_epi32(c2, c6);
  const __m256i d6 = _mm256_unpacklo_epi32(c3, c7), d7 = _mm256_unpackhi_epi32(c3, c7);
  __m256i *o = (__m256i *)out;
  _mm256_storeu_si256(o + 0, _mm256_permute2x128_si256(d0, d1, 0x20));
  _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(d2, d3, 0x20));
  _mm256_storeu_si256(o + 2, _mm256_permute2x128_si256(d4, d5, 0x20));
  _mm256_storeu_si256(o + 3, _mm256_permute2x128_si256(d6, d7, 0x20));
  _mm256_storeu_si256(o + 4, _mm256_permute2x128_si256(d0, d1, 0x31));
  _mm256_storeu_si256(o + 5, _mm256_permute2x128_si256(d2, d3, 0x31));
  _mm256_storeu_si256(o + 6, _mm256_permute2x128_si256(d4, d5, 0x31));
  _mm256_storeu_si256(o + 7, _mm256_permute2x128_si256(d6, d7, 0x31));
}

/* The four planes' 32 bytes at a[0..3] -> 32 whole 4-byte elements. */
static inline void join4(const __m256i a[4], unsigned char *out) {
  const __m256i b0 = _mm256_unpacklo_epi8(a[0], a[1]), b1 = _mm256_unpackhi_epi8(a[0], a[1]);
  const __m256i b2 = _mm256_unpacklo_epi8(a[2], a[3]), b3 = _mm256_unpackhi_epi8(a[2], a[3]);
  const __m256i c0 = _mm256_unpacklo_epi16(b0, b2), c1 = _mm256_unpackhi_epi16(b0, b2);
  const __m256i c2 = _mm256_unpacklo_epi16(b1, b3), c3 = _mm256_unpackhi_epi16(b1, b3);
  __m256i *o = (__m256i *)out;
  _mm256_storeu_si256(o + 0, _mm256_permute2x128_si256(c0, c1, 0x20));
  _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(c2, c3, 0x20));
  _mm256_storeu_si256(o + 2, _mm256_permute2x128_si256(c0, c1, 0x31));
  _mm256_storeu_si256(o + 3, _mm256_permute2x128_si256(c2, c3, 0x31));
}

void pe__avx2_unshuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem) {
  if (elem != 8 && elem != 4) {
    pe__ref_unshuffle(in, out, n, elem);
    return;
  }
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i a[8];
    for (size_t b = 0; b < elem; b++) a[b] = _mm256_loadu_si256((const __m256i *)(in + b * n + i));
    if (elem == 8)
      join8(a, out + 8 * i);
    else
      join4(a, out + 4 * i);
  }
  /* The tail: its bytes sit at offset i of every plane. */
  for (; i < n; i++)
    for (size_t b = 0; b < elem; b++) out[i * elem + b] = in[b * n + i];
}
