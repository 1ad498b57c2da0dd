/* The RFM group-by: one streaming read of /transactions, then one walk per
 * customer partition; no sorted input needed.
 *
 * Each chunk of rows is read, checked, and grouped by partition of the
 * customer index (customer_index.h) into compact records, and the whole
 * table's records are held: 20 bytes a row where a chunk's customer ids,
 * order ids and times each span less than 2^32 (deltas from the chunk's
 * smallest), 32 bytes otherwise. Then each partition, on one thread, walks
 * all its rows in row order against two hash tables that belong to the
 * thread and are reused from partition to partition, so that they stay in
 * cache and their pages stay mapped: the partition's customers, whose entries
 * hold their running values, and its (customer, order) pairs, which hold the
 * order's net amount. When the partition's last row is done its orders are
 * resolved (net > 0: a purchase, net < 0: a return) and its customers enter
 * the customer index, before the next partition clears the tables. Every
 * value sees its rows in file order whatever the thread count, so
 * floating-point sums are bit-identical for 1 or N threads.
 *
 * (Until session 10 the tables were the partitions' own and lived through
 * the whole read, with the rows grouped in 512 MiB batches: at 100.9M rows
 * they grew to 2.3 GB, every row met them cold, and each of their pages
 * was faulted in fresh. Holding the compact rows instead costs about as
 * much memory and leaves the tables in cache: docs/performance.md, RFM.) */
#include <hdf5.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/reusable.h"
#include "core/tag_group.h"
#include "io/h5.h"
#include "io/tables.h"
#include "rfm/customer_index.h"
#include "rfm/partitioned_pass.h"
#include "rfm/rfm_internal.h"
#include "rfm/row_pack.h"

#define SECONDS_PER_DAY 86400

/* The HDF5 chunk sizes a fused read takes as its tasks: below, a task's
 * grouping offsets (4 KiB) weigh too much; above, its buffers (a chunk of
 * each column per thread) leave the caches anyway. */
#define PE_RFM_FUSED_MIN_ROWS 4096
#define PE_RFM_FUSED_MAX_ROWS (1 << 22)

/* A row as the walk reads it, and its record in a chunk whose values do
 * not fit a narrow one (32 bytes). */
typedef struct {
  int64_t customer_id, order_id, timestamp;
  double amount;
} txn_row;

/* A row's record in a chunk whose customer ids, order ids and timestamps
 * each span less than 2^32: offsets from the chunk's smallest (its
 * chunk_base), 20 bytes. */
typedef struct __attribute__((packed)) {
  uint32_t customer, order, time;
  double amount;
} narrow_row;
_Static_assert(sizeof(narrow_row) == 20, "a narrow record is 20 bytes");

/* A narrow row whose amount is a whole number of cents, as money mostly
 * is: 16 bytes (rfm/row_pack.h). */
typedef struct {
  uint32_t customer, order, time;
  int32_t cents;
} compact_row;
_Static_assert(sizeof(compact_row) == 16, "a compact record is 16 bytes");

/* How a chunk's rows are packed. */
enum { WIDE_ROWS, NARROW_ROWS, COMPACT_ROWS };

/* A chunk's smallest values, how its rows are packed, and its largest
 * timestamp. */
typedef struct {
  int64_t customer, order, time;
  int kind; /* WIDE_ROWS, NARROW_ROWS or COMPACT_ROWS */
  int64_t max_time;
} chunk_base;

/* An order table entry: one per (customer, order) pair, 20 bytes. A table
 * is one block: its entries, then a tag byte per entry (core/tag_group.h),
 * which a lookup reads sixteen at a time instead of walking the probe run
 * entry by entry. Tables fill to 3/4 before they double. */
typedef struct __attribute__((packed)) {
  int64_t order_id;
  double net;
  uint32_t customer_plus_one; /* the customer's table position + 1 */
} order_entry;

/* A customer's entry in the customer table: the id and the running values,
 * 32 bytes, two to a line (the table is line-aligned). */
typedef struct {
  int64_t id;
  double monetary;
  int64_t first, last; /* of rows with a positive amount; first == NO_CUSTOMER: no customer */
} customer_entry;
#define NO_CUSTOMER INT64_MIN /* a customer's first is INT64_MAX or a checked timestamp */

