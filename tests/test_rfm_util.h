/* Shared by the RFM tests: writing small transaction files with the h5
 * helpers. Header-only so each test program stays one source file. */
#ifndef PE_TESTS_TEST_RFM_UTIL_H
#define PE_TESTS_TEST_RFM_UTIL_H

#include <hdf5.h>
#include <stdint.h>
#include <stdlib.h>

#include "io/h5.h"

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
  pe_h5_out *out;
  int rc = -1;
  if (pe_h5_out_begin(path, NULL, NULL, &out) == PE_OK) {
    hid_t fid = pe_h5_out_file(out), g;
    int ok = pe_h5_replace_group(fid, path, "/transactions", &g) == PE_OK;
    if (ok) {
      ok = pe_h5_write_column(g, path, "customer_id", PE_I64, n, c, 1) == PE_OK &&
           pe_h5_write_column(g, path, "order_id", PE_I64, n, o, 1) == PE_OK &&
           pe_h5_write_column(g, path, "timestamp", PE_I64, n, t, 1) == PE_OK &&
           pe_h5_write_column(g, path, "amount", PE_F64, n, a, 1) == PE_OK;
      H5Gclose(g);
    }
    if (ok && ns > 0) {
      ok = pe_h5_replace_group(fid, path, "/sessions", &g) == PE_OK;
      if (ok) {
        ok = pe_h5_write_column(g, path, "customer_id", PE_I64, ns, sessions, 0) == PE_OK;
        H5Gclose(g);
      }
    }
    if (ok)
      rc = pe_h5_out_commit(out) == PE_OK ? 0 : -1;
    else
      pe_h5_out_abort(out);
  }
  free(c);
  free(o);
  free(t);
  free(a);
  return rc;
}

#endif
