/* The transactions pass: one streaming read of /transactions that groups
 * rows by customer and by (customer, order) without sorting the input.
 *
 * Each chunk is read, checked, hashed by customer id and grouped by
 * partition, and the whole table's grouped rows are held (as RFM does,
 * docs/rfm.md); then each partition, on one thread, walks all its rows in
 * row order against three tables that belong to the thread and are reused
 * from partition to partition, so they stay in cache and their pages
 * mapped: its customers (the values a row updates, one line each), an order
 * table (net amount, earliest positive row, discount and negative-row flags
 * per order) and a set of (customer, category) pairs. As soon as its last
 * row is done, the partition's customers go to the customer index in one
 * go and its orders are resolved into per-customer counts. */
#include <hdf5.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/error.h"
#include "core/reusable.h"
#include "features/features_internal.h"
#include "io/h5.h"
#include "io/tables.h"
#include "rfm/partitioned_pass.h"
#include "rfm/row_pack.h"

/* A partition's customer array starts this small and doubles: the unit
 * tests' few thousand rows then grow it several times, as large inputs do. */
#define FIRST_TABLE_ENTRIES 16

/* A row as the walk reads it, and its record in a chunk that cannot be
 * packed (40 bytes). */
typedef struct {
  int64_t customer_id, order_id, timestamp;
  double amount;
  float discount;
  int32_t category;
} tx_row;

/* A row's record in a chunk whose ids and times are 32-bit offsets and
 * whose amounts are whole cents (rfm/row_pack.h): 24 bytes. At 1M customers
 * (6.7M rows) the records are 108 MB smaller, each page of them faulted in
 * fresh. */
typedef struct {
  uint32_t customer, order, time;
  int32_t cents;
  float discount;
  int32_t category;
} tx_compact;
_Static_assert(sizeof(tx_compact) == 24, "a compact record is 24 bytes");

/* A chunk's smallest values, and whether its rows are packed. */
struct pe__feat_tx_chunk {
  int64_t customer, order, time;
  int compact;
};
typedef struct pe__feat_tx_chunk tx_chunk;

static inline __attribute__((always_inline)) tx_row tx_at(const void *records, int64_t k,
                                                          const tx_chunk *b, const int compact) {
  if (!compact) return ((const tx_row *)records)[k];
  const tx_compact *r = (const tx_compact *)records + k;
  return (tx_row){pe_from_offset(r->customer, b->customer),
                  pe_from_offset(r->order, b->order),
                  pe_from_offset(r->time, b->time),
                  pe_amount_of_cents(r->cents),
                  r->discount,
                  r->category};
}

/* The customer array is sized when the partition's transactions walk ends
 * (to a power of two above its customers) and doubles only when /sessions
 * adds more than that. It lives on the heap: a mapping of its own per
 * partition (core/table_space.h, which grew it in place while the walk
 * inserted row by row) cost 512 munmaps, 0.012 s on one thread at 1M
 * customers, when the partitions were released. */
int pe__feat_grow_customers(pe__feat_partition *p, int64_t need) {
  if (need <= p->cap) return 0;
  int64_t cap = p->cap ? p->cap : FIRST_TABLE_ENTRIES;
  while (cap < need) cap *= 2;
  const size_t elem = sizeof(pe__feat_customer);
  pe__feat_customer *c = realloc(p->cust, (size_t)cap * elem);
  if (!c) return -1;
  memset(c + p->cap, 0, (size_t)(cap - p->cap) * elem);
  for (int64_t s = p->cap; s < cap; s++) {
    c[s].first_ts = INT64_MAX;
    c[s].last_ts = INT64_MIN;
  }
  p->cust = c;
  p->cap = cap;
  return 0;
}

void pe__feat_release_tables(pe__feat_partition *p) {
  free(p->cust);
  p->cust = NULL;
  p->cap = 0;
}

/* A customer as the transactions walk keeps it, in its thread's table: the
 * id and the values its rows update, one cache line, so that a row costs
 * one lookup (as RFM's walk does, rfm/rfm_aggregate.c) instead of a lookup
 * in the customer index and then a record elsewhere. The entry is empty
 * while first_ts is EMPTY_ENTRY: a customer's first_ts is INT64_MAX or a
 * checked timestamp. */
#define EMPTY_ENTRY INT64_MIN
/* Distinct categories kept inside the entry before the partition's
 * (customer, category) set is used: most customers buy from a few
 * categories (at 1M generated customers 2.8 on average, at most 5), and
 * their entry is already in cache. Six fill the line. */
