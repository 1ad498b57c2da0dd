/* Shared by the feature tests: small input tables in memory and a writer
 * that can also leave out or shorten a column, to make bad files.
 * Header-only so each test program stays one source file. */
#ifndef PE_TESTS_TEST_FEATURES_UTIL_H
#define PE_TESTS_TEST_FEATURES_UTIL_H

#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5.h"

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

static inline int ft_column(hid_t g, const char *path, const char *group, const char *name,
                            pe_dtype type, int64_t n, const void *data, const ft_damage *dmg) {
  char full[64];
  snprintf(full, sizeof full, "%s/%s", group, name);
  if (dmg && dmg->omit && strcmp(dmg->omit, full) == 0) return 1;
  if (dmg && dmg->shorten && strcmp(dmg->shorten, full) == 0 && n > 0) n--;
  return pe_h5_write_column(g, path, name, type, n, data, 1) == PE_OK;
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
  pe_h5_out *out;
  int rc = -1;
  if (pe_h5_out_begin(path, NULL, NULL, &out) == PE_OK) {
    hid_t fid = pe_h5_out_file(out), g;
    int ok = pe_h5_replace_group(fid, path, "/transactions", &g) == PE_OK;
    if (ok) {
      const char *G = "transactions";
      ok = ft_column(g, path, G, "customer_id", PE_I64, n, c, dmg) &&
           ft_column(g, path, G, "order_id", PE_I64, n, o, dmg) &&
           ft_column(g, path, G, "timestamp", PE_I64, n, t, dmg) &&
           ft_column(g, path, G, "amount", PE_F64, n, a, dmg) &&
           ft_column(g, path, G, "discount", PE_F32, n, d, dmg) &&
           ft_column(g, path, G, "category", PE_I32, n, k, dmg);
      H5Gclose(g);
    }
    if (ok && ss) {
      ok = pe_h5_replace_group(fid, path, "/sessions", &g) == PE_OK;
      if (ok) {
        const char *G = "sessions";
        ok = ft_column(g, path, G, "customer_id", PE_I64, ns, sc, dmg) &&
             ft_column(g, path, G, "timestamp", PE_I64, ns, st, dmg) &&
             ft_column(g, path, G, "pageviews", PE_I32, ns, pv, dmg) &&
             ft_column(g, path, G, "duration_s", PE_F32, ns, du, dmg) &&
             ft_column(g, path, G, "cart_adds", PE_I32, ns, ca, dmg) &&
             ft_column(g, path, G, "purchased", PE_U8, ns, pu, dmg);
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
