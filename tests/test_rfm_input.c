/* RFM on bad input: every problem is a one-line PE_ERR_DATA (or IO) message
 * naming file, dataset and, for values, the row; the input is never touched. */
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "personae.h"
#include "test_rfm_util.h"

typedef struct {
  const char *name;
  pe_dtype type;
  int64_t rows;
} col_spec;

/* Writes /transactions with the given columns filled with harmless values. */
static void write_columns(const char *path, const col_spec *cols, int ncols) {
  double ones[64];
  int64_t times[64];
  for (int k = 0; k < 64; k++) {
    ones[k] = 1.0;
    times[k] = 1700000000 + k;
  }
  th5_column out[8];
  for (int i = 0; i < ncols; i++) {
    const void *data = cols[i].type == PE_F64 ? (const void *)ones : (const void *)times;
    out[i] = (th5_column){"transactions", cols[i].name, cols[i].type, cols[i].rows, data, 0};
  }
  CU_ASSERT_EQUAL_FATAL(th5_write(path, out, ncols), 0);
}

static void expect_error(const char *path, pe_status want, const char *fragment) {
  struct stat before, after;
  int had = stat(path, &before) == 0;
  pe_rfm_result *res = (pe_rfm_result *)1;
  PE_ASSERT_STATUS(pe_rfm_compute(path, NULL, &res), want);
  CU_ASSERT_PTR_NULL(res);
  const char *msg = personae_last_error();
  if (!strstr(msg, fragment)) fprintf(stderr, "\n  message '%s' lacks '%s'\n", msg, fragment);
  CU_ASSERT(strstr(msg, fragment) != NULL);
  CU_ASSERT(strchr(msg, '\n') == NULL);
  if (had) {
    CU_ASSERT_EQUAL_FATAL(stat(path, &after), 0);
    CU_ASSERT(before.st_size == after.st_size && before.st_mtime == after.st_mtime);
  }
}

static void test_nan_amount_names_row(void) {
  rfm_test_row rows[6];
  for (int i = 0; i < 6; i++) rows[i] = (rfm_test_row){i % 2, i, 1700000000 + i, 10.0 + i};
  rows[4].amount = NAN;
  rows[5].amount = NAN;
  char path[512];
  pe_test_path(path, sizeof path, "nan.h5");
  CU_ASSERT_EQUAL_FATAL(rfm_test_write(path, rows, 6, NULL, 0), 0);
  expect_error(path, PE_ERR_DATA, "nan.h5: /transactions/amount: row 4 is NaN");
  rows[4].amount = 1;
  rows[5].amount = -INFINITY;
  CU_ASSERT_EQUAL_FATAL(rfm_test_write(path, rows, 6, NULL, 0), 0);
  expect_error(path, PE_ERR_DATA, "/transactions/amount: row 5 is infinite");
}

static void test_nan_in_later_chunk(void) {
  enum { N = 5000 };
  static rfm_test_row rows[N];
  for (int i = 0; i < N; i++) rows[i] = (rfm_test_row){i % 97, i, 1700000000 + i, 1.0};
  rows[4321].amount = NAN;
  char path[512];
  pe_test_path(path, sizeof path, "nan2.h5");
  CU_ASSERT_EQUAL_FATAL(rfm_test_write(path, rows, N, NULL, 0), 0);
  pe_rfm_params p;
  pe_rfm_params_init(&p);
  p.chunk_rows = 1000;
  pe_rfm_result *res;
  PE_ASSERT_STATUS(pe_rfm_compute(path, &p, &res), PE_ERR_DATA);
  CU_ASSERT(strstr(personae_last_error(), "row 4321 is NaN") != NULL);
}

static void test_negative_amounts_are_returns(void) {
  rfm_test_row rows[] = {{1, 1, 1700000000, -3.5}, {1, 2, 1700000000, 10}};
  char path[512];
  pe_test_path(path, sizeof path, "neg.h5");
  CU_ASSERT_EQUAL_FATAL(rfm_test_write(path, rows, 2, NULL, 0), 0);
  pe_rfm_result *res;
  PE_ASSERT_STATUS(pe_rfm_compute(path, NULL, &res), PE_OK);
  pe_rfm_columns c;
  pe_rfm_result_columns(res, &c);
  PE_ASSERT_NEAR(c.monetary[0], 6.5, 0);
  PE_ASSERT_EQ_LL(c.orders_returned[0], 1);
  pe_rfm_result_free(res);
}

