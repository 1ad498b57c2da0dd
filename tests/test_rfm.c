/* RFM against a brute-force oracle written independently here: O(N^2)
 * order netting, full sorts for ranks, the exact rational qcut rule (equal to
 * pandas' for 5 bins, checked in Python for n < 1500), and the default segment
 * map spelled out as the issue words it. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/table_space.h"
#include "core/tag_group.h"
#include "harness.h"
#include "io/tables.h"
#include "personae.h"
#include "rfm/customer_index.h"
#include "rfm/partitioned_pass.h"
#include "rfm/radix_sort.h"
#include "rfm/rfm_internal.h"
#include "test_rfm_util.h"

#define DAY 86400

typedef struct {
  int64_t id;
  int has_purchase, recency, frequency, tenure, returned;
  double monetary;
  int64_t first, last;
  int r, f, m;
  const char *segment;
} expected;

static const char *default_segment(int r, int f) {
  if (r <= 2) return f <= 2 ? "Hibernating" : f <= 4 ? "At Risk" : "Can't Lose Them";
  if (r == 3) return f <= 2 ? "About To Sleep" : f == 3 ? "Need Attention" : "Loyal Customers";
  if (r == 4) return f == 1 ? "Promising" : f <= 3 ? "Potential Loyalists" : "Loyal Customers";
  return f == 1 ? "New Customers" : f <= 3 ? "Potential Loyalists" : "Champions";
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Sorting scored customers by (value, position) for rank(method="first"):
 * both oracles sort (value, index) pairs. */
typedef struct {
  double v;
  int64_t k;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->v != y->v) return x->v < y->v ? -1 : 1;
  return (x->k > y->k) - (x->k < y->k);
}

static double value_of(const expected *e, int dim) {
  return dim == 0 ? e->recency : dim == 1 ? e->frequency : e->monetary;
}

/* Returns the expected customers (ascending id) and their count. */
static expected *brute_force(const rfm_test_row *rows, int64_t n, const int64_t *sess, int64_t ns,
                             int64_t as_of_param, int64_t *count, int64_t *future) {
  int64_t *ids = malloc((size_t)(n + ns) * sizeof *ids);
  int64_t max_ts = INT64_MIN;
  for (int64_t i = 0; i < n; i++) {
    ids[i] = rows[i].customer_id;
    if (rows[i].timestamp > max_ts) max_ts = rows[i].timestamp;
  }
  for (int64_t i = 0; i < ns; i++) ids[n + i] = sess[i];
  qsort(ids, (size_t)(n + ns), sizeof *ids, cmp_i64);
  int64_t c = 0;
  for (int64_t i = 0; i < n + ns; i++)
    if (c == 0 || ids[c - 1] != ids[i]) ids[c++] = ids[i];
  int64_t as_of = as_of_param == PE_RFM_AS_OF_AUTO ? max_ts + DAY : as_of_param;
  expected *e = calloc((size_t)c, sizeof *e);
  *future = 0;
  for (int64_t i = 0; i < n; i++) *future += rows[i].timestamp > as_of;
  for (int64_t k = 0; k < c; k++) {
    expected *x = &e[k];
    x->id = ids[k];
    x->first = INT64_MAX;
    x->last = INT64_MIN;
    for (int64_t i = 0; i < n; i++) {
      const rfm_test_row *t = &rows[i];
      if (t->customer_id != x->id || t->timestamp > as_of) continue;
      x->monetary += t->amount;
      if (t->amount > 0) {
        if (t->timestamp < x->first) x->first = t->timestamp;
        if (t->timestamp > x->last) x->last = t->timestamp;
      }
      int seen_before = 0;
      for (int64_t j = 0; j < i && !seen_before; j++)
        seen_before = rows[j].customer_id == x->id && rows[j].order_id == t->order_id &&
                      rows[j].timestamp <= as_of;
      if (seen_before) continue;
      double net = 0;
      for (int64_t j = i; j < n; j++)
        if (rows[j].customer_id == x->id && rows[j].order_id == t->order_id &&
            rows[j].timestamp <= as_of)
          net += rows[j].amount;
      x->frequency += net > 0;
      x->returned += net < 0;
    }
    int bought = x->last != INT64_MIN;
    x->recency = bought ? (int)((as_of - x->last) / DAY) : -1;
    x->tenure = bought ? (int)((as_of - x->first) / DAY) : -1;
    if (!bought) x->first = x->last = -1;
    x->has_purchase = x->frequency > 0;
  }
  /* Scores over customers with frequency >= 1, in id order. */
  int64_t *scored = malloc((size_t)(c ? c : 1) * sizeof *scored), ns_ = 0;
  for (int64_t k = 0; k < c; k++)
    if (e[k].has_purchase) scored[ns_++] = k;
  for (int dim = 0; dim < 3; dim++) {
    ranked *order = malloc((size_t)(ns_ ? ns_ : 1) * sizeof *order);
    for (int64_t i = 0; i < ns_; i++) order[i] = (ranked){value_of(&e[scored[i]], dim), scored[i]};
    qsort(order, (size_t)ns_, sizeof *order, cmp_ranked);
    for (int64_t r = 1; r <= ns_; r++) {
      int64_t bin = ns_ == 1 ? 1 : ((r - 1) * 5 + (ns_ - 2)) / (ns_ - 1);
      if (bin < 1) bin = 1;
      expected *x = &e[order[r - 1].k];
      if (dim == 0)
        x->r = 6 - (int)bin;
      else if (dim == 1)
        x->f = (int)bin;
      else
        x->m = (int)bin;
    }
    free(order);
  }
  for (int64_t k = 0; k < c; k++)
    e[k].segment = e[k].has_purchase ? default_segment(e[k].r, e[k].f) : "No Purchase";
  free(scored);
  free(ids);
  *count = c;
  return e;
}

static int bounds_differ_from_scan(const pe_rfm_result *res, int bins);

