/* The RFM group-by: one streaming pass over /transactions that needs no
 * sorted input.
 *
 * Each chunk of rows is read, checked, hashed by customer id and grouped by
 * partition (customer_index.h); then each partition, on one thread, walks its
 * rows in row order, finds the customer's entry in the partition's customer
 * table, which holds the customer's running values, and updates them and the
 * net amount of the (customer, order) pair in the partition's order table.
 * Every value therefore sees its rows in file order whatever the thread
 * count, so floating-point sums are bit-identical for 1 or N threads. Orders
 * are resolved (net > 0: a purchase, net < 0: a return) only after the last
 * chunk, since an order's rows may be anywhere; then the customers go into
 * the customer index.
 *
 * A row costs two random memory accesses, one per table, both larger than
 * the caches at millions of customers: the customer's running values live in
 * its hash-table entry (not behind a slot number) so that finding the
 * customer and updating it is one cache line. */
#include <hdf5.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/huge_alloc.h"
#include "core/table_space.h"
#include "core/tag_group.h"
#include "io/h5.h"
#include "io/tables.h"
#include "rfm/customer_index.h"
#include "rfm/partitioned_pass.h"
#include "rfm/rfm_internal.h"

#define SECONDS_PER_DAY 86400

/* A row as grouped by partition: 32 bytes. The customer id's hash is
 * computed again where it is needed rather than carried along: 8 bytes less
 * to scatter and read back per row, for two multiply chains. */
typedef struct {
  int64_t customer_id, order_id, timestamp;
  double amount;
} txn_row;

/* The order tables hold one entry per (customer, order) pair and dominate
 * memory, so entries are packed to 20 bytes. A table is one block: its
 * entries, then a tag byte per entry (core/tag_group.h), which a lookup
 * reads sixteen at a time instead of walking the probe run entry by entry.
 * Tables fill to 3/4 before they double. (Three entries to a 64-byte
 * bucket, one line per probe, measured slower: bucket counts in powers of
 * two left the tables 60% larger.) */
typedef struct __attribute__((packed)) {
  int64_t order_id;
  double net;
  uint32_t customer_plus_one; /* the customer's table position + 1; 0 = empty */
} order_entry;

/* A customer's entry in its partition's customer table: the id and the
 * running values, 32 bytes, two to a line (the table is line-aligned). */
typedef struct {
  int64_t id;
  double monetary;
  int64_t first, last; /* of rows with a positive amount; first == NO_CUSTOMER: no customer */
} customer_entry;
#define NO_CUSTOMER INT64_MIN /* a customer's first is INT64_MAX or a checked timestamp */

/* A customer's values once the pass is over, indexed by its local slot in
 * the customer index. */
typedef struct {
  double monetary;
  int64_t first, last;
  int32_t frequency, returned; /* filled when orders are resolved */
} slot_state;

/* Per-partition running values. Order entries name their customer by its
 * position in `customers` (renumbered when that table grows); once the pass
 * is over, positions are mapped to local slots and `slots` holds the values. */
typedef struct {
  customer_entry *customers;
  uint64_t cmask;
  int64_t ncustomers;
  slot_state *slots;
  int64_t cap;
  order_entry *orders;
  uint64_t omask;
  int64_t norders;
  pe_table_space ospace;     /* where `orders` lives */
  int64_t max_rows;          /* the file's row count: no partition has more orders */
  pe_table_scratch *scratch; /* doubling temporaries, per thread, shared by all partitions */
  int scratch_slots;         /* threads that have a slot in `scratch` */
  int64_t rows_future;
  int64_t min_ts, max_ts; /* of rows up to as_of */
} part_state;

/* A partition's customer and order tables start this small and double: the
 * first few doublings cost nothing measurable, and the unit tests' few
 * thousand rows then grow and renumber every table several times, as the
 * large inputs do. */
#define FIRST_TABLE_ENTRIES 16

/* Zeroed memory for a table that is probed at random (customers, slots),
 * line-aligned: tables of 4 MiB or more on huge pages (core/huge_alloc.h).
 * (Advising the 2 MiB customer tables too added 200 MB to the peak and no
 * speed.) Zeroing by writing matters too: calloc's
 * untouched pages would first be mapped to the shared zero page by a probe's
 * read, then copied on the first insert, with a TLB shootdown across threads
 * each time. */