#define INLINE_CATEGORIES 6
typedef struct {
  int64_t id;
  double monetary;
  int64_t first_ts, last_ts;
  int32_t rows, categories;
  int32_t inline_categories[INLINE_CATEGORIES];
} tx_customer;
_Static_assert(sizeof(tx_customer) == 64, "a customer entry is one cache line");

/* A thread's customer, order and category tables, set up afresh for each
 * partition it walks. Each has a spare, which a doubling fills and swaps
 * in. Orders and categories name their customer by its position in the
 * customer table, renumbered when that table doubles. */
struct pe__feat_tx_workspace {
  pe_reusable customer_block, spare_customer_block, position_block, arrival_block;
  pe_reusable order_block, spare_order_block, cat_block, spare_cat_block;
  pe_reusable bought_block, fill_block; /* resolve_orders' scratch */
  tx_customer *customers;
  uint64_t umask;
  int64_t ncustomers;
  uint32_t *arrival; /* the customers' positions in order of first appearance */
  pe__feat_order *orders;
  uint64_t omask;
  int64_t norders;
  uint64_t *cats; /* (position + 1) << 32 | category; 0 = empty */
  uint64_t cmask;
  int64_t ncats;
  /* The tables' sizes when the thread's last partition ended. */
  uint64_t last_customer_entries, last_order_entries, last_cat_entries;
  int ready; /* set up for the current partition */
};
typedef struct pe__feat_tx_workspace tx_workspace;

static tx_customer *customer_table(pe_reusable *block, uint64_t size) {
  tx_customer *t = pe_reuse(block, (size_t)size * sizeof *t);
  for (uint64_t i = 0; t && i < size; i++) t[i].first_ts = EMPTY_ENTRY;
  return t;
}

static pe__feat_order *order_table(pe_reusable *block, uint64_t size) {
  pe__feat_order *t = pe_reuse(block, (size_t)size * sizeof *t);
  if (t) memset(t, 0, (size_t)size * sizeof *t);
  return t;
}

static uint64_t *cat_table(pe_reusable *block, uint64_t size) {
  uint64_t *t = pe_reuse(block, (size_t)size * sizeof *t);
  if (t) memset(t, 0, (size_t)size * sizeof *t);
  return t;
}

/* Sets the thread's tables up, empty, for a partition of n rows, at the
 * sizes its last partition ended with (partitions are alike), within room
 * for n / 64 to n customers and n / 4 to n orders. */
static int start_tables(tx_workspace *ws, int64_t n) {
  const uint64_t usize = pe_table_start_entries(ws->last_customer_entries, n / 64, n);
  const uint64_t osize = pe_table_start_entries(ws->last_order_entries, n / 4, n);
  const uint64_t csize = pe_table_start_entries(ws->last_cat_entries, 0, n);
  ws->customers = customer_table(&ws->customer_block, usize);
  /* At most 3/4 of the table, whatever it grows to: room for every row. */
  ws->arrival = pe_reuse(&ws->arrival_block, (size_t)(n > 0 ? n : 1) * sizeof *ws->arrival);
  ws->orders = order_table(&ws->order_block, osize);
  ws->cats = cat_table(&ws->cat_block, csize);
  ws->umask = usize - 1;
  ws->omask = osize - 1;
  ws->cmask = csize - 1;
  ws->ncustomers = ws->norders = ws->ncats = 0;
  ws->ready = ws->customers && ws->arrival && ws->orders && ws->cats;
  return ws->ready ? 0 : -1;
}

/* ---- the (customer, category) set ---- */

static inline void insert_cat(uint64_t *t, uint64_t mask, uint64_t key) {
  uint64_t pos = pe_cix_hash((int64_t)key) & mask;
  while (t[pos]) pos = (pos + 1) & mask;
  t[pos] = key;
}

/* Rebuilds the set at `new_size` entries, each customer position p turned
 * into moved[p] (moved NULL: unchanged). */
static int rebuild_cats(tx_workspace *ws, uint64_t new_size, const uint32_t *moved) {
  uint64_t *t = cat_table(&ws->spare_cat_block, new_size);
  if (!t) return -1;
  for (uint64_t i = 0; i <= ws->cmask; i++) {
    uint64_t k = ws->cats[i];
    if (!k) continue;
    if (moved) k = ((uint64_t)moved[(k >> 32) - 1] + 1) << 32 | (k & 0xffffffffu);
    insert_cat(t, new_size - 1, k);
  }
  pe_reusable_swap(&ws->cat_block, &ws->spare_cat_block);
  ws->cats = t;
  ws->cmask = new_size - 1;
  return 0;
}

