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

/* Writes /transactions from `rows` in HDF5 chunks of `chunk_rows` rows,
 * shuffled and deflated (the default RFM read takes each chunk as one
 * task). Returns 0 on success. */
static inline int rfm_test_write_chunked(const char *path, const rfm_test_row *rows, int64_t n,
                                         int64_t chunk_rows) {
  static const char *const names[4] = {"customer_id", "order_id", "timestamp", "amount"};
  pe_h5_out *out;
  if (pe_h5_out_begin(path, NULL, NULL, &out) != PE_OK) return -1;
  hid_t g = H5I_INVALID_HID;
  int ok = pe_h5_replace_group(pe_h5_out_file(out), path, "/transactions", &g) == PE_OK;
  for (int c = 0; ok && c < 4; c++) {
    pe_h5_appender app;
    ok = pe_h5_appender_create(g, path, names[c], c == 3 ? PE_F64 : PE_I64, chunk_rows, 1, &app) ==
         PE_OK;
    const int created = ok;
    for (int64_t i = 0; ok && i < n; i++) {
      const rfm_test_row *r = &rows[i];
      const int64_t v = c == 0 ? r->customer_id : c == 1 ? r->order_id : r->timestamp;
      ok = pe_h5_appender_append(&app, c == 3 ? (const void *)&r->amount : (const void *)&v, 1) ==
           PE_OK;
    }
    if (ok) ok = pe_h5_appender_flush(&app) == PE_OK;
    if (created) pe_h5_appender_close(&app);
  }
  if (g >= 0) H5Gclose(g);
  if (!ok) {
    pe_h5_out_abort(out);
    return -1;
  }
  return pe_h5_out_commit(out) == PE_OK ? 0 : -1;
}

#endif