static void *alloc_table(size_t bytes) {
  void *t = pe_huge_alloc_from(bytes, (size_t)4 << 20);
  if (t) memset(t, 0, bytes);
  return t;
}

static int grow_slots(part_state *ps, int64_t need) {
  if (need <= ps->cap) return 0;
  int64_t cap = ps->cap ? ps->cap : 64;
  while (cap < need) cap *= 2;
  slot_state *s = alloc_table((size_t)cap * sizeof *s);
  if (!s) return -1;
  if (ps->cap) memcpy(s, ps->slots, (size_t)ps->cap * sizeof *s);
  for (int64_t k = ps->cap; k < cap; k++) s[k] = (slot_state){0, INT64_MAX, INT64_MIN, 0, 0};
  free(ps->slots);
  ps->slots = s;
  ps->cap = cap;
  return 0;
}

/* Address space for a partition's order table that needs `need` entries
 * (core/table_space.h): all partitions together reserve about 8 x 4/3
 * entries per row of the file. */
static size_t reserve_bytes(const part_state *ps, uint64_t need, size_t elem) {
  const uint64_t rows = (uint64_t)ps->max_rows;
  return pe_table_space_reserve(rows / PE_CIX_PARTITIONS / 3 * 4 + 1, rows / 3 * 4 + 4, need, elem);
}

static customer_entry *alloc_customers(uint64_t entries) {
  customer_entry *t = alloc_table((size_t)entries * sizeof *t);
  for (uint64_t i = 0; t && i < entries; i++) t[i].first = NO_CUSTOMER;
  return t;
}

/* Doubles the customer table. Order entries name customers by position, so
 * they are renumbered; their places in the order table depend on the ids
 * alone and stay. (Growing these tables in place as the order tables do
 * measured no faster: at 100M rows the group-by gained 0.1 s and releasing
 * 256 reservations cost as much when the orders were resolved.) */
static int grow_customers(part_state *ps) {
  uint64_t size = ps->customers ? ps->cmask + 1 : 0;
  uint64_t new_size = size ? 2 * size : FIRST_TABLE_ENTRIES;
  customer_entry *t = alloc_customers(new_size);
  uint32_t *moved = size ? malloc((size_t)size * sizeof *moved) : NULL;
  if (!t || (size && !moved)) {
    free(t);
    free(moved);
    return -1;
  }
  uint64_t mask = new_size - 1;
  for (uint64_t i = 0; i < size; i++) {
    const customer_entry *e = &ps->customers[i];
    if (e->first == NO_CUSTOMER) continue;
    uint64_t pos = pe_cix_hash(e->id) & mask;
    while (t[pos].first != NO_CUSTOMER) pos = (pos + 1) & mask;
    t[pos] = *e;
    moved[i] = (uint32_t)pos;
  }
  for (uint64_t i = 0; ps->orders && i <= ps->omask; i++) {
    order_entry *o = &ps->orders[i];
    if (o->customer_plus_one) o->customer_plus_one = moved[o->customer_plus_one - 1] + 1;
  }
  free(moved);
  free(ps->customers);
  ps->customers = t;
  ps->cmask = mask;
  return 0;
}

/* The position of customer `id` (hash `h`) in the partition's table, added
 * with empty running values if new; -1 if the table cannot grow. */
static inline int64_t find_customer(part_state *ps, int64_t id, uint64_t h) {
  if ((uint64_t)(ps->ncustomers + 1) * 4 > (ps->customers ? ps->cmask + 1 : 0) * 3)
    if (ps->cmask >= (1ull << 30) || grow_customers(ps) != 0) return -1; /* positions fit 32 bits */
  uint64_t pos = h & ps->cmask;
  for (;;) {
    customer_entry *e = &ps->customers[pos];
    if (e->first == NO_CUSTOMER) {
      *e = (customer_entry){id, 0.0, INT64_MAX, INT64_MIN};
      ps->ncustomers++;
      return (int64_t)pos;
    }
    if (e->id == id) return (int64_t)pos;
    pos = (pos + 1) & ps->cmask;
  }
}