/* Inserts the pair; returns 1 if it is new, 0 if known, -1 out of memory. */
static inline int add_to_category_set(tx_workspace *ws, int64_t position, int32_t category) {
  if ((uint64_t)(ws->ncats + 1) * 4 > (ws->cmask + 1) * 3)
    if (rebuild_cats(ws, 2 * (ws->cmask + 1), NULL) != 0) return -1;
  uint64_t key = ((uint64_t)(position + 1) << 32) | (uint32_t)category;
  uint64_t pos = pe_cix_hash((int64_t)key) & ws->cmask;
  for (;;) {
    if (ws->cats[pos] == key) return 0;
    if (!ws->cats[pos]) {
      ws->cats[pos] = key;
      ws->ncats++;
      return 1;
    }
    pos = (pos + 1) & ws->cmask;
  }
}

/* Counts `category` among the customer's distinct categories. */
static inline int add_category(tx_workspace *ws, tx_customer *c, int64_t position,
                               int32_t category) {
  int inline_count = c->categories < INLINE_CATEGORIES ? c->categories : INLINE_CATEGORIES;
  for (int i = 0; i < inline_count; i++)
    if (c->inline_categories[i] == category) return 0;
  if (c->categories < INLINE_CATEGORIES) {
    c->inline_categories[c->categories++] = category;
    return 0;
  }
  int added = add_to_category_set(ws, position, category);
  if (added < 0) return -1;
  c->categories += added;
  return 0;
}

/* ---- the customer table: open addressing on the id ---- */

/* Doubles the customer table; orders and categories are renumbered (the
 * orders stay where they are: their places follow from the ids). */
static int grow_customers(tx_workspace *ws) {
  const uint64_t size = ws->umask + 1, new_size = 2 * size, mask = new_size - 1;
  uint32_t *moved = pe_reuse(&ws->position_block, (size_t)size * sizeof *moved);
  tx_customer *t = customer_table(&ws->spare_customer_block, new_size);
  if (!t || !moved) return -1;
  for (uint64_t i = 0; i < size; i++) {
    const tx_customer *e = &ws->customers[i];
    if (e->first_ts == EMPTY_ENTRY) continue;
    uint64_t pos = pe_cix_hash(e->id) & mask;
    while (t[pos].first_ts != EMPTY_ENTRY) pos = (pos + 1) & mask;
    t[pos] = *e;
    moved[i] = (uint32_t)pos;
  }
  for (int64_t s = 0; s < ws->ncustomers; s++) ws->arrival[s] = moved[ws->arrival[s]];
  for (uint64_t i = 0; i <= ws->omask; i++)
    if (ws->orders[i].customer_plus_one)
      ws->orders[i].customer_plus_one = moved[ws->orders[i].customer_plus_one - 1] + 1;
  if (ws->ncats && rebuild_cats(ws, ws->cmask + 1, moved) != 0) return -1;
  pe_reusable_swap(&ws->customer_block, &ws->spare_customer_block);
  ws->customers = t;
  ws->umask = mask;
  return 0;
}

/* The position of customer `id` (hash `h`), added with empty values if
 * new; -1 if the table cannot grow. */
static inline int64_t find_customer(tx_workspace *ws, int64_t id, uint64_t h) {
  if ((uint64_t)(ws->ncustomers + 1) * 4 > (ws->umask + 1) * 3)
    if (ws->umask >= (1ull << 30) || grow_customers(ws) != 0) return -1; /* fits 32 bits */
  uint64_t pos = h & ws->umask;
  for (;;) {
    tx_customer *e = &ws->customers[pos];
    if (e->first_ts == EMPTY_ENTRY) {
      *e = (tx_customer){.id = id, .first_ts = INT64_MAX, .last_ts = INT64_MIN};
      ws->arrival[ws->ncustomers++] = (uint32_t)pos;
      return (int64_t)pos;
    }
    if (e->id == id) return (int64_t)pos;
    pos = (pos + 1) & ws->umask;
  }
}

/* ---- the order table: open addressing on (customer, order_id) ---- */

/* The position depends on the customer's id rather than its position in
 * the customer table, so that it is known from the row alone and can be
 * prefetched a few rows ahead, and stays when that table doubles. */
