/* Joining byte planes with AVX2 (see pe_kernels.h, pe_kernel_unshuffle): 32
 * elements at a time, as a transpose of byte planes by unpacking pairs of
 * registers at 8, 16 and 32 bits. The unpacks work within 128-bit lanes, so
 * the low lanes end up holding elements 0-15 and the high lanes 16-31, which
 * the final lane permutes put back in order. About six times the reference's
 * speed on a 1 MiB chunk (48 vs 8 GB/s, 8-byte elements, in cache).
 *
 * Splitting elements into planes (pe_kernel_shuffle, for writing) is the
 * same transpose the other way: a byte shuffle groups each lane's bytes by
 * their position in the element, unpacks gather one position of every
 * register, and a lane permute puts the elements back in order.
 *
 * Element sizes other than 4 and 8, and the tail of fewer than 32 elements,
 * go through the reference. */
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

/* 32 whole 8-byte elements at in -> the eight planes' 32 bytes at
 * out + b * n. */
static inline void split8(const unsigned char *in, unsigned char *out, size_t n) {
  /* Within a lane (two elements): the pair of bytes 0, then of bytes 1, ... */
  const __m256i by_position =
      _mm256_setr_epi8(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15, 0, 8, 1, 9, 2, 10, 3,
                       11, 4, 12, 5, 13, 6, 14, 7, 15);
  __m256i a[8];
  for (int i = 0; i < 8; i++)
    a[i] = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(in + 32 * i)), by_position);
  const __m256i c0 = _mm256_unpacklo_epi16(a[0], a[1]), c1 = _mm256_unpackhi_epi16(a[0], a[1]);
  const __m256i c2 = _mm256_unpacklo_epi16(a[2], a[3]), c3 = _mm256_unpackhi_epi16(a[2], a[3]);
  const __m256i c4 = _mm256_unpacklo_epi16(a[4], a[5]), c5 = _mm256_unpackhi_epi16(a[4], a[5]);
  const __m256i c6 = _mm256_unpacklo_epi16(a[6], a[7]), c7 = _mm256_unpackhi_epi16(a[6], a[7]);
  const __m256i d0 = _mm256_unpacklo_epi32(c0, c2), d1 = _mm256_unpackhi_epi32(c0, c2);
  const __m256i d2 = _mm256_unpacklo_epi32(c1, c3), d3 = _mm256_unpackhi_epi32(c1, c3);
  const __m256i d4 = _mm256_unpacklo_epi32(c4, c6), d5 = _mm256_unpackhi_epi32(c4, c6);
  const __m256i d6 = _mm256_unpacklo_epi32(c5, c7), d7 = _mm256_unpackhi_epi32(c5, c7);
  /* Plane b: per lane, byte b of elements 4i + {0, 1} (low lane) or
   * 4i + {2, 3} (high lane) for i = 0..7, a 16-bit pair each. */
  const __m256i e[8] = {_mm256_unpacklo_epi64(d0, d4), _mm256_unpackhi_epi64(d0, d4),
                        _mm256_unpacklo_epi64(d1, d5), _mm256_unpackhi_epi64(d1, d5),
                        _mm256_unpacklo_epi64(d2, d6), _mm256_unpackhi_epi64(d2, d6),
                        _mm256_unpacklo_epi64(d3, d7), _mm256_unpackhi_epi64(d3, d7)};
  /* Interleave the lanes' pairs: i = 0..3 into the low lane, 4..7 into the
   * high one. */
  const __m256i pairs = _mm256_setr_epi8(0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15, 0, 1,
                                         8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15);
  for (int b = 0; b < 8; b++) {
    const __m256i q = _mm256_permute4x64_epi64(e[b], 0xD8); /* qwords 0, 2, 1, 3 */
    _mm256_storeu_si256((__m256i *)(out + (size_t)b * n), _mm256_shuffle_epi8(q, pairs));
  }
}

/* 32 whole 4-byte elements at in -> the four planes' 32 bytes at
 * out + b * n. */
static inline void split4(const unsigned char *in, unsigned char *out, size_t n) {
  /* Within a lane (four elements): their bytes 0, then their bytes 1, ... */
  const __m256i by_position =
      _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, 0, 4, 8, 12, 1, 5, 9,
                       13, 2, 6, 10, 14, 3, 7, 11, 15);
  __m256i a[4];
  for (int i = 0; i < 4; i++)
    a[i] = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i *)(in + 32 * i)), by_position);
  const __m256i c0 = _mm256_unpacklo_epi32(a[0], a[1]), c1 = _mm256_unpackhi_epi32(a[0], a[1]);
  const __m256i c2 = _mm256_unpacklo_epi32(a[2], a[3]), c3 = _mm256_unpackhi_epi32(a[2], a[3]);
  /* Plane b: per lane, byte b of elements 8i + {0..3} (low lane) or
   * 8i + {4..7} (high lane) for i = 0..3, four bytes each. */
  const __m256i e[4] = {_mm256_unpacklo_epi64(c0, c2), _mm256_unpackhi_epi64(c0, c2),
                        _mm256_unpacklo_epi64(c1, c3), _mm256_unpackhi_epi64(c1, c3)};
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int b = 0; b < 4; b++)
    _mm256_storeu_si256((__m256i *)(out + (size_t)b * n), _mm256_permutevar8x32_epi32(e[b], order));
}

void pe__avx2_shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem) {
  if (elem != 8 && elem != 4) {
    pe__ref_shuffle(in, out, n, elem);
    return;
  }
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    if (elem == 8)
      split8(in + 8 * i, out + i, n);
    else
      split4(in + 4 * i, out + i, n);
  }
  /* The tail: its bytes go to offset i of every plane. */
  for (; i < n; i++)
    for (size_t b = 0; b < elem; b++) out[b * n + i] = in[i * elem + b];
}