/* Orders are placed by (customer id, order id) — known before the customer's
 * slot is — so the lookup can be prefetched a few rows ahead; within a
 * partition, equal customer ids and equal slots are the same thing. */
static inline uint64_t order_hash(int64_t order_id, uint64_t customer_hash) {
  return pe_cix_hash(order_id ^ (int64_t)customer_hash);
}

/* Bytes of an order table of `size` entries, and where its tags start. */
static inline size_t order_table_bytes(uint64_t size) {
  return (size_t)size * (sizeof(order_entry) + 1);
}
static inline uint8_t *order_tags(const part_state *ps) {
  return (uint8_t *)(ps->orders + ps->omask + 1);
}

/* Puts the `n` entries of `from` into the zeroed table t (mask `mask`). */
static void reinsert_orders(const part_state *ps, const order_entry *from, uint64_t n,
                            order_entry *t, uint64_t mask) {
  uint8_t *tags = (uint8_t *)(t + mask + 1);
  for (uint64_t i = 0; i < n; i++) {
    const order_entry *e = &from[i];
    if (!e->customer_plus_one) continue;
    uint64_t ch = pe_cix_hash(ps->customers[e->customer_plus_one - 1].id);
    uint64_t h = order_hash(e->order_id, ch), pos = h & mask;
    while (tags[pos]) pos = (pos + 1) & mask;
    t[pos] = *e;
    tags[pos] = pe_tag_of(h);
  }
}

/* Doubles the order table in place (table_space.h). */
static int grow_orders(part_state *ps) {
  const uint64_t size = ps->orders ? ps->omask + 1 : 0;
  const uint64_t new_size = size ? 2 * size : FIRST_TABLE_ENTRIES;
  const void *old;
  void *one_off;
  order_entry *t = pe_table_space_rehash(&ps->ospace, ps->orders, order_table_bytes(size),
                                         order_table_bytes(new_size),
                                         reserve_bytes(ps, 4 * new_size, sizeof *t + 1),
                                         ps->scratch, ps->scratch_slots, &old, &one_off);
  ps->orders = t;
  if (!t) {
    ps->omask = 0;
    return -1;
  }
  reinsert_orders(ps, old, size, t, new_size - 1);
  free(one_off);
  ps->omask = new_size - 1;
  return 0;
}

/* Adds `amount` to the order `order_id` (hash `h`, order_hash) of the
 * customer at table position `pos`. */
static inline int add_to_order(part_state *ps, int64_t pos, uint64_t h, int64_t order_id,
                               double amount) {
  if ((uint64_t)(ps->norders + 1) * 4 > (ps->orders ? ps->omask + 1 : 0) * 3)
    if (grow_orders(ps) != 0) return -1;
  const uint32_t key = (uint32_t)(pos + 1);
  const uint64_t size = ps->omask + 1;
  const uint8_t tag = pe_tag_of(h);
  uint8_t *tags = order_tags(ps);
  uint64_t at = h & ps->omask;
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
      order_entry *e = &ps->orders[at + (unsigned)__builtin_ctz(match)];
      if (e->order_id == order_id && e->customer_plus_one == key) {
        e->net += amount;
        return 0;
      }
    }
    if (empty) {
      at += (unsigned)__builtin_ctz(empty);
      order_entry *e = &ps->orders[at];
      e->order_id = order_id;
      e->customer_plus_one = key;
      e->net = amount;
      tags[at] = tag;
      ps->norders++;
      return 0;
    }
    at = (at + (group ? PE_TAG_GROUP : 1)) & ps->omask;
  }
}

/* Rows ahead whose table lines are prefetched: enough to overlap the
 * misses of several rows, few enough that the lines are still in L1 when
 * the row comes. The places follow from the ids alone. */
#define PREFETCH_DISTANCE 12

/* A row's two hashes, computed once, when the row is prefetched, and kept
 * in a ring of the rows ahead until the row comes. (Computing them again
 * cost 0.1 s of the 2.3 s group-by at 100.9M rows.) */
#define HASH_RING 16
_Static_assert((HASH_RING & (HASH_RING - 1)) == 0 && HASH_RING > PREFETCH_DISTANCE,
               "the ring must hold a row's hashes until the row comes");