static inline uint64_t order_hash(int64_t customer_id, int64_t order_id) {
  return pe_cix_hash(order_id ^ (int64_t)((uint64_t)customer_id * 0x9E3779B97F4A7C15ull));
}

/* Doubles the order table. */
static int grow_orders(tx_workspace *ws) {
  const uint64_t size = ws->omask + 1, new_size = 2 * size, mask = new_size - 1;
  pe__feat_order *t = order_table(&ws->spare_order_block, new_size);
  if (!t) return -1;
  for (uint64_t i = 0; i < size; i++) {
    const pe__feat_order *e = &ws->orders[i];
    if (!e->customer_plus_one) continue;
    const int64_t id = ws->customers[e->customer_plus_one - 1].id;
    uint64_t pos = order_hash(id, e->order_id) & mask;
    while (t[pos].customer_plus_one) pos = (pos + 1) & mask;
    t[pos] = *e;
  }
  pe_reusable_swap(&ws->order_block, &ws->spare_order_block);
  ws->orders = t;
  ws->omask = mask;
  return 0;
}

/* The order entry of (customer position, order_id), inserted if new;
 * `hash` is order_hash(id, order_id). Rows arrive in random order, so
 * whether an order is new is a coin toss at an order's first lines: the
 * usual case, an entry that is either empty or the order's own, is taken
 * without branching on which of the two it is. */
static inline pe__feat_order *find_order(tx_workspace *ws, int64_t position, int64_t order_id,
                                         uint64_t hash) {
  if ((uint64_t)(ws->norders + 1) * 4 > (ws->omask + 1) * 3)
    if (grow_orders(ws) != 0) return NULL;
  const uint32_t key = (uint32_t)(position + 1);
  uint64_t pos = hash & ws->omask;
  for (;;) {
    pe__feat_order *e = &ws->orders[pos];
    const int empty = e->customer_plus_one == 0;
    if (empty | (e->order_id == order_id && e->customer_plus_one == key)) {
      e->order_id = order_id;
      e->customer_plus_one = key;
      e->first_ts = empty ? INT64_MAX : e->first_ts;
      ws->norders += empty;
      return e;
    }
    pos = (pos + 1) & ws->omask;
  }
}

/* How far ahead process_partition prefetches, and its ring of rows decoded
 * and hashed on the way (a power of two above the distance). */
#define PREFETCH_ROWS 8
#define ROW_RING 16
_Static_assert((ROW_RING & (ROW_RING - 1)) == 0 && ROW_RING > PREFETCH_ROWS,
               "the ring holds the rows between prefetch and use");

/* A row as the walk uses it, with the hashes of its customer and order. */
typedef struct {
  tx_row row;
  uint64_t customer_hash, order_hash;
} hashed_row;

static inline __attribute__((always_inline)) hashed_row hashed_at(const void *records, int64_t k,
                                                                  const tx_chunk *b,
                                                                  const int compact) {
  hashed_row h;
  h.row = tx_at(records, k, b, compact);
  h.customer_hash = pe_cix_hash(h.row.customer_id);
  h.order_hash = order_hash(h.row.customer_id, h.row.order_id);
  return h;
}

static inline void prefetch_tables(const tx_workspace *ws, const hashed_row *h) {
  __builtin_prefetch(&ws->customers[h->customer_hash & ws->umask], 1);
  __builtin_prefetch(&ws->orders[h->order_hash & ws->omask], 1);
}

/* Walks one partition's rows of a chunk in row order. Consecutive rows often
 * belong to the same customer and order (an order's lines are usually
 * written together): the last customer and order are remembered, which
 * saves their lookups. Each row is decoded and hashed once, when its table
 * entries are prefetched, and waits in a ring (as RFM's walk does). */
