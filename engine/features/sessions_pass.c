/* The sessions pass: one streaming read of /sessions into the same
 * partitioned customer index, after the transactions pass.
 *
 * Besides the per-customer session counts, it joins purchases to sessions
 * without holding the sessions: every customer's purchase times are already
 * sorted (transactions_pass.c), so each session finds the purchases inside
 * its window [start, start + duration_s] by binary search, and a purchase
 * keeps the latest start among the sessions that contain it. The maximum does
 * not depend on the order in which sessions arrive. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/error.h"
#include "features/features_internal.h"
#include "io/h5.h"
#include "io/tables.h"
#include "rfm/partitioned_pass.h"
#include "rfm/row_pack.h"

/* A session as the walk reads it, and its record in a chunk that cannot be
 * packed (32 bytes). */
typedef struct {
  int64_t customer_id, start;
  float duration;
  int32_t pageviews, cart_adds;
  uint8_t purchased;
} session_row;

/* A session's record in a chunk whose customer ids and starts span less
 * than 2^32 (offsets from the chunk's smallest, rfm/row_pack.h), whose
 * pageviews fit 16 bits and cart adds 15: 16 bytes, half the grouped rows'
 * memory (96 MB less at 1M customers, each page of it faulted in fresh). */
typedef struct {
  uint32_t customer, start;
  float duration;
  uint16_t pageviews;
  uint16_t cart_adds_purchased; /* cart_adds << 1 | (purchased != 0) */
} session_compact;
_Static_assert(sizeof(session_compact) == 16, "a compact session is 16 bytes");

/* A chunk's smallest customer id and start, and whether its rows are packed. */
struct pe__feat_session_chunk {
  int64_t customer, start;
  int compact;
};
typedef struct pe__feat_session_chunk session_chunk;

static inline __attribute__((always_inline)) session_row session_at(const void *records, int64_t k,
                                                                    const session_chunk *b,
                                                                    const int compact) {
  if (!compact) return ((const session_row *)records)[k];
  const session_compact *r = (const session_compact *)records + k;
  return (session_row){pe_from_offset(r->customer, b->customer),
                       pe_from_offset(r->start, b->start),
                       r->duration,
                       r->pageviews,
                       r->cart_adds_purchased >> 1,
                       (uint8_t)(r->cart_adds_purchased & 1)};
}

/* Records `start` on every purchase of the customer inside the window. */
static void match_purchases(pe__feat_partition *ps, int64_t slot, int64_t start, float duration) {
  const int64_t end = ps->purchase_off[slot + 1];
  int64_t lo = ps->purchase_off[slot], hi = end;
  pe__feat_purchase *pu = ps->purchase;
  /* The first purchase at or after the start. Most customers have a few
   * purchases: counting those before the start costs no mispredicted
   * branch, where a binary search over them mispredicts about half its
   * steps (measured: a third of the sessions pass's walk). */
  if (hi - lo <= 16) {
    int64_t before = 0;
    for (int64_t i = lo; i < hi; i++) before += pu[i].ts < start;
    lo += before;
  } else {
    while (lo < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      if (pu[mid].ts < start)
        lo = mid + 1;
      else
        hi = mid;
    }
  }
  for (int64_t i = lo; i < end && (double)(pu[i].ts - start) <= duration; i++)
    if (start > pu[i].best_start) pu[i].best_start = start;
}

/* How far ahead process_partition prefetches the customer index. */
#define PREFETCH_ROWS 8

/* Walks one partition's rows of a chunk in row order; a customer's sessions
 * are often consecutive, so the last customer's slot is remembered. */