typedef struct {
  uint64_t customer, order;
} row_hashes;

static inline row_hashes hashes_of(const txn_row *a) {
  const uint64_t h = pe_cix_hash(a->customer_id);
  return (row_hashes){h, order_hash(a->order_id, h)};
}

static inline void prefetch_tables(const part_state *ps, row_hashes rh) {
  const uint64_t at = rh.order & ps->omask;
  const order_entry *e = &ps->orders[at];
  __builtin_prefetch(&ps->customers[rh.customer & ps->cmask]);
  __builtin_prefetch(order_tags(ps) + at);
  __builtin_prefetch(e);
  /* A 20-byte entry, and the next ones a probe reads, may cross a line. */
  __builtin_prefetch((const char *)e + 19);
}

/* Walks one partition's rows of a chunk in row order. */
static int process_partition(part_state *ps, const txn_row *rows, int64_t n, int64_t as_of,
                             int filter_future) {
  row_hashes ring[HASH_RING];
  for (int64_t k = 0; k < n && k < PREFETCH_DISTANCE; k++) ring[k] = hashes_of(&rows[k]);
  for (int64_t k = 0; k < n; k++) {
    if (k + PREFETCH_DISTANCE < n) {
      const row_hashes ahead = ring[(k + PREFETCH_DISTANCE) & (HASH_RING - 1)] =
          hashes_of(&rows[k + PREFETCH_DISTANCE]);
      if (ps->customers && ps->orders) prefetch_tables(ps, ahead);
    }
    const txn_row *t = &rows[k];
    const row_hashes rh = ring[k & (HASH_RING - 1)];
    int64_t pos = find_customer(ps, t->customer_id, rh.customer);
    if (pos < 0) return -1;
    if (filter_future && t->timestamp > as_of) {
      ps->rows_future++;
      continue;
    }
    if (t->timestamp < ps->min_ts) ps->min_ts = t->timestamp;
    if (t->timestamp > ps->max_ts) ps->max_ts = t->timestamp;
    customer_entry *c = &ps->customers[pos];
    c->monetary += t->amount;
    if (t->amount > 0) {
      if (t->timestamp < c->first) c->first = t->timestamp;
      if (t->timestamp > c->last) c->last = t->timestamp;
    }
    if (add_to_order(ps, pos, rh.order, t->order_id, t->amount) != 0) return -1;
  }
  return 0;
}

static void free_parts(part_state *parts) {
  if (!parts) return;
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    free(parts[p].customers);
    free(parts[p].slots);
    pe_table_space_release(&parts[p].ospace, parts[p].orders);
  }
  free(parts);
}

/* What the streaming pass's callbacks share. */
typedef struct {
  const char *input;
  const pe_rfm_params *params;
  pe_customer_index *ix;
  part_state *parts;
  int filter_future;
  int64_t max_ts; /* of every row read */
  int64_t rows, rows_done;
} aggregate_run;

/* Checks a chunk's amounts and timestamps and finds its largest timestamp.
 * Returns the first bad row (or n) so the message can name it; the lowest bad
 * row wins whatever the thread count. */