static void test_bad_timestamp(void) {
  rfm_test_row rows[] = {{1, 1, 1700000000, 1}, {1, 2, INT64_MAX, 1}};
  char path[512];
  pe_test_path(path, sizeof path, "ts.h5");
  CU_ASSERT_EQUAL_FATAL(rfm_test_write(path, rows, 2, NULL, 0), 0);
  expect_error(path, PE_ERR_DATA, "/transactions/timestamp: row 1");
}

static void test_missing_column(void) {
  char path[512];
  pe_test_path(path, sizeof path, "missing.h5");
  col_spec cols[] = {{"customer_id", PE_I64, 8}, {"order_id", PE_I64, 8}, {"timestamp", PE_I64, 8}};
  write_columns(path, cols, 3);
  expect_error(path, PE_ERR_DATA, "missing.h5: dataset /transactions/amount is missing");
}

static void test_mismatched_lengths(void) {
  char path[512];
  pe_test_path(path, sizeof path, "lengths.h5");
  col_spec cols[] = {{"customer_id", PE_I64, 8},
                     {"order_id", PE_I64, 8},
                     {"timestamp", PE_I64, 7},
                     {"amount", PE_F64, 8}};
  write_columns(path, cols, 4);
  expect_error(path, PE_ERR_DATA, "mismatched column lengths");
}

static void test_wrong_dtype(void) {
  char path[512];
  pe_test_path(path, sizeof path, "dtype.h5");
  col_spec cols[] = {{"customer_id", PE_F64, 8},
                     {"order_id", PE_I64, 8},
                     {"timestamp", PE_I64, 8},
                     {"amount", PE_F64, 8}};
  write_columns(path, cols, 4);
  expect_error(path, PE_ERR_DATA, "/transactions/customer_id has dtype float64, expected int64");
}

static void test_empty_table(void) {
  char path[512];
  pe_test_path(path, sizeof path, "empty.h5");
  col_spec cols[] = {{"customer_id", PE_I64, 0},
                     {"order_id", PE_I64, 0},
                     {"timestamp", PE_I64, 0},
                     {"amount", PE_F64, 0}};
  write_columns(path, cols, 4);
  expect_error(path, PE_ERR_DATA, "empty.h5: /transactions is empty");
}

static void test_not_our_file(void) {
  char path[512];
  pe_test_path(path, sizeof path, "text.h5");
  FILE *f = fopen(path, "w");
  fputs("customer_id,amount\n1,2\n", f);
  fclose(f);
  expect_error(path, PE_ERR_DATA, "not an HDF5 file");
  expect_error("/nonexistent/shop.h5", PE_ERR_IO, "/nonexistent/shop.h5");
  /* An HDF5 file without /transactions. */
  pe_test_path(path, sizeof path, "nogroup.h5");
  pe_h5_out *out;
  CU_ASSERT_EQUAL_FATAL(pe_h5_out_begin(path, NULL, NULL, &out), PE_OK);
  CU_ASSERT_EQUAL_FATAL(pe_h5_out_commit(out), PE_OK);
  expect_error(path, PE_ERR_DATA, "group /transactions is missing");
}

static void test_bad_params(void) {
  char path[512];
  pe_test_path(path, sizeof path, "params.h5");
  rfm_test_row rows[] = {{1, 1, 1700000000, 1}};
  CU_ASSERT_EQUAL_FATAL(rfm_test_write(path, rows, 1, NULL, 0), 0);
  pe_rfm_params p;
  pe_rfm_params_init(&p);
  p.bins = 1;
  pe_rfm_result *res;
  PE_ASSERT_STATUS(pe_rfm_compute(path, &p, &res), PE_ERR_USAGE);
  p.bins = 101;
  PE_ASSERT_STATUS(pe_rfm_compute(path, &p, &res), PE_ERR_USAGE);
}

int main(int argc, char **argv) {
  static CU_TestInfo tests[] = {
      {"NaN and infinite amounts name the row", test_nan_amount_names_row},
      {"NaN in a later chunk names the file row", test_nan_in_later_chunk},
      {"negative amounts are returns, not errors", test_negative_amounts_are_returns},
      {"absurd timestamp", test_bad_timestamp},
      {"missing column", test_missing_column},
      {"mismatched lengths", test_mismatched_lengths},
      {"wrong dtype", test_wrong_dtype},
      {"empty table", test_empty_table},
      {"not an HDF5 file, missing file, missing group", test_not_our_file},
      {"bins out of range", test_bad_params},
      CU_TEST_INFO_NULL,
  };
  static const pe_test_suite suites[] = {{"rfm bad input", tests, NULL}, {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