static inline __attribute__((always_inline)) int process_partition(
    pe_cix_partition *cp, pe__feat_partition *ps, const void *records, const session_chunk *b,
    const int compact, int64_t n, int64_t as_of) {
  int64_t last_id = 0, slot = -1;
  for (int64_t k = 0; k < n; k++) {
    const session_row row = session_at(records, k, b, compact), *r = &row;
    if (k + PREFETCH_ROWS < n && cp->table)
      __builtin_prefetch(
          &cp->table[pe_cix_hash(session_at(records, k + PREFETCH_ROWS, b, compact).customer_id) &
                     cp->mask]);
    if (slot < 0 || r->customer_id != last_id) {
      if (pe_cix_upsert(cp, r->customer_id, pe_cix_hash(r->customer_id), &slot) != PE_OK) return -1;
      if (slot >= ps->cap && pe__feat_grow_customers(ps, slot + 1) != 0) return -1;
      last_id = r->customer_id;
    }
    if (r->start > as_of) {
      ps->sessions_future++;
      continue;
    }
    pe__feat_customer *c = &ps->cust[slot];
    c->sessions++;
    c->pageviews += r->pageviews;
    c->bounces += r->pageviews == 1;
    c->cart_adds += r->cart_adds;
    if (r->cart_adds > 0) {
      c->cart_sessions++;
      c->abandoned += !r->purchased;
    }
    if (slot < ps->tx_slots && c->purchases > 0 && ps->purchase_off)
      match_purchases(ps, slot, r->start, r->duration);
  }
  return 0;
}

static inline session_chunk *chunk_of(const pe__feat_run *run, const pe_cix_chunk *c) {
  return &run->session_chunks[c->offset / run->chunk_rows];
}

/* Checks a chunk and decides how its rows are packed. Returns the first bad
 * row (or n), whatever the thread count. */
static int64_t check_chunk(void *ctx, const pe_cix_chunk *c) {
  const int64_t *customer = c->col[PE_SESSION_CUSTOMER_ID];
  const int64_t *start = c->col[PE_SESSION_TIMESTAMP];
  const float *duration = c->col[PE_SESSION_DURATION_S];
  const int32_t *pageviews = c->col[PE_SESSION_PAGEVIEWS],
                *cart_adds = c->col[PE_SESSION_CART_ADDS];
  int64_t bad = c->rows, cmin = INT64_MAX, cmax = INT64_MIN, smin = INT64_MAX, smax = INT64_MIN;
  int32_t most_pages = 0, most_adds = 0;
#pragma omp parallel for schedule(static) reduction(min                \
                                                    : bad, cmin, smin) \
    reduction(max                                                      \
              : cmax, smax, most_pages, most_adds)
  for (int64_t i = 0; i < c->rows; i++) {
    if (!pe_timestamp_ok(start[i]) || !(duration[i] >= 0 && isfinite(duration[i])) ||
        pageviews[i] < 0 || cart_adds[i] < 0)
      bad = i < bad ? i : bad;
    cmin = customer[i] < cmin ? customer[i] : cmin;
    cmax = customer[i] > cmax ? customer[i] : cmax;
    smin = start[i] < smin ? start[i] : smin;
    smax = start[i] > smax ? start[i] : smax;
    most_pages = pageviews[i] > most_pages ? pageviews[i] : most_pages;
    most_adds = cart_adds[i] > most_adds ? cart_adds[i] : most_adds;
  }
  const uint64_t span = (uint64_t)1 << 32;
  *chunk_of(ctx, c) = (session_chunk){cmin, smin,
                                      c->rows > 0 && (uint64_t)cmax - (uint64_t)cmin < span &&
                                          (uint64_t)smax - (uint64_t)smin < span &&
                                          most_pages <= UINT16_MAX && most_adds <= INT16_MAX};
  return bad;
}

static size_t record_bytes(void *ctx, const pe_cix_chunk *c) {
  return chunk_of(ctx, c)->compact ? sizeof(session_compact) : sizeof(session_row);
}

static pe_status bad_row_error(void *ctx, const pe_cix_chunk *c, int64_t i) {
  const char *input = ((const pe__feat_run *)ctx)->input;
  const int64_t start = ((const int64_t *)c->col[PE_SESSION_TIMESTAMP])[i];
  const float duration = ((const float *)c->col[PE_SESSION_DURATION_S])[i];
  const int32_t pageviews = ((const int32_t *)c->col[PE_SESSION_PAGEVIEWS])[i];
  const int32_t cart_adds = ((const int32_t *)c->col[PE_SESSION_CART_ADDS])[i];
  const int64_t row = c->offset + i;
  if (!pe_timestamp_ok(start))
    return pe__fail(PE_ERR_DATA,
                    "%s: /sessions/timestamp: row %lld is %lld, outside years 1..9999 "
                    "(expected Unix seconds)",
                    input, (long long)row, (long long)start);
  if (!(duration >= 0 && isfinite(duration)))
    return pe__fail(PE_ERR_DATA, "%s: /sessions/duration_s: row %lld is %g (expected seconds >= 0)",
                    input, (long long)row, (double)duration);
  if (pageviews < 0)
    return pe__fail(PE_ERR_DATA, "%s: /sessions/pageviews: row %lld is negative (%d)", input,
                    (long long)row, (int)pageviews);
  return pe__fail(PE_ERR_DATA, "%s: /sessions/cart_adds: row %lld is negative (%d)", input,
                  (long long)row, (int)cart_adds);
}

