/* A block of memory that a thread reuses from task to task and that only
 * ever grows: its contents are not kept when it grows. Tables that are set
 * up afresh for each piece of work (a partition's hash tables, say) live in
 * one, so that they stay in cache and their pages stay mapped: on the
 * development VM a freshly faulted 4 KiB page costs 2-3 us. */
#ifndef PE_CORE_REUSABLE_H
#define PE_CORE_REUSABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct {
  void *p;
  size_t bytes;
} pe_reusable;

/* At least `bytes`, 64-byte aligned; NULL when out of memory (the block is
 * then empty). */
static inline void *pe_reuse(pe_reusable *r, size_t bytes) {
  if (bytes <= r->bytes) return r->p;
  free(r->p);
  r->p = NULL;
  r->bytes = 0;
  const size_t rounded = (bytes + 63) / 64 * 64;
  if (posix_memalign(&r->p, 64, rounded) != 0) return r->p = NULL;
  r->bytes = rounded;
  return r->p;
}

static inline void pe_reusable_free(pe_reusable *r) {
  free(r->p);
  r->p = NULL;
  r->bytes = 0;
}

/* Swaps two blocks (a table and its spare, after a doubling). */
static inline void pe_reusable_swap(pe_reusable *a, pe_reusable *b) {
  const pe_reusable t = *a;
  *a = *b;
  *b = t;
}

/* Entries (a power of two, at least 16) of an open-addressing table that
 * holds `keys` keys at 3/4 load at most: how the tables set up in reusable
 * blocks are sized. */
static inline uint64_t pe_table_entries_for(int64_t keys) {
  uint64_t size = 16;
  while ((uint64_t)keys * 4 > size * 3) size *= 2;
  return size;
}

/* A thread's table's size for its next piece of work: the size its last
 * one ended with (pieces of one job are alike, so the table seldom has to
 * double), kept within room for min_keys to max_keys. */
static inline uint64_t pe_table_start_entries(uint64_t last, int64_t min_keys, int64_t max_keys) {
  const uint64_t lo = pe_table_entries_for(min_keys), hi = pe_table_entries_for(max_keys);
  return last < lo ? lo : last > hi ? hi : last;
}

#endif
