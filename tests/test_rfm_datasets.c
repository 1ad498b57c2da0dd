/* RFM on the real CDNOW data: `personae import` -> pe_rfm_compute, checked
 * against values this test computes by reading CDNOW_master.txt itself (one
 * order per row, as the importer numbers them; dates at 00:00 UTC via timegm). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "harness.h"
#include "personae.h"

#define DAY 86400
#define MAX_ID 30000

static char cdnow_txt[1024];

static const char *need_cdnow(void) {
  snprintf(cdnow_txt, sizeof cdnow_txt, "%s/cdnow/CDNOW_master.txt", PE_SHARED_DATASETS);
  struct stat st;
  return stat(cdnow_txt, &st) == 0 ? NULL : "CDNOW_master.txt not found under PE_SHARED_DATASETS";
}

typedef struct {
  int present, frequency, recency;
  double monetary;
  int64_t last;
  int r, f, m;
} cust;

static cust *C;
static int cmp_dim;
static int cmp_rank(const void *a, const void *b) {
  int i = *(const int *)a, j = *(const int *)b;
  double x = cmp_dim == 0 ? C[i].recency : cmp_dim == 1 ? C[i].frequency : C[i].monetary;
  double y = cmp_dim == 0 ? C[j].recency : cmp_dim == 1 ? C[j].frequency : C[j].monetary;
  if (x != y) return x < y ? -1 : 1;
  return (i > j) - (i < j);
}

/* Reads the text file; returns the number of rows, fills C, and the rows
 * after `as_of` (0 = one day after the last date). */
static int64_t expected_from_text(int64_t *as_of, int64_t *future, double *revenue,
                                  int64_t *customers) {
  FILE *f = fopen(cdnow_txt, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  static int64_t ids[80000], ts[80000];
  static double amt[80000];
  int64_t n = 0, max_ts = INT64_MIN;
  char line[256];
  while (fgets(line, sizeof line, f) && n < 80000) {
    long long id;
    int date, cds;
    double dollars;
    if (sscanf(line, "%lld %d %d %lf", &id, &date, &cds, &dollars) != 4) continue; /* header */
    struct tm tm = {0};
    tm.tm_year = date / 10000 - 1900;
    tm.tm_mon = date / 100 % 100 - 1;
    tm.tm_mday = date % 100;
    ids[n] = id;
    ts[n] = (int64_t)timegm(&tm);
    amt[n] = dollars;
    if (ts[n] > max_ts) max_ts = ts[n];
    n++;
  }
  fclose(f);
  if (*as_of == 0) *as_of = max_ts + DAY;
  C = calloc(MAX_ID, sizeof *C);
  *future = 0;
  *revenue = 0;
  for (int64_t i = 0; i < n; i++) {
    cust *c = &C[ids[i]];
    c->present = 1;
    if (ts[i] > *as_of) {
      (*future)++;
      continue;
    }
    c->monetary += amt[i];
    *revenue += amt[i];
    if (amt[i] > 0) {
      c->frequency++;
      if (ts[i] > c->last || c->last == 0) c->last = ts[i];
    }
  }
  int *scored = malloc(MAX_ID * sizeof *scored), ns = 0;
  *customers = 0;
  for (int id = 0; id < MAX_ID; id++) {
    *customers += C[id].present;
    if (C[id].frequency > 0) {
      C[id].recency = (int)((*as_of - C[id].last) / DAY);
      scored[ns++] = id;
    }
  }
  for (cmp_dim = 0; cmp_dim < 3; cmp_dim++) {
    int *order = malloc((size_t)ns * sizeof *order);
    memcpy(order, scored, (size_t)ns * sizeof *order);
    qsort(order, (size_t)ns, sizeof *order, cmp_rank);
    for (int r = 1; r <= ns; r++) {
      int bin = (int)(((int64_t)(r - 1) * 5 + (ns - 2)) / (ns - 1)); /* ceil((r-1)*5/(n-1)) */
      if (bin < 1) bin = 1;
      cust *c = &C[order[r - 1]];
      if (cmp_dim == 0)
        c->r = 6 - bin;
      else if (cmp_dim == 1)
        c->f = bin;
      else
        c->m = bin;
    }
    free(order);
  }
  free(scored);
  return n;
}

static void import_cdnow(char *h5, size_t size) {
  pe_test_path(h5, size, "cdnow.h5");
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "'%s/personae' import --quiet -o '%s' '%s' >/dev/null", PE_BINARY_DIR,
           h5, cdnow_txt);
  CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
}