static int64_t check_chunk(void *ctx, const pe_cix_chunk *c) {
  aggregate_run *run = ctx;
  const int64_t *timestamp = c->col[PE_TX_TIMESTAMP];
  const double *amount = c->col[PE_TX_AMOUNT];
  int64_t bad = c->rows, mx = INT64_MIN;
#pragma omp parallel for schedule(static) reduction(min : bad) reduction(max : mx)
  for (int64_t i = 0; i < c->rows; i++) {
    if (!pe_amount_ok(amount[i]) || !pe_timestamp_ok(timestamp[i])) bad = i < bad ? i : bad;
    if (timestamp[i] > mx) mx = timestamp[i];
  }
  if (bad == c->rows && mx > run->max_ts) run->max_ts = mx;
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

static void scatter_rows(const pe_cix_chunk *c, int64_t begin, int64_t end, int64_t *next,
                         void *records) {
  const int64_t *customer = c->col[PE_TX_CUSTOMER_ID], *order = c->col[PE_TX_ORDER_ID];
  const int64_t *timestamp = c->col[PE_TX_TIMESTAMP];
  const double *amount = c->col[PE_TX_AMOUNT];
  for (int64_t i = begin; i < end; i++) {
    txn_row *t = (txn_row *)records + pe_cix_next_record(next, c, i);
    t->customer_id = customer[i];
    t->order_id = order[i];
    t->timestamp = timestamp[i];
    t->amount = amount[i];
  }
}

static int process_rows(void *ctx, int p, const void *records, int64_t n) {
  aggregate_run *run = ctx;
  return process_partition(&run->parts[p], records, n, run->params->as_of, run->filter_future);
}

/* Brings a partition's two tables into the caches before its rows of a
 * batch are walked, when those rows would touch a good share of the tables'
 * lines anyway: a sequential sweep of prefetches streams the lines at the
 * memory's bandwidth, where the rows' own accesses would each wait for one
 * random miss. (100.9M rows: group-by 3.18-3.20 -> 2.84-2.99 s, three
 * alternating pairs against the binary without it.) */
static void warm_tables(void *ctx, int p, int64_t rows) {
  const aggregate_run *run = ctx;
  const part_state *ps = &run->parts[p];
  if (!ps->customers || !ps->orders) return;
  const size_t cbytes = (size_t)(ps->cmask + 1) * sizeof *ps->customers;
  const size_t obytes = order_table_bytes(ps->omask + 1);
  /* A row touches two lines; below a quarter of the tables' lines the
   * sweep would fetch more than it saves. */
  if ((uint64_t)rows * 2 * 4 * PE_CACHE_LINE_BYTES < cbytes + obytes) return;
  pe_prefetch_lines(ps->customers, cbytes);
  pe_prefetch_lines(ps->orders, obytes);
}

static void report_progress(void *ctx, int64_t rows) {
  aggregate_run *run = ctx;
  run->rows_done += rows;
  if (run->params->progress)
    run->params->progress(run->params->progress_ctx, run->rows_done, run->rows);
}

/* Moves each partition's customers into the customer index, in an order
 * fixed by their table positions (so local slots do not depend on the
 * thread count), and their running values into slot order; then counts each
 * customer's orders by the sign of their net amount. Frees the customer and order tables as it
 * goes: the order tables are the largest structure, and releasing them before the ids are sorted
 * and the output allocated keeps those off the peak. Returns the number of orders, or -1 when out
 * of memory. */
static int64_t index_customers_and_resolve_orders(pe_customer_index *ix, part_state *parts) {
  int64_t orders = 0;
  int failed = 0;
#pragma omp parallel for schedule(dynamic, 4) reduction(+ : orders) reduction(| : failed)
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    part_state *ps = &parts[p];
    pe_cix_partition *cp = &ix->part[p];
    uint64_t size = ps->customers ? ps->cmask + 1 : 0;
    uint32_t *slot_of = malloc((size ? size : 1) * sizeof *slot_of);
    /* The partition's customer table already is a linear-probing table of
     * the ids with the index's hash, filled to at most 3/4: the index takes
     * its layout over, each customer placed where it sits. */
    if (!slot_of || grow_slots(ps, ps->ncustomers) != 0 ||
        (size && pe_cix_adopt_layout(cp, ps->ncustomers, size) != PE_OK)) {
      free(slot_of);
      failed = 1;
      continue;
    }
    /* Slots are numbered in a scrambled order of positions (k -> k * odd is
     * a bijection modulo a power of two): fixed by the table, so the same
     * for any thread count. */
    for (uint64_t k = 0; k < size; k++) {
      uint64_t i = (k * 0x9E3779B97F4A7C15ull) & (size - 1);
      const customer_entry *e = &ps->customers[i];
      if (e->first == NO_CUSTOMER) continue;
      const int64_t slot = pe_cix_place(cp, i, e->id);
      slot_of[i] = (uint32_t)slot;
      ps->slots[slot] = (slot_state){e->monetary, e->first, e->last, 0, 0};
    }
    free(ps->customers);
    ps->customers = NULL;
    for (uint64_t i = 0; !failed && ps->orders && i <= ps->omask; i++) {
      const order_entry *e = &ps->orders[i];
      if (!e->customer_plus_one) continue;
      slot_state *v = &ps->slots[slot_of[e->customer_plus_one - 1]];
      if (e->net > 0)
        v->frequency++;
      else if (e->net < 0)
        v->returned++;
    }
    free(slot_of);
    orders += ps->norders;
    pe_table_space_release(&ps->ospace, ps->orders);
    ps->orders = NULL;
  }
  return failed ? -1 : orders;
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
  aggregate_run run = {.input = input, .params = params, .max_ts = INT64_MIN};
  int64_t txn_customers[PE_CIX_PARTITIONS];
  pe_table_scratch *scratch = NULL; /* the order tables' doubling temporaries */
  int scratch_slots = 0;
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
  int64_t chunk = params->chunk_rows > 0 ? params->chunk_rows : (1 << 20);
  if (chunk > rows) chunk = rows;
  run.parts = calloc(PE_CIX_PARTITIONS, sizeof *run.parts);
  scratch = pe_table_scratch_create(&scratch_slots);
  if (!run.parts || !scratch) {
    st = pe__fail(PE_ERR_NOMEM, "%s: out of memory for %lld-row read buffers", input,
                  (long long)chunk);
    goto done;
  }
  PE_CHECK_GOTO(pe_customer_index_create(&run.ix), st, done);
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    run.parts[p].min_ts = INT64_MAX;
    run.parts[p].max_rows = rows;
    run.parts[p].scratch = scratch;
    run.parts[p].scratch_slots = scratch_slots;
    run.parts[p].max_ts = INT64_MIN;
  }
  run.filter_future = params->as_of != PE_RFM_AS_OF_AUTO;
  run.rows = rows;
  pe_cix_pass_seconds spent = {0};
  const pe_cix_pass pass = {
      .table = &table,
      .input = input,
      .what = "transactions",
      .columns = 1u << PE_TX_CUSTOMER_ID | 1u << PE_TX_ORDER_ID | 1u << PE_TX_TIMESTAMP |
                 1u << PE_TX_AMOUNT,
      .id_column = PE_TX_CUSTOMER_ID,
      .record_size = sizeof(txn_row),
      .chunk_rows = chunk,
      .batch_rows = params->batch_rows,
      .ctx = &run,
      .check = check_chunk,
      .bad_row = bad_row_error,
      .scatter = scatter_rows,
      .process = process_rows,
      .warm = warm_tables,
      .chunk_done = report_progress,
      .seconds = &spent,
  };
  PE_CHECK_GOTO(pe_cix_pass_run(&pass), st, done);
  /* The doubling temporaries are done with: not kept through the peak of
   * sorting the ids and allocating the output. */
  pe_table_scratch_trim(scratch, scratch_slots);
  res->seconds.read = spent.read;
  res->seconds.check = spent.check;
  res->seconds.group = spent.group;
  res->seconds.aggregate = spent.process;
  double t = pe_now();

  part_state *parts = run.parts;
  pe_customer_index *ix = run.ix;
  res->summary.rows = rows;
  res->summary.as_of = run.filter_future ? params->as_of : run.max_ts + SECONDS_PER_DAY;
  /* The read buffers are gone; the order tables go before the per-customer
   * arrays are allocated. */
  res->summary.orders = index_customers_and_resolve_orders(ix, parts);
  if (res->summary.orders < 0) {
    st = pe__fail(PE_ERR_NOMEM, "%s: out of memory grouping transactions", input);
    goto done;
  }
  res->seconds.resolve = pe_now() - t;
  int64_t min_used = INT64_MAX, max_used = INT64_MIN;
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    res->summary.rows_future += parts[p].rows_future;
    if (parts[p].min_ts < min_used) min_used = parts[p].min_ts;
    if (parts[p].max_ts > max_used) max_used = parts[p].max_ts;
    txn_customers[p] = ix->part[p].count;
  }
  res->summary.first_timestamp = min_used == INT64_MAX ? 0 : min_used;
  res->summary.last_timestamp = max_used == INT64_MIN ? 0 : max_used;

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
  pe_table_scratch_free(scratch, scratch_slots);
  pe_customer_index_free(run.ix);
  if (table_open) pe_h5_table_close(&table);
  if (fid >= 0) H5Fclose(fid);
  return st;
}