static inline __attribute__((always_inline)) int process_partition(
    pe__feat_partition *ps, tx_workspace *ws, const void *records, const tx_chunk *base,
    const int compact, int64_t n, int64_t as_of, int filter_future, int use_category) {
  int64_t last_id = 0, position = -1, last_order_id = 0;
  pe__feat_order *o = NULL;
  hashed_row ring[ROW_RING];
  for (int64_t k = 0; k < n && k < PREFETCH_ROWS; k++) {
    ring[k] = hashed_at(records, k, base, compact);
    prefetch_tables(ws, &ring[k]);
  }
  for (int64_t k = 0; k < n; k++) {
    /* The table entries of a row a few rows ahead: their cache misses
     * overlap with this row's work. */
    if (k + PREFETCH_ROWS < n) {
      hashed_row *a = &ring[(k + PREFETCH_ROWS) & (ROW_RING - 1)];
      *a = hashed_at(records, k + PREFETCH_ROWS, base, compact);
      prefetch_tables(ws, a);
    }
    const hashed_row *h = &ring[k & (ROW_RING - 1)];
    const tx_row *t = &h->row;
    /* The remembered position stays valid: the table only moves when
     * find_customer inserts, and then `position` is replaced. */
    if (position < 0 || t->customer_id != last_id) {
      position = find_customer(ws, t->customer_id, h->customer_hash);
      if (position < 0) return -1;
      last_id = t->customer_id;
      o = NULL;
    }
    if (filter_future && t->timestamp > as_of) {
      ps->rows_future++;
      continue;
    }
    if (t->timestamp < ps->min_ts) ps->min_ts = t->timestamp;
    if (t->timestamp > ps->max_ts) ps->max_ts = t->timestamp;
    tx_customer *c = &ws->customers[position];
    c->rows++;
    c->monetary += t->amount;
    /* The remembered order entry stays valid: the order table only moves
     * when find_order grows it, and then `o` is replaced. */
    if (!o || t->order_id != last_order_id) {
      o = find_order(ws, position, t->order_id, h->order_hash);
      if (!o) return -1;
      last_order_id = t->order_id;
    }
    o->net += t->amount;
    /* Flags and bounds without branches: a row's discount and sign are
     * random from one row to the next. */
    const int discounted = t->discount > 0, positive = t->amount > 0;
    o->flags |=
        (uint32_t)discounted * PE__ORDER_DISCOUNT | (uint32_t)(t->amount < 0) * PE__ORDER_NEGATIVE;
    ps->rows_with_discount += discounted;
    const int64_t ts = t->timestamp;
    c->first_ts = positive && ts < c->first_ts ? ts : c->first_ts;
    c->last_ts = positive && ts > c->last_ts ? ts : c->last_ts;
    o->first_ts = positive && ts < o->first_ts ? ts : o->first_ts;
    /* A negative category is "unknown" (personae import writes -1 when
     * the input has no category column). */
    if (positive && use_category && t->category >= 0) {
      ps->rows_with_category++;
      if (add_category(ws, c, position, t->category) != 0) return -1;
    }
  }
  return 0;
}

/* Checks a chunk and finds its largest timestamp. Returns the first bad row
 * (or n); the lowest bad row wins whatever the thread count. */
/* The packing of the chunk a pass callback is given. */
static inline tx_chunk *chunk_of(const pe__feat_run *run, const pe_cix_chunk *c) {
  return &run->tx_chunks[c->offset / run->chunk_rows];
}

static int64_t check_chunk(void *ctx, const pe_cix_chunk *c) {
  pe__feat_run *run = ctx;
  const float *discount = c->col[PE_TX_DISCOUNT];
  pe_row_scan sc;
  int64_t bad = pe_scan_chunk(c->col[PE_TX_AMOUNT], c->col[PE_TX_TIMESTAMP],
                              c->col[PE_TX_CUSTOMER_ID], c->col[PE_TX_ORDER_ID], c->rows, &sc);
  if (discount) {
#pragma omp parallel for schedule(static) reduction(min : bad)
    for (int64_t i = 0; i < c->rows; i++)
      if (!(discount[i] >= 0.0f && discount[i] <= 1.0f)) bad = i < bad ? i : bad;
  }
  if (bad == c->rows && sc.tmax > run->max_ts) run->max_ts = sc.tmax;
  *chunk_of(run, c) = (tx_chunk){sc.cmin, sc.omin, sc.tmin, pe_row_scan_narrow(&sc) && sc.cents};
  return bad;
}

static size_t record_bytes(void *ctx, const pe_cix_chunk *c) {
  const pe__feat_run *run = ctx;
  return chunk_of(run, c)->compact ? sizeof(tx_compact) : sizeof(tx_row);
}

