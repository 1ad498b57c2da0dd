/* The pieces of `personae import` below the file level: dates, fields, and
 * records (quoting, line numbers, layouts). */
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "csv/date_parse.h"
#include "csv/field_parse.h"
#include "csv/line_reader.h"
#include "csv/record_reader.h"
#include "harness.h"

/* ---- dates ---- */

static int64_t ts(const char *s, pe_date_order order, int *ok) {
  int64_t t = 0;
  *ok = pe_parse_timestamp(s, strlen(s), order, &t) == 0;
  return t;
}

#define ASSERT_TIME(text, order, expected)                  \
  do {                                                      \
    int ok_;                                                \
    int64_t t_ = ts(text, order, &ok_);                     \
    if (!ok_) fprintf(stderr, "\n  '%s' rejected\n", text); \
    CU_ASSERT(ok_);                                         \
    PE_ASSERT_EQ_LL(t_, expected);                          \
  } while (0)

#define ASSERT_NOT_TIME(text, order)                       \
  do {                                                     \
    int ok_;                                               \
    (void)ts(text, order, &ok_);                           \
    if (ok_) fprintf(stderr, "\n  '%s' accepted\n", text); \
    CU_ASSERT(!ok_);                                       \
  } while (0)

/* 2011-12-09 12:50:00 UTC, the last Online Retail invoice (date -u -d ... +%s). */
enum { T_LAST = 1323435000 };

