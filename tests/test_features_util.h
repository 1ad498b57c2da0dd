/* Shared by the feature tests: small input tables in memory and a writer
 * that can also leave out or shorten a column, to make bad files.
 * Header-only so each test program stays one source file. */
#ifndef PE_TESTS_TEST_FEATURES_UTIL_H
#define PE_TESTS_TEST_FEATURES_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5.h"
#include "test_h5_util.h"

typedef struct {
  int64_t customer_id, order_id, timestamp;
  double amount;
  float discount;
  int32_t category;
} ft_tx;

typedef struct {
  int64_t customer_id, timestamp;
  int32_t pageviews;
  float duration_s;
  int32_t cart_adds;
  uint8_t purchased;
} ft_session;

/* What to break when writing: a column to leave out ("group/name") or to
 * write one row short. NULL: nothing. */
typedef struct {
  const char *omit;
  const char *shorten;
} ft_damage;

/* Whether `dmg` leaves out column group/name; shortens it by a row if asked. */
static inline int ft_damaged(th5_column *col, const ft_damage *dmg) {
  char full[64];
  snprintf(full, sizeof full, "%s/%s", col->group, col->name);
  if (dmg && dmg->omit && strcmp(dmg->omit, full) == 0) return 1;
  if (dmg && dmg->shorten && strcmp(dmg->shorten, full) == 0 && col->rows > 0) col->rows--;
  return 0;
}

/* Writes /transactions (always) and /sessions (when sessions != NULL).
 * Returns 0 on success. */
static inline int ft_write(const char *path, const ft_tx *tx, int64_t n, const ft_session *ss,
                           int64_t ns, const ft_damage *dmg) {
  size_t sz = (size_t)(n ? n : 1), ssz = (size_t)(ns ? ns : 1);
  int64_t *c = malloc(sz * 8), *o = malloc(sz * 8), *t = malloc(sz * 8);
  double *a = malloc(sz * 8);
  float *d = malloc(sz * 4);
  int32_t *k = malloc(sz * 4);
  for (int64_t i = 0; i < n; i++) {
    c[i] = tx[i].customer_id;
    o[i] = tx[i].order_id;
    t[i] = tx[i].timestamp;
    a[i] = tx[i].amount;
    d[i] = tx[i].discount;
    k[i] = tx[i].category;
  }
  int64_t *sc = malloc(ssz * 8), *st = malloc(ssz * 8);
  int32_t *pv = malloc(ssz * 4), *ca = malloc(ssz * 4);
  float *du = malloc(ssz * 4);
  uint8_t *pu = malloc(ssz);
  for (int64_t i = 0; i < ns; i++) {
    sc[i] = ss[i].customer_id;
    st[i] = ss[i].timestamp;
    pv[i] = ss[i].pageviews;
    du[i] = ss[i].duration_s;
    ca[i] = ss[i].cart_adds;
    pu[i] = ss[i].purchased;
  }
  const th5_column all[12] = {
      {"transactions", "customer_id", PE_I64, n, c, 1},
      {"transactions", "order_id", PE_I64, n, o, 1},
      {"transactions", "timestamp", PE_I64, n, t, 1},
      {"transactions", "amount", PE_F64, n, a, 1},
      {"transactions", "discount", PE_F32, n, d, 1},
      {"transactions", "category", PE_I32, n, k, 1},
      {"sessions", "customer_id", PE_I64, ns, sc, 1},
      {"sessions", "timestamp", PE_I64, ns, st, 1},
      {"sessions", "pageviews", PE_I32, ns, pv, 1},
      {"sessions", "duration_s", PE_F32, ns, du, 1},
      {"sessions", "cart_adds", PE_I32, ns, ca, 1},
      {"sessions", "purchased", PE_U8, ns, pu, 1},
  };
  th5_column cols[12];
  int ncols = 0;
  for (int i = 0; i < (ss ? 12 : 6); i++) {
    cols[ncols] = all[i];
    if (!ft_damaged(&cols[ncols], dmg)) ncols++;
  }
  int rc = th5_write(path, cols, ncols);
  free(c);
  free(o);
  free(t);
  free(a);
  free(d);
  free(k);
  free(sc);
  free(st);
  free(pv);
  free(ca);
  free(du);
  free(pu);
  return rc;
}

#endif