/* A customer's values once its partition is done, indexed by its local slot
 * in the customer index. */
typedef struct {
  double monetary;
  int64_t first, last;
  int32_t frequency, returned;
} slot_state;

/* What a partition keeps once its walk is over. */
typedef struct {
  slot_state *slots;
  int64_t cap;
  int64_t orders;
  int64_t rows_future;
  int64_t min_ts, max_ts; /* of rows up to as_of */
} part_state;

/* A thread's tables, set up afresh for each partition it walks. Each table
 * has a spare of the same kind, which a doubling fills and then swaps in. */
typedef struct {
  pe_reusable customer_block, spare_customer_block, order_block, spare_order_block, slot_of_block;
  customer_entry *customers;
  uint64_t cmask;
  int64_t ncustomers;
  order_entry *orders;
  uint64_t omask;
  int64_t norders;
  /* The tables' sizes when the thread's last partition ended. */
  uint64_t last_customer_entries, last_order_entries;
  int ready; /* the tables are set up for the current partition */
} workspace;

static inline uint8_t *order_tags(const order_entry *orders, uint64_t mask) {
  return (uint8_t *)(orders + mask + 1);
}

static order_entry *order_table(pe_reusable *block, uint64_t size) {
  order_entry *t = pe_reuse(block, (size_t)size * (sizeof *t + 1));
  if (t) memset(order_tags(t, size - 1), 0, (size_t)size);
  return t;
}

static customer_entry *customer_table(pe_reusable *block, uint64_t size) {
  customer_entry *t = pe_reuse(block, (size_t)size * sizeof *t);
  for (uint64_t i = 0; t && i < size; i++) t[i].first = NO_CUSTOMER;
  return t;
}

/* Sets the thread's tables up, empty, for a partition of n rows. Both
 * start at the sizes the thread's last partition ended with (partitions
 * are alike), within room for n / 64 to n customers and n / 4 to n orders,
 * and double when full. (Sized for n / 2 orders from the start, the order
 * table was twice too large for a typical 2.2 rows an order, and the walk
 * 0.15 s slower at 100.9M rows; sized for n / 16 customers, every
 * partition's customer table doubled once, 0.05 s.) */
static int start_tables(workspace *ws, int64_t n) {
  const uint64_t csize = pe_table_start_entries(ws->last_customer_entries, n / 64, n);
  const uint64_t osize = pe_table_start_entries(ws->last_order_entries, n / 4, n);
  ws->customers = customer_table(&ws->customer_block, csize);
  ws->orders = order_table(&ws->order_block, osize);
  ws->cmask = csize - 1;
  ws->omask = osize - 1;
  ws->ncustomers = ws->norders = 0;
  ws->ready = ws->customers && ws->orders;
  return ws->ready ? 0 : -1;
}

/* Room for `need` slots, exactly: a partition's slots are sized once,
 * when its walk ends, and again only if /sessions adds customers. (Rounded
 * up to powers of two they were 200 MB more at 9.5M customers, each page of
 * it faulted in fresh.) */
static int grow_slots(part_state *ps, int64_t need) {
  if (need <= ps->cap) return 0;
  slot_state *s = realloc(ps->slots, (size_t)need * sizeof *s);
  if (!s) return -1;
  for (int64_t k = ps->cap; k < need; k++) s[k] = (slot_state){0, INT64_MAX, INT64_MIN, 0, 0};
  ps->slots = s;
  ps->cap = need;
  return 0;
}

/* Doubles the customer table. Order entries name customers by position, so
 * they are renumbered; their places in the order table depend on the ids
 * alone and stay. */
static int grow_customers(workspace *ws) {
  const uint64_t size = ws->cmask + 1, new_size = 2 * size, mask = new_size - 1;
  uint32_t *moved = pe_reuse(&ws->slot_of_block, (size_t)size * sizeof *moved);
  customer_entry *t = customer_table(&ws->spare_customer_block, new_size);
  if (!t || !moved) return -1;
  for (uint64_t i = 0; i < size; i++) {
    const customer_entry *e = &ws->customers[i];
    if (e->first == NO_CUSTOMER) continue;
    uint64_t pos = pe_cix_hash(e->id) & mask;
    while (t[pos].first != NO_CUSTOMER) pos = (pos + 1) & mask;
    t[pos] = *e;
    moved[i] = (uint32_t)pos;
  }
  const uint8_t *tags = order_tags(ws->orders, ws->omask);
  for (uint64_t i = 0; i <= ws->omask; i++)
    if (tags[i]) ws->orders[i].customer_plus_one = moved[ws->orders[i].customer_plus_one - 1] + 1;
  pe_reusable_swap(&ws->customer_block, &ws->spare_customer_block);
  ws->customers = t;
  ws->cmask = mask;
  return 0;
}