static void check_against(const pe_rfm_result *res, const expected *e, int64_t c, int64_t future) {
  pe_rfm_columns col;
  pe_rfm_result_columns(res, &col);
  pe_rfm_summary s;
  pe_rfm_result_summary(res, &s);
  PE_ASSERT_EQ_LL(col.count, c);
  PE_ASSERT_EQ_LL(s.rows_future, future);
  PE_ASSERT_EQ_LL(bounds_differ_from_scan(res, s.bins), 0);
  if (col.count != c) return;
  int bad = 0;
  for (int64_t k = 0; k < c && bad < 5; k++) {
    const expected *x = &e[k];
    pe_rfm_segment_stats g;
    pe_rfm_result_segment(res, col.segment[k], &g);
    int ok = col.customer_id[k] == x->id && col.has_purchase[k] == x->has_purchase &&
             col.recency_days[k] == x->recency && col.frequency[k] == x->frequency &&
             col.tenure_days[k] == x->tenure && col.orders_returned[k] == x->returned &&
             col.monetary[k] == x->monetary && col.first_purchase[k] == x->first &&
             col.last_purchase[k] == x->last && col.r[k] == x->r && col.f[k] == x->f &&
             col.m[k] == x->m && strcmp(g.name, x->segment) == 0;
    if (!ok) {
      bad++;
      fprintf(stderr,
              "\n  customer %lld: got has=%d rec=%d freq=%d ten=%d ret=%d mon=%.17g first=%lld "
              "last=%lld rfm=%d%d%d %s\n  expected has=%d rec=%d freq=%d ten=%d ret=%d mon=%.17g "
              "first=%lld last=%lld rfm=%d%d%d %s\n",
              (long long)x->id, col.has_purchase[k], col.recency_days[k], col.frequency[k],
              col.tenure_days[k], col.orders_returned[k], col.monetary[k],
              (long long)col.first_purchase[k], (long long)col.last_purchase[k], col.r[k], col.f[k],
              col.m[k], g.name, x->has_purchase, x->recency, x->frequency, x->tenure, x->returned,
              x->monetary, (long long)x->first, (long long)x->last, x->r, x->f, x->m, x->segment);
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
}

/* Random marketplace with many ties: few distinct amounts and days, orders
 * split over rows scattered through the file, returns, return-only customers,
 * ids spread over the whole int64 range. */
static rfm_test_row *random_rows(uint64_t seed, int64_t n, int64_t customers, int64_t **sess,
                                 int64_t *ns) {
  pe_rng rng;
  pe_rng_init(&rng, seed, 0);
  int64_t *ids = malloc((size_t)customers * sizeof *ids);
  for (int64_t k = 0; k < customers; k++)
    ids[k] = k % 3 == 0 ? (int64_t)pe_rng_next(&rng) : (int64_t)pe_rng_below(&rng, 1000) - 300;
  static const double amounts[] = {5, 10, 10, 20, 25.5, 99.99, 0, -10, -5, 0.1, 0.2};
  rfm_test_row *rows = malloc((size_t)n * sizeof *rows);
  const int64_t t0 = 1700000000;
  for (int64_t i = 0; i < n; i++) {
    rfm_test_row *t = &rows[i];
    int64_t k = (int64_t)pe_rng_below(&rng, (uint64_t)customers);
    t->customer_id = ids[k];
    t->order_id = (int64_t)pe_rng_below(&rng, 40); /* shared across customers on purpose */
    t->timestamp =
        t0 + (int64_t)pe_rng_below(&rng, 60) * DAY + (int64_t)pe_rng_below(&rng, 3) * 3600;
    t->amount = amounts[pe_rng_below(&rng, sizeof amounts / sizeof amounts[0])];
    if (k % 17 == 0) t->amount = -fabs(t->amount) - 1; /* return-only customers */
  }
  *ns = customers / 4 + 3;
  *sess = malloc((size_t)*ns * sizeof **sess);
  for (int64_t i = 0; i < *ns; i++)
    (*sess)[i] = i < 3 ? 5000000 + i : ids[pe_rng_below(&rng, (uint64_t)customers)];
  free(ids);
  return rows;
}

/* Scores `path`, which holds `rows` (and /sessions `sess`), and checks the
 * result against the brute force; chunk 0: the default read. */
static void check_file(const char *path, const rfm_test_row *rows, int64_t n, const int64_t *sess,
                       int64_t ns, int64_t as_of, int64_t chunk) {
  pe_rfm_params p;
  pe_rfm_params_init(&p);
  p.as_of = as_of;
  p.chunk_rows = chunk;
  pe_rfm_result *res = NULL;
  PE_ASSERT_STATUS(pe_rfm_compute(path, &p, &res), PE_OK);
  if (!res) return;
  int64_t c, future;
  expected *e = brute_force(rows, n, sess, ns, as_of, &c, &future);
  check_against(res, e, c, future);
  /* Customers seen only in /sessions are kept and counted. */
  int64_t only_sessions = 0;
  for (int64_t k = 0; k < c; k++) {
    int in_rows = 0;
    for (int64_t i = 0; i < n && !in_rows; i++) in_rows = rows[i].customer_id == e[k].id;
    only_sessions += !in_rows;
  }
  pe_rfm_summary s;
  pe_rfm_result_summary(res, &s);
  PE_ASSERT_EQ_LL(s.customers_from_sessions_only, only_sessions);
  CU_ASSERT(ns == 0 || only_sessions >= 3);
  free(e);
  pe_rfm_result_free(res);
}

static void run_case(const rfm_test_row *rows, int64_t n, const int64_t *sess, int64_t ns,
                     int64_t as_of, int64_t chunk) {
  char path[512];
  pe_test_path(path, sizeof path, "case.h5");
  CU_ASSERT_EQUAL_FATAL(rfm_test_write(path, rows, n, sess, ns), 0);
  check_file(path, rows, n, sess, ns, as_of, chunk);
}

static void test_random_auto_as_of(void) {
  int64_t *sess, ns;
  rfm_test_row *rows = random_rows(1, 4000, 300, &sess, &ns);
  run_case(rows, 4000, sess, ns, PE_RFM_AS_OF_AUTO, 777);
  free(rows);
  free(sess);
}

/* Enough customers and orders that every partition's customer and order
 * tables double several times (and order entries are renumbered each time
 * the customer table grows), against the brute force. */
static void test_random_tables_grow(void) {
  int64_t *sess, ns;
  rfm_test_row *rows = random_rows(3, 9000, 6000, &sess, &ns);
  run_case(rows, 9000, sess, ns, PE_RFM_AS_OF_AUTO, 1000);
  /* One-row chunks ask for 9000 chunks, each keeping 4 KiB of offsets:
   * raised to 3 rows (9000 / 4096, pe_cix_one_batch_chunk_rows). */
  run_case(rows, 9000, sess, ns, PE_RFM_AS_OF_AUTO, 1);
  free(rows);
  free(sess);
}

/* One customer with thousands of orders: its partition's order table
 * outgrows the address space reserved for a partition's share and moves. */
static void test_one_customer_many_orders(void) {
  const int64_t n = 7000;
  rfm_test_row *rows = malloc((size_t)n * sizeof *rows);
  for (int64_t i = 0; i < n; i++)
    rows[i] = (rfm_test_row){424242, (i * 7919) % 6500, 1700000000 + (i % 50) * DAY,
                             (i % 9 == 0) ? -3.0 : 1.0 + (double)(i % 13)};
  run_case(rows, n, NULL, 0, PE_RFM_AS_OF_AUTO, 1 << 20);
  free(rows);
}

/* At scale, against an oracle that sorts instead of hashing: 1.5M rows over
 * 500,000 customers (about 1,000 a partition, so the customer index takes
 * over the group-by's tables' layout instead of inserting), several rows
 * per order, returns, zero amounts, and /sessions ids both new and known.
 * Amounts are binary fractions, so every sum is exact in any order. */
typedef struct {
  int64_t customer_id, order_id, timestamp;
  double amount;
} keyed_row;

static int cmp_keyed(const void *a, const void *b) {
  const keyed_row *x = a, *y = b;
  if (x->customer_id != y->customer_id) return x->customer_id < y->customer_id ? -1 : 1;
  if (x->order_id != y->order_id) return x->order_id < y->order_id ? -1 : 1;
  return 0;
}

/* Scores of every dimension by the definition: the scored customers sorted
 * by (value, dense index), rank r in 1..n, bin = 1 + the thresholds below r
 * (recency reversed). Returns the number of customers scored otherwise. */
static int64_t scores_differ_from_sorting(const pe_rfm_columns *col, int bins) {
  ranked *by = malloc((size_t)(col->count ? col->count : 1) * sizeof *by);
  int64_t bad = 0;
  for (int dim = 0; dim < 3; dim++) {
    int64_t n = 0;
    for (int64_t k = 0; k < col->count; k++)
      if (col->has_purchase[k])
        by[n++] = (ranked){dim == 0   ? (double)col->recency_days[k]
                           : dim == 1 ? (double)col->frequency[k]
                                      : col->monetary[k],
                           k};
    qsort(by, (size_t)n, sizeof *by, cmp_ranked);
    int64_t K[PE_RFM_MAX_BINS + 1];
    pe__rfm_qcut_rank_bounds(n, bins, K);
    const uint8_t *got = dim == 0 ? col->r : dim == 1 ? col->f : col->m;
    for (int64_t r = 1; r <= n; r++) {
      int bin = 1;
      while (bin < bins && K[bin] < r) bin++;
      bad += got[by[r - 1].k] != (dim == 0 ? bins + 1 - bin : bin);
    }
  }
  free(by);
  return bad;
}

/* Every score's cut points (lowest and highest value, count) against a scan
 * of the scores: the engine derives them from the ranks alone. Returns the
 * number of (dimension, score) pairs that differ. */
static int bounds_differ_from_scan(const pe_rfm_result *res, int bins) {
  pe_rfm_columns col;
  pe_rfm_result_columns(res, &col);
  int bad = 0;
  for (int dim = 0; dim < 3; dim++) {
    const uint8_t *score = dim == 0 ? col.r : dim == 1 ? col.f : col.m;
    for (int s = 1; s <= bins; s++) {
      double lo = 0, hi = 0;
      int64_t count = 0;
      for (int64_t k = 0; k < col.count; k++) {
        if (!col.has_purchase[k] || score[k] != s) continue;
        const double v = dim == 0   ? (double)col.recency_days[k]
                         : dim == 1 ? (double)col.frequency[k]
                                    : col.monetary[k];
        if (count++ == 0 || v < lo) lo = v;
        if (count == 1 || v > hi) hi = v;
      }
      double got_lo, got_hi;
      int64_t got_count;
      pe_rfm_result_bounds(res, dim, s, &got_lo, &got_hi, &got_count);
      const int ok = got_count == count && (count == 0 || (got_lo == lo && got_hi == hi));
      if (!ok && bad < 3)
        fprintf(stderr, "\n  dim %d score %d: got [%g, %g] x%lld, scan [%g, %g] x%lld\n", dim, s,
                got_lo, got_hi, (long long)got_count, lo, hi, (long long)count);
      bad += !ok;
    }
  }
  return bad;
}

/* Other bin counts: 7 bins over a few hundred customers, and 10 bins over
 * 6 scored customers (empty bins): scores against ranks by sorting, cut
 * points against a scan. */
static void test_other_bins(void) {
  static const struct {
    int64_t rows, customers;
    int bins;
  } cases[] = {{3000, 300, 7}, {40, 7, 10}, {3000, 300, 2}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int64_t *sess, ns;
    rfm_test_row *rows = random_rows(40 + c, cases[c].rows, cases[c].customers, &sess, &ns);
    char path[512];
    pe_test_path(path, sizeof path, "bins.h5");
    CU_ASSERT_EQUAL_FATAL(rfm_test_write(path, rows, cases[c].rows, sess, ns), 0);
    pe_rfm_params p;
    pe_rfm_params_init(&p);
    p.bins = cases[c].bins;
    pe_rfm_result *res = NULL;
    PE_ASSERT_STATUS(pe_rfm_compute(path, &p, &res), PE_OK);
    if (res) {
      pe_rfm_columns col;
      pe_rfm_result_columns(res, &col);
      PE_ASSERT_EQ_LL(scores_differ_from_sorting(&col, cases[c].bins), 0);
      PE_ASSERT_EQ_LL(bounds_differ_from_scan(res, cases[c].bins), 0);
    }
    pe_rfm_result_free(res);
    free(rows);
    free(sess);
  }
}

static void test_many_customers_by_sorting(void) {
  enum { ROWS = 1500000, CUSTOMERS = 500000, SESSIONS = 3000 };
  /* Partitions large enough that the adopted customer tables are larger
   * than the index's own first table (the case of large inputs), with room
   * for the partitions' spread. */
  _Static_assert(CUSTOMERS / PE_CIX_PARTITIONS > 2 * PE_CIX_FIRST_IDS * 3 / 4 * 5 / 4,
                 "too few customers a partition for tables beyond the index's first size");
  pe_rng rng;
  pe_rng_init(&rng, 2026, 3);
  int64_t *ids = malloc(CUSTOMERS * sizeof *ids);
  for (int k = 0; k < CUSTOMERS; k++) ids[k] = (int64_t)(pe_rng_next(&rng) >> 1) - ((int64_t)1 << 61);
  static const double amounts[] = {5, 10, 2.5, -5, 0.25, 0, -2.5, 7.75};
  rfm_test_row *rows = malloc(ROWS * sizeof *rows);
  keyed_row *sorted = malloc(ROWS * sizeof *sorted);
  for (int i = 0; i < ROWS; i++) {
    const int64_t c = ids[pe_rng_below(&rng, CUSTOMERS)];
    rows[i] = (rfm_test_row){c, (int64_t)pe_rng_below(&rng, 6), 1700000000 +
                                 (int64_t)pe_rng_below(&rng, 400) * 86400,
                             amounts[pe_rng_below(&rng, 8)]};
    sorted[i] = (keyed_row){rows[i].customer_id, rows[i].order_id, rows[i].timestamp,
                            rows[i].amount};
  }
  int64_t *sess = malloc(SESSIONS * sizeof *sess);
  for (int i = 0; i < SESSIONS; i++)
    sess[i] = i % 2 ? ids[pe_rng_below(&rng, CUSTOMERS)] : -1 - (int64_t)i; /* new: < 0, even i */
  char path[512];
  pe_test_path(path, sizeof path, "many_customers.h5");
  CU_ASSERT_FATAL(rfm_test_write(path, rows, ROWS, sess, SESSIONS) == 0);
  free(rows);
  qsort(sorted, ROWS, sizeof *sorted, cmp_keyed);

  pe_rfm_params p;
  pe_rfm_params_init(&p);
  pe_rfm_result *res[2] = {NULL, NULL};
  const int saved = omp_get_max_threads();
  for (int t = 0; t < 2; t++) {
    omp_set_num_threads(t + 1);
    PE_ASSERT_STATUS(pe_rfm_compute(path, &p, &res[t]), PE_OK);
  }
  omp_set_num_threads(saved);
  if (res[0] && res[1]) {
    pe_rfm_columns col, two;
    pe_rfm_result_columns(res[0], &col);
    pe_rfm_result_columns(res[1], &two);
    /* The oracle walks the sorted rows and the result (ascending ids) together. */
    int64_t k = 0, bad = 0, only_sessions = 0;
    for (int64_t i = 0; i < ROWS && k < col.count && bad < 5;) {
      /* Ids only in /sessions (without a row) come before or between. */
      while (k < col.count && col.customer_id[k] < sorted[i].customer_id) {
        only_sessions++;
        bad += col.frequency[k] != 0 || col.has_purchase[k] != 0;
        k++;
      }
      const int64_t c = sorted[i].customer_id;
      double monetary = 0;
      int64_t first = INT64_MAX, last = INT64_MIN;
      int frequency = 0, returned = 0;
      while (i < ROWS && sorted[i].customer_id == c) {
        const int64_t o = sorted[i].order_id;
        double net = 0;
        for (; i < ROWS && sorted[i].customer_id == c && sorted[i].order_id == o; i++) {
          net += sorted[i].amount;
          monetary += sorted[i].amount;
          if (sorted[i].amount > 0) {
            if (sorted[i].timestamp < first) first = sorted[i].timestamp;
            if (sorted[i].timestamp > last) last = sorted[i].timestamp;
          }
        }
        frequency += net > 0;
        returned += net < 0;
      }
      if (first == INT64_MAX) first = last = -1;
      const int ok = k < col.count && col.customer_id[k] == c && col.frequency[k] == frequency &&
                     col.orders_returned[k] == returned && col.monetary[k] == monetary &&
                     col.first_purchase[k] == first && col.last_purchase[k] == last;
      if (!ok && bad < 3)
        fprintf(stderr, "\n  customer %lld: freq %d/%d ret %d/%d monetary %g/%g\n",
                (long long)c, k < col.count ? col.frequency[k] : -1, frequency,
                k < col.count ? col.orders_returned[k] : -1, returned,
                k < col.count ? col.monetary[k] : -1.0, monetary);
      bad += !ok;
      k++;
    }
    only_sessions += col.count - k;
    PE_ASSERT_EQ_LL(bad, 0);
    /* Scores over half a million customers: money's values spread over many
     * key buckets, so its thresholds are selected among a few of them. */
    PE_ASSERT_EQ_LL(scores_differ_from_sorting(&col, 5), 0);
    PE_ASSERT_EQ_LL(scores_differ_from_sorting(&two, 5), 0);
    PE_ASSERT_EQ_LL(bounds_differ_from_scan(res[0], 5), 0);
    PE_ASSERT_EQ_LL(bounds_differ_from_scan(res[1], 5), 0);
    pe_rfm_summary s;
    pe_rfm_result_summary(res[0], &s);
    PE_ASSERT_EQ_LL(s.customers_from_sessions_only, only_sessions);
    /* The oracle's own count: distinct session ids without a row. */
    int64_t *distinct = malloc(SESSIONS * sizeof *distinct), nd = 0, without_rows = 0;
    memcpy(distinct, sess, SESSIONS * sizeof *distinct);
    qsort(distinct, SESSIONS, sizeof *distinct, cmp_i64);
    for (int j = 0; j < SESSIONS; j++)
      if (nd == 0 || distinct[nd - 1] != distinct[j]) distinct[nd++] = distinct[j];
    for (int64_t j = 0; j < nd; j++) {
      const keyed_row key = {distinct[j], INT64_MIN, 0, 0};
      int64_t lo = 0, hi = ROWS; /* the first row of a customer >= the id */
      while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (sorted[mid].customer_id < key.customer_id) lo = mid + 1; else hi = mid;
      }
      without_rows += lo == ROWS || sorted[lo].customer_id != key.customer_id;
    }
    free(distinct);
    PE_ASSERT_EQ_LL(only_sessions, without_rows);
    CU_ASSERT(without_rows >= SESSIONS / 2); /* the new ids at least */
    /* 1 and 2 threads: the same customers and values. */
    int differ = col.count != two.count;
    for (int64_t j = 0; !differ && j < col.count; j++)
      differ = col.customer_id[j] != two.customer_id[j] || col.monetary[j] != two.monetary[j] ||
               col.frequency[j] != two.frequency[j] || col.segment[j] != two.segment[j];
    PE_ASSERT_EQ_LL(differ, 0);
  }
  pe_rfm_result_free(res[0]);
  pe_rfm_result_free(res[1]);
  free(sorted);
  free(sess);
  free(ids);
  remove(path);
}

static void test_random_future_rows(void) {
  int64_t *sess, ns;
  rfm_test_row *rows = random_rows(2, 3000, 200, &sess, &ns);
  /* Day 40 of 60: a third of the rows lie after it. */
  run_case(rows, 3000, sess, ns, 1700000000 + 40 * DAY, 1 << 20);
  free(rows);
  free(sess);
}

/* Chunks of every record kind in one file: the group-by packs a chunk's
 * rows into 20 bytes (offsets from the chunk's smallest id, order id and
 * time) only where each spans less than 2^32, else keeps them whole. Chunk
 * c of 500 rows: c % 4 == 0 narrow (small ids, negative ones included);
 * 1 customer ids over the whole int64 range; 2 order ids 2^40 apart;
 * 3 timestamps 150 years apart. And spans at the edge, in chunks of the
 * narrow kind: chunk 4 spans 2^32 - 1 in all three values (narrow), chunks
 * 8, 12 and 0 span 2^32 in one value each (customer, order, time: wide).
 * Narrow chunks whose amounts are all whole cents are packed tighter
 * (compact): chunk 4 has an amount of 1/3 and chunk 24 one of 30 million
 * (3e9 cents, beyond 32 bits), so they stay narrow; chunks 16 and 20 are
 * compact. Against the brute force, with a default and a given as-of. */
static rfm_test_row *mixed_kind_rows(int64_t n, int64_t chunk) {
  pe_rng rng;
  pe_rng_init(&rng, 77, 0);
  rfm_test_row *rows = malloc((size_t)n * sizeof *rows);
  const int64_t t0 = 1700000000, top = (int64_t)1 << 32;
  static const double amounts[] = {5, 10, 10, 20, 25.5, 0, -10, -5, 0.1};
  for (int64_t i = 0; i < n; i++) {
    const int64_t c = i / chunk, kind = c % 4;
    rfm_test_row *t = &rows[i];
    const int64_t k = (int64_t)pe_rng_below(&rng, 400);
    t->customer_id = k - 150;
    if (kind == 1 && k % 5 == 0) t->customer_id = (int64_t)pe_rng_next(&rng);
    t->order_id = 7000 + (int64_t)pe_rng_below(&rng, 30);
    if (kind == 2 && k % 3 == 0) t->order_id += (int64_t)1 << 40;
    t->timestamp = t0 + (int64_t)pe_rng_below(&rng, 60) * DAY;
    if (kind == 3 && k % 7 == 0) t->timestamp -= (int64_t)150 * 365 * DAY;
    t->amount = amounts[pe_rng_below(&rng, sizeof amounts / sizeof amounts[0])];
  }
  if (n > 4 * chunk + 5) rows[4 * chunk + 5].amount = 1.0 / 3.0;
  if (n > 24 * chunk + 9) rows[24 * chunk + 9].amount = 3e7;
  /* Two rows of the chunk that stretch one value's span to `span` (the
   * others' values lie inside it). */
  const int64_t edge_chunk[] = {4, 4, 4, 8, 12, 0};
  for (int e = 0; e < 6; e++) {
    rfm_test_row *lo = &rows[edge_chunk[e] * chunk + 2 * (e % 3)], *hi = lo + 1;
    const int64_t span = e < 3 ? top - 1 : top;
    if (e % 3 == 0) {
      lo->customer_id = -150;
      hi->customer_id = -150 + span;
    } else if (e % 3 == 1) {
      lo->order_id = 7000;
      hi->order_id = 7000 + span;
    } else {
      hi->timestamp = t0 + 60 * DAY;
      lo->timestamp = hi->timestamp - span;
    }
  }
  return rows;
}

/* The default read, fused (rfm_aggregate.c): each of the file's HDF5
 * chunks, 4096 rows here, is decoded, checked and grouped as one task,
 * chunks in parallel and finishing in any order, the last one partial; the
 * same mix of narrow and wide chunks, for 1 and 2 threads. */
static void test_fused_read(void) {
  enum { CHUNK = 4096, ROWS = 24 * CHUNK + 1000 };
  rfm_test_row *rows = mixed_kind_rows(ROWS, CHUNK);
  char path[512];
  pe_test_path(path, sizeof path, "fused.h5");
  CU_ASSERT_EQUAL_FATAL(rfm_test_write_chunked(path, rows, ROWS, CHUNK), 0);
  const int saved = omp_get_max_threads();
  for (int threads = 1; threads <= 2; threads++) {
    omp_set_num_threads(threads);
    check_file(path, rows, ROWS, NULL, 0, PE_RFM_AS_OF_AUTO, 0);
    check_file(path, rows, ROWS, NULL, 0, 1700000000 + 30 * DAY, 0);
  }
  omp_set_num_threads(saved);
  free(rows);
}

/* A fused read's bad rows: two NaN amounts in different chunks (and a bad
 * timestamp after them); the message names the first, whichever chunk a
 * thread finishes first. */
static void test_fused_read_bad_row(void) {
  enum { CHUNK = 4096, ROWS = 14 * CHUNK };
  rfm_test_row *rows = mixed_kind_rows(ROWS, CHUNK);
  rows[5 * CHUNK + 100].amount = NAN;
  rows[9 * CHUNK + 7].amount = NAN;
  rows[11 * CHUNK].timestamp = (int64_t)1 << 50;
  char path[512];
  pe_test_path(path, sizeof path, "fused_bad.h5");
  CU_ASSERT_EQUAL_FATAL(rfm_test_write_chunked(path, rows, ROWS, CHUNK), 0);
  const int saved = omp_get_max_threads();
  for (int threads = 1; threads <= 2; threads++) {
    omp_set_num_threads(threads);
    pe_rfm_result *res = NULL;
    PE_ASSERT_STATUS(pe_rfm_compute(path, NULL, &res), PE_ERR_DATA);
    CU_ASSERT_PTR_NULL(res);
    CU_ASSERT_PTR_NOT_NULL(strstr(personae_last_error(), "/transactions/amount: row 20580 is NaN"));
    pe_rfm_result_free(res);
  }
  omp_set_num_threads(saved);
  free(rows);
}

static void test_narrow_and_wide_chunks(void) {
  enum { ROWS = 8000, CHUNK = 500 };
  rfm_test_row *rows = mixed_kind_rows(ROWS, CHUNK);
  run_case(rows, ROWS, NULL, 0, PE_RFM_AS_OF_AUTO, CHUNK);
  run_case(rows, ROWS, NULL, 0, 1700000000 + 30 * DAY, CHUNK);
  free(rows);
}

/* Recency days spread over decades with few customers: too wide a range for
 * the counting path, so integer scores go through selection too. */
static void test_wide_recency_range(void) {
  pe_rng rng;
  pe_rng_init(&rng, 3, 0);
  rfm_test_row rows[400];
  for (int i = 0; i < 400; i++)
    rows[i] = (rfm_test_row){(int64_t)pe_rng_below(&rng, 60), i % 90,
                             1000000000 + (int64_t)pe_rng_below(&rng, 9000) * DAY,
                             (double)pe_rng_below(&rng, 5) - 1};
  run_case(rows, 400, NULL, 0, PE_RFM_AS_OF_AUTO, 100);
}

/* Scores the file run_case() left with the default parameters. */
static pe_rfm_result *score_case_again(pe_rfm_columns *col) {
  char path[512];
  pe_test_path(path, sizeof path, "case.h5");
  pe_rfm_result *res = NULL;
  PE_ASSERT_STATUS(pe_rfm_compute(path, NULL, &res), PE_OK);
  CU_ASSERT_FATAL(res != NULL);
  pe_rfm_result_columns(res, col);
  return res;
}

static void test_single_customer(void) {
  rfm_test_row rows[] = {{7, 1, 1700000000, 10},
                         {7, 2, 1700000000 + 3 * DAY, 5},
                         {7, 2, 1700000000 + 3 * DAY, -5},
                         {7, 3, 1700000000 + 9 * DAY + 5, -2}};
  run_case(rows, 4, NULL, 0, PE_RFM_AS_OF_AUTO, 0);
}

static void test_one_transaction(void) {
  rfm_test_row rows[] = {{-42, 9, 1600000000, 12.5}};
  run_case(rows, 1, NULL, 0, PE_RFM_AS_OF_AUTO, 0);
  pe_rfm_columns col;
  pe_rfm_result *res = score_case_again(&col);
  /* One day after the only transaction: recency 1 day; one scored customer
   * falls in the first bin, so R = 5, F = M = 1: "New Customers". */
  PE_ASSERT_EQ_LL(col.recency_days[0], 1);
  PE_ASSERT_EQ_LL(col.r[0], 5);
  PE_ASSERT_EQ_LL(col.f[0], 1);
  PE_ASSERT_EQ_LL(col.m[0], 1);
  PE_ASSERT_EQ_LL(col.rfm_code[0], 511);
  pe_rfm_segment_stats g;
  pe_rfm_result_segment(res, col.segment[0], &g);
  CU_ASSERT_STRING_EQUAL(g.name, "New Customers");
  pe_rfm_result_free(res);
}

static void test_only_returns(void) {
  rfm_test_row rows[] = {{1, 10, 1700000000, -20},
                         {1, 11, 1700000100, -5},
                         {2, 12, 1700000000, 30},
                         {3, 13, 1700000000, 10},
                         {3, 13, 1700000000, -10}};
  run_case(rows, 5, NULL, 0, PE_RFM_AS_OF_AUTO, 0);
  pe_rfm_columns col;
  pe_rfm_result *res = score_case_again(&col);
  PE_ASSERT_EQ_LL(col.has_purchase[0], 0);
  PE_ASSERT_EQ_LL(col.orders_returned[0], 2);
  PE_ASSERT_NEAR(col.monetary[0], -25, 0);
  PE_ASSERT_EQ_LL(col.last_purchase[0], -1);
  PE_ASSERT_EQ_LL(col.segment[0], 0);
  /* Customer 3 bought and returned within one order: net 0, not a purchase. */
  PE_ASSERT_EQ_LL(col.has_purchase[2], 0);
  PE_ASSERT_EQ_LL(col.frequency[2], 0);
  PE_ASSERT_EQ_LL(col.orders_returned[2], 0);
  pe_rfm_summary s;
  pe_rfm_result_summary(res, &s);
  PE_ASSERT_EQ_LL(s.customers_scored, 1);
  pe_rfm_result_free(res);
}

/* pandas 1.5.3: pd.qcut(pd.Series(range(1, n+1)), B, labels=1..B). */
static void test_qcut_matches_pandas(void) {
  static const struct {
    int bins, n;
    int want[24];
  } cases[] = {
      {5, 2, {1, 5}},
      {5, 3, {1, 3, 5}},
      {5, 4, {1, 2, 4, 5}},
      {5, 5, {1, 2, 3, 4, 5}},
      {3, 4, {1, 1, 2, 3}},
      {3, 10, {1, 1, 1, 1, 2, 2, 2, 3, 3, 3}},
      {4, 7, {1, 1, 2, 2, 3, 4, 4}},
      /* Floating-point edges: rank 16 of 19 goes to bin 6, not 5 as exact arithmetic says. */
      {6, 19, {1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 6}},
      {10, 23, {1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 10}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int64_t K[PE_RFM_MAX_BINS + 1];
    pe__rfm_qcut_rank_bounds(cases[c].n, cases[c].bins, K);
    for (int r = 1; r <= cases[c].n; r++) {
      int bin = 1;
      while (bin < cases[c].bins && K[bin] < r) bin++;
      if (bin != cases[c].want[r - 1])
        fprintf(stderr, "\n  bins %d n %d rank %d: bin %d, pandas %d\n", cases[c].bins, cases[c].n,
                r, bin, cases[c].want[r - 1]);
      CU_ASSERT_EQUAL(bin, cases[c].want[r - 1]);
    }
  }
}

/* Ties broken by customer id, reproduced end to end: monetary values
 * 5,3,5,1,3,3,5,2 for ids 10..17 give pandas M scores 4,2,5,1,3,3,5,1 and,
 * reversed the same way for recency days, R scores 2,4,1,5,3,3,1,5. */
static void test_ties_by_customer_id(void) {
  static const double value[8] = {5, 3, 5, 1, 3, 3, 5, 2};
  static const int want_m[8] = {4, 2, 5, 1, 3, 3, 5, 1}, want_r[8] = {2, 4, 1, 5, 3, 3, 1, 5};
  /* Every frequency is 1: ranks follow customer id alone. */
  static const int want_f[8] = {1, 1, 2, 3, 3, 4, 5, 5};
  rfm_test_row rows[9];
  const int64_t as_of = 1700000000;
  for (int i = 0; i < 8; i++)
    rows[i] = (rfm_test_row){17 - i, 100 + i, as_of - (int64_t)value[7 - i] * DAY, value[7 - i]};
  rows[8] = (rfm_test_row){99, 1, as_of + DAY, 1}; /* future: ignored, customer kept */
  char path[512];
  pe_test_path(path, sizeof path, "ties.h5");
  CU_ASSERT_EQUAL_FATAL(rfm_test_write(path, rows, 9, NULL, 0), 0);
  pe_rfm_params p;
  pe_rfm_params_init(&p);
  p.as_of = as_of;
  pe_rfm_result *res;
  PE_ASSERT_STATUS(pe_rfm_compute(path, &p, &res), PE_OK);
  pe_rfm_columns col;
  pe_rfm_result_columns(res, &col);
  PE_ASSERT_EQ_LL(col.count, 9);
  for (int i = 0; i < 8; i++) {
    PE_ASSERT_EQ_LL(col.customer_id[i], 10 + i);
    PE_ASSERT_EQ_LL(col.m[i], want_m[i]);
    PE_ASSERT_EQ_LL(col.r[i], want_r[i]);
    PE_ASSERT_EQ_LL(col.f[i], want_f[i]);
  }
  PE_ASSERT_EQ_LL(col.has_purchase[8], 0);
  pe_rfm_summary s;
  pe_rfm_result_summary(res, &s);
  PE_ASSERT_EQ_LL(s.rows_future, 1);
  /* Cut points: monetary score 5 holds the values 5 and 5. */
  double lo, hi;
  int64_t cnt;
  pe_rfm_result_bounds(res, 2, 5, &lo, &hi, &cnt);
  PE_ASSERT_NEAR(lo, 5, 0);
  PE_ASSERT_NEAR(hi, 5, 0);
  PE_ASSERT_EQ_LL(cnt, 2);
  pe_rfm_result_free(res);
}

static void compare_results(const pe_rfm_result *a, const pe_rfm_result *b) {
  pe_rfm_columns x, y;
  pe_rfm_result_columns(a, &x);
  pe_rfm_result_columns(b, &y);
  PE_ASSERT_EQ_LL(x.count, y.count);
  if (x.count != y.count) return;
  size_t n = (size_t)x.count;
  CU_ASSERT(memcmp(x.customer_id, y.customer_id, n * 8) == 0);
  CU_ASSERT(memcmp(x.monetary, y.monetary, n * 8) == 0);
  CU_ASSERT(memcmp(x.aov, y.aov, n * 8) == 0);
  CU_ASSERT(memcmp(x.frequency, y.frequency, n * 4) == 0);
  CU_ASSERT(memcmp(x.recency_days, y.recency_days, n * 4) == 0);
  CU_ASSERT(memcmp(x.r, y.r, n) == 0);
  CU_ASSERT(memcmp(x.f, y.f, n) == 0);
  CU_ASSERT(memcmp(x.m, y.m, n) == 0);
  CU_ASSERT(memcmp(x.segment, y.segment, n * 2) == 0);
  pe_rfm_summary s, t;
  pe_rfm_result_summary(a, &s);
  pe_rfm_result_summary(b, &t);
  CU_ASSERT(memcmp(&s.revenue, &t.revenue, sizeof s.revenue) == 0);
  for (int c = 0; c < pe_rfm_result_segment_count(a); c++) {
    pe_rfm_segment_stats g, h;
    pe_rfm_result_segment(a, c, &g);
    pe_rfm_result_segment(b, c, &h);
    CU_ASSERT(memcmp(&g.revenue, &h.revenue, sizeof g.revenue) == 0);
  }
}

/* Many customers and float amounts whose sums depend on order: 1 and 2
 * threads, and different chunk sizes, must give the same bits. */
static void test_threads_bit_identical(void) {
  const int64_t n = 300000, customers = 60000;
  pe_rng rng;
  pe_rng_init(&rng, 7, 0);
  rfm_test_row *rows = malloc((size_t)n * sizeof *rows);
  for (int64_t i = 0; i < n; i++)
    rows[i] = (rfm_test_row){(int64_t)pe_rng_below(&rng, (uint64_t)customers) * 7919,
                             (int64_t)pe_rng_below(&rng, 100000),
                             1600000000 + (int64_t)pe_rng_below(&rng, 400 * DAY),
                             pe_rng_lognormal(&rng, 3, 1) * (pe_rng_uniform(&rng) < 0.1 ? -1 : 1)};
  char path[512];
  pe_test_path(path, sizeof path, "threads.h5");
  CU_ASSERT_EQUAL_FATAL(rfm_test_write(path, rows, n, NULL, 0), 0);
  free(rows);
  pe_rfm_params p;
  pe_rfm_params_init(&p);
  pe_rfm_result *one, *two, *small;
  int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  PE_ASSERT_STATUS(pe_rfm_compute(path, &p, &one), PE_OK);
  omp_set_num_threads(2);
  PE_ASSERT_STATUS(pe_rfm_compute(path, &p, &two), PE_OK);
  p.chunk_rows = 12345;
  omp_set_num_threads(3);
  PE_ASSERT_STATUS(pe_rfm_compute(path, &p, &small), PE_OK);
  omp_set_num_threads(saved);
  compare_results(one, two);
  compare_results(one, small);
  pe_rfm_result_free(one);
  pe_rfm_result_free(two);
  pe_rfm_result_free(small);
}

static void test_customer_index(void) {
  pe_customer_index *ix;
  PE_ASSERT_STATUS(pe_customer_index_create(&ix), PE_OK);
  int64_t ids[] = {5, -3, INT64_MAX, 5, INT64_MIN, 0, -3, 1000000007};
  PE_ASSERT_STATUS(pe_customer_index_add(ix, ids, 8), PE_OK);
  int64_t more[] = {2, 0};
  PE_ASSERT_STATUS(pe_customer_index_add(ix, more, 2), PE_OK);
  PE_ASSERT_STATUS(pe_customer_index_finish(ix), PE_OK);
  static const int64_t want[] = {INT64_MIN, -3, 0, 2, 5, 1000000007, INT64_MAX};
  PE_ASSERT_EQ_LL(pe_customer_index_count(ix), 7);
  for (int i = 0; i < 7; i++) {
    PE_ASSERT_EQ_LL(pe_customer_index_ids(ix)[i], want[i]);
    PE_ASSERT_EQ_LL(pe_customer_index_find(ix, want[i]), i);
  }
  PE_ASSERT_EQ_LL(pe_customer_index_find(ix, 6), -1);
  int64_t dense[8];
  pe_customer_index_lookup(ix, ids, 8, dense);
  PE_ASSERT_EQ_LL(dense[0], 4);
  PE_ASSERT_EQ_LL(dense[2], 6);
  PE_ASSERT_EQ_LL(dense[4], 0);
  pe_customer_index_free(ix);
  pe_customer_index_free(NULL);
}

/* Ids handed over in bulk (pe_cix_reserve_ids, pe_cix_append): no table
 * until an insert needs one; found by scanning before that, by the table
 * after, and through the index by the sorted ids once it is finished. */
static void test_customer_index_bulk_ids(void) {
  enum { COUNT = 300 };
  pe_cix_partition p = {0};
  PE_ASSERT_STATUS(pe_cix_reserve_ids(&p, COUNT), PE_OK);
  int64_t ids[COUNT];
  pe_rng rng;
  pe_rng_init(&rng, 77, 1);
  for (int k = 0; k < COUNT; k++) {
    ids[k] = (int64_t)(pe_rng_next(&rng) >> 1); /* distinct in all likelihood, and >= 0 */
    PE_ASSERT_EQ_LL(pe_cix_append(&p, ids[k]), k);
  }
  int64_t slot = -1;
  PE_ASSERT_STATUS(pe_cix_reserve_ids(&p, 10), PE_ERR_USAGE); /* not empty */
  CU_ASSERT_PTR_NULL(p.table);
  int bad = 0;
  for (int k = 0; k < COUNT; k++) bad += pe_cix_find_slot(&p, ids[k], pe_cix_hash(ids[k])) != k;
  bad += pe_cix_find_slot(&p, -5, pe_cix_hash(-5)) != -1;
  PE_ASSERT_EQ_LL(bad, 0);
  /* The first insert builds the table from the ids, in slot order. */
  int64_t extra[3 * COUNT];
  for (int k = 0; k < 3 * COUNT; k++) {
    extra[k] = -1 - k;
    PE_ASSERT_STATUS(pe_cix_upsert(&p, extra[k], pe_cix_hash(extra[k]), &slot), PE_OK);
    PE_ASSERT_EQ_LL(slot, COUNT + k);
  }
  PE_ASSERT_STATUS(pe_cix_upsert(&p, ids[7], pe_cix_hash(ids[7]), &slot), PE_OK);
  PE_ASSERT_EQ_LL(slot, 7); /* known: not added again */
  CU_ASSERT_PTR_NOT_NULL(p.table);
  for (int k = 0; k < COUNT; k++) bad += pe_cix_find_slot(&p, ids[k], pe_cix_hash(ids[k])) != k;
  for (int k = 0; k < 3 * COUNT; k++)
    bad += pe_cix_find_slot(&p, extra[k], pe_cix_hash(extra[k])) != COUNT + k;
  PE_ASSERT_EQ_LL(bad, 0);
  PE_ASSERT_EQ_LL(p.count, 4 * COUNT);
  free(p.table);
  free(p.ids);

  /* A whole index filled this way: dense indices in ascending id order,
   * and the order back to (partition, slot). The random ids span 2^63 and
   * are sorted as (id, payload) pairs; the same ids folded into a span of
   * 3 * COUNT (negative ones too) are sorted as single keys that carry
   * their partition and slot (pe_radix_sort_high_bits). */
  for (int folded = 0; folded <= 1; folded++) {
    pe_customer_index *ix;
    PE_ASSERT_STATUS(pe_customer_index_create(&ix), PE_OK);
    for (int k = 0; k < COUNT; k++) { /* ids by partition, as the RFM walk hands them over */
      const int64_t id = folded ? 3 * (int64_t)((uint64_t)ids[k] % COUNT) - COUNT : ids[k];
      pe_cix_partition *q = &ix->part[pe_cix_partition_of(pe_cix_hash(id))];
      if (pe_cix_find_slot(q, id, pe_cix_hash(id)) >= 0) continue; /* folding collided */
      if (!q->ids_cap) PE_ASSERT_STATUS(pe_cix_reserve_ids(q, COUNT), PE_OK);
      pe_cix_append(q, id);
    }
    PE_ASSERT_STATUS(pe_customer_index_finish(ix), PE_OK);
    const int64_t count = pe_customer_index_count(ix);
    CU_ASSERT(folded ? count > COUNT / 2 : count == COUNT);
    const int64_t *sorted = pe_customer_index_ids(ix);
    const uint64_t *order = pe_customer_index_order(ix);
    for (int64_t d = 0; d < count; d++) {
      bad += d > 0 && sorted[d - 1] >= sorted[d];
      bad += pe_customer_index_find(ix, sorted[d]) != d;
      const pe_cix_partition *q = &ix->part[order[d] >> 32];
      bad += q->ids[order[d] & 0xffffffffu] != sorted[d] || q->dense[order[d] & 0xffffffffu] != d;
    }
    bad += pe_customer_index_find(ix, -5 * COUNT) != -1;
    PE_ASSERT_EQ_LL(bad, 0);
    pe_customer_index_free(ix);
  }
}

static void test_written_group(void) {
  rfm_test_row rows[] = {{1, 1, 1700000000, 10}, {2, 2, 1700086400, 20}, {3, 3, 1700172800, 5}};
  char in[512], out[512];
  pe_test_path(in, sizeof in, "w.h5");
  pe_test_path(out, sizeof out, "w.personae.h5");
  CU_ASSERT_EQUAL_FATAL(rfm_test_write(in, rows, 3, NULL, 0), 0);
  pe_rfm_result *res;
  PE_ASSERT_STATUS(pe_rfm_compute(in, NULL, &res), PE_OK);
  PE_ASSERT_STATUS(pe_rfm_write(res, out, in), PE_OK);
  PE_ASSERT_STATUS(pe_rfm_write(res, in, in), PE_ERR_USAGE); /* never the input */
  pe_rfm_result_free(res);
  hid_t fid;
  PE_ASSERT_STATUS(pe_h5_open_read(out, &fid), PE_OK);
  void *data;
  int64_t rows_read;
  PE_ASSERT_STATUS(pe_h5_read_column_all(fid, out, "/rfm/m", PE_U8, &data, &rows_read), PE_OK);
  PE_ASSERT_EQ_LL(rows_read, 3);
  PE_ASSERT_EQ_LL(((uint8_t *)data)[1], 5);
  free(data);
  double as_of;
  PE_ASSERT_STATUS(pe_h5_attr_read_f64(fid, out, "/rfm", "as_of", &as_of), PE_OK);
  PE_ASSERT_NEAR(as_of, 1700172800 + 86400, 0);
  CU_ASSERT(pe_h5_exists(fid, "/rfm/segment_names"));
  CU_ASSERT(pe_h5_exists(fid, "/rfm/bounds_monetary"));
  H5Fclose(fid);
}

/* The radix sort against qsort on (key, original position): ascending and
 * stable, on keys with many duplicates, signed ids (pe_radix_key_i64) and
 * bytes that vary only in places; the same for 1 and 2 threads, and for a
 * size below the parallel threshold. */
typedef struct {
  uint64_t key, val;
} key_val;

static int by_key_then_val(const void *a, const void *b) {
  const key_val *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return (x->val > y->val) - (x->val < y->val);
}

static void test_radix_sort(void) {
  static const int64_t sizes[] = {1, 2, 1000, 300000};
  pe_rng rng;
  pe_rng_init(&rng, 5, 11);
  const int saved_threads = omp_get_max_threads();
  /* Key shapes: signed ids in a few ranges (every bit varies: digits over
   * the whole span); positive ids below 2^33 (a 33-bit span); keys that
   * vary only in their lowest and highest byte (digits on those two
   * bytes); all keys equal. */
  for (int shape = 0; shape < 4; shape++) {
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
      const int64_t n = sizes[s];
      uint64_t *keys = malloc((size_t)n * sizeof *keys), *vals = malloc((size_t)n * sizeof *vals);
      key_val *want = malloc((size_t)n * sizeof *want);
      for (int64_t i = 0; i < n; i++) {
        int64_t id = (int64_t)pe_rng_below(&rng, 5000) - 2500;
        if (pe_rng_below(&rng, 10) == 0) id += (int64_t)1 << 40;
        if (shape == 1) id = (int64_t)pe_rng_below(&rng, (uint64_t)1 << 33);
        if (shape == 2) id = (int64_t)(pe_rng_below(&rng, 200) | pe_rng_below(&rng, 100) << 56);
        if (shape == 3) id = 42;
        keys[i] = pe_radix_key_i64(id);
        vals[i] = (uint64_t)i;
        want[i] = (key_val){keys[i], (uint64_t)i};
      }
      qsort(want, (size_t)n, sizeof *want, by_key_then_val);
      uint64_t *k1 = malloc((size_t)n * sizeof *k1), *v1 = malloc((size_t)n * sizeof *v1);
      for (int threads = 1; threads <= 3; threads++) {
        memcpy(k1, keys, (size_t)n * sizeof *k1);
        memcpy(v1, vals, (size_t)n * sizeof *v1);
        omp_set_num_threads(threads);
        PE_ASSERT_STATUS(pe_radix_sort_pairs(k1, v1, n), PE_OK);
        int64_t bad = 0;
        for (int64_t i = 0; i < n; i++) bad += k1[i] != want[i].key || v1[i] != want[i].val;
        PE_ASSERT_EQ_LL(bad, 0);
      }
      free(keys), free(vals), free(want), free(k1), free(v1);
    }
  }
  omp_set_num_threads(saved_threads);
}

/* core/table_space: an array extended in place keeps its address and its
 * contents; one that outgrows its reservation moves with its contents. */
static void test_table_space(void) {
  pe_table_space sp = {0};
  const size_t reserve = pe_table_space_reserve(1, 1 << 20, 64, sizeof(int64_t));
  CU_ASSERT(reserve >= 4096 * sizeof(int64_t));
  int64_t *a = pe_table_space_extend(&sp, NULL, 0, 64 * sizeof *a, reserve);
  CU_ASSERT_FATAL(a != NULL);
  for (int i = 0; i < 64; i++) a[i] = 1000 + i;
  int64_t *b = pe_table_space_extend(&sp, a, 64 * sizeof *a, 4096 * sizeof *a, reserve);
  CU_ASSERT_FATAL(b != NULL);
  CU_ASSERT(b == a || !sp.map); /* in place, unless on the heap */
  for (int i = 64; i < 4096; i++) b[i] = 1000 + i;
  const size_t big = 8192 * sizeof *b;
  int64_t *c = pe_table_space_extend(&sp, b, 4096 * sizeof *b, big,
                                     pe_table_space_reserve(1, 1 << 20, 4 * 8192, sizeof *b));
  CU_ASSERT_FATAL(c != NULL);
  int bad = 0;
  for (int i = 0; i < 4096; i++) bad += c[i] != 1000 + i;
  PE_ASSERT_EQ_LL(bad, 0);
  pe_table_space_release(&sp, c);
  CU_ASSERT(sp.map == NULL && sp.room == 0);
}

/* core/tag_group: the vector and the byte-at-a-time answers agree with the
 * definition (candidates only before the first empty slot, and that slot
 * alone) on groups with and without empty slots. */
static void test_tag_group(void) {
  uint8_t tags[PE_TAG_GROUP];
  const uint8_t key = pe_tag_of(0x5Aull << 57);
  CU_ASSERT(key == (0x80 | 0x5A));
  CU_ASSERT(pe_tag_of(0) != 0 && pe_tag_of(UINT64_MAX) != 0); /* never "empty" */
  memset(tags, 0x81, sizeof tags);
  tags[0] = key, tags[1] = 0, tags[2] = key;
  unsigned match, empty;
  pe_tag_group(tags, key, &match, &empty);
  CU_ASSERT(match == 1u && empty == 2u);
  uint64_t state = 7;
  int bad = 0;
  for (int round = 0; round < 20000; round++) {
    for (int i = 0; i < PE_TAG_GROUP; i++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const unsigned r = (unsigned)(state >> 60); /* 0..15 */
      tags[i] = r < 3 ? 0 : r < 7 ? key : (uint8_t)(0x80 | r);
    }
    unsigned want_match = 0, want_empty = 0;
    for (int i = 0; i < PE_TAG_GROUP && !want_empty; i++) {
      if (tags[i] == 0)
        want_empty = 1u << i;
      else if (tags[i] == key)
        want_match |= 1u << i;
    }
    unsigned m1, e1, m2, e2;
    pe_tag_group(tags, key, &m1, &e1);
    pe_tag_group_portable(tags, key, &m2, &e2);
    bad += m1 != want_match || e1 != want_empty || m2 != want_match || e2 != want_empty;
  }
  PE_ASSERT_EQ_LL(bad, 0);
}

/* rfm/partitioned_pass: every partition's rows arrive once, in row order,
 * with their chunk's number, in records of the size the caller chose for
 * the chunk; the optional warm callback comes once per partition and batch,
 * before that partition's rows of the batch, with their count; in a
 * one-batch pass, `finish` comes once per partition, after all its rows. */
typedef struct {
  int64_t chunk_rows;
  int64_t warned[PE_CIX_PARTITIONS]; /* rows announced by the last warm call */
  int64_t seen[PE_CIX_PARTITIONS];   /* rows processed since it */
  int64_t all[PE_CIX_PARTITIONS];    /* rows processed in all */
  int64_t at_finish[PE_CIX_PARTITIONS], finished[PE_CIX_PARTITIONS];
  int64_t last_row[PE_CIX_PARTITIONS];
  /* Per partition: each is written only by the thread processing it. */
  int64_t out_of_order[PE_CIX_PARTITIONS], mismatched[PE_CIX_PARTITIONS];
  int64_t wrong_chunk[PE_CIX_PARTITIONS];
  int64_t warm_calls, warm_rows, processed;
} pass_probe;

/* Odd chunks' records are 8 bytes (the row number), even chunks' 16 (the
 * row number twice), so the offsets of both sizes are exercised. */
static size_t probe_record_bytes(void *ctx, const pe_cix_chunk *c) {
  const pass_probe *pr = ctx;
  return (c->offset / pr->chunk_rows) % 2 ? sizeof(int64_t) : 2 * sizeof(int64_t);
}

/* The batched runs' fixed 8-byte records. */
static void probe_scatter_narrow(void *ctx, const pe_cix_chunk *c, int64_t begin, int64_t end,
                                 int64_t *next, void *records) {
  (void)ctx;
  for (int64_t i = begin; i < end; i++)
    ((int64_t *)records)[pe_cix_next_record(next, c, i)] = c->offset + i;
}

static int probe_finish(void *ctx, int p) {
  pass_probe *pr = ctx;
  pr->at_finish[p] = pr->all[p];
  pr->finished[p]++;
  return 0;
}

static int64_t probe_check(void *ctx, const pe_cix_chunk *c) {
  (void)ctx;
  return c->rows;
}

static pe_status probe_bad_row(void *ctx, const pe_cix_chunk *c, int64_t i) {
  (void)ctx, (void)c, (void)i;
  return PE_ERR_DATA;
}

static void probe_scatter(void *ctx, const pe_cix_chunk *c, int64_t begin, int64_t end,
                          int64_t *next, void *records) {
  const int wide = probe_record_bytes(ctx, c) > sizeof(int64_t);
  for (int64_t i = begin; i < end; i++) {
    int64_t *r = (int64_t *)records + (wide ? 2 : 1) * pe_cix_next_record(next, c, i);
    r[0] = c->offset + i;
    if (wide) r[1] = c->offset + i;
  }
}

static void probe_warm(void *ctx, int p, int64_t n) {
  pass_probe *pr = ctx;
  /* The previous batch's announcement must have been met exactly. */
  pr->mismatched[p] += pr->seen[p] != pr->warned[p];
  pr->warned[p] = n;
  pr->seen[p] = 0;
#pragma omp atomic
  pr->warm_calls++;
#pragma omp atomic
  pr->warm_rows += n;
}

static int probe_rows(pass_probe *pr, int p, int64_t chunk, const int64_t *row, int64_t n,
                      int wide) {
  for (int64_t i = 0; i < n; i++) {
    const int64_t r = row[wide ? 2 * i : i];
    pr->out_of_order[p] += r <= pr->last_row[p] || (wide && row[2 * i + 1] != r);
    pr->wrong_chunk[p] += r / pr->chunk_rows != chunk;
    pr->last_row[p] = r;
  }
  pr->seen[p] += n;
  pr->all[p] += n;
#pragma omp atomic
  pr->processed += n;
  return 0;
}

static int probe_process(void *ctx, int p, int64_t chunk, const void *records, int64_t n) {
  return probe_rows(ctx, p, chunk, records, n, chunk % 2 == 0);
}

static int probe_process_narrow(void *ctx, int p, int64_t chunk, const void *records, int64_t n) {
  return probe_rows(ctx, p, chunk, records, n, 0);
}

static void test_partitioned_pass_warm(void) {
  enum { ROWS = 5000, CHUNK = 700, BATCH = 1400 };
  rfm_test_row *rows = malloc(ROWS * sizeof *rows);
  pe_rng rng;
  pe_rng_init(&rng, 11, 0);
  for (int i = 0; i < ROWS; i++)
    rows[i] = (rfm_test_row){(int64_t)pe_rng_below(&rng, 300), i, 1700000000 + i, 1.0};
  const char *path = "test_rfm_pass.h5";
  CU_ASSERT_FATAL(rfm_test_write(path, rows, ROWS, NULL, 0) == 0);
  free(rows);
  hid_t fid;
  CU_ASSERT_FATAL(pe_h5_open_read(path, &fid) == PE_OK);
  pe_h5_table table;
  CU_ASSERT_FATAL(pe_h5_table_open(fid, path, "/transactions", pe_transactions_spec,
                                   PE_TX_AMOUNT + 1, &table) == PE_OK);
  const int saved = omp_get_max_threads();
  /* Batches of two chunks with fixed records; then one batch, records of
   * two sizes, and `finish`. */
  for (int run = 0; run < 4; run++) {
    const int threads = 1 + run % 2, one_batch = run >= 2;
    omp_set_num_threads(threads);
    pass_probe *pr = calloc(1, sizeof *pr);
    pr->chunk_rows = CHUNK;
    for (int p = 0; p < PE_CIX_PARTITIONS; p++) pr->last_row[p] = -1;
    const pe_cix_pass pass = {
        .table = &table,
        .input = path,
        .what = "transactions",
        .columns = 1u << PE_TX_CUSTOMER_ID,
        .id_column = PE_TX_CUSTOMER_ID,
        .record_size = one_batch ? 2 * sizeof(int64_t) : sizeof(int64_t),
        .chunk_rows = CHUNK,
        .batch_rows = BATCH,
        .ctx = pr,
        .check = probe_check,
        .bad_row = probe_bad_row,
        .record_bytes = one_batch ? probe_record_bytes : NULL,
        .scatter = one_batch ? probe_scatter : probe_scatter_narrow,
        .process = one_batch ? probe_process : probe_process_narrow,
        .warm = probe_warm,
        .one_batch = one_batch,
        .finish = one_batch ? probe_finish : NULL,
    };
    CU_ASSERT(pe_cix_pass_run(&pass) == PE_OK);
    int64_t mismatched = 0, out_of_order = 0, wrong_chunk = 0, finish_wrong = 0;
    for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
      mismatched += pr->mismatched[p] + (pr->seen[p] != pr->warned[p]);
      out_of_order += pr->out_of_order[p];
      wrong_chunk += pr->wrong_chunk[p];
      finish_wrong += one_batch && (pr->finished[p] != 1 || pr->at_finish[p] != pr->all[p]);
    }
    const int64_t batches = one_batch ? 1 : (ROWS + BATCH - 1) / BATCH;
    PE_ASSERT_EQ_LL(pr->warm_calls, batches * PE_CIX_PARTITIONS);
    PE_ASSERT_EQ_LL(pr->warm_rows, ROWS);
    PE_ASSERT_EQ_LL(pr->processed, ROWS);
    PE_ASSERT_EQ_LL(mismatched, 0);
    PE_ASSERT_EQ_LL(out_of_order, 0);
    PE_ASSERT_EQ_LL(wrong_chunk, 0);
    PE_ASSERT_EQ_LL(finish_wrong, 0);
    free(pr);
  }
  omp_set_num_threads(saved);
  pe_h5_table_close(&table);
  H5Fclose(fid);
  remove(path);
}

