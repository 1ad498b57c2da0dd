/* pe_import_csv end to end: small exports written here, imported, and read
 * back from the HDF5 file. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "harness.h"
#include "io/h5.h"
#include "personae/import.h"

static char in_path[4096], out_path[4096];

static const char *write_input(const char *name, const char *content) {
  pe_test_path(in_path, sizeof in_path, name);
  FILE *f = fopen(in_path, "wb");
  fwrite(content, 1, strlen(content), f);
  fclose(f);
  return in_path;
}

static pe_status import_text(const char *name, const char *content, const pe_import_params *p,
                             pe_import_summary *s) {
  write_input(name, content);
  pe_test_path(out_path, sizeof out_path, "out.h5");
  remove(out_path);
  return pe_import_csv(in_path, out_path, p, s);
}

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Reads /transactions/<name> of the last output (caller frees). */
static void *column(const char *name, pe_dtype type, int64_t *rows) {
  hid_t fid;
  void *data = NULL;
  *rows = -1;
  if (pe_h5_open_read(out_path, &fid) != PE_OK) return NULL;
  char path[128];
  snprintf(path, sizeof path, "/transactions/%s", name);
  if (pe_h5_read_column_all(fid, out_path, path, type, &data, rows) != PE_OK) data = NULL;
  H5Fclose(fid);
  return data;
}

