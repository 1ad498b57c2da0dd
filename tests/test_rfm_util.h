/* Shared by the RFM tests: writing small transaction files with the h5
 * helpers. Header-only so each test program stays one source file. */
#ifndef PE_TESTS_TEST_RFM_UTIL_H
#define PE_TESTS_TEST_RFM_UTIL_H

#include <stdint.h>
#include <stdlib.h>

#include "io/h5.h"
#include "test_h5_util.h"

typedef struct {
  int64_t customer_id, order_id, timestamp;
  double amount;
} rfm_test_row;

/* Writes /transactions from `rows` (and /sessions/customer_id when ns > 0).
 * Returns 0 on success. */
static inline int rfm_test_write(const char *path, const rfm_test_row *rows, int64_t n,
                                 const int64_t *sessions, int64_t ns) {
  size_t sz = (size_t)(n ? n : 1);
  int64_t *c = malloc(sz * 8), *o = malloc(sz * 8), *t = malloc(sz * 8);
  double *a = malloc(sz * 8);
  for (int64_t i = 0; i < n; i++) {
    c[i] = rows[i].customer_id;
    o[i] = rows[i].order_id;
    t[i] = rows[i].timestamp;
    a[i] = rows[i].amount;
  }
  th5_column cols[5] = {
      {"transactions", "customer_id", PE_I64, n, c, 1},
      {"transactions", "order_id", PE_I64, n, o, 1},
      {"transactions", "timestamp", PE_I64, n, t, 1},
      {"transactions", "amount", PE_F64, n, a, 1},
      {"sessions", "customer_id", PE_I64, ns, sessions, 0},
  };
  int rc = th5_write(path, cols, ns > 0 ? 5 : 4);
  free(c);
  free(o);
  free(t);
  free(a);
  return rc;
}

#endif