int main(int argc, char **argv) {
  static CU_TestInfo brute[] = {
      {"random data, default as-of", test_random_auto_as_of},
      {"random data, future-dated rows", test_random_future_rows},
      {"narrow and wide record chunks in one file", test_narrow_and_wide_chunks},
      {"the default read, fused, chunk by chunk in parallel (1 and 2 threads)", test_fused_read},
      {"fused read: the first bad row is named", test_fused_read_bad_row},
      {"random data, every table grows and is renumbered", test_random_tables_grow},
      {"one customer with 6500 orders (its table moves)", test_one_customer_many_orders},
      {"500,000 customers against a sorting oracle, 1 and 2 threads",
       test_many_customers_by_sorting},
      {"wide recency range (selection path)", test_wide_recency_range},
      {"single customer", test_single_customer},
      {"one transaction", test_one_transaction},
      {"customers with only returns", test_only_returns},
      CU_TEST_INFO_NULL,
  };
  static CU_TestInfo scoring[] = {
      {"qcut rank bounds match pandas", test_qcut_matches_pandas},
      {"other bin counts: scores by sorting, cut points by scan", test_other_bins},
      {"ties broken by customer id", test_ties_by_customer_id},
      {"1 vs 2 threads bit-identical", test_threads_bit_identical},
      CU_TEST_INFO_NULL,
  };
  static CU_TestInfo parts[] = {
      {"customer index", test_customer_index},
      {"customer index: ids in bulk, table at the first insert", test_customer_index_bulk_ids},
      {"radix sort: ascending, stable, any thread count", test_radix_sort},
      {"table space: in-place growth, moves", test_table_space},
      {"tag groups: vector and portable agree with the definition", test_tag_group},
      {"partitioned pass: rows in order, chunk numbers, record sizes, warm and finish",
       test_partitioned_pass_warm},
      {"written /rfm group", test_written_group},
      CU_TEST_INFO_NULL,
  };
  static const pe_test_suite suites[] = {{"rfm brute force", brute, NULL},
                                         {"rfm scoring", scoring, NULL},
                                         {"rfm parts", parts, NULL},
                                         {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
