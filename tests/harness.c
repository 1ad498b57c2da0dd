#include "harness.h"

#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[512];

const char *pe_test_tmpdir(void) {
  if (!tmpdir[0]) {
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/personae-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
      perror("mkdtemp");
      exit(2);
    }
  }
  return tmpdir;
}

char *pe_test_path(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", pe_test_tmpdir(), name);
  return buf;
}

static void remove_tmpdir(void) {
  if (!tmpdir[0]) return;
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* Whether `name` starts with one of the comma-separated prefixes in `list`. */
static int matches_prefix(const char *name, const char *list) {
  while (list && *list) {
    const char *end = strchr(list, ',');
    size_t len = end ? (size_t)(end - list) : strlen(list);
    if (len > 0 && strncmp(name, list, len) == 0) return 1;
    list = end ? end + 1 : NULL;
  }
  return 0;
}

int pe_test_run(int argc, char **argv, const pe_test_suite *suites) {
  const char *only = NULL, *except = NULL;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--only=", 7) == 0) only = argv[i] + 7;
    else if (strncmp(argv[i], "--except=", 9) == 0) except = argv[i] + 9;
  }
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  int active = 0, skipped = 0;
  for (const pe_test_suite *s = suites; s->name; s++) {
    if ((only && !matches_prefix(s->name, only)) || (except && matches_prefix(s->name, except)))
      continue;
    CU_pSuite suite = CU_add_suite(s->name, NULL, NULL);
    if (!suite) return 1;
    for (CU_TestInfo *t = s->tests; t->pName; t++) CU_add_test(suite, t->pName, t->pTestFunc);
    const char *why = s->skip_reason ? s->skip_reason() : NULL;
    if (why) {
      printf("SKIPPED suite %s: %s\n", s->name, why);
      CU_set_suite_active(suite, CU_FALSE);
      skipped++;
    } else {
      active++;
    }
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  unsigned ran = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  printf("\n%u tests ran, %d suites skipped\n", ran, skipped);
  if (failures == 0) remove_tmpdir();
  else if (tmpdir[0]) fprintf(stderr, "scratch files kept in %s\n", tmpdir);
  if (failures) return 1;
  if (active == 0 && skipped > 0) return 77;
  return 0;
}
