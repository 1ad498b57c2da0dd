/* Shared CUnit harness: one registry per test program, assertion helpers that
 * print both values on failure, and skips that are reported as skips. */
#ifndef PE_TESTS_HARNESS_H
#define PE_TESTS_HARNESS_H

#include <CUnit/CUnit.h>
#include <stdio.h>

/* A suite as the test program declares it. `skip_reason` is a function that
 * returns NULL when the suite can run, or why it cannot (e.g. "CPU lacks
 * AVX-512F"); a skipped suite is registered inactive so CUnit counts it as
 * inactive, never as passed. */
typedef struct {
  const char *name;
  CU_TestInfo *tests;
  const char *(*skip_reason)(void);
} pe_test_suite;

/* Runs the suites, prints CUnit's summary, and returns the process exit code:
 * 0 all ran tests passed, 1 a failure, 77 nothing ran because all suites were
 * skipped. `--only=P1,P2` / `--except=P1,P2` select suites by name prefix, so
 * that CTest can run an ISA's suites as their own test and report them as
 * skipped on a CPU without that ISA. */
int pe_test_run(int argc, char **argv, const pe_test_suite *suites);

/* A unique scratch directory for this test program (created on first use,
 * removed at exit when every test passed). */
const char *pe_test_tmpdir(void);
/* Writes "<tmpdir>/<name>" into buf and returns buf. */
char *pe_test_path(char *buf, size_t size, const char *name);

#define PE_ASSERT_EQ_LL(actual, expected)                                                         \
  do {                                                                                            \
    long long pe__a = (long long)(actual), pe__e = (long long)(expected);                         \
    if (pe__a != pe__e)                                                                           \
      fprintf(stderr, "\n  %s:%d: %s = %lld, expected %lld\n", __FILE__, __LINE__, #actual, pe__a, \
              pe__e);                                                                             \
    CU_ASSERT_EQUAL(pe__a, pe__e);                                                                \
  } while (0)

#define PE_ASSERT_NEAR(actual, expected, tol)                                                    \
  do {                                                                                           \
    double pe__a = (double)(actual), pe__e = (double)(expected), pe__t = (double)(tol);          \
    int pe__ok = (pe__a - pe__e <= pe__t) && (pe__e - pe__a <= pe__t);                           \
    if (!pe__ok)                                                                                 \
      fprintf(stderr, "\n  %s:%d: %s = %.17g, expected %.17g (tol %g)\n", __FILE__, __LINE__,   \
              #actual, pe__a, pe__e, pe__t);                                                     \
    CU_ASSERT(pe__ok);                                                                           \
  } while (0)

#define PE_ASSERT_STATUS(call, expected)                                                        \
  do {                                                                                          \
    int pe__s = (int)(call);                                                                    \
    if (pe__s != (int)(expected))                                                               \
      fprintf(stderr, "\n  %s:%d: %s returned %d (%s), expected %d\n", __FILE__, __LINE__, #call, \
              pe__s, personae_last_error(), (int)(expected));                                   \
    CU_ASSERT_EQUAL(pe__s, (int)(expected));                                                    \
  } while (0)

#endif
