/* Segment maps: the default R x F map, the rules format, and validation
 * (cells no rule reaches, segments no cell reaches). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "personae.h"

static const char *name_at(const pe_rfm_segment_map *m, int r, int f, int mm) {
  return pe_rfm_segment_map_name(m, pe_rfm_segment_map_lookup(m, r, f, mm));
}

/* The table, cell by cell, for every M. */
static void test_default_map_partitions_rf(void) {
  static const char *const want[5][5] = {
      /* F=1              F=2                    F=3                    F=4                F=5 */
      {"Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"}, /* R1 */
      {"Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"}, /* R2 */
      {"About To Sleep", "About To Sleep", "Need Attention", "Loyal Customers",
       "Loyal Customers"}, /* R3 */
      {"Promising", "Potential Loyalists", "Potential Loyalists", "Loyal Customers",
       "Loyal Customers"}, /* R4 */
      {"New Customers", "Potential Loyalists", "Potential Loyalists", "Champions",
       "Champions"}, /* R5 */
  };
  pe_rfm_segment_map *m;
  PE_ASSERT_STATUS(pe_rfm_segment_map_default(&m), PE_OK);
  PE_ASSERT_EQ_LL(pe_rfm_segment_map_count(m), 11);
  CU_ASSERT_STRING_EQUAL(pe_rfm_segment_map_name(m, 0), "No Purchase");
  int cells[125], codes[64];
  PE_ASSERT_EQ_LL(pe_rfm_segment_map_unassigned_cells(m, cells, 125), 0);
  PE_ASSERT_EQ_LL(pe_rfm_segment_map_unreachable_segments(m, codes, 64), 0);
  for (int r = 1; r <= 5; r++)
    for (int f = 1; f <= 5; f++)
      for (int mm = 1; mm <= 5; mm++)
        CU_ASSERT_STRING_EQUAL(name_at(m, r, f, mm), want[r - 1][f - 1]);
  pe_rfm_segment_map_free(m);
  pe_rfm_segment_map_free(NULL);
}

/* A widely copied 11-segment table written as score ranges. Applied
 * first-match, four of its segments never get a cell, and 48 cells are left
 * to "Others". */
static const char popular_table[] =
    "# the popular 11-segment table\n"
    "Champions: r=4-5 f=4-5 m=4-5\n"
    "Loyal Customers: r=2-5 f=3-5 m=3-5\n"
    "Potential Loyalist: r=3-5 f=1-3 m=1-3\n"
    "Recent Customers: r=4-5 f=1 m=1\n"
    "Promising: r=3-4 f=1 m=1\n"
    "Customers Needing Attention: r=2-3 f=2-3 m=2-3\n"
    "About To Sleep: r=2-3 f=1-2 m=1-2\n"
    "At Risk: r=1-2 f=2-5 m=2-5\n"
    "Can't Lose Them: r=1 f=4-5 m=4-5\n"
    "Hibernating: r=1-2 f=1-2 m=1-2\n"
    "Lost: r=1-2 f=1-2 m=1-2\n";

static void test_popular_table_is_broken(void) {
  pe_rfm_segment_map *m;
  PE_ASSERT_STATUS(pe_rfm_segment_map_parse(popular_table, "popular", &m), PE_OK);
  int codes[64], cells[125];
  int nu = pe_rfm_segment_map_unreachable_segments(m, codes, 64);
  PE_ASSERT_EQ_LL(nu, 4);
  const char *want[] = {"Recent Customers", "Promising", "Can't Lose Them", "Lost"};
  for (int i = 0; i < nu && i < 4; i++)
    CU_ASSERT_STRING_EQUAL(pe_rfm_segment_map_name(m, codes[i]), want[i]);
  int na = pe_rfm_segment_map_unassigned_cells(m, cells, 125);
  CU_ASSERT(na > 0);
  /* 1,1,3 (low R, F, high-ish M) is matched by no rule. */
  int found = 0;
  for (int i = 0; i < na; i++) found |= cells[i] == 113;
  CU_ASSERT(found);
  CU_ASSERT_STRING_EQUAL(name_at(m, 1, 1, 3), "Others");
  CU_ASSERT_STRING_EQUAL(pe_rfm_segment_map_name(m, pe_rfm_segment_map_count(m) - 1), "Others");
  CU_ASSERT_STRING_EQUAL(name_at(m, 5, 5, 5), "Champions");
  pe_rfm_segment_map_free(m);
}

static void test_rules_format(void) {
  pe_rfm_segment_map *m;
  /* Omitted dimensions mean 1-5; a name may repeat to join cells; comments
   * and blank lines are ignored. */
  const char *text = "\n  # rules\nTop: r=5 f=5 # best\nActive: r=3-5\nTop: r=1 m=5\nRest: \n";
  PE_ASSERT_STATUS(pe_rfm_segment_map_parse(text, "t", &m), PE_OK);
  PE_ASSERT_EQ_LL(pe_rfm_segment_map_count(m), 4); /* No Purchase, Top, Active, Rest */
  CU_ASSERT_STRING_EQUAL(name_at(m, 5, 5, 1), "Top");
  CU_ASSERT_STRING_EQUAL(name_at(m, 1, 2, 5), "Top");
  CU_ASSERT_STRING_EQUAL(name_at(m, 4, 1, 1), "Active");
  CU_ASSERT_STRING_EQUAL(name_at(m, 2, 2, 2), "Rest");
  int cells[125];
  PE_ASSERT_EQ_LL(pe_rfm_segment_map_unassigned_cells(m, cells, 125), 0);
  pe_rfm_segment_map_free(m);

  /* A gap: cells are named. */
  PE_ASSERT_STATUS(pe_rfm_segment_map_parse("A: r=2-5\nB: r=1 f=1-4\n", "t", &m), PE_OK);
  int n = pe_rfm_segment_map_unassigned_cells(m, cells, 125);
  PE_ASSERT_EQ_LL(n, 5);
  for (int i = 0; i < n; i++) PE_ASSERT_EQ_LL(cells[i], 151 + i);
  pe_rfm_segment_map_free(m);
}

