/* LSD radix sort of 64-bit keys carrying a 64-bit payload, for the few
 * places that need a full order of millions of ids. */
#ifndef PE_RFM_RADIX_SORT_H
#define PE_RFM_RADIX_SORT_H

#include <stdint.h>

#include "personae/status.h"

/* Maps a signed id to an unsigned key with the same order. */
static inline uint64_t pe_radix_key_i64(int64_t v) {
  return (uint64_t)v ^ 0x8000000000000000ull;
}

/* Sorts keys ascending, moving vals along; stable. Bits that every key
 * shares are skipped, so small ids cost few passes. */
pe_status pe_radix_sort_pairs(uint64_t *keys, uint64_t *vals, int64_t n);

/* Sorts keys by their bits above the lowest `ignore_low`, which travel
 * along unsorted (a payload packed into the key); stable. Half the memory
 * traffic of pairs where key and payload fit 64 bits together. */
pe_status pe_radix_sort_high_bits(uint64_t *keys, int64_t n, int ignore_low);

#endif