/* The position of customer `id` (hash `h`) in the thread's table, added
 * with empty running values if new; -1 if the table cannot grow. */
static inline int64_t find_customer(workspace *ws, int64_t id, uint64_t h) {
  if ((uint64_t)(ws->ncustomers + 1) * 4 > (ws->cmask + 1) * 3)
    if (ws->cmask >= (1ull << 30) || grow_customers(ws) != 0) return -1; /* positions fit 32 bits */
  uint64_t pos = h & ws->cmask;
  for (;;) {
    customer_entry *e = &ws->customers[pos];
    if (e->first == NO_CUSTOMER) {
      *e = (customer_entry){id, 0.0, INT64_MAX, INT64_MIN};
      ws->ncustomers++;
      return (int64_t)pos;
    }
    if (e->id == id) return (int64_t)pos;
    pos = (pos + 1) & ws->cmask;
  }
}

/* Orders are placed by (customer id, order id) — known before the customer's
 * position is — so the lookup can be prefetched a few rows ahead; within a
 * partition, equal customer ids and equal positions are the same thing. */
static inline uint64_t order_hash(int64_t order_id, uint64_t customer_hash) {
  return pe_cix_hash(order_id ^ (int64_t)customer_hash);
}

/* Doubles the order table. */
static int grow_orders(workspace *ws) {
  const uint64_t size = ws->omask + 1, new_size = 2 * size, mask = new_size - 1;
  order_entry *t = order_table(&ws->spare_order_block, new_size);
  if (!t) return -1;
  uint8_t *tags = order_tags(t, mask);
  const uint8_t *old_tags = order_tags(ws->orders, ws->omask);
  for (uint64_t i = 0; i < size; i++) {
    if (!old_tags[i]) continue;
    const order_entry *e = &ws->orders[i];
    const uint64_t ch = pe_cix_hash(ws->customers[e->customer_plus_one - 1].id);
    const uint64_t h = order_hash(e->order_id, ch);
    uint64_t pos = h & mask;
    while (tags[pos]) pos = (pos + 1) & mask;
    t[pos] = *e;
    tags[pos] = pe_tag_of(h);
  }
  pe_reusable_swap(&ws->order_block, &ws->spare_order_block);
  ws->orders = t;
  ws->omask = mask;
  return 0;
}

/* Adds `amount` to the order `order_id` (hash `h`, order_hash) of the
 * customer at table position `pos`. */
static inline int add_to_order(workspace *ws, int64_t pos, uint64_t h, int64_t order_id,
                               double amount) {
  if ((uint64_t)(ws->norders + 1) * 4 > (ws->omask + 1) * 3)
    if (grow_orders(ws) != 0) return -1;
  const uint32_t key = (uint32_t)(pos + 1);
  const uint64_t size = ws->omask + 1;
  const uint8_t tag = pe_tag_of(h);
  uint8_t *tags = order_tags(ws->orders, ws->omask);
  uint64_t at = h & ws->omask;
  for (;;) {
    unsigned match, empty;
    const int group = at + PE_TAG_GROUP <= size;
    if (group) {
      pe_tag_group(tags + at, tag, &match, &empty);
    } else { /* the group would run past the end: this slot alone */
      match = tags[at] == tag;
      empty = tags[at] == 0;
    }
    for (; match; match &= match - 1) {
      order_entry *e = &ws->orders[at + (unsigned)__builtin_ctz(match)];
      if (e->order_id == order_id && e->customer_plus_one == key) {
        e->net += amount;
        return 0;
      }
    }
    if (empty) {
      at += (unsigned)__builtin_ctz(empty);
      order_entry *e = &ws->orders[at];
      e->order_id = order_id;
      e->customer_plus_one = key;
      e->net = amount;
      tags[at] = tag;
      ws->norders++;
      return 0;
    }
    at = (at + (group ? PE_TAG_GROUP : 1)) & ws->omask;
  }
}

