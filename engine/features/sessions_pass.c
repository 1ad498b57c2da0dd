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

#include "core/error.h"
#include "features/features_internal.h"
#include "io/h5.h"
#include "io/tables.h"

typedef struct {
  int64_t customer_id, start;
  float duration;
  int32_t pageviews, cart_adds;
  uint8_t purchased;
} session_row;

typedef struct {
  int64_t *customer, *start;
  int32_t *pageviews, *cart_adds;
  float *duration;
  uint8_t *purchased;
  uint64_t *hash;
  session_row *grouped;
} session_buffers;

static void free_buffers(session_buffers *b) {
  free(b->customer);
  free(b->start);
  free(b->pageviews);
  free(b->cart_adds);
  free(b->duration);
  free(b->purchased);
  free(b->hash);
  free(b->grouped);
  memset(b, 0, sizeof *b);
}

/* Records `start` on every purchase of the customer inside the window. */
static void match_purchases(pe__feat_partition *ps, int64_t slot, int64_t start, float duration) {
  int64_t lo = ps->purchase_off[slot], hi = ps->purchase_off[slot + 1];
  const int64_t *ts = ps->purchase_ts;
  while (lo < hi) { /* first purchase at or after the start */
    int64_t mid = lo + (hi - lo) / 2;
    if (ts[mid] < start)
      lo = mid + 1;
    else
      hi = mid;
  }
  for (int64_t i = lo; i < ps->purchase_off[slot + 1] && (double)(ts[i] - start) <= duration; i++)
    if (start > ps->best_start[i]) ps->best_start[i] = start;
}

/* How far ahead process_partition prefetches the customer index. */
#define PREFETCH_ROWS 8

/* Walks one partition's rows of a chunk in row order; a customer's sessions
 * are often consecutive, so the last customer's slot is remembered. */
static int process_partition(pe_cix_partition *cp, pe__feat_partition *ps, const session_row *rows,
                             int64_t n, int64_t as_of) {
  int64_t last_id = 0, slot = -1;
  for (int64_t k = 0; k < n; k++) {
    const session_row *r = &rows[k];
    if (k + PREFETCH_ROWS < n && cp->table)
      __builtin_prefetch(&cp->table[pe_cix_hash(rows[k + PREFETCH_ROWS].customer_id) & cp->mask]);
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
    if (slot < ps->tx_slots && c->purchases > 0) match_purchases(ps, slot, r->start, r->duration);
  }
  return 0;
}

/* Returns the first bad row (or n), whatever the thread count. */
static int64_t check_and_hash(const session_buffers *b, int64_t n) {
  int64_t bad = n;
#pragma omp parallel for schedule(static) reduction(min : bad)
  for (int64_t i = 0; i < n; i++) {
    if (b->start[i] > PE_FEATURES_MAX_ABS_TIMESTAMP ||
        b->start[i] < -PE_FEATURES_MAX_ABS_TIMESTAMP ||
        !(b->duration[i] >= 0 && isfinite(b->duration[i])) || b->pageviews[i] < 0 ||
        b->cart_adds[i] < 0)
      bad = i < bad ? i : bad;
    b->hash[i] = pe_cix_hash(b->customer[i]);
  }
  return bad;
}

static pe_status bad_row_error(const char *input, const session_buffers *b, int64_t i,
                               int64_t row) {
  if (b->start[i] > PE_FEATURES_MAX_ABS_TIMESTAMP || b->start[i] < -PE_FEATURES_MAX_ABS_TIMESTAMP)
    return pe__fail(PE_ERR_DATA,
                    "%s: /sessions/timestamp: row %lld is %lld, outside years 1..9999 "
                    "(expected Unix seconds)",
                    input, (long long)row, (long long)b->start[i]);
  if (!(b->duration[i] >= 0 && isfinite(b->duration[i])))
    return pe__fail(PE_ERR_DATA, "%s: /sessions/duration_s: row %lld is %g (expected seconds >= 0)",
                    input, (long long)row, (double)b->duration[i]);
  if (b->pageviews[i] < 0)
    return pe__fail(PE_ERR_DATA, "%s: /sessions/pageviews: row %lld is negative (%d)", input,
                    (long long)row, (int)b->pageviews[i]);
  return pe__fail(PE_ERR_DATA, "%s: /sessions/cart_adds: row %lld is negative (%d)", input,
                  (long long)row, (int)b->cart_adds[i]);
}

