#include "rfm/radix_sort.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

pe_status pe_radix_sort_pairs(uint64_t *keys, uint64_t *vals, int64_t n) {
  if (n < 2) return PE_OK;
  /* One counting pass gives the histograms of all eight digits. */
  int64_t(*hist)[256] = calloc(8, sizeof *hist);
  uint64_t *k2 = malloc((size_t)n * sizeof *k2), *v2 = malloc((size_t)n * sizeof *v2);
  if (!hist || !k2 || !v2) {
    free(hist);
    free(k2);
    free(v2);
    return pe__fail(PE_ERR_NOMEM, "out of memory sorting %lld keys", (long long)n);
  }
  for (int64_t i = 0; i < n; i++)
    for (int d = 0; d < 8; d++) hist[d][(keys[i] >> (8 * d)) & 0xff]++;
  uint64_t *ks = keys, *vs = vals, *kd = k2, *vd = v2;
  for (int d = 0; d < 8; d++) {
    if (hist[d][(keys[0] >> (8 * d)) & 0xff] == n) continue; /* constant digit */
    int64_t pos[256], sum = 0;
    for (int b = 0; b < 256; b++) {
      pos[b] = sum;
      sum += hist[d][b];
    }
    for (int64_t i = 0; i < n; i++) {
      int64_t at = pos[(ks[i] >> (8 * d)) & 0xff]++;
      kd[at] = ks[i];
      vd[at] = vs[i];
    }
    uint64_t *t = ks;
    ks = kd;
    kd = t;
    t = vs;
    vs = vd;
    vd = t;
  }
  if (ks != keys) {
    memcpy(keys, ks, (size_t)n * sizeof *keys);
    memcpy(vals, vs, (size_t)n * sizeof *vals);
  }
  free(hist);
  free(k2);
  free(v2);
  return PE_OK;
}