/* Rows ahead whose table lines are prefetched: the tables are mostly in
 * cache, but not all in L1/L2. The places follow from the ids alone. */
#define PREFETCH_DISTANCE 12

/* A row's two hashes, computed once, when the row is prefetched, and kept
 * in a ring of the rows ahead until the row comes. */
#define HASH_RING 16
_Static_assert((HASH_RING & (HASH_RING - 1)) == 0 && HASH_RING > PREFETCH_DISTANCE,
               "the ring must hold a row's hashes until the row comes");
typedef struct {
  uint64_t customer, order;
} row_hashes;

/* Row k of a chunk's records of the given kind. */
static inline __attribute__((always_inline)) txn_row row_at(const void *records, int64_t k,
                                                            const chunk_base *b, const int kind) {
  if (kind == WIDE_ROWS) return ((const txn_row *)records)[k];
  if (kind == COMPACT_ROWS) {
    const compact_row *r = (const compact_row *)records + k;
    return (txn_row){pe_from_offset(r->customer, b->customer), pe_from_offset(r->order, b->order),
                     pe_from_offset(r->time, b->time), pe_amount_of_cents(r->cents)};
  }
  const narrow_row *r = (const narrow_row *)records + k;
  return (txn_row){pe_from_offset(r->customer, b->customer), pe_from_offset(r->order, b->order),
                   pe_from_offset(r->time, b->time), r->amount};
}

static inline row_hashes hashes_of(const txn_row t) {
  const uint64_t h = pe_cix_hash(t.customer_id);
  return (row_hashes){h, order_hash(t.order_id, h)};
}

static inline void prefetch_tables(const workspace *ws, row_hashes rh) {
  const uint64_t at = rh.order & ws->omask;
  const order_entry *e = &ws->orders[at];
  __builtin_prefetch(&ws->customers[rh.customer & ws->cmask]);
  __builtin_prefetch(order_tags(ws->orders, ws->omask) + at);
  __builtin_prefetch(e);
  /* A 20-byte entry, and the next ones a probe reads, may cross a line. */
  __builtin_prefetch((const char *)e + 19);
}

/* Walks n records of one chunk of the partition in row order; the compiler
 * makes a copy of it for each record kind. */
static inline __attribute__((always_inline)) int walk_rows(workspace *ws, part_state *ps,
                                                           const void *records, int64_t n,
                                                           const chunk_base *b, const int kind,
                                                           int64_t as_of, int filter_future) {
  /* Each row is decoded when it is prefetched, and kept in the ring with
   * its hashes: a compact row's amount costs a division, which there is off
   * the chain of dependent loads (decoded again on arrival, the walk took
   * 0.12 s longer at 100.9M rows). */
  row_hashes ring[HASH_RING];
  txn_row rows[HASH_RING];
  /* A partition's rows come in one run per chunk (770 runs of ~256 rows at
   * 100.9M rows, read fused): the first rows of a run are prefetched too. */
  for (int64_t k = 0; k < n && k < PREFETCH_DISTANCE; k++) {
    rows[k] = row_at(records, k, b, kind);
    ring[k] = hashes_of(rows[k]);
    prefetch_tables(ws, ring[k]);
  }
  for (int64_t k = 0; k < n; k++) {
    if (k + PREFETCH_DISTANCE < n) {
      const int64_t at = (k + PREFETCH_DISTANCE) & (HASH_RING - 1);
      rows[at] = row_at(records, k + PREFETCH_DISTANCE, b, kind);
      ring[at] = hashes_of(rows[at]);
      prefetch_tables(ws, ring[at]);
    }
    const txn_row t = rows[k & (HASH_RING - 1)];
    const row_hashes rh = ring[k & (HASH_RING - 1)];
    const int64_t pos = find_customer(ws, t.customer_id, rh.customer);
    if (pos < 0) return -1;
    if (filter_future && t.timestamp > as_of) {
      ps->rows_future++;
      continue;
    }
    if (t.timestamp < ps->min_ts) ps->min_ts = t.timestamp;
    if (t.timestamp > ps->max_ts) ps->max_ts = t.timestamp;
    customer_entry *c = &ws->customers[pos];
    c->monetary += t.amount;
    if (t.amount > 0) {
      if (t.timestamp < c->first) c->first = t.timestamp;
      if (t.timestamp > c->last) c->last = t.timestamp;
    }
    if (add_to_order(ws, pos, rh.order, t.order_id, t.amount) != 0) return -1;
  }
  return 0;
}

