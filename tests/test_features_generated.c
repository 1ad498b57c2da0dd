/* Features on generated data: the traits the generator plants in each
 * archetype (engine/gen/shopper_model.c) must show in the features, and the
 * output must not depend on the thread count or the read chunk size. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "io/h5.h"
#include "personae.h"

#define CUSTOMERS 20000

static char g_path[512], g_tx_only[512];
static pe_features *g_f;
static int32_t *g_arch; /* per feature row */

static int generate(const char *path, int sessions) {
  pe_generate_params p;
  pe_generate_params_default(&p);
  p.customers = CUSTOMERS;
  p.seed = 7;
  p.with_sessions = sessions;
  p.with_customers = 0;
  pe_generate_summary s;
  return pe_generate(path, &p, &s) == PE_OK ? 0 : -1;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Each feature row's planted archetype, from /truth. */
static int load_truth(const char *path, const pe_features *f, int32_t **arch) {
  hid_t fid;
  if (pe_h5_open_read(path, &fid) != PE_OK) return -1;
  void *ids = NULL, *a = NULL;
  int64_t n = 0, na = 0;
  int ok = pe_h5_read_column_all(fid, path, "/truth/customer_id", PE_I64, &ids, &n) == PE_OK &&
           pe_h5_read_column_all(fid, path, "/truth/archetype", PE_I32, &a, &na) == PE_OK &&
           n == na;
  H5Fclose(fid);
  int64_t rows = pe_features_count(f);
  *arch = malloc((size_t)rows * sizeof **arch);
  if (ok) { /* /truth is in generation order: sort (id, archetype) pairs once */
    int64_t *pairs = malloc((size_t)n * 2 * sizeof *pairs);
    for (int64_t i = 0; i < n; i++) {
      pairs[2 * i] = ((int64_t *)ids)[i];
      pairs[2 * i + 1] = ((int32_t *)a)[i];
    }
    qsort(pairs, (size_t)n, 2 * sizeof *pairs, cmp_i64);
    for (int64_t i = 0; i < rows; i++) {
      int64_t key = pe_features_customer_ids(f)[i];
      const int64_t *hit = bsearch(&key, pairs, (size_t)n, 2 * sizeof *pairs, cmp_i64);
      (*arch)[i] = hit ? (int32_t)hit[1] : -1;
      ok &= hit != NULL;
    }
    free(pairs);
  }
  free(ids);
  free(a);
  return ok ? 0 : -1;
}

static int setup(void) {
  pe_test_path(g_path, sizeof g_path, "gen.h5");
  pe_test_path(g_tx_only, sizeof g_tx_only, "gen_tx_only.h5");
  if (generate(g_path, 1) != 0 || generate(g_tx_only, 0) != 0) return -1;
  if (pe_features_compute(g_path, NULL, &g_f) != PE_OK) return -1;
  return load_truth(g_path, g_f, &g_arch);
}

/* Mean (or, with median != 0, median) of feature k over the customers of
 * archetype a that have a value. */
static double summary_of(pe_archetype a, pe_feature k, int median) {
  int j = pe_features_column_of(g_f, k), d = pe_features_dim(g_f);
  int64_t n = pe_features_count(g_f), m = 0;
  double *v = malloc((size_t)n * sizeof *v), sum = 0;
  for (int64_t i = 0; i < n; i++)
    if (g_arch[i] == (int32_t)a && pe_features_has_value(g_f)[i * d + j]) {
      v[m] = pe_features_raw(g_f)[i * d + j];
      sum += v[m++];
    }
  double out = 0;
  if (m > 0 && median) {
    for (int64_t x = 1; x < m; x++) /* insertion sort: a few thousand values */
      for (int64_t y = x; y > 0 && v[y - 1] > v[y]; y--) {
        double t = v[y];
        v[y] = v[y - 1];
        v[y - 1] = t;
      }
    out = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
  } else if (m > 0) {
    out = sum / (double)m;
  }
  free(v);
  CU_ASSERT(m > 0);
  return out;
}

#define MEAN(a, k) summary_of(a, k, 0)
#define MEDIAN(a, k) summary_of(a, k, 1)

static void test_planted_traits(void) {
  CU_ASSERT_FATAL(g_f != NULL);
  PE_ASSERT_EQ_LL(pe_features_count(g_f), CUSTOMERS);
  double bounce = MEAN(PE_ARCH_BOUNCER, PE_FEAT_BOUNCE_RATE);
  CU_ASSERT(bounce > 0.8);
  double discount = MEAN(PE_ARCH_DISCOUNT_HUNTER, PE_FEAT_DISCOUNT_SHARE);
  CU_ASSERT(discount > 0.6);
  double holiday = MEAN(PE_ARCH_HOLIDAY_SHOPPER, PE_FEAT_HOLIDAY_SHARE);
  CU_ASSERT(holiday > 0.99);
  CU_ASSERT(MEAN(PE_ARCH_REPEAT_BUYER, PE_FEAT_HOLIDAY_SHARE) < 0.4);
  CU_ASSERT(MEAN(PE_ARCH_CART_ABANDONER, PE_FEAT_CART_ABANDONMENT) > 0.7);
  CU_ASSERT(MEDIAN(PE_ARCH_IMPULSE_BUYER, PE_FEAT_TIME_TO_PURCHASE_S) <
            0.5 * MEDIAN(PE_ARCH_REPEAT_BUYER, PE_FEAT_TIME_TO_PURCHASE_S));
  CU_ASSERT(MEAN(PE_ARCH_LAPSED_BUYER, PE_FEAT_RECENCY_DAYS) >
            1.5 * MEAN(PE_ARCH_REPEAT_BUYER, PE_FEAT_RECENCY_DAYS));
  CU_ASSERT(MEAN(PE_ARCH_REPEAT_BUYER, PE_FEAT_FREQUENCY) >
            3 * MEAN(PE_ARCH_FIRST_TIME_LOW_AOV, PE_FEAT_FREQUENCY));
  CU_ASSERT(MEDIAN(PE_ARCH_FIRST_TIME_HIGH_AOV, PE_FEAT_AOV) >
            4 * MEDIAN(PE_ARCH_FIRST_TIME_LOW_AOV, PE_FEAT_AOV));
  CU_ASSERT(MEAN(PE_ARCH_PASSIVE_BROWSER, PE_FEAT_PAGES_PER_SESSION) >
            2 * MEAN(PE_ARCH_BOUNCER, PE_FEAT_PAGES_PER_SESSION));
  CU_ASSERT(MEAN(PE_ARCH_DISCOUNT_HUNTER, PE_FEAT_RETURN_RATE) >
            2 * MEAN(PE_ARCH_REPEAT_BUYER, PE_FEAT_RETURN_RATE));
  fprintf(stderr, "\n  bounce %.3f discount %.3f holiday %.3f\n", bounce, discount, holiday);
}

/* Non-buyers get the documented fill-ins and no value of their own. */
static void test_fill_ins(void) {
  CU_ASSERT_FATAL(g_f != NULL);
  int d = pe_features_dim(g_f);
  int jr = pe_features_column_of(g_f, PE_FEAT_RECENCY_DAYS);
  int jf = pe_features_column_of(g_f, PE_FEAT_FREQUENCY);
  int jt = pe_features_column_of(g_f, PE_FEAT_TIME_TO_PURCHASE_S);
  int64_t n = pe_features_count(g_f), bouncers = 0, wrong = 0;
  float max_recency = 0;
  for (int64_t i = 0; i < n; i++)
    if (pe_features_has_value(g_f)[i * d + jr] && pe_features_raw(g_f)[i * d + jr] > max_recency)
      max_recency = pe_features_raw(g_f)[i * d + jr];
  for (int64_t i = 0; i < n; i++) {
    if (g_arch[i] != PE_ARCH_BOUNCER) continue;
    bouncers++;
    const float *row = &pe_features_raw(g_f)[i * d];
    const uint8_t *has = &pe_features_has_value(g_f)[i * d];
    wrong += row[jf] != 0 || has[jr] || row[jr] <= max_recency || row[jt] != 0 || has[jt];
  }
  CU_ASSERT(bouncers > 0);
  PE_ASSERT_EQ_LL(wrong, 0);
}

static void test_threads_and_chunks(void) {
  CU_ASSERT_FATAL(g_f != NULL);
  pe_features_params p;
  pe_features_params_init(&p);
  p.chunk_rows = 5000;
  p.batch_rows = 3 * 5000; /* several batches of chunks, the last one partial */
  omp_set_num_threads(1);
  pe_features *a = NULL, *b = NULL;
  PE_ASSERT_STATUS(pe_features_compute(g_path, &p, &a), PE_OK);
  omp_set_num_threads(2);
  p.chunk_rows = 1 << 20;
  p.batch_rows = 0;
  PE_ASSERT_STATUS(pe_features_compute(g_path, &p, &b), PE_OK);
  if (a && b) {
    size_t n = (size_t)pe_features_count(a), d = (size_t)pe_features_dim(a);
    PE_ASSERT_EQ_LL(pe_features_count(b), n);
    CU_ASSERT(memcmp(pe_features_raw(a), pe_features_raw(b), n * d * 4) == 0);
    CU_ASSERT(memcmp(pe_features_scaled(a), pe_features_scaled(b), n * d * 4) == 0);
    CU_ASSERT(memcmp(pe_features_center(a), pe_features_center(b), d * 8) == 0);
    CU_ASSERT(memcmp(pe_features_scale_of(a), pe_features_scale_of(b), d * 8) == 0);
  }
  pe_features_free(a);
  pe_features_free(b);
}

static void test_transaction_only(void) {
  CU_ASSERT_FATAL(g_f != NULL);
  pe_features *f = NULL;
  PE_ASSERT_STATUS(pe_features_compute(g_tx_only, NULL, &f), PE_OK);
  if (!f) return;
  PE_ASSERT_EQ_LL(pe_features_dim(f), 9);
  for (int j = 0; j < pe_features_dim(f); j++)
    CU_ASSERT(!pe_feature_needs_sessions(pe_features_column(f, j)));
  /* Without sessions every customer has transactions; the few without a
   * purchase returned everything they bought (a one-line order and its
   * return net to zero). */
  pe_features_summary s;
  pe_features_get_summary(f, &s);
  CU_ASSERT(s.customers_with_purchase <= s.customers);
  CU_ASSERT(s.customers_with_purchase >= s.customers * 98 / 100);
  int jm = pe_features_column_of(f, PE_FEAT_MONETARY), d = pe_features_dim(f);
  for (int64_t i = 0; i < pe_features_count(f); i++)
    CU_ASSERT_EQUAL(pe_features_has_value(f)[i * d + jm], 1);
  CU_ASSERT(s.customers > CUSTOMERS / 2);
  for (int j = 0; j < pe_features_dim(f); j++) CU_ASSERT(pe_features_scale_of(f)[j] > 0);
  pe_features_free(f);
}

static CU_TestInfo tests[] = {
    {"planted archetype traits show in the features", test_planted_traits},
    {"customers without orders get the fill-ins", test_fill_ins},
    {"1 vs 2 threads and chunk sizes: bit-identical", test_threads_and_chunks},
    {"transaction-only data: session features absent", test_transaction_only},
    CU_TEST_INFO_NULL,
};

int main(int argc, char **argv) {
  static const pe_test_suite suites[] = {{"features on generated data", tests, NULL},
                                         {NULL, NULL, NULL}};
  /* A failed setup leaves g_f NULL, which every test asserts against: a
   * failure, never a skip. */
  if (setup() != 0) fprintf(stderr, "setup failed: %s\n", personae_last_error());
  int rc = pe_test_run(argc, argv, suites);
  pe_features_free(g_f);
  free(g_arch);
  return rc;
}