static void scatter_rows(void *ctx, const pe_cix_chunk *c, int64_t begin, int64_t end,
                         int64_t *next, void *records) {
  const int64_t *customer = c->col[PE_SESSION_CUSTOMER_ID], *start = c->col[PE_SESSION_TIMESTAMP];
  const float *duration = c->col[PE_SESSION_DURATION_S];
  const int32_t *pageviews = c->col[PE_SESSION_PAGEVIEWS],
                *cart_adds = c->col[PE_SESSION_CART_ADDS];
  const uint8_t *purchased = c->col[PE_SESSION_PURCHASED];
  const session_chunk b = *chunk_of(ctx, c);
  if (b.compact) {
    for (int64_t i = begin; i < end; i++)
      ((session_compact *)records)[pe_cix_next_record(next, c, i)] = (session_compact){
          pe_offset_of(customer[i], b.customer), pe_offset_of(start[i], b.start), duration[i],
          (uint16_t)pageviews[i], (uint16_t)((uint32_t)cart_adds[i] << 1 | (purchased[i] != 0))};
    return;
  }
  for (int64_t i = begin; i < end; i++) {
    session_row *r = (session_row *)records + pe_cix_next_record(next, c, i);
    r->customer_id = customer[i];
    r->start = start[i];
    r->duration = duration[i];
    r->pageviews = pageviews[i];
    r->cart_adds = cart_adds[i];
    r->purchased = purchased[i];
  }
}

static int process_rows(void *ctx, int p, int64_t chunk, const void *records, int64_t n) {
  pe__feat_run *run = ctx;
  const session_chunk *b = &run->session_chunks[chunk];
  if (b->compact)
    return process_partition(&run->ix->part[p], &run->part[p], records, b, 1, n, run->as_of);
  return process_partition(&run->ix->part[p], &run->part[p], records, b, 0, n, run->as_of);
}

pe_status pe__feat_sessions_pass(pe__feat_run *run, int64_t fid) {
  pe_h5_table table;
  PE_FORWARD(pe_h5_table_open((hid_t)fid, run->input, "/sessions", pe_sessions_spec,
                              PE_SESSION_COLUMN_COUNT, &table));
  const pe_cix_pass pass = {
      .table = &table,
      .input = run->input,
      .what = "sessions",
      .columns = (1u << PE_SESSION_COLUMN_COUNT) - 1,
      .id_column = PE_SESSION_CUSTOMER_ID,
      .record_size = sizeof(session_row),
      .chunk_rows = run->chunk_rows,
      .batch_rows = run->params->batch_rows,
      .ctx = run,
      .check = check_chunk,
      .bad_row = bad_row_error,
      .record_bytes = record_bytes,
      .scatter = scatter_rows,
      .process = process_rows,
      .chunk_done = pe__feat_report_progress,
      .seconds = &run->sessions_seconds,
  };
  const int64_t chunks = (table.rows + run->chunk_rows - 1) / run->chunk_rows;
  run->session_chunks = calloc((size_t)(chunks > 0 ? chunks : 1), sizeof *run->session_chunks);
  pe_status st =
      run->session_chunks
          ? pe_cix_pass_run(&pass)
          : pe__fail(PE_ERR_NOMEM, "%s: out of memory for the sessions pass", run->input);
  free(run->session_chunks);
  run->session_chunks = NULL;
  if (st == PE_OK) {
    run->summary.session_rows = table.rows;
    for (int p = 0; p < PE_CIX_PARTITIONS; p++)
      run->summary.sessions_future += run->part[p].sessions_future;
  }
  pe_h5_table_close(&table);
  return st;
}