static void free_parts(part_state *parts) {
  if (!parts) return;
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) free(parts[p].slots);
  free(parts);
}

static void free_workspaces(workspace *ws, int n) {
  for (int i = 0; ws && i < n; i++) {
    pe_reusable_free(&ws[i].customer_block);
    pe_reusable_free(&ws[i].spare_customer_block);
    pe_reusable_free(&ws[i].order_block);
    pe_reusable_free(&ws[i].spare_order_block);
    pe_reusable_free(&ws[i].slot_of_block);
  }
  free(ws);
}

/* What the streaming pass's callbacks share. */
typedef struct {
  const char *input;
  const pe_rfm_params *params;
  pe_customer_index *ix;
  part_state *parts;
  workspace *ws; /* one per thread */
  chunk_base *chunks;
  int64_t chunk_rows;
  int filter_future;
  int64_t rows, rows_done;
} aggregate_run;

static inline chunk_base *base_of(const aggregate_run *run, const pe_cix_chunk *c) {
  return &run->chunks[c->offset / run->chunk_rows];
}

/* Checks a chunk's amounts and timestamps, finds its largest timestamp and
 * whether its rows fit narrow records. Returns the first bad row (or n) so
 * the message can name it; the lowest bad row wins whatever the thread
 * count. */
static int64_t check_chunk(void *ctx, const pe_cix_chunk *c) {
  aggregate_run *run = ctx;
  pe_row_scan sc;
  const int64_t bad =
      pe_scan_chunk(c->col[PE_TX_AMOUNT], c->col[PE_TX_TIMESTAMP], c->col[PE_TX_CUSTOMER_ID],
                    c->col[PE_TX_ORDER_ID], c->rows, &sc);
  const int kind = !pe_row_scan_narrow(&sc) ? WIDE_ROWS : sc.cents ? COMPACT_ROWS : NARROW_ROWS;
  *base_of(run, c) = (chunk_base){sc.cmin, sc.omin, sc.tmin, kind, sc.tmax};
  return bad;
}

static pe_status bad_row_error(void *ctx, const pe_cix_chunk *c, int64_t i) {
  const aggregate_run *run = ctx;
  const double amount = ((const double *)c->col[PE_TX_AMOUNT])[i];
  const int64_t row = c->offset + i;
  if (!pe_amount_ok(amount)) return pe_amount_error(run->input, row, amount);
  return pe__fail(PE_ERR_DATA,
                  "%s: /transactions/timestamp: row %lld is %lld, outside years 1..9999 "
                  "(expected Unix seconds)",
                  run->input, (long long)row,
                  (long long)((const int64_t *)c->col[PE_TX_TIMESTAMP])[i]);
}

static size_t record_bytes(void *ctx, const pe_cix_chunk *c) {
  static const size_t bytes[] = {
      [WIDE_ROWS] = sizeof(txn_row),
      [NARROW_ROWS] = sizeof(narrow_row),
      [COMPACT_ROWS] = sizeof(compact_row),
  };
  return bytes[base_of(ctx, c)->kind];
}