static void expect_parse_error(const char *text, const char *fragment) {
  pe_rfm_segment_map *m = (pe_rfm_segment_map *)1;
  PE_ASSERT_STATUS(pe_rfm_segment_map_parse(text, "rules.txt", &m), PE_ERR_USAGE);
  CU_ASSERT_PTR_NULL(m);
  if (!strstr(personae_last_error(), fragment))
    fprintf(stderr, "\n  message '%s' lacks '%s'\n", personae_last_error(), fragment);
  CU_ASSERT(strstr(personae_last_error(), fragment) != NULL);
}

static void test_rules_errors(void) {
  expect_parse_error("A: r=5\nno colon here\n", "rules.txt:2:");
  expect_parse_error("A: r=0-3\n", "rules.txt:1: 'r=0-3'");
  expect_parse_error("A: r=4-2\n", "rules.txt:1:");
  expect_parse_error("A: x=1\n", "expected r=, f= or m=");
  expect_parse_error("A: r=1 r=2\n", "given twice");
  expect_parse_error(": r=1\n", "empty segment name");
  expect_parse_error("Others: r=1\n", "reserved");
  expect_parse_error("caf\xe9: r=1\n", "rules.txt:1: segment name is not printable UTF-8");
  expect_parse_error("Ctrl\x01\x1b[31m: r=1\n", "not printable UTF-8");
  expect_parse_error("A\xc3: r=1\n", "not printable UTF-8");
  expect_parse_error("A\xe0\x80\xaf: r=1\n", "not printable UTF-8");     /* overlong '/' */
  expect_parse_error("A\xed\xa0\x80: r=1\n", "not printable UTF-8");     /* surrogate */
  expect_parse_error("A\xf4\x90\x80\x80: r=1\n", "not printable UTF-8"); /* > U+10FFFF */
  expect_parse_error("A\xc2\x85: r=1\n", "not printable UTF-8");         /* C1 control */
  /* Well-formed UTF-8 beyond ASCII is a name like any other. */
  pe_rfm_segment_map *ok = NULL;
  PE_ASSERT_STATUS(pe_rfm_segment_map_parse("Caf\xc3\xa9 \xe2\x98\x95: r=1-5\n", "rules.txt", &ok),
                   PE_OK);
  int found = 0;
  for (int c = 0; ok && c < pe_rfm_segment_map_count(ok); c++)
    found |= strcmp(pe_rfm_segment_map_name(ok, c), "Caf\xc3\xa9 \xe2\x98\x95") == 0;
  CU_ASSERT(found);
  pe_rfm_segment_map_free(ok);
  expect_parse_error("# nothing\n\n", "no rules");
  pe_rfm_segment_map *m;
  PE_ASSERT_STATUS(pe_rfm_segment_map_load("/nonexistent/rules.txt", &m), PE_ERR_IO);
}

static void test_rescale(void) {
  for (int s = 1; s <= 5; s++) PE_ASSERT_EQ_LL(pe_rfm_rescale_to_5(s, 5), s);
  static const int b3[] = {1, 3, 5}, b10[] = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5}, b2[] = {1, 5};
  for (int s = 1; s <= 3; s++) PE_ASSERT_EQ_LL(pe_rfm_rescale_to_5(s, 3), b3[s - 1]);
  for (int s = 1; s <= 10; s++) PE_ASSERT_EQ_LL(pe_rfm_rescale_to_5(s, 10), b10[s - 1]);
  for (int s = 1; s <= 2; s++) PE_ASSERT_EQ_LL(pe_rfm_rescale_to_5(s, 2), b2[s - 1]);
  for (int b = 2; b <= 100; b++) {
    PE_ASSERT_EQ_LL(pe_rfm_rescale_to_5(1, b), 1);
    PE_ASSERT_EQ_LL(pe_rfm_rescale_to_5(b, b), 5);
  }
}

static void test_parse_date(void) {
  int64_t t;
  PE_ASSERT_STATUS(pe_rfm_parse_date("1970-01-02", &t), PE_OK);
  PE_ASSERT_EQ_LL(t, 86400);
  PE_ASSERT_STATUS(pe_rfm_parse_date("2024-02-29", &t), PE_OK);
  PE_ASSERT_EQ_LL(t, 1709164800);
  PE_ASSERT_STATUS(pe_rfm_parse_date("2023-02-29", &t), PE_ERR_USAGE);
  PE_ASSERT_STATUS(pe_rfm_parse_date("2024-1-5", &t), PE_ERR_USAGE);
  PE_ASSERT_STATUS(pe_rfm_parse_date("yesterday", &t), PE_ERR_USAGE);
}

int main(int argc, char **argv) {
  static CU_TestInfo tests[] = {
      {"default map partitions the 25 R,F cells", test_default_map_partitions_rf},
      {"popular 11-segment table: 4 segments unreachable", test_popular_table_is_broken},
      {"rules format", test_rules_format},
      {"rules errors name file and line", test_rules_errors},
      {"rescaling other bins to 1..5", test_rescale},
      {"--as-of dates", test_parse_date},
      CU_TEST_INFO_NULL,
  };
  static const pe_test_suite suites[] = {{"rfm segments", tests, NULL}, {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
