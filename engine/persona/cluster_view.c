/* The clustering view of the scaled features (docs/personas.md, "What
 * k-means sees").
 *
 * Two changes to the scaled matrix, both measured on planted data, where
 * they raise the adjusted Rand index of k-means from about 0.55 to about 0.75:
 *
 * 1. A value that is undefined for a customer (a share of orders for someone
 *    who never ordered, pages per session for someone without sessions) is
 *    stored as a documented fill-in, which puts all those customers on one
 *    spot of that axis; k-means then spends clusters on "has sessions or not"
 *    instead of on behaviour. Here such values become the median of the
 *    customers who have one, i.e. neutral. Counts whose zero is a real value
 *    (orders, revenue, sessions, cart adds) keep it.
 * 2. Every column is standardised to unit variance, so that shares with a
 *    narrow interquartile range (robust scale ~0) do not dominate distances.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "persona/persona_internal.h"

/* Features whose zero is a true value for every customer. */
static int zero_is_real(pe_feature f) {
  return f == PE_FEAT_FREQUENCY || f == PE_FEAT_MONETARY || f == PE_FEAT_SESSIONS ||
         f == PE_FEAT_CART_ADDS;
}

/* The k-th smallest of a[0..n-1] (Hoare's selection, median-of-three pivot;
 * reorders a). Linear on average, which matters at millions of customers. */
static float select_kth(float *a, int64_t n, int64_t k) {
  int64_t lo = 0, hi = n - 1;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    float x = a[lo], y = a[mid], z = a[hi];
    const float pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    int64_t i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const float t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (k <= j)
      hi = j;
    else if (k >= i)
      lo = i;
    else
      return a[k];
  }
  return a[k];
}

/* Customers looked at for a column's median: evenly spaced, at most this
 * many. The fill value only needs to be neutral, and a median of 65,536
 * values is within a fraction of a percentile of the full one. */
enum { MEDIAN_SAMPLE = 65536 };

/* The median of the column's defined values (lower median; 0 if none). */
static float defined_median(const float *x, const uint8_t *has, int64_t n, int d, int j,
                            float *scratch) {
  const int64_t step = n > MEDIAN_SAMPLE ? (n + MEDIAN_SAMPLE - 1) / MEDIAN_SAMPLE : 1;
  int64_t m = 0;
  for (int64_t i = 0; i < n; i += step)
    if (has[i * d + j]) scratch[m++] = x[i * d + j];
  if (m == 0) return 0.0f;
  return select_kth(scratch, m, (m - 1) / 2);
}

/* Rows per block of the statistics pass; partial sums are combined in block
 * order, so the view does not depend on the thread count. */
enum { VIEW_BLOCK = 16384, MAX_COLUMNS = 64 };

pe_status pe_persona_cluster_view(const float *scaled, const uint8_t *has_value,
                                  const pe_feature *columns, int64_t n, int d, float **out) {
  PE_FAIL_IF(!out, PE_ERR_USAGE, "cluster view: no output given");
  *out = NULL;
  PE_FAIL_IF(!scaled || !columns || n < 1 || d < 1, PE_ERR_USAGE,
             "cluster view: no features given");
  PE_FAIL_IF(d > MAX_COLUMNS, PE_ERR_USAGE, "cluster view: at most %d columns", MAX_COLUMNS);
  const int64_t nblocks = (n + VIEW_BLOCK - 1) / VIEW_BLOCK;
  float *v = malloc((size_t)n * (size_t)d * sizeof *v);
  float *scratch = malloc(MEDIAN_SAMPLE * sizeof *scratch);
  double *partial = calloc((size_t)nblocks * (size_t)d * 2, sizeof *partial);
  if (!v || !scratch || !partial) {
    free(v);
    free(scratch);
    free(partial);
    return pe__fail(PE_ERR_NOMEM, "cluster view: out of memory for %lld x %d values", (long long)n,
                    d);
  }
  float fill[MAX_COLUMNS];
  int refill[MAX_COLUMNS];
  for (int j = 0; j < d; j++) {
    refill[j] = has_value && !zero_is_real(columns[j]);
    fill[j] = refill[j] ? defined_median(scaled, has_value, n, d, j, scratch) : 0.0f;
  }
  /* Pass 1: fill, and per-block sums of x and x^2 (shifted by the fill value
   * to keep the squares small). */
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < nblocks; b++) {
    const int64_t end = (b + 1) * VIEW_BLOCK < n ? (b + 1) * VIEW_BLOCK : n;
    double *s = partial + (size_t)b * d * 2;
    for (int64_t i = b * VIEW_BLOCK; i < end; i++)
      for (int j = 0; j < d; j++) {
        float x = scaled[i * d + j];
        if (refill[j] && !has_value[i * d + j]) x = fill[j];
        v[i * d + j] = x;
        const double c = (double)x - fill[j];
        s[j] += c;
        s[d + j] += c * c;
      }
  }
  double mean[MAX_COLUMNS], inv[MAX_COLUMNS];
  for (int j = 0; j < d; j++) {
    double sum = 0, sum2 = 0;
    for (int64_t b = 0; b < nblocks; b++) {
      sum += partial[(size_t)b * d * 2 + j];
      sum2 += partial[(size_t)b * d * 2 + d + j];
    }
    const double m = sum / (double)n, var = sum2 / (double)n - m * m;
    mean[j] = m + fill[j];
    inv[j] = var > 1e-12 ? 1.0 / sqrt(var) : 0.0;
  }
  /* Pass 2: standardise. */
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++)
    for (int j = 0; j < d; j++) v[i * d + j] = (float)((v[i * d + j] - mean[j]) * inv[j]);
  free(scratch);
  free(partial);
  *out = v;
  return PE_OK;
}
