/* Order statistics by selection: O(n) expected, no full sort, and a pure
 * function of the input array (fixed pivot rule, no randomness), so the
 * scaling is reproducible. */
#include <math.h>

#include "features/features_internal.h"

static inline void swap(double *a, double *b) {
  double t = *a;
  *a = *b;
  *b = t;
}

double pe__feat_select(double *a, int64_t n, int64_t k) {
  int64_t lo = 0, hi = n - 1;
  while (hi > lo) {
    /* Median of three as pivot, then a three-way partition so that runs of
     * equal values (common: most customers share a fill-in) cost one pass. */
    int64_t mid = lo + (hi - lo) / 2;
    if (a[mid] < a[lo]) swap(&a[mid], &a[lo]);
    if (a[hi] < a[lo]) swap(&a[hi], &a[lo]);
    if (a[hi] < a[mid]) swap(&a[hi], &a[mid]);
    double pivot = a[mid];
    int64_t lt = lo, i = lo, gt = hi;
    while (i <= gt) {
      if (a[i] < pivot)
        swap(&a[lt++], &a[i++]);
      else if (a[i] > pivot)
        swap(&a[i], &a[gt--]);
      else
        i++;
    }
    if (k < lt)
      hi = lt - 1;
    else if (k > gt)
      lo = gt + 1;
    else
      return pivot;
  }
  return a[k];
}

/* numpy's type 7 position of quantile q among n values: order statistic k
 * and the fraction of the way to order statistic k + 1. */
static int64_t rank_of(int64_t n, double q, double *frac) {
  const double h = (double)(n - 1) * q;
  int64_t k = (int64_t)floor(h);
  if (k > n - 1) k = n - 1;
  *frac = h - (double)k;
  return k;
}

/* Between order statistic k (`lo`) and the next (`next`, read only when it
 * exists and is needed). */
static double interpolate(double lo, const double *next, int64_t k, int64_t n, double frac) {
  return frac == 0 || k >= n - 1 ? lo : lo + frac * (*next - lo);
}

/* The order statistic k and the next one, k + 1 (< n), of a[0..n). */
static double linear_between(double *a, int64_t n, int64_t k, double frac) {
  double lo = pe__feat_select(a, n, k);
  if (frac == 0 || k >= n - 1) return lo;
  /* After selecting k, everything right of k is >= a[k]: the next order
   * statistic is their minimum. */
  double next = a[k + 1];
  for (int64_t i = k + 2; i < n; i++)
    if (a[i] < next) next = a[i];
  return interpolate(lo, &next, k, n, frac);
}

/* Below this many values, sorting them is faster than selecting (most
 * customers' times to purchase are a handful). */
#define SORT_BELOW 24

void pe__feat_quantiles(double *a, int64_t n, const double *q, int m, double *out) {
  if (n <= SORT_BELOW) {
    for (int64_t i = 1; i < n; i++) {
      const double v = a[i];
      int64_t j = i;
      for (; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
      a[j] = v;
    }
    for (int i = 0; i < m; i++) {
      double frac;
      const int64_t k = rank_of(n, q[i], &frac);
      out[i] = interpolate(a[k], a + k + 1, k, n, frac);
    }
    return;
  }
  int64_t base = 0;
  for (int i = 0; i < m; i++) {
    double frac;
    const int64_t k = rank_of(n, q[i], &frac);
    if (k < base) base = 0; /* q not ascending: still correct, only slower */
    /* Everything left of base is <= a[base] and right of it >= a[base], so
     * order statistic k >= base lies in a[base..n). */
    out[i] = linear_between(a + base, n - base, k - base, frac);
    base = k;
  }
}

double pe__feat_quantile(double *a, int64_t n, double q) {
  double v;
  pe__feat_quantiles(a, n, &q, 1, &v);
  return v;
}