static void scatter_rows(void *ctx, const pe_cix_chunk *c, int64_t begin, int64_t end,
                         int64_t *next, void *records) {
  const int64_t *customer = c->col[PE_TX_CUSTOMER_ID], *order = c->col[PE_TX_ORDER_ID];
  const int64_t *timestamp = c->col[PE_TX_TIMESTAMP];
  const double *amount = c->col[PE_TX_AMOUNT];
  const chunk_base b = *base_of(ctx, c);
  if (b.kind == COMPACT_ROWS) {
    for (int64_t i = begin; i < end; i++)
      ((compact_row *)records)[pe_cix_next_record(next, c, i)] =
          (compact_row){pe_offset_of(customer[i], b.customer), pe_offset_of(order[i], b.order),
                        pe_offset_of(timestamp[i], b.time), pe_cents_of(amount[i])};
    return;
  }
  if (b.kind == NARROW_ROWS) {
    for (int64_t i = begin; i < end; i++)
      ((narrow_row *)records)[pe_cix_next_record(next, c, i)] =
          (narrow_row){pe_offset_of(customer[i], b.customer), pe_offset_of(order[i], b.order),
                       pe_offset_of(timestamp[i], b.time), amount[i]};
    return;
  }
  for (int64_t i = begin; i < end; i++)
    ((txn_row *)records)[pe_cix_next_record(next, c, i)] =
        (txn_row){customer[i], order[i], timestamp[i], amount[i]};
}

/* The pass's `warm`: called once per partition (one batch), before its rows. */
static void start_partition(void *ctx, int p, int64_t rows) {
  (void)p;
  aggregate_run *run = ctx;
  start_tables(&run->ws[omp_get_thread_num()], rows);
}

static int process_rows(void *ctx, int p, int64_t chunk, const void *records, int64_t n) {
  aggregate_run *run = ctx;
  workspace *ws = &run->ws[omp_get_thread_num()];
  if (!ws->ready) return -1;
  const chunk_base *b = &run->chunks[chunk];
  const int64_t as_of = run->params->as_of;
  if (b->kind == COMPACT_ROWS)
    return walk_rows(ws, &run->parts[p], records, n, b, COMPACT_ROWS, as_of, run->filter_future);
  if (b->kind == NARROW_ROWS)
    return walk_rows(ws, &run->parts[p], records, n, b, NARROW_ROWS, as_of, run->filter_future);
  return walk_rows(ws, &run->parts[p], records, n, b, WIDE_ROWS, as_of, run->filter_future);
}

/* The pass's `finish`, right after the partition's last row: moves its
 * customers into the customer index, in an order fixed by their table
 * positions (so local slots do not depend on the thread count), and their
 * running values into slot order; then counts each customer's orders by the
 * sign of their net amount. */
static int finish_partition(void *ctx, int p) {
  aggregate_run *run = ctx;
  workspace *ws = &run->ws[omp_get_thread_num()];
  part_state *ps = &run->parts[p];
  pe_cix_partition *cp = &run->ix->part[p];
  if (!ws->ready) return -1;
  ws->ready = 0;
  ws->last_customer_entries = ws->cmask + 1;
  ws->last_order_entries = ws->omask + 1;
  if (ws->ncustomers == 0) return 0;
  const customer_entry *customers = ws->customers;
  const uint64_t size = ws->cmask + 1;
  uint32_t *slot_of = pe_reuse(&ws->slot_of_block, (size_t)size * sizeof *slot_of);
  /* The index gets the ids alone: its table is built only if /sessions
   * adds customers (pe_cix_reserve_ids). */
  if (!slot_of || grow_slots(ps, ws->ncustomers) != 0 ||
      pe_cix_reserve_ids(cp, ws->ncustomers) != PE_OK)
    return -1;
  /* Slots are numbered in a scrambled order of table positions (k -> k *
   * odd is a bijection modulo a power of two), so that a table the index
   * builds from them later (pe_cix_upsert) is not filled in hash order.
   * The table's size depends on the partitions the thread walked before,
   * so local slots may differ with the thread count; nothing downstream
   * depends on them: dense indices come from the sorted ids, and the
   * values are copied, not combined, by slot. */
  for (uint64_t k = 0; k < size; k++) {
    const uint64_t i = (k * 0x9E3779B97F4A7C15ull) & (size - 1);
    const customer_entry *e = &customers[i];
    if (e->first == NO_CUSTOMER) continue;
    const int64_t slot = pe_cix_append(cp, e->id);
    slot_of[i] = (uint32_t)slot;
    ps->slots[slot] = (slot_state){e->monetary, e->first, e->last, 0, 0};
  }
  const uint8_t *tags = order_tags(ws->orders, ws->omask);
  for (uint64_t i = 0; i <= ws->omask; i++) {
    if (!tags[i]) continue;
    const order_entry *e = &ws->orders[i];
    slot_state *v = &ps->slots[slot_of[e->customer_plus_one - 1]];
    if (e->net > 0)
      v->frequency++;
    else if (e->net < 0)
      v->returned++;
  }
  ps->orders = ws->norders;
  return 0;
}

