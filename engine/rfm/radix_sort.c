#include "rfm/radix_sort.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* Below this many keys one block does: the per-block bookkeeping would cost
 * more than the second thread saves. */
#define PARALLEL_MIN_KEYS 65536

/* Digits of up to 11 bits: ids that vary in their low 33 bits (ten
 * million customers with ids below 2^33) sort in 3 passes instead of 5
 * byte passes, with counts that still fit the L1 cache. (At 9.5M ids the
 * sort took the same time either way on the development VM, where the page
 * faults of the fresh second copy weigh as much as the passes.) */
#define MAX_DIGIT_BITS 11

/* A stable sort's result does not depend on how the keys are split into
 * blocks: in each pass every block counts its keys' digits, and a block's
 * keys of a bucket go after those of the blocks before it, in their order.
 * So the threads each take one block per pass and the output is the same
 * for any thread count. (The blocks' counts are taken anew in each pass:
 * the previous pass moved the keys between blocks.) */
/* The sort by the bits of the keys above the lowest `ignore_low`, vals (or
 * NULL) moving along. */
static pe_status sort(uint64_t *keys, uint64_t *vals, int64_t n, int ignore_low) {
  if (n < 2) return PE_OK;
  const int blocks = n >= PARALLEL_MIN_KEYS ? omp_get_max_threads() : 1;
  int64_t(*count)[1 << MAX_DIGIT_BITS] = malloc((size_t)blocks * sizeof *count);
  uint64_t *k2 = malloc((size_t)n * sizeof *k2), *v2 = vals ? malloc((size_t)n * sizeof *v2) : NULL;
  if (!count || !k2 || (vals && !v2)) {
    free(count);
    free(k2);
    free(v2);
    return pe__fail(PE_ERR_NOMEM, "out of memory sorting %lld keys", (long long)n);
  }
  /* Which digits vary: a bit set in some key and clear in another. */
  uint64_t any = 0, all = ~(uint64_t)0;
#pragma omp parallel for schedule(static) num_threads(blocks) reduction(| : any) reduction(& : all)
  for (int64_t i = 0; i < n; i++) {
    any |= keys[i];
    all &= keys[i];
  }
  const uint64_t varying =
      (any ^ all) & (ignore_low >= 64 ? 0 : ~(((uint64_t)1 << ignore_low) - 1));
  /* Bits every key shares move nothing. The digits either cover the span
   * from the lowest to the highest varying bit in equal widths of at most
   * MAX_DIGIT_BITS, or are the bytes that hold a varying bit, whichever
   * takes fewer passes (keys that vary in a few low and a few high bits
   * only). */
  int shifts[64], passes = 0, width = 8;
  const int low = varying ? __builtin_ctzll(varying) : 0;
  const int span = varying ? 64 - __builtin_clzll(varying) - low : 0;
  const int span_passes = (span + MAX_DIGIT_BITS - 1) / MAX_DIGIT_BITS;
  for (int byte = 0; byte < 8; byte++)
    if ((varying >> (8 * byte)) & 0xff) shifts[passes++] = 8 * byte;
  if (span_passes < passes) {
    passes = span_passes;
    width = (span + passes - 1) / passes;
    for (int pass = 0; pass < passes; pass++) shifts[pass] = low + pass * width;
  }
  const int buckets = 1 << width;
  const uint64_t digit_mask = (uint64_t)buckets - 1;
  const int64_t per = (n + blocks - 1) / blocks;
  uint64_t *ks = keys, *vs = vals, *kd = k2, *vd = v2;
  for (int pass = 0; pass < passes; pass++) {
    const int shift = shifts[pass];
#pragma omp parallel num_threads(blocks)
    {
#pragma omp for schedule(static)
      for (int b = 0; b < blocks; b++) {
        const int64_t end = (b + 1) * per < n ? (b + 1) * per : n;
        memset(count[b], 0, (size_t)buckets * sizeof count[b][0]);
        for (int64_t i = b * per; i < end; i++) count[b][(ks[i] >> shift) & digit_mask]++;
      }
#pragma omp single
      {
        int64_t sum = 0;
        for (int bucket = 0; bucket < buckets; bucket++)
          for (int b = 0; b < blocks; b++) {
            const int64_t c = count[b][bucket];
            count[b][bucket] = sum;
            sum += c;
          }
      }
#pragma omp for schedule(static)
      for (int b = 0; b < blocks; b++) {
        const int64_t end = (b + 1) * per < n ? (b + 1) * per : n;
        int64_t *at = count[b];
        for (int64_t i = b * per; i < end; i++) {
          const int64_t to = at[(ks[i] >> shift) & digit_mask]++;
          kd[to] = ks[i];
          if (vs) vd[to] = vs[i];
        }
      }
    }
    uint64_t *t = ks;
    ks = kd;
    kd = t;
    t = vs;
    vs = vd;
    vd = t;
  }
  if (ks != keys) {
    memcpy(keys, ks, (size_t)n * sizeof *keys);
    if (vals) memcpy(vals, vs, (size_t)n * sizeof *vals);
  }
  free(count);
  free(k2);
  free(v2);
  return PE_OK;
}

pe_status pe_radix_sort_pairs(uint64_t *keys, uint64_t *vals, int64_t n) {
  return sort(keys, vals, n, 0);
}

pe_status pe_radix_sort_high_bits(uint64_t *keys, int64_t n, int ignore_low) {
  return sort(keys, NULL, n, ignore_low);
}