static pe_status bad_row_error(void *ctx, const pe_cix_chunk *c, int64_t i) {
  const char *input = ((const pe__feat_run *)ctx)->input;
  const double amount = ((const double *)c->col[PE_TX_AMOUNT])[i];
  const int64_t timestamp = ((const int64_t *)c->col[PE_TX_TIMESTAMP])[i];
  const int64_t row = c->offset + i;
  if (!pe_amount_ok(amount)) return pe_amount_error(input, row, amount);
  if (!pe_timestamp_ok(timestamp))
    return pe__fail(PE_ERR_DATA,
                    "%s: /transactions/timestamp: row %lld is %lld, outside years 1..9999 "
                    "(expected Unix seconds)",
                    input, (long long)row, (long long)timestamp);
  return pe__fail(PE_ERR_DATA,
                  "%s: /transactions/discount: row %lld is %g, expected a fraction in [0, 1]",
                  input, (long long)row, (double)((const float *)c->col[PE_TX_DISCOUNT])[i]);
}

static void scatter_rows(void *ctx, const pe_cix_chunk *c, int64_t begin, int64_t end,
                         int64_t *next, void *records) {
  const int64_t *customer = c->col[PE_TX_CUSTOMER_ID], *order = c->col[PE_TX_ORDER_ID];
  const int64_t *timestamp = c->col[PE_TX_TIMESTAMP];
  const double *amount = c->col[PE_TX_AMOUNT];
  const float *discount = c->col[PE_TX_DISCOUNT];
  const int32_t *category = c->col[PE_TX_CATEGORY];
  const tx_chunk b = *chunk_of(ctx, c);
  if (b.compact) {
    for (int64_t i = begin; i < end; i++)
      ((tx_compact *)records)[pe_cix_next_record(next, c, i)] =
          (tx_compact){pe_offset_of(customer[i], b.customer), pe_offset_of(order[i], b.order),
                       pe_offset_of(timestamp[i], b.time),    pe_cents_of(amount[i]),
                       discount ? discount[i] : 0.0f,         category ? category[i] : 0};
    return;
  }
  for (int64_t i = begin; i < end; i++) {
    tx_row *t = (tx_row *)records + pe_cix_next_record(next, c, i);
    t->customer_id = customer[i];
    t->order_id = order[i];
    t->timestamp = timestamp[i];
    t->amount = amount[i];
    t->discount = discount ? discount[i] : 0.0f;
    t->category = category ? category[i] : 0;
  }
}

/* The pass's `warm`: called once per partition (one batch), before its rows. */
static void start_partition(void *ctx, int p, int64_t rows) {
  (void)p;
  pe__feat_run *run = ctx;
  start_tables(&run->tx_ws[omp_get_thread_num()], rows);
}

static int process_rows(void *ctx, int p, int64_t chunk, const void *records, int64_t n) {
  pe__feat_run *run = ctx;
  tx_workspace *ws = &run->tx_ws[omp_get_thread_num()];
  if (!ws->ready) return -1;
  const tx_chunk *b = &run->tx_chunks[chunk];
  if (b->compact)
    return process_partition(&run->part[p], ws, records, b, 1, n, run->as_of, run->filter_future,
                             run->has_category);
  return process_partition(&run->part[p], ws, records, b, 0, n, run->as_of, run->filter_future,
                           run->has_category);
}

static inline int in_holiday_season(int64_t ts) {
  int64_t days = ts / PE_FEATURES_SECONDS_PER_DAY;
  if (ts % PE_FEATURES_SECONDS_PER_DAY < 0) days--;
  return pe_day_in_nov_dec(days);
}

static int by_time(const void *a, const void *b) {
  int64_t x = ((const pe__feat_purchase *)a)->ts, y = ((const pe__feat_purchase *)b)->ts;
  return (x > y) - (x < y);
}

/* Most customers have a handful of purchases: insertion sort, qsort beyond.
 * Equal times are equal entries (no session matched yet), so the order
 * among them does not matter. */
static void sort_purchases(pe__feat_purchase *t, int64_t n) {
  if (n > 32) {
    qsort(t, (size_t)n, sizeof *t, by_time);
    return;
  }
  for (int64_t i = 1; i < n; i++) {
    const pe__feat_purchase v = t[i];
    int64_t j = i;
    for (; j > 0 && t[j - 1].ts > v.ts; j--) t[j] = t[j - 1];
    t[j] = v;
  }
}

/* A purchase on its way to its customer's run: local slot and time. */
typedef struct {
  int64_t slot, ts;
} bought;

/* How many order entries ahead resolve_orders prefetches. */
#define RESOLVE_PREFETCH 16

/* Turns a partition's order table into per-customer counts and, with
 * want_times (the sessions pass will match purchases to sessions), the
 * sorted purchase times of each customer. `slot_of` maps the walk's
 * customer positions to local slots. */