static void check_cdnow(int64_t as_of_param) {
  char h5[512];
  import_cdnow(h5, sizeof h5);
  int64_t as_of = as_of_param == PE_RFM_AS_OF_AUTO ? 0 : as_of_param, future, customers;
  double revenue;
  int64_t rows = expected_from_text(&as_of, &future, &revenue, &customers);
  PE_ASSERT_EQ_LL(rows, 69659); /* the dataset README's count */
  pe_rfm_params p;
  pe_rfm_params_init(&p);
  p.as_of = as_of_param;
  pe_rfm_result *res;
  PE_ASSERT_STATUS(pe_rfm_compute(h5, &p, &res), PE_OK);
  pe_rfm_summary s;
  pe_rfm_result_summary(res, &s);
  PE_ASSERT_EQ_LL(s.rows, rows);
  PE_ASSERT_EQ_LL(s.rows_future, future);
  PE_ASSERT_EQ_LL(s.as_of, as_of);
  PE_ASSERT_EQ_LL(s.customers, customers);
  PE_ASSERT_NEAR(s.revenue, revenue, 1e-6 * revenue);
  pe_rfm_columns c;
  pe_rfm_result_columns(res, &c);
  int64_t dist_got[3][6] = {{0}}, dist_want[3][6] = {{0}}, scored = 0, bad = 0;
  for (int64_t i = 0; i < c.count; i++) {
    int64_t id = c.customer_id[i];
    CU_ASSERT_FATAL(id > 0 && id < MAX_ID && C[id].present);
    const cust *w = &C[id];
    scored += w->frequency > 0;
    int ok = c.frequency[i] == w->frequency && c.has_purchase[i] == (w->frequency > 0) &&
             (w->frequency == 0 || (c.recency_days[i] == w->recency && c.r[i] == w->r &&
                                    c.f[i] == w->f && c.m[i] == w->m)) &&
             c.monetary[i] - w->monetary < 1e-6 && w->monetary - c.monetary[i] < 1e-6;
    if (!ok && bad++ < 3)
      fprintf(stderr,
              "\n  customer %lld: got f=%d rec=%d rfm=%d%d%d mon=%.2f, want f=%d rec=%d "
              "rfm=%d%d%d mon=%.2f\n",
              (long long)id, c.frequency[i], c.recency_days[i], c.r[i], c.f[i], c.m[i],
              c.monetary[i], w->frequency, w->recency, w->r, w->f, w->m, w->monetary);
    dist_got[0][c.r[i]]++;
    dist_got[1][c.f[i]]++;
    dist_got[2][c.m[i]]++;
    if (w->frequency > 0) {
      dist_want[0][w->r]++;
      dist_want[1][w->f]++;
      dist_want[2][w->m]++;
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
  PE_ASSERT_EQ_LL(s.customers_scored, scored);
  for (int d = 0; d < 3; d++)
    for (int k = 1; k <= 5; k++) PE_ASSERT_EQ_LL(dist_got[d][k], dist_want[d][k]);
  pe_rfm_result_free(res);
  free(C);
}

static void test_cdnow_default(void) {
  check_cdnow(PE_RFM_AS_OF_AUTO);
}

/* The Fader-Hardie calibration end, 1997-09-30: a day-granular file, so the
 * reference 1997-10-01 00:00 keeps rows of Sept 30 and ignores the rest. */
static void test_cdnow_as_of(void) {
  int64_t as_of;
  PE_ASSERT_STATUS(pe_rfm_parse_date("1997-10-01", &as_of), PE_OK);
  check_cdnow(as_of - 1);
}

int main(int argc, char **argv) {
  static CU_TestInfo tests[] = {
      {"CDNOW master, default as-of", test_cdnow_default},
      {"CDNOW master, as of the calibration end", test_cdnow_as_of},
      CU_TEST_INFO_NULL,
  };
  static const pe_test_suite suites[] = {{"rfm on CDNOW", tests, need_cdnow}, {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