static void report_progress(void *ctx, int64_t rows) {
  aggregate_run *run = ctx;
  run->rows_done += rows;
  if (run->params->progress)
    run->params->progress(run->params->progress_ctx, run->rows_done, run->rows);
}

/* Turns the partitions' running values into the dense per-customer columns. */
static pe_status finish_customers(const pe_customer_index *ix, part_state *parts,
                                  const int64_t *txn_customers, pe_rfm_result *res) {
  int64_t from_sessions = 0;
  int failed = 0;
  memcpy(res->customer_id, pe_customer_index_ids(ix), (size_t)res->count * sizeof(int64_t));
#pragma omp parallel for schedule(dynamic, 4) reduction(+ : from_sessions) reduction(| : failed)
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    /* Customers added from /sessions have no slot state yet. */
    failed |= grow_slots(&parts[p], ix->part[p].count) != 0;
    from_sessions += ix->part[p].count - txn_customers[p];
  }
  PE_FAIL_IF(failed, PE_ERR_NOMEM, "out of memory for per-customer values");
  /* In dense order: the result's ten columns are written sequentially and
   * each customer's slot is one random read, prefetched a few customers
   * ahead. (Partition by partition, each customer cost a random write into
   * each column: measured at 9.5M customers, 1.01 s.) */
  const uint64_t *order = pe_customer_index_order(ix);
  const int64_t n = res->count;
#pragma omp parallel for schedule(static)
  for (int64_t d = 0; d < n; d++) {
    if (d + 16 < n) {
      const uint64_t ahead = order[d + 16];
      __builtin_prefetch(&parts[ahead >> 32].slots[ahead & 0xffffffffu]);
    }
    const slot_state *v = &parts[order[d] >> 32].slots[order[d] & 0xffffffffu];
    pe__rfm_fill_customer(res, d, v->frequency, v->returned, v->monetary, v->first, v->last);
  }
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    free(parts[p].slots);
    parts[p].slots = NULL;
    parts[p].cap = 0;
  }
  res->summary.customers_from_sessions_only = from_sessions;
  return PE_OK;
}

