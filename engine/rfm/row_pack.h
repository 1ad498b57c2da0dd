/* Packing transaction rows into compact records (the RFM group-by and the
 * features' transactions pass keep every grouped row in memory at once).
 *
 * A chunk's rows can drop to 4 bytes a value where the chunk allows it:
 * customer ids, order ids and timestamps as offsets from the chunk's
 * smallest when each spans less than 2^32, and the amount as whole cents
 * when every amount of the chunk comes back exactly from its cents. One
 * vectorised pass over a block of rows finds out (pe_scan_rows), and checks
 * the amounts and timestamps on the way. */
#ifndef PE_RFM_ROW_PACK_H
#define PE_RFM_ROW_PACK_H

#include <stdint.h>

/* What one pass over a block of rows finds: the spans of the values that
 * offsets replace, whether every amount is a whole number of cents that an
 * int32 holds and that gives the amount back (pe_amount_of_cents), and
 * whether every amount and timestamp is in range (pe_amount_ok,
 * pe_timestamp_ok). */
typedef struct {
  int64_t tmin, tmax, cmin, cmax, omin, omax;
  int cents, ok;
} pe_row_scan;

/* One pass over n rows, no early exit, so that it vectorises (cloned for
 * AVX2, which compares four int64 at a time). */
void pe_scan_rows(const double *amount, const int64_t *timestamp, const int64_t *customer,
                  const int64_t *order, int64_t n, pe_row_scan *out);

/* pe_scan_rows over a whole chunk, in up to PE_SCAN_BLOCKS fixed blocks in
 * parallel (on the calling thread alone inside a parallel region, a fused
 * pass's task). Returns the chunk's first row whose amount or timestamp is
 * out of range, or n; the same row whatever the thread count. */
#define PE_SCAN_BLOCKS 64
int64_t pe_scan_chunk(const double *amount, const int64_t *timestamp, const int64_t *customer,
                      const int64_t *order, int64_t n, pe_row_scan *out);

/* Folds a block's scan into a chunk's (start from pe_row_scan_empty()). */
static inline pe_row_scan pe_row_scan_empty(void) {
  return (pe_row_scan){INT64_MAX, INT64_MIN, INT64_MAX, INT64_MIN, INT64_MAX, INT64_MIN, 1, 1};
}
static inline void pe_row_scan_merge(pe_row_scan *into, const pe_row_scan *b) {
  into->tmin = b->tmin < into->tmin ? b->tmin : into->tmin;
  into->tmax = b->tmax > into->tmax ? b->tmax : into->tmax;
  into->cmin = b->cmin < into->cmin ? b->cmin : into->cmin;
  into->cmax = b->cmax > into->cmax ? b->cmax : into->cmax;
  into->omin = b->omin < into->omin ? b->omin : into->omin;
  into->omax = b->omax > into->omax ? b->omax : into->omax;
  into->cents &= b->cents;
  into->ok &= b->ok;
}

/* Whether ids and times can be 32-bit offsets from the chunk's smallest. */
static inline int pe_row_scan_narrow(const pe_row_scan *s) {
  const uint64_t span = (uint64_t)1 << 32;
  return (uint64_t)s->cmax - (uint64_t)s->cmin < span &&
         (uint64_t)s->omax - (uint64_t)s->omin < span &&
         (uint64_t)s->tmax - (uint64_t)s->tmin < span;
}

/* A value as an offset from the chunk's smallest, and back. */
static inline uint32_t pe_offset_of(int64_t v, int64_t base) {
  return (uint32_t)((uint64_t)v - (uint64_t)base);
}
static inline int64_t pe_from_offset(uint32_t offset, int64_t base) {
  return (int64_t)((uint64_t)base + offset);
}

/* amount * 100 rounded to the nearest integer (ties to even), as a double:
 * adding and taking off 1.5 * 2^52 leaves no fraction bits, exact below
 * 2^51 and far outside int32 above, and it vectorises where rint() does
 * not. */
static inline double pe_cents_rounded(double amount) {
  const double magic = 6755399441055744.0; /* 1.5 * 2^52 */
  return (amount * 100.0 + magic) - magic;
}
static inline int32_t pe_cents_of(double amount) {
  return (int32_t)pe_cents_rounded(amount);
}
static inline double pe_amount_of_cents(double cents) {
  return cents / 100.0;
}

#endif