static int resolve_orders(pe__feat_partition *ps, tx_workspace *ws, const uint32_t *slot_of,
                          int64_t tx_slots, int want_times) {
  ps->tx_slots = tx_slots;
  ps->norders = ws->norders;
  /* Purchases are listed as they are met, in the thread's scratch, and
   * then placed by a counting sort on the slot: one walk of the order
   * table instead of two. */
  bought *list = want_times ? pe_reuse(&ws->bought_block,
                                       (size_t)(ws->norders ? ws->norders : 1) * sizeof *list)
                            : NULL;
  if (want_times && !list) return -1;
  int64_t nb = 0, purchases = 0;
  /* The table is walked in order and its customers met at random: their
   * records are prefetched a few entries ahead. */
  for (uint64_t i = 0; i <= ws->omask; i++) {
    const pe__feat_order *e = &ws->orders[i];
    if (i + RESOLVE_PREFETCH <= ws->omask && e[RESOLVE_PREFETCH].customer_plus_one)
      __builtin_prefetch(&ps->cust[slot_of[e[RESOLVE_PREFETCH].customer_plus_one - 1]], 1);
    if (!e->customer_plus_one) continue;
    const int64_t slot = slot_of[e->customer_plus_one - 1];
    pe__feat_customer *c = &ps->cust[slot];
    c->orders++;
    if (e->flags & PE__ORDER_NEGATIVE) c->returned++;
    if (e->net > 0) {
      c->purchases++;
      purchases++;
      if (e->flags & PE__ORDER_DISCOUNT) c->discounted++;
      if (in_holiday_season(e->first_ts)) c->holiday++;
      if (list) list[nb++] = (bought){slot, e->first_ts};
    } else if (e->net < 0) {
      c->net_returns++;
    }
  }
  ps->purchases = purchases;
  if (!want_times) return 0;
  ps->purchase_off = malloc((size_t)(tx_slots + 1) * sizeof *ps->purchase_off);
  ps->purchase = malloc((size_t)(purchases ? purchases : 1) * sizeof *ps->purchase);
  int64_t *fill = pe_reuse(&ws->fill_block, (size_t)(tx_slots ? tx_slots : 1) * sizeof *fill);
  if (!ps->purchase_off || !ps->purchase || !fill) return -1;
  int64_t total = 0;
  for (int64_t s = 0; s < tx_slots; s++) {
    ps->purchase_off[s] = fill[s] = total;
    total += ps->cust[s].purchases;
  }
  ps->purchase_off[tx_slots] = total;
  for (int64_t k = 0; k < nb; k++)
    ps->purchase[fill[list[k].slot]++] = (pe__feat_purchase){list[k].ts, INT64_MIN};
  for (int64_t s = 0; s < tx_slots; s++)
    sort_purchases(ps->purchase + ps->purchase_off[s],
                   ps->purchase_off[s + 1] - ps->purchase_off[s]);
  return 0;
}

/* The pass's `finish`, right after the partition's last row: hands its
 * customers to the customer index in one go, in order of first appearance
 * (as inserting them row by row would: frequent customers come first, and
 * their records share cache lines in the sessions pass; in table order, the
 * sessions walk took 30% longer), copies their values into slot order and
 * resolves its orders while the thread's tables still hold them. */
static int finish_partition(void *ctx, int p) {
  pe__feat_run *run = ctx;
  tx_workspace *ws = &run->tx_ws[omp_get_thread_num()];
  pe__feat_partition *ps = &run->part[p];
  pe_cix_partition *cp = &run->ix->part[p];
  if (!ws->ready) return -1;
  ws->ready = 0;
  ws->last_customer_entries = ws->umask + 1;
  ws->last_order_entries = ws->omask + 1;
  ws->last_cat_entries = ws->cmask + 1;
  uint32_t *slot_of = pe_reuse(&ws->position_block, (size_t)(ws->umask + 1) * sizeof *slot_of);
  if (!slot_of || pe_cix_reserve_ids(cp, ws->ncustomers) != PE_OK ||
      pe__feat_grow_customers(ps, ws->ncustomers) != 0)
    return -1;
  for (int64_t s = 0; s < ws->ncustomers; s++) {
    const uint32_t i = ws->arrival[s];
    const tx_customer *e = &ws->customers[i];
    slot_of[i] = (uint32_t)pe_cix_append(cp, e->id);
    pe__feat_customer *c = &ps->cust[s];
    c->monetary = e->monetary;
    c->first_ts = e->first_ts;
    c->last_ts = e->last_ts;
    c->rows = e->rows;
    c->categories = e->categories;
  }
  return resolve_orders(ps, ws, slot_of, cp->count, run->want_purchase_times);
}

