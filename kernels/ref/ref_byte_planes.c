/* Byte planes, portable reference (see pe_kernels.h, pe_kernel_unshuffle).
 *
 * The 8- and 4-byte forms read or write every plane sequentially and move
 * whole elements, which the compiler vectorises somewhat; the generic byte
 * loop strides through memory. Assembling an element by shifts assumes byte
 * b of it is bits 8b..8b+7, hence the endianness test. */
#include <stdint.h>
#include <string.h>

#include "kernel_internal.h"

#define WHOLE_ELEMENTS (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

void pe__ref_unshuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem) {
  if (elem == 1) {
    memcpy(out, in, n);
    return;
  }
  if (WHOLE_ELEMENTS && elem == 8) {
    for (size_t i = 0; i < n; i++) {
      uint64_t v = 0;
      for (size_t b = 0; b < 8; b++) v |= (uint64_t)in[b * n + i] << (8 * b);
      memcpy(out + 8 * i, &v, 8);
    }
    return;
  }
  if (WHOLE_ELEMENTS && elem == 4) {
    for (size_t i = 0; i < n; i++) {
      uint32_t v = 0;
      for (size_t b = 0; b < 4; b++) v |= (uint32_t)in[b * n + i] << (8 * b);
      memcpy(out + 4 * i, &v, 4);
    }
    return;
  }
  for (size_t b = 0; b < elem; b++) {
    const unsigned char *src = in + b * n;
    for (size_t i = 0; i < n; i++) out[i * elem + b] = src[i];
  }
}

void pe__ref_shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem) {
  if (elem == 1) { /* one plane: the bytes themselves */
    memcpy(out, in, n);
    return;
  }
  if (WHOLE_ELEMENTS && elem == 8) {
    for (size_t i = 0; i < n; i++) {
      uint64_t v;
      memcpy(&v, in + 8 * i, 8);
      for (size_t b = 0; b < 8; b++) out[b * n + i] = (unsigned char)(v >> (8 * b));
    }
    return;
  }
  if (WHOLE_ELEMENTS && elem == 4) {
    for (size_t i = 0; i < n; i++) {
      uint32_t v;
      memcpy(&v, in + 4 * i, 4);
      for (size_t b = 0; b < 4; b++) out[b * n + i] = (unsigned char)(v >> (8 * b));
    }
    return;
  }
  for (size_t b = 0; b < elem; b++) {
    unsigned char *dst = out + b * n;
    for (size_t i = 0; i < n; i++) dst[i] = in[i * elem + b];
  }
}