pe_status pe__rfm_aggregate(const char *input, const pe_rfm_params *params, pe_rfm_result *res) {
  hid_t fid = H5I_INVALID_HID;
  pe_h5_table table;
  int table_open = 0;
  aggregate_run run = {.input = input, .params = params};
  int64_t txn_customers[PE_CIX_PARTITIONS];
  const int threads = omp_get_max_threads();
  pe_status st;

  PE_CHECK_GOTO(pe_h5_open_read(input, &fid), st, done);
  /* Only the required columns: RFM reads neither discount nor category. */
  PE_CHECK_GOTO(
      pe_h5_table_open(fid, input, "/transactions", pe_transactions_spec, PE_TX_AMOUNT + 1, &table),
      st, done);
  table_open = 1;
  const int64_t rows = table.rows;
  if (rows == 0) {
    st = pe__fail(PE_ERR_DATA, "%s: /transactions is empty (0 rows); nothing to score", input);
    goto done;
  }
  const unsigned columns =
      1u << PE_TX_CUSTOMER_ID | 1u << PE_TX_ORDER_ID | 1u << PE_TX_TIMESTAMP | 1u << PE_TX_AMOUNT;
  /* The default reads fused, a chunk of the file at a time (see the pass's
   * `fused`), where its chunks allow; an explicit chunk size, and files
   * whose chunks are too small or large to be a task each, read 1M rows at
   * a time. */
  const int64_t file_chunk = pe_cix_pass_can_fuse(&table, columns);
  const int fused = params->chunk_rows <= 0 && file_chunk >= PE_RFM_FUSED_MIN_ROWS &&
                    file_chunk <= PE_RFM_FUSED_MAX_ROWS;
  int64_t chunk = fused ? file_chunk : params->chunk_rows > 0 ? params->chunk_rows : (1 << 20);
  if (!fused) chunk = pe_cix_one_batch_chunk_rows(rows, chunk);
  if (!fused && chunk > rows) chunk = rows;
  const int64_t chunks = (rows + chunk - 1) / chunk;
  run.parts = calloc(PE_CIX_PARTITIONS, sizeof *run.parts);
  run.ws = calloc((size_t)threads, sizeof *run.ws);
  run.chunks = calloc((size_t)chunks, sizeof *run.chunks);
  run.chunk_rows = chunk;
  if (!run.parts || !run.ws || !run.chunks) {
    st = pe__fail(PE_ERR_NOMEM, "%s: out of memory for %lld-row read buffers", input,
                  (long long)chunk);
    goto done;
  }
  PE_CHECK_GOTO(pe_customer_index_create(&run.ix), st, done);
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    run.parts[p].min_ts = INT64_MAX;
    run.parts[p].max_ts = INT64_MIN;
  }
  run.filter_future = params->as_of != PE_RFM_AS_OF_AUTO;
  run.rows = rows;
  pe_cix_pass_seconds spent = {0};
  const pe_cix_pass pass = {
      .table = &table,
      .input = input,
      .what = "transactions",
      .columns = columns,
      .id_column = PE_TX_CUSTOMER_ID,
      .record_size = sizeof(txn_row),
      .chunk_rows = chunk,
      .ctx = &run,
      .check = check_chunk,
      .bad_row = bad_row_error,
      .record_bytes = record_bytes,
      .scatter = scatter_rows,
      .process = process_rows,
      .warm = start_partition,
      .one_batch = 1,
      .finish = finish_partition,
      .fused = fused,
      .chunk_done = report_progress,
      .seconds = &spent,
  };
  PE_CHECK_GOTO(pe_cix_pass_run(&pass), st, done);
  /* The thread tables are done with: not kept through the peak of sorting
   * the ids and allocating the output. */
  free_workspaces(run.ws, threads);
  run.ws = NULL;
  res->seconds.read = spent.read;
  res->seconds.check = spent.check;
  res->seconds.group = spent.group;
  res->seconds.aggregate = spent.process;
  double t = pe_now();

  part_state *parts = run.parts;
  pe_customer_index *ix = run.ix;
  res->summary.rows = rows;
  int64_t max_ts = INT64_MIN; /* of every row read */
  for (int64_t c = 0; c < chunks; c++)
    if (run.chunks[c].max_time > max_ts) max_ts = run.chunks[c].max_time;
  res->summary.as_of = run.filter_future ? params->as_of : max_ts + SECONDS_PER_DAY;
  /* Orders were resolved as each partition's walk ended. */
  int64_t min_used = INT64_MAX, max_used = INT64_MIN;
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    res->summary.orders += parts[p].orders;
    res->summary.rows_future += parts[p].rows_future;
    if (parts[p].min_ts < min_used) min_used = parts[p].min_ts;
    if (parts[p].max_ts > max_used) max_used = parts[p].max_ts;
    txn_customers[p] = ix->part[p].count;
  }
  res->summary.first_timestamp = min_used == INT64_MAX ? 0 : min_used;
  res->summary.last_timestamp = max_used == INT64_MIN ? 0 : max_used;
  res->seconds.resolve = pe_now() - t;

  t = pe_now();
  /* A /sessions that is there must be readable: a broken one is an error,
   * not a reason to leave its customers out. */
  if (params->include_sessions && pe_h5_exists(fid, "/sessions"))
    PE_CHECK_GOTO(
        pe_customer_index_add_column(ix, (int64_t)fid, input, "/sessions/customer_id", chunk), st,
        done);
  PE_CHECK_GOTO(pe_customer_index_finish(ix), st, done);
  res->seconds.sort = pe_now() - t;
  t = pe_now();
  PE_CHECK_GOTO(pe__rfm_result_alloc(res, pe_customer_index_count(ix)), st, done);
  PE_CHECK_GOTO(finish_customers(ix, parts, txn_customers, res), st, done);
  res->seconds.fill = pe_now() - t;
  st = PE_OK;

done:
  free_parts(run.parts);
  free_workspaces(run.ws, threads);
  free(run.chunks);
  pe_customer_index_free(run.ix);
  if (table_open) pe_h5_table_close(&table);
  if (fid >= 0) H5Fclose(fid);
  return st;
}
