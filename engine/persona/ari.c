/* Adjusted Rand index (Hubert & Arabie 1985) from the contingency table of
 * two labelings: how well clusters recover planted groups, corrected for
 * chance (0 for random labels, 1 for the same partition). */
#include <stdlib.h>

#include "core/error.h"
#include "persona/persona_internal.h"

static double pairs(double x) {
  return x * (x - 1) / 2;
}

pe_status pe_adjusted_rand_index(const int32_t *a, const int32_t *b, int64_t n, double *ari) {
  PE_FAIL_IF(!a || !b || !ari || n < 1, PE_ERR_USAGE, "ARI: no labels given");
  int32_t ka = 0, kb = 0;
  for (int64_t i = 0; i < n; i++) {
    PE_FAIL_IF(a[i] < 0 || b[i] < 0, PE_ERR_DATA, "ARI: label of point %lld is negative",
               (long long)i);
    if (a[i] >= ka) ka = a[i] + 1;
    if (b[i] >= kb) kb = b[i] + 1;
  }
  PE_FAIL_IF((int64_t)ka * kb > 100000000, PE_ERR_USAGE, "ARI: too many labels (%d x %d)", ka, kb);
  int64_t *table = calloc((size_t)ka * (size_t)kb, sizeof *table);
  int64_t *rows = calloc((size_t)ka, sizeof *rows), *cols = calloc((size_t)kb, sizeof *cols);
  if (!table || !rows || !cols) {
    free(table);
    free(rows);
    free(cols);
    return pe__fail(PE_ERR_NOMEM, "ARI: out of memory");
  }
  for (int64_t i = 0; i < n; i++) {
    table[(size_t)a[i] * kb + b[i]]++;
    rows[a[i]]++;
    cols[b[i]]++;
  }
  double index = 0, sum_a = 0, sum_b = 0;
  for (size_t c = 0; c < (size_t)ka * kb; c++) index += pairs((double)table[c]);
  for (int i = 0; i < ka; i++) sum_a += pairs((double)rows[i]);
  for (int j = 0; j < kb; j++) sum_b += pairs((double)cols[j]);
  const double expected = sum_a * sum_b / pairs((double)n);
  const double max_index = (sum_a + sum_b) / 2;
  *ari = max_index - expected != 0 ? (index - expected) / (max_index - expected) : 1.0;
  free(table);
  free(rows);
  free(cols);
  return PE_OK;
}