static void scatter_chunk(const session_buffers *b, const pe_cix_plan *plan) {
#pragma omp parallel for schedule(static)
  for (int64_t blk = 0; blk < plan->blocks; blk++) {
    int64_t *pos = plan->start + blk * PE_CIX_PARTITIONS;
    int64_t end = (blk + 1) * PE_CIX_BLOCK_ROWS;
    if (end > plan->rows) end = plan->rows;
    for (int64_t i = blk * PE_CIX_BLOCK_ROWS; i < end; i++) {
      session_row *r = &b->grouped[pos[pe_cix_partition_of(b->hash[i])]++];
      r->customer_id = b->customer[i];
      r->start = b->start[i];
      r->duration = b->duration[i];
      r->pageviews = b->pageviews[i];
      r->cart_adds = b->cart_adds[i];
      r->purchased = b->purchased[i];
    }
  }
}

static pe_status alloc_buffers(session_buffers *b, int64_t chunk, const char *input) {
  b->customer = malloc((size_t)chunk * sizeof(int64_t));
  b->start = malloc((size_t)chunk * sizeof(int64_t));
  b->pageviews = malloc((size_t)chunk * sizeof(int32_t));
  b->cart_adds = malloc((size_t)chunk * sizeof(int32_t));
  b->duration = malloc((size_t)chunk * sizeof(float));
  b->purchased = malloc((size_t)chunk);
  b->hash = malloc((size_t)chunk * sizeof(uint64_t));
  b->grouped = malloc((size_t)chunk * sizeof(session_row));
  PE_FAIL_IF(!b->customer || !b->start || !b->pageviews || !b->cart_adds || !b->duration ||
                 !b->purchased || !b->hash || !b->grouped,
             PE_ERR_NOMEM, "%s: out of memory for %lld-row read buffers", input, (long long)chunk);
  return PE_OK;
}

static pe_status read_chunk(const pe_h5_table *t, int64_t off, int64_t n, session_buffers *b) {
  PE_FORWARD(pe_h5_column_read(&t->cols[PE_SESSION_CUSTOMER_ID], off, n, b->customer));
  PE_FORWARD(pe_h5_column_read(&t->cols[PE_SESSION_TIMESTAMP], off, n, b->start));
  PE_FORWARD(pe_h5_column_read(&t->cols[PE_SESSION_PAGEVIEWS], off, n, b->pageviews));
  PE_FORWARD(pe_h5_column_read(&t->cols[PE_SESSION_DURATION_S], off, n, b->duration));
  PE_FORWARD(pe_h5_column_read(&t->cols[PE_SESSION_CART_ADDS], off, n, b->cart_adds));
  PE_FORWARD(pe_h5_column_read(&t->cols[PE_SESSION_PURCHASED], off, n, b->purchased));
  return PE_OK;
}

pe_status pe__feat_sessions_pass(pe__feat_run *run, int64_t fid) {
  const char *input = run->input;
  pe_h5_table table;
  session_buffers buf = {0};
  pe_cix_plan plan = {0};
  pe_status st = PE_OK;
  PE_FORWARD(pe_h5_table_open((hid_t)fid, input, "/sessions", pe_sessions_spec,
                              PE_SESSION_COLUMN_COUNT, &table));
  const int64_t rows = table.rows;
  int64_t chunk = run->chunk_rows < rows ? run->chunk_rows : rows;
  if (rows > 0) PE_CHECK_GOTO(alloc_buffers(&buf, chunk, input), st, done);
  for (int64_t off = 0; off < rows; off += chunk) {
    int64_t n = rows - off < chunk ? rows - off : chunk;
    PE_CHECK_GOTO(read_chunk(&table, off, n, &buf), st, done);
    int64_t bad = check_and_hash(&buf, n);
    if (bad < n) {
      st = bad_row_error(input, &buf, bad, off + bad);
      goto done;
    }
    PE_CHECK_GOTO(pe_cix_plan_build(buf.hash, n, &plan), st, done);
    scatter_chunk(&buf, &plan);
    int failed = 0;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
    for (int p = 0; p < PE_CIX_PARTITIONS; p++)
      failed |= process_partition(&run->ix->part[p], &run->part[p], buf.grouped + plan.offset[p],
                                  plan.offset[p + 1] - plan.offset[p], run->as_of) != 0;
    if (failed) {
      st = pe__fail(PE_ERR_NOMEM, "%s: out of memory grouping sessions", input);
      goto done;
    }
    run->rows_done += n;
    if (run->params->progress)
      run->params->progress(run->params->progress_ctx, run->rows_done, run->rows_total);
  }
  run->summary.session_rows = rows;
  for (int p = 0; p < PE_CIX_PARTITIONS; p++)
    run->summary.sessions_future += run->part[p].sessions_future;

done:
  free_buffers(&buf);
  pe_cix_plan_free(&plan);
  pe_h5_table_close(&table);
  return st;
}
