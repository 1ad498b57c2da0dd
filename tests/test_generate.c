/* The synthetic marketplace: determinism and the behaviour it plants. */
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "harness.h"
#include "io/h5.h"
#include "personae.h"

static const char *const datasets[] = {
    "/transactions/customer_id", "/transactions/order_id", "/transactions/timestamp",
    "/transactions/amount",      "/transactions/discount", "/transactions/category",
    "/sessions/customer_id",     "/sessions/timestamp",    "/sessions/pageviews",
    "/sessions/duration_s",      "/sessions/cart_adds",    "/sessions/purchased",
    "/customers/customer_id",    "/customers/age",         "/customers/gender",
    "/customers/income",         "/customers/region",      "/truth/customer_id",
    "/truth/archetype",          NULL};

static void generate(const char *name, int64_t customers, uint64_t seed, int threads, char *path) {
  pe_test_path(path, 512, name);
  pe_generate_params p;
  pe_generate_params_default(&p);
  p.customers = customers;
  p.seed = seed;
  p.threads = threads;
  PE_ASSERT_STATUS(pe_generate(path, &p, NULL), PE_OK);
}

/* Reads a dataset's raw stored bytes (in its own file type). */
static void *raw_bytes(const char *path, const char *dset, size_t *size) {
  hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t did = H5Dopen2(fid, dset, H5P_DEFAULT);
  if (did < 0) {
    H5Fclose(fid);
    *size = 0;
    return NULL;
  }
  hid_t type = H5Dget_type(did), space = H5Dget_space(did);
  *size = H5Tget_size(type) * (size_t)H5Sget_simple_extent_npoints(space);
  void *buf = malloc(*size + 1);
  H5Dread(did, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  H5Sclose(space), H5Tclose(type), H5Dclose(did), H5Fclose(fid);
  return buf;
}

static int same_datasets(const char *a, const char *b) {
  int same = 1;
  for (const char *const *d = datasets; *d; d++) {
    size_t na, nb;
    void *x = raw_bytes(a, *d, &na), *y = raw_bytes(b, *d, &nb);
    if (!x || !y || na != nb || memcmp(x, y, na) != 0) same = 0;
    free(x), free(y);
  }
  return same;
}

static void test_same_seed_same_bytes_any_threads(void) {
  char one[512], two[512], again[512], other[512];
  generate("t1.h5", 20000, 5, 1, one); /* more than two blocks */
  generate("t2.h5", 20000, 5, 2, two);
  generate("t2b.h5", 20000, 5, 2, again);
  generate("s6.h5", 20000, 6, 2, other);
  pe_h5_init();
  for (const char *const *d = datasets; *d; d++) {
    size_t n;
    void *x = raw_bytes(one, *d, &n);
    CU_ASSERT_PTR_NOT_NULL(x);
    CU_ASSERT(n > 0);
    free(x);
  }
  CU_ASSERT(same_datasets(one, two));
  CU_ASSERT(same_datasets(two, again));
  CU_ASSERT(!same_datasets(one, other));
}

typedef struct {
  int64_t customer_id, timestamp;
} event;

static int cmp_event(const void *a, const void *b) {
  const event *x = a, *y = b;
  if (x->customer_id != y->customer_id) return x->customer_id < y->customer_id ? -1 : 1;
  return (x->timestamp > y->timestamp) - (x->timestamp < y->timestamp);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

typedef struct {
  int64_t n;
  int64_t *ids;
  int32_t *arch; /* by position of the sorted ids */
} truth_map;

static int archetype_of(const truth_map *t, int64_t id) {
  int64_t *hit = bsearch(&id, t->ids, (size_t)t->n, sizeof *t->ids, cmp_i64);
  return hit ? t->arch[hit - t->ids] : -1;
}

static void *read_all(const char *path, const char *dset, pe_dtype type, int64_t *n) {
  hid_t fid;
  void *data = NULL;
  if (pe_h5_open_read(path, &fid) != PE_OK) return NULL;
  pe_status st = pe_h5_read_column_all(fid, path, dset, type, &data, n);
  H5Fclose(fid);
  CU_ASSERT_EQUAL(st, PE_OK);
  return data;
}

static void test_planted_behaviour(void) {
  char path[512];
  const int64_t customers = 30000;
  generate("behaviour.h5", customers, 11, 0, path);
  int64_t n, ns, nt;
  int64_t *tid = read_all(path, "/truth/customer_id", PE_I64, &nt);
  int32_t *tarch = read_all(path, "/truth/archetype", PE_I32, &nt);
  PE_ASSERT_EQ_LL(nt, customers);
  /* Exact proportions and unique ids. */
  int64_t counts[PE_ARCHETYPE_COUNT] = {0};
  for (int64_t i = 0; i < nt; i++) counts[tarch[i]]++;
  static const double shares[PE_ARCHETYPE_COUNT] = {0.14, 0.14, 0.10, 0.13, 0.06,
                                                    0.12, 0.10, 0.08, 0.07, 0.06};
  for (int k = 0; k < PE_ARCHETYPE_COUNT; k++) PE_ASSERT_NEAR(counts[k], shares[k] * customers, 1);
  truth_map truth = {nt, malloc(nt * sizeof(int64_t)), malloc(nt * sizeof(int32_t))};
  {
    event *e = malloc(nt * sizeof *e);
    for (int64_t i = 0; i < nt; i++) e[i] = (event){tid[i], tarch[i]};
    qsort(e, (size_t)nt, sizeof *e, cmp_event);
    for (int64_t i = 0; i < nt; i++) truth.ids[i] = e[i].customer_id, truth.arch[i] = (int32_t)e[i].timestamp;
    for (int64_t i = 1; i < nt; i++) CU_ASSERT(truth.ids[i] > truth.ids[i - 1]);
    free(e);
  }

  int64_t *cid = read_all(path, "/transactions/customer_id", PE_I64, &n);
  int64_t *ts = read_all(path, "/transactions/timestamp", PE_I64, &n);
  double *amount = read_all(path, "/transactions/amount", PE_F64, &n);
  float *discount = read_all(path, "/transactions/discount", PE_F32, &n);
  int64_t start = 1767225600 - 730 * 86400, end = 1767225600;
  int sorted = 1, bad_discount = 0, bad_time = 0, bad_holiday = 0, bad_lapsed = 0, buyer_rows[PE_ARCHETYPE_COUNT] = {0};
  event *orders = malloc(n * sizeof *orders);
  int64_t norders = 0;
  for (int64_t i = 0; i < n; i++) {
    if (i && cid[i] < cid[i - 1]) sorted = 0;
    bad_discount += !(discount[i] >= 0 && discount[i] < 1);
    bad_time += ts[i] < start || ts[i] >= end;
    int a = archetype_of(&truth, cid[i]);
    CU_ASSERT(a >= 0);
    if (amount[i] <= 0 || a < 0) continue;
    buyer_rows[a]++;
    orders[norders++] = (event){cid[i], ts[i]};
    int64_t y;
    unsigned m, d;
    pe_civil_from_days(ts[i] / 86400, &y, &m, &d);
    if (a == PE_ARCH_HOLIDAY_SHOPPER) bad_holiday += !(m == 12 || (m == 11 && d >= 15));
    if (a == PE_ARCH_LAPSED_BUYER) bad_lapsed += ts[i] > start + (end - start) * 45 / 100;
  }
  CU_ASSERT(!sorted);
  PE_ASSERT_EQ_LL(bad_discount, 0);
  PE_ASSERT_EQ_LL(bad_time, 0);
  PE_ASSERT_EQ_LL(bad_holiday, 0);
  PE_ASSERT_EQ_LL(bad_lapsed, 0);
  PE_ASSERT_EQ_LL(buyer_rows[PE_ARCH_BOUNCER], 0);
  PE_ASSERT_EQ_LL(buyer_rows[PE_ARCH_PASSIVE_BROWSER], 0);
  CU_ASSERT(buyer_rows[PE_ARCH_REPEAT_BUYER] > 5 * buyer_rows[PE_ARCH_FIRST_TIME_LOW_AOV]);
  qsort(orders, (size_t)norders, sizeof *orders, cmp_event);

  int64_t *scid = read_all(path, "/sessions/customer_id", PE_I64, &ns);
  int64_t *sts = read_all(path, "/sessions/timestamp", PE_I64, &ns);
  float *dur = read_all(path, "/sessions/duration_s", PE_F32, &ns);
  int32_t *pages = read_all(path, "/sessions/pageviews", PE_I32, &ns);
  int32_t *carts = read_all(path, "/sessions/cart_adds", PE_I32, &ns);
  uint8_t *purchased = read_all(path, "/sessions/purchased", PE_U8, &ns);
  int64_t purchase_sessions = 0, outside = 0, bouncer_sessions = 0, bouncer_single = 0;
  int64_t abandoner_carts = 0, abandoner_sessions = 0;
  for (int64_t i = 0; i < ns; i++) {
    int a = archetype_of(&truth, scid[i]);
    if (a == PE_ARCH_BOUNCER) bouncer_sessions++, bouncer_single += pages[i] == 1;
    if (a == PE_ARCH_CART_ABANDONER && !purchased[i]) abandoner_sessions++, abandoner_carts += carts[i] > 0;
    if (!purchased[i]) continue;
    purchase_sessions++;
    /* The purchase happens inside the session: start <= order time <= start + duration. */
    event key = {scid[i], sts[i]};
    int64_t lo = 0, hi = norders;
    while (lo < hi) {
      int64_t mid = (lo + hi) / 2;
      if (cmp_event(&orders[mid], &key) < 0) lo = mid + 1;
      else hi = mid;
    }
    outside += !(lo < norders && orders[lo].customer_id == scid[i] &&
                 orders[lo].timestamp <= sts[i] + (int64_t)dur[i]);
  }
  CU_ASSERT(purchase_sessions > 0);
  PE_ASSERT_EQ_LL(outside, 0);
  CU_ASSERT(bouncer_single > 0.8 * bouncer_sessions);
  CU_ASSERT(abandoner_carts > 0.7 * abandoner_sessions);

  /* Customers with sessions but no orders exist, and buyers without sessions. */
  qsort(scid, (size_t)ns, sizeof *scid, cmp_i64);
  int64_t browsers_only = 0, buyers_without_sessions = 0;
  for (int64_t i = 0; i < nt; i++) {
    int64_t id = truth.ids[i];
    int has_session = bsearch(&id, scid, (size_t)ns, sizeof *scid, cmp_i64) != NULL;
    event key = {id, INT64_MIN};
    int64_t lo = 0, hi = norders;
    while (lo < hi) {
      int64_t mid = (lo + hi) / 2;
      if (cmp_event(&orders[mid], &key) < 0) lo = mid + 1;
      else hi = mid;
    }
    int has_order = lo < norders && orders[lo].customer_id == id;
    browsers_only += has_session && !has_order;
    buyers_without_sessions += has_order && !has_session;
  }
  CU_ASSERT(browsers_only > customers / 4);
  CU_ASSERT(buyers_without_sessions > customers / 50);

  free(tid), free(tarch), free(truth.ids), free(truth.arch), free(cid), free(ts), free(amount);
  free(discount), free(orders), free(scid), free(sts), free(dur), free(pages), free(carts), free(purchased);
}

static void test_parameter_errors(void) {
  char path[512];
  pe_test_path(path, sizeof path, "never.h5");
  pe_generate_params p;
  pe_generate_params_default(&p);
  p.customers = 0;
  PE_ASSERT_STATUS(pe_generate(path, &p, NULL), PE_ERR_USAGE);
  p.customers = 10;
  p.days = 5;
  PE_ASSERT_STATUS(pe_generate(path, &p, NULL), PE_ERR_USAGE);
  FILE *f = fopen(path, "r");
  CU_ASSERT_PTR_NULL(f);
  if (f) fclose(f);
  /* One customer works. */
  p.days = 730;
  p.customers = 1;
  pe_generate_summary s;
  PE_ASSERT_STATUS(pe_generate(path, &p, &s), PE_OK);
  PE_ASSERT_EQ_LL(s.customers, 1);
}

int main(int argc, char **argv) {
  static CU_TestInfo tests[] = {
      {"same seed, same bytes, any thread count", test_same_seed_same_bytes_any_threads},
      {"planted behaviour", test_planted_behaviour},
      {"parameter errors", test_parameter_errors},
      CU_TEST_INFO_NULL};
  static const pe_test_suite suites[] = {{"generate", tests, NULL}, {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