static void test_iso_forms(void) {
  ASSERT_TIME("2011-12-09T12:50:00Z", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("2011-12-09T12:50:00", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("2011-12-09 12:50:00", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("2011-12-09 12:50", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("  2011-12-09 12:50:00 \r", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("2011-12-09T12:50:00.250Z", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("2011-12-09T13:50:00+01:00", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("2011-12-09T13:50:00+0100", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("2011-12-09T13:50:00+01", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("2011-12-09T07:20:00-05:30", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("2011-12-09", PE_DATE_MDY, T_LAST - (12 * 3600 + 50 * 60));
  ASSERT_TIME("1970-01-01", PE_DATE_MDY, 0);
  ASSERT_TIME("2012-02-29", PE_DATE_MDY, 1330473600);
  ASSERT_TIME("1969-12-31T23:59:59Z", PE_DATE_MDY, -1);
}

static void test_compact_slashed_and_unix(void) {
  ASSERT_TIME("20111209", PE_DATE_MDY, T_LAST - 46200);
  ASSERT_TIME("19970101", PE_DATE_MDY, 852076800);
  ASSERT_TIME("12/9/2011 12:50", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("12/09/2011 12:50:00", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("9/12/2011 12:50", PE_DATE_DMY, T_LAST);
  ASSERT_TIME("09/12/2011", PE_DATE_DMY, T_LAST - 46200);
  ASSERT_TIME("2011/12/09 12:50", PE_DATE_DMY, T_LAST); /* year first: order does not matter */
  ASSERT_TIME("2011/12/09", PE_DATE_MDY, T_LAST - 46200);
  ASSERT_TIME("1323435000", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("1323435000.75", PE_DATE_MDY, T_LAST);
  ASSERT_TIME("-86400", PE_DATE_MDY, -86400);
  ASSERT_TIME("20111209", PE_DATE_UNIX, 20111209); /* forced: 8 digits are seconds too */
  ASSERT_TIME("1323435000", PE_DATE_UNIX, T_LAST);
  /* Seconds are a date only within years 1..9999 (|t| <= 253402300799). */
  ASSERT_TIME("253402300799", PE_DATE_UNIX, 253402300799LL);
  ASSERT_TIME("-253402300799", PE_DATE_UNIX, -253402300799LL);
  ASSERT_NOT_TIME("253402300800", PE_DATE_UNIX);
  ASSERT_NOT_TIME("999999999999", PE_DATE_MDY);
  ASSERT_NOT_TIME("-999999999999", PE_DATE_UNIX);
}

static void test_bad_dates(void) {
  const char *bad[] = {"",
                       "   ",
                       "2011-13-01",
                       "2011-02-29",
                       "2011-12-32",
                       "2011-12-09 24:00",
                       "2011-12-09 12:60",
                       "2011-12-09T12:50Zx",
                       "2011-12-09T12:50+25:00",
                       "13/13/2011",
                       "12/9/11",
                       "20111309",
                       "yesterday",
                       "2011-12-09 12",
                       "1323435000123",
                       "12-09-2011"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) ASSERT_NOT_TIME(bad[i], PE_DATE_MDY);
  ASSERT_NOT_TIME("2011-12-09", PE_DATE_UNIX);
  ASSERT_NOT_TIME("31/12/2011", PE_DATE_MDY);
  ASSERT_NOT_TIME("12/31/2011", PE_DATE_DMY);
}

/* ---- fields ---- */

static void test_ids_and_orders(void) {
  int64_t v;
  int prefixed;
  CU_ASSERT(pe_parse_id("17850", 5, &v) == 0 && v == 17850);
  CU_ASSERT(pe_parse_id(" 00002 ", 7, &v) == 0 && v == 2);
  CU_ASSERT(pe_parse_id("13085.0", 7, &v) == 0 && v == 13085);
  CU_ASSERT(pe_parse_id("-5", 2, &v) == 0 && v == -5);
  CU_ASSERT(pe_parse_id("13085.5", 7, &v) != 0);
  CU_ASSERT(pe_parse_id("12a", 3, &v) != 0);
  CU_ASSERT(pe_parse_id("", 0, &v) != 0);
  CU_ASSERT(pe_parse_id("99999999999999999999", 20, &v) != 0);
  CU_ASSERT(pe_parse_order_id("536365", 6, &v, &prefixed) == 0 && v == 536365 && !prefixed);
  CU_ASSERT(pe_parse_order_id("C536379", 7, &v, &prefixed) == 0 && v == 536379 && prefixed);
  CU_ASSERT(pe_parse_order_id("A563185", 7, &v, &prefixed) == 0 && v == 563185);
  CU_ASSERT(pe_parse_order_id("C", 1, &v, &prefixed) != 0);
  CU_ASSERT(pe_parse_order_id("53-6365", 7, &v, &prefixed) != 0);
}

static void test_numbers_and_discounts(void) {
  double d;
  CU_ASSERT(pe_parse_number("2.55", 4, &d) == 0 && d == 2.55);
  CU_ASSERT(pe_parse_number(" -11062.06 ", 11, &d) == 0 && d == -11062.06);
  CU_ASSERT(pe_parse_number("1e3", 3, &d) == 0 && d == 1000.0);
  CU_ASSERT(pe_parse_number("nan", 3, &d) != 0);
  CU_ASSERT(pe_parse_number("inf", 3, &d) != 0);
  CU_ASSERT(pe_parse_number("0x10", 4, &d) != 0);
  CU_ASSERT(pe_parse_number("1,5", 3, &d) != 0);
  CU_ASSERT(pe_parse_number("12abc", 5, &d) != 0);
  CU_ASSERT(pe_parse_number("", 0, &d) != 0);
  CU_ASSERT(pe_parse_discount("0.15", 4, &d) == 0 && d == 0.15);
  CU_ASSERT(pe_parse_discount("15%", 3, &d) == 0 && d == 0.15);
  CU_ASSERT(pe_parse_discount("1.5", 3, &d) != 0);
  CU_ASSERT(pe_parse_discount("-0.1", 4, &d) != 0);
  int32_t c;
  CU_ASSERT(pe_parse_i32("42", 2, &c) == 0 && c == 42);
  CU_ASSERT(pe_parse_i32("3000000000", 10, &c) != 0);
}

/* ---- records ---- */

typedef struct {
  int n;
  int nfields[16];
  int64_t line[16];
  int unclosed[16];
  char text[16][8][64]; /* first 8 fields of the first 16 records */
} collected;

static pe_status collect(void *ctx, const pe_record *rec) {
  collected *c = ctx;
  if (c->n < 16) {
    c->nfields[c->n] = rec->nfields;
    c->line[c->n] = rec->line;
    c->unclosed[c->n] = rec->unclosed_quote;
    for (int i = 0; i < rec->nfields && i < 8; i++)
      snprintf(c->text[c->n][i], sizeof c->text[c->n][i], "%s", rec->field[i]);
  }
  c->n++;
  return PE_OK;
}

static const char *write_file(const char *name, const char *content) {
  static char path[4096];
  pe_test_path(path, sizeof path, name);
  FILE *f = fopen(path, "wb");
  fwrite(content, 1, strlen(content), f);
  fclose(f);
  return path;
}

static pe_status read_records(const char *name, const char *content, pe_record_layout *layout,
                              collected *c) {
  memset(c, 0, sizeof *c);
  const char *path = write_file(name, content);
  pe_line_reader *r;
  pe_status st = pe_line_reader_open(path, &r);
  if (st != PE_OK) return st;
  st = pe_records_read(r, path, layout, collect, c);
  pe_line_reader_free(r);
  return st;
}

static void test_quoted_fields(void) {
  collected c;
  pe_record_layout layout = {PE_IMPORT_FORMAT_AUTO, 0};
  PE_ASSERT_STATUS(read_records("quoted.csv",
                                "\xEF\xBB\xBFid,text,n\r\n"
                                "1,\"AIRLINE LOUNGE,METAL SIGN\",2\r\n"
                                "2,\"RECORD FRAME 7\"\" SINGLE\",3\r\n"
                                "3,\"two\nlines\nhere\",4\r\n"
                                "\r\n"
                                "4,plain,5",
                                &layout, &c),
                   PE_OK);
  CU_ASSERT_EQUAL(layout.format, PE_IMPORT_FORMAT_CSV);
  CU_ASSERT_EQUAL(layout.delimiter, ',');
  PE_ASSERT_EQ_LL(c.n, 5);
  CU_ASSERT_STRING_EQUAL(c.text[0][0], "id"); /* the byte order mark is gone */
  CU_ASSERT_STRING_EQUAL(c.text[1][1], "AIRLINE LOUNGE,METAL SIGN");
  CU_ASSERT_STRING_EQUAL(c.text[2][1], "RECORD FRAME 7\" SINGLE");
  CU_ASSERT_STRING_EQUAL(c.text[3][1], "two\nlines\nhere");
  CU_ASSERT_STRING_EQUAL(c.text[4][1], "plain");
  CU_ASSERT_STRING_EQUAL(c.text[4][2], "5");
  for (int i = 0; i < 5; i++) PE_ASSERT_EQ_LL(c.nfields[i], 3);
  /* Each record knows the line it starts on, also after a multi-line field
   * and a blank line. */
  PE_ASSERT_EQ_LL(c.line[0], 1);
  PE_ASSERT_EQ_LL(c.line[3], 4);
  PE_ASSERT_EQ_LL(c.line[4], 8);
}

static void test_delimiters_and_whitespace(void) {
  collected c;
  pe_record_layout semi = {PE_IMPORT_FORMAT_AUTO, 0};
  PE_ASSERT_STATUS(read_records("semi.csv", "a;b;c\n1;\"x;y\";3\n", &semi, &c), PE_OK);
  CU_ASSERT_EQUAL(semi.delimiter, ';');
  CU_ASSERT_STRING_EQUAL(c.text[1][1], "x;y");

  pe_record_layout tab = {PE_IMPORT_FORMAT_AUTO, 0};
  PE_ASSERT_STATUS(read_records("tab.tsv", "a\tb\n1\t\n", &tab, &c), PE_OK);
  CU_ASSERT_EQUAL(tab.delimiter, '\t');
  PE_ASSERT_EQ_LL(c.nfields[1], 2);
  CU_ASSERT_STRING_EQUAL(c.text[1][1], "");

  pe_record_layout ws = {PE_IMPORT_FORMAT_AUTO, 0};
  PE_ASSERT_STATUS(read_records("cdnow.txt",
                                " customer_id  date number_of_cds  dollar_value\r\n"
                                " 00001 19970101  1   11.77\r\n\r\n 00002\t19970112  1   12.00",
                                &ws, &c),
                   PE_OK);
  CU_ASSERT_EQUAL(ws.format, PE_IMPORT_FORMAT_WHITESPACE);
  PE_ASSERT_EQ_LL(c.n, 3);
  PE_ASSERT_EQ_LL(c.nfields[0], 4);
  CU_ASSERT_STRING_EQUAL(c.text[1][3], "11.77");
  CU_ASSERT_STRING_EQUAL(c.text[2][0], "00002");
  CU_ASSERT_STRING_EQUAL(c.text[2][3], "12.00"); /* last line without a newline */
  PE_ASSERT_EQ_LL(c.line[2], 4);

  /* A forced format wins over the detection. */
  pe_record_layout forced = {PE_IMPORT_FORMAT_CSV, 0};
  PE_ASSERT_STATUS(read_records("forced.csv", "a b c\n1 2 3\n", &forced, &c), PE_OK);
  PE_ASSERT_EQ_LL(c.nfields[0], 1);
}

static void test_long_line(void) {
  /* A 3 MiB field crosses the reader's 1 MiB slices and buffer growth. */
  size_t n = 3u << 20;
  char *content = malloc(n + 32);
  strcpy(content, "a,b\n1,");
  memset(content + 6, 'x', n);
  strcpy(content + 6 + n, "\n2,y\n");
  collected c;
  pe_record_layout layout = {PE_IMPORT_FORMAT_AUTO, 0};
  PE_ASSERT_STATUS(read_records("long.csv", content, &layout, &c), PE_OK);
  free(content);
  PE_ASSERT_EQ_LL(c.n, 3);
  CU_ASSERT_STRING_EQUAL(c.text[2][1], "y");
  PE_ASSERT_EQ_LL(c.line[2], 3);
}

static void test_unclosed_quote(void) {
  collected c;
  pe_record_layout layout = {PE_IMPORT_FORMAT_AUTO, 0};
  PE_ASSERT_STATUS(read_records("unclosed.csv", "a,b\n1,\"ok\"\n2,\"open\n3,x\n4,y\n", &layout, &c),
                   PE_OK);
  PE_ASSERT_EQ_LL(c.n, 3);
  CU_ASSERT(!c.unclosed[1]);
  CU_ASSERT(c.unclosed[2]);
  PE_ASSERT_EQ_LL(c.line[2], 3); /* where the quote opened */
  CU_ASSERT_STRING_EQUAL(c.text[2][1], "open\n3,x\n4,y\n");
  /* A closed quote at the very end, without a newline, is fine. */
  PE_ASSERT_STATUS(read_records("closed.csv", "a,b\n1,\"x\"", &layout, &c), PE_OK);
  PE_ASSERT_EQ_LL(c.n, 2);
  CU_ASSERT(!c.unclosed[1]);
  CU_ASSERT_STRING_EQUAL(c.text[1][1], "x");
}

/* The holiday test agrees with the full calendar on every day of years
 * 1..9999, leap years and century rules included. */
static void test_nov_dec_days(void) {
  const int64_t first = pe_days_from_civil(1, 1, 1), last = pe_days_from_civil(9999, 12, 31);
  int64_t wrong = 0, holidays = 0;
  for (int64_t z = first; z <= last; z++) {
    int64_t y;
    unsigned m, d;
    pe_civil_from_days(z, &y, &m, &d);
    wrong += pe_day_in_nov_dec(z) != (m >= 11);
    holidays += m >= 11;
  }
  CU_ASSERT_EQUAL(wrong, 0);
  CU_ASSERT_EQUAL(holidays, 9999 * 61);
  CU_ASSERT_TRUE(pe_day_in_nov_dec(pe_days_from_civil(2024, 11, 1)));
  CU_ASSERT_FALSE(pe_day_in_nov_dec(pe_days_from_civil(2024, 10, 31)));
  CU_ASSERT_TRUE(pe_day_in_nov_dec(pe_days_from_civil(1969, 12, 31)));
  CU_ASSERT_FALSE(pe_day_in_nov_dec(pe_days_from_civil(1970, 1, 1)));
}

static void test_missing_file(void) {
  pe_line_reader *r;
  PE_ASSERT_STATUS(pe_line_reader_open("/nonexistent/x.csv", &r), PE_ERR_IO);
  CU_ASSERT(strstr(personae_last_error(), "/nonexistent/x.csv") != NULL);
}

static CU_TestInfo date_tests[] = {
    {"ISO 8601 and YYYY-MM-DD forms", test_iso_forms},
    {"YYYYMMDD, slashed and Unix forms", test_compact_slashed_and_unix},
    {"impossible and unknown dates are rejected", test_bad_dates},
    {"November and December days over years 1..9999", test_nov_dec_days},
    CU_TEST_INFO_NULL};
static CU_TestInfo field_tests[] = {{"ids and order ids", test_ids_and_orders},
                                    {"numbers and discounts", test_numbers_and_discounts},
                                    CU_TEST_INFO_NULL};
static CU_TestInfo record_tests[] = {
    {"quoted fields, embedded newlines, line numbers", test_quoted_fields},
    {"delimiter detection and whitespace columns", test_delimiters_and_whitespace},
    {"a line longer than the read buffer", test_long_line},
    {"a quote left open until the end of the file", test_unclosed_quote},
    {"a missing file is named", test_missing_file},
    CU_TEST_INFO_NULL};

int main(int argc, char **argv) {
  static const pe_test_suite suites[] = {{"import dates", date_tests, NULL},
                                         {"import fields", field_tests, NULL},
                                         {"import records", record_tests, NULL},
                                         {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