static void free_workspaces(tx_workspace *ws, int n) {
  for (int i = 0; ws && i < n; i++) {
    pe_reusable_free(&ws[i].customer_block);
    pe_reusable_free(&ws[i].spare_customer_block);
    pe_reusable_free(&ws[i].position_block);
    pe_reusable_free(&ws[i].arrival_block);
    pe_reusable_free(&ws[i].order_block);
    pe_reusable_free(&ws[i].spare_order_block);
    pe_reusable_free(&ws[i].cat_block);
    pe_reusable_free(&ws[i].bought_block);
    pe_reusable_free(&ws[i].fill_block);
    pe_reusable_free(&ws[i].spare_cat_block);
  }
  free(ws);
}

pe_status pe__feat_transactions_pass(pe__feat_run *run, int64_t fid) {
  const char *input = run->input;
  pe_h5_table table;
  pe_status st;
  PE_FORWARD(pe_h5_table_open((hid_t)fid, input, "/transactions", pe_transactions_spec,
                              PE_TX_COLUMN_COUNT, &table));
  const int64_t rows = table.rows;
  /* Optional columns are read only when present and wanted. */
  run->has_discount &= table.present[PE_TX_DISCOUNT];
  run->has_category &= table.present[PE_TX_CATEGORY];
  if (rows == 0) {
    st =
        pe__fail(PE_ERR_DATA, "%s: /transactions is empty (0 rows); no features to compute", input);
    goto done;
  }
  run->max_ts = INT64_MIN;
  run->chunk_rows = pe_cix_one_batch_chunk_rows(rows, run->chunk_rows);
  const pe_cix_pass pass = {
      .table = &table,
      .input = input,
      .what = "transactions",
      .columns = 1u << PE_TX_CUSTOMER_ID | 1u << PE_TX_ORDER_ID | 1u << PE_TX_TIMESTAMP |
                 1u << PE_TX_AMOUNT | (unsigned)(run->has_discount != 0) << PE_TX_DISCOUNT |
                 (unsigned)(run->has_category != 0) << PE_TX_CATEGORY,
      .id_column = PE_TX_CUSTOMER_ID,
      .record_size = sizeof(tx_row),
      .chunk_rows = run->chunk_rows,
      .ctx = run,
      .check = check_chunk,
      .bad_row = bad_row_error,
      .record_bytes = record_bytes,
      .scatter = scatter_rows,
      .process = process_rows,
      .warm = start_partition,
      .one_batch = 1,
      .finish = finish_partition,
      .chunk_done = pe__feat_report_progress,
      .seconds = &run->tx_seconds,
  };
  const int threads = omp_get_max_threads();
  run->tx_ws = calloc((size_t)threads, sizeof *run->tx_ws);
  run->tx_chunks =
      calloc((size_t)((rows + run->chunk_rows - 1) / run->chunk_rows), sizeof *run->tx_chunks);
  st = run->tx_ws && run->tx_chunks
           ? pe_cix_pass_run(&pass)
           : pe__fail(PE_ERR_NOMEM, "%s: out of memory for the transactions pass", input);
  free_workspaces(run->tx_ws, threads);
  run->tx_ws = NULL;
  free(run->tx_chunks);
  run->tx_chunks = NULL;
  if (st != PE_OK) goto done;

  if (!run->filter_future) run->as_of = run->max_ts + PE_FEATURES_SECONDS_PER_DAY;
  pe_features_summary *sum = &run->summary;
  sum->rows = rows;
  int64_t min_used = INT64_MAX;
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    sum->rows_future += run->part[p].rows_future;
    run->any_category |= run->part[p].rows_with_category > 0;
    run->any_discount |= run->part[p].rows_with_discount > 0;
    sum->orders += run->part[p].norders;
    if (run->part[p].min_ts < min_used) min_used = run->part[p].min_ts;
  }
  sum->first_timestamp = min_used == INT64_MAX ? 0 : min_used;

  /* Orders were resolved as each partition's walk ended. */
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) sum->purchases += run->part[p].purchases;
  st = PE_OK;

done:
  pe_h5_table_close(&table);
  return st;
}