/* Reads the category names of the last output into `names` (count returned). */
static int read_names(char names[][32], int max) {
  hid_t fid;
  if (pe_h5_open_read(out_path, &fid) != PE_OK) return -1;
  hid_t did = H5Dopen2(fid, "/transactions/category_names", H5P_DEFAULT);
  int n = -1;
  if (did >= 0) {
    hid_t space = H5Dget_space(did);
    hsize_t dims;
    H5Sget_simple_extent_dims(space, &dims, NULL);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char **buf = calloc(dims, sizeof *buf);
    if (H5Dread(did, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) {
      n = (int)dims;
      for (int i = 0; i < n && i < max; i++) snprintf(names[i], 32, "%s", buf[i]);
      H5Dvlen_reclaim(t, space, H5P_DEFAULT, buf);
    }
    free(buf);
    H5Tclose(t);
    H5Sclose(space);
    H5Dclose(did);
  }
  H5Fclose(fid);
  return n;
}

/* An Online-Retail-like export: quoting, a cancellation, a missing customer,
 * a bad date (line 7), a short row (line 8), a row whose description spans
 * two lines, and a float-formatted customer id. */
static const char retail[] =
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United "
    "Kingdom\n"
    "536381,82567,\"AIRLINE LOUNGE,METAL SIGN\",2,2010-12-01 09:41:00,2.1,15311,United Kingdom\n"
    "536477,22041,\"RECORD FRAME 7\"\" SINGLE SIZE \",48,2010-12-01 12:27:00,2.1,16210,United "
    "Kingdom\n"
    "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527,United Kingdom\n"
    "536414,22139,,56,2010-12-01 11:52:00,0,,United Kingdom\n"
    "536500,85123A,BAD DATE,1,2010-13-01 10:00:00,1.0,17850,United Kingdom\n"
    "536501,85123A,SHORT ROW,1,2010-12-02 10:00:00\n"
    "536502,71053,\"TWO\nLINES\",3,2010-12-02 10:00:00,0.5,13085.0,France\n";

static void test_retail_like(void) {
  pe_import_params p;
  pe_import_params_init(&p);
  p.category_col = "StockCode";
  pe_import_summary s;
  PE_ASSERT_STATUS(import_text("retail.csv", retail, &p, &s), PE_OK);
  PE_ASSERT_EQ_LL(s.rows_read, 8);
  PE_ASSERT_EQ_LL(s.rows_imported, 5);
  PE_ASSERT_EQ_LL(s.skipped[PE_SKIP_MISSING_CUSTOMER], 1);
  PE_ASSERT_EQ_LL(s.skipped[PE_SKIP_BAD_TIME], 1);
  PE_ASSERT_EQ_LL(s.skipped[PE_SKIP_FIELD_COUNT], 1);
  PE_ASSERT_EQ_LL(s.malformed, 2);
  PE_ASSERT_EQ_LL(s.problems_kept, 2);
  PE_ASSERT_EQ_LL(s.problems[0].line, 7);
  CU_ASSERT(strstr(s.problems[0].detail, "2010-13-01") != NULL);
  PE_ASSERT_EQ_LL(s.problems[1].line, 8);
  PE_ASSERT_EQ_LL(s.customers, 5);
  PE_ASSERT_EQ_LL(s.orders, 5);
  PE_ASSERT_EQ_LL(s.categories, 5); /* the skipped rows' codes are not counted */
  CU_ASSERT(!s.orders_synthesised);
  PE_ASSERT_NEAR(s.total_amount, 6 * 2.55 + 2 * 2.1 + 48 * 2.1 - 27.5 + 3 * 0.5, 1e-9);

  int64_t n;
  int64_t *cust = column("customer_id", PE_I64, &n);
  int64_t *order = column("order_id", PE_I64, &n);
  int64_t *time = column("timestamp", PE_I64, &n);
  double *amount = column("amount", PE_F64, &n);
  int32_t *cat = column("category", PE_I32, &n);
  float *disc = column("discount", PE_F32, &n);
  PE_ASSERT_EQ_LL(n, 5);
  if (cust && order && time && amount && cat && disc && n == 5) {
    const int64_t want_cust[5] = {17850, 15311, 16210, 14527, 13085};
    const int64_t want_order[5] = {536365, 536381, 536477, 536379, 536502};
    const int32_t want_cat[5] = {0, 1, 2, 3, 4}; /* 85123A 82567 22041 D 71053 */
    for (int i = 0; i < 5; i++) {
      PE_ASSERT_EQ_LL(cust[i], want_cust[i]);
      PE_ASSERT_EQ_LL(order[i], want_order[i]);
      PE_ASSERT_EQ_LL(cat[i], want_cat[i]);
      PE_ASSERT_NEAR(disc[i], 0.0, 0.0);
    }
    PE_ASSERT_EQ_LL(time[0], 1291191960); /* 2010-12-01 08:26:00 UTC */
    PE_ASSERT_NEAR(amount[0], 6 * 2.55, 0.0);
    PE_ASSERT_NEAR(amount[3], -27.5, 0.0); /* a cancellation stays, negative */
  }
  char names[8][32];
  PE_ASSERT_EQ_LL(read_names(names, 8), 5);
  CU_ASSERT_STRING_EQUAL(names[0], "85123A");
  CU_ASSERT_STRING_EQUAL(names[3], "D");
  CU_ASSERT_STRING_EQUAL(names[4], "71053");
  free(cust), free(order), free(time), free(amount), free(cat), free(disc);
}

static void test_strict(void) {
  pe_import_params p;
  pe_import_params_init(&p);
  p.strict = 1;
  pe_import_summary s;
  PE_ASSERT_STATUS(import_text("retail.csv", retail, &p, &s), PE_ERR_DATA);
  CU_ASSERT(strstr(personae_last_error(), "retail.csv:7:") != NULL);
  CU_ASSERT(!file_exists(out_path));
}

static void test_column_choices(void) {
  const char *csv =
      "Customer ID;Order Date;Qty;Price;Disc;Cat\n"
      "7;2024-01-02T10:00:00+02:00;2;1.25;10%;3\n"
      "8;2024-01-03;1;4;0.5;\n";
  pe_import_params p;
  pe_import_params_init(&p);
  p.customer_col = "customer_id"; /* a loose match of "Customer ID" */
  p.time_col = "2";               /* by number */
  p.discount_col = "Disc";
  p.category_col = "Cat";
  p.category_numeric = 1;
  pe_import_summary s;
  PE_ASSERT_STATUS(import_text("choices.csv", csv, &p, &s), PE_OK);
  PE_ASSERT_EQ_LL(s.rows_imported, 2);
  CU_ASSERT_EQUAL(s.delimiter, ';');
  CU_ASSERT(s.orders_synthesised);
  PE_ASSERT_EQ_LL(s.categories, 1);
  PE_ASSERT_EQ_LL(s.first_timestamp, 1704182400); /* 2024-01-02 08:00:00 UTC */
  int64_t n;
  double *amount = column("amount", PE_F64, &n);
  float *disc = column("discount", PE_F32, &n);
  int32_t *cat = column("category", PE_I32, &n);
  int64_t *order = column("order_id", PE_I64, &n);
  if (amount && disc && cat && order && n == 2) {
    PE_ASSERT_NEAR(amount[0], 2.5, 0.0);
    PE_ASSERT_NEAR(disc[0], 0.1, 1e-7);
    PE_ASSERT_NEAR(disc[1], 0.5, 0.0);
    PE_ASSERT_EQ_LL(cat[0], 3);
    PE_ASSERT_EQ_LL(cat[1], -1);
    PE_ASSERT_EQ_LL(order[0], 1); /* one order per row, in file order */
    PE_ASSERT_EQ_LL(order[1], 2);
  }
  CU_ASSERT(read_names(NULL, 0) < 0); /* numeric categories: no names table */
  free(amount), free(disc), free(cat), free(order);
}

static void test_column_not_found(void) {
  pe_import_params p;
  pe_import_params_init(&p);
  p.customer_col = "Client";
  pe_import_summary s;
  PE_ASSERT_STATUS(import_text("retail.csv", retail, &p, &s), PE_ERR_USAGE);
  const char *msg = personae_last_error();
  CU_ASSERT(strstr(msg, "'Client'") != NULL);
  CU_ASSERT(strstr(msg, "--customer-col") != NULL);
  CU_ASSERT(strstr(msg, "'InvoiceDate'") != NULL); /* the header is listed */
  CU_ASSERT(!file_exists(out_path));

  pe_import_params_init(&p);
  PE_ASSERT_STATUS(import_text("noamount.csv", "customer,date,colour\n1,2024-01-01,red\n", &p, &s),
                   PE_ERR_USAGE);
  CU_ASSERT(strstr(personae_last_error(), "--amount-col") != NULL);

  p.amount_col = "4";
  PE_ASSERT_STATUS(import_text("noamount.csv", "customer,date,colour\n1,2024-01-01,red\n", &p, &s),
                   PE_ERR_USAGE);
  CU_ASSERT(strstr(personae_last_error(), "3 columns") != NULL);

  p.quantity_col = "Quantity";
  PE_ASSERT_STATUS(import_text("retail.csv", retail, &p, &s), PE_ERR_USAGE);
}

static void test_empty_inputs(void) {
  pe_import_summary s;
  PE_ASSERT_STATUS(import_text("empty.csv", "", NULL, &s), PE_ERR_DATA);
  CU_ASSERT(strstr(personae_last_error(), "empty") != NULL);
  PE_ASSERT_STATUS(import_text("blank.csv", "\n\r\n  \n", NULL, &s), PE_ERR_DATA);
  PE_ASSERT_STATUS(import_text("header.csv", "customer_id,timestamp,amount\n", NULL, &s),
                   PE_ERR_DATA);
  CU_ASSERT(strstr(personae_last_error(), "no data rows") != NULL);
  CU_ASSERT(!file_exists(out_path));
  PE_ASSERT_STATUS(
      import_text("nocust.csv", "customer_id,timestamp,amount\n,2024-01-01,1\n,2024-01-01,2\n",
                  NULL, &s),
      PE_ERR_DATA);
  PE_ASSERT_EQ_LL(s.skipped[PE_SKIP_MISSING_CUSTOMER], 2);
  CU_ASSERT(!file_exists(out_path));
}

static void test_unclosed_quote_row(void) {
  pe_import_summary s;
  PE_ASSERT_STATUS(import_text("unclosed.csv",
                               "customer_id,timestamp,amount,note\n"
                               "1,2024-01-01,5,fine\n"
                               "2,2024-01-02,6,\"oops\n"
                               "3,2024-01-03,7,lost\n",
                               NULL, &s),
                   PE_OK);
  PE_ASSERT_EQ_LL(s.rows_read, 2);
  PE_ASSERT_EQ_LL(s.rows_imported, 1);
  PE_ASSERT_EQ_LL(s.skipped[PE_SKIP_UNCLOSED_QUOTE], 1);
  PE_ASSERT_EQ_LL(s.problems[0].line, 3);
}

static void test_whitespace_no_header(void) {
  pe_import_params p;
  pe_import_params_init(&p);
  p.no_header = 1;
  p.customer_col = "1";
  p.time_col = "3";
  p.amount_col = "5";
  pe_import_summary s;
  const char *txt =
      " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n"
      " 00018 0002 19970101  1   14.96\n";
  PE_ASSERT_STATUS(import_text("sample.txt", txt, &p, &s), PE_OK);
  CU_ASSERT_EQUAL(s.format, PE_IMPORT_FORMAT_WHITESPACE);
  PE_ASSERT_EQ_LL(s.rows_imported, 3);
  PE_ASSERT_EQ_LL(s.customers, 2);
  PE_ASSERT_EQ_LL(s.orders, 3);
  PE_ASSERT_NEAR(s.total_amount, 29.33 + 29.73 + 14.96, 1e-9);
  PE_ASSERT_EQ_LL(s.first_timestamp, 852076800);

  p.customer_col = "customer_id"; /* names need a header */
  PE_ASSERT_STATUS(import_text("sample.txt", txt, &p, &s), PE_ERR_USAGE);
}

static void test_gzip_input(void) {
  pe_test_path(in_path, sizeof in_path, "retail.csv.gz");
  gzFile gz = gzopen(in_path, "wb");
  gzwrite(gz, retail, (unsigned)strlen(retail));
  gzclose(gz);
  pe_test_path(out_path, sizeof out_path, "out.h5");
  remove(out_path);
  pe_import_summary s;
  PE_ASSERT_STATUS(pe_import_csv(in_path, out_path, NULL, &s), PE_OK);
  PE_ASSERT_EQ_LL(s.rows_read, 8);
  PE_ASSERT_EQ_LL(s.rows_imported, 5);
  PE_ASSERT_EQ_LL(s.problems[0].line, 7);

  /* A truncated gzip stream is an error, not a silently short import. */
  FILE *f = fopen(in_path, "r+b");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fclose(f);
  CU_ASSERT(truncate(in_path, size / 2) == 0);
  PE_ASSERT_STATUS(pe_import_csv(in_path, out_path, NULL, &s), PE_ERR_DATA);
}

static void test_input_is_protected(void) {
  write_input("self.csv", "customer_id,timestamp,amount\n1,2024-01-01,1\n");
  pe_import_summary s;
  PE_ASSERT_STATUS(pe_import_csv(in_path, in_path, NULL, &s), PE_ERR_USAGE);
  FILE *f = fopen(in_path, "rb");
  char buf[64] = {0};
  CU_ASSERT(f && fread(buf, 1, sizeof buf - 1, f) > 0);
  if (f) fclose(f);
  CU_ASSERT(strncmp(buf, "customer_id,", 12) == 0);
}

static void test_default_output(void) {
  char buf[256];
  pe_import_default_output("data/online_retail.csv.gz", buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL(buf, "data/online_retail.h5");
  pe_import_default_output("CDNOW_master.txt", buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL(buf, "CDNOW_master.h5");
  pe_import_default_output("./a.b/noext", buf, sizeof buf);
  CU_ASSERT_STRING_EQUAL(buf, "./a.b/noext.h5");
}

static CU_TestInfo tests[] = {
    {"Online-Retail-like export: quoting, skips, quantity x price", test_retail_like},
    {"--strict fails on the first malformed row with file:line", test_strict},
    {"columns by loose name and number; discounts; numeric categories", test_column_choices},
    {"a missing column names itself and lists the header", test_column_not_found},
    {"empty, blank, header-only and customer-less files", test_empty_inputs},
    {"an unclosed quote is one skipped row at its line", test_unclosed_quote_row},
    {"whitespace columns without a header (CDNOW sample)", test_whitespace_no_header},
    {"gzip input, and a truncated one", test_gzip_input},
    {"the input is never overwritten", test_input_is_protected},
    {"default output name", test_default_output},
    CU_TEST_INFO_NULL};

int main(int argc, char **argv) {
  static const pe_test_suite suites[] = {{"import", tests, NULL}, {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
