/* Quantile scores, exactly as the pandas recipe
 *   pd.qcut(x.rank(method="first"), bins, labels=1..bins)
 * over the customers with frequency >= 1, in ascending customer id order.
 *
 * rank(method="first") orders by value, ties by position (= customer id), so
 * every customer has a distinct composite key (value, dense index). qcut over
 * the ranks 1..n only needs the rank thresholds K[j] (pe__rfm_qcut_rank_bounds);
 * the customers at those ranks are found by selection, not a full sort, and a
 * customer's bin is 1 + the number of thresholds its key exceeds. Integer
 * dimensions take a linear counting-sort path to the same ranks. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "rfm/radix_sort.h"
#include "rfm/rfm_internal.h"

typedef struct {
  uint64_t key;
  int64_t idx;
} item;

static inline int item_less(item a, item b) {
  return a.key < b.key || (a.key == b.key && a.idx < b.idx);
}

static inline void swap_items(item *a, item *b) {
  item t = *a;
  *a = *b;
  *b = t;
}

/* Order-preserving map of a double to uint64 (-0.0 equals 0.0, as in pandas). */
static inline uint64_t double_key(double v) {
  if (v == 0) v = 0; /* folds -0.0 */
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  return (u >> 63) ? ~u : u | 0x8000000000000000ull;
}

/* Rearranges a[lo, hi) so that a[t] holds the element of rank t (0-based) for
 * each target t in the ascending list `targets`. Keys are distinct, so the
 * result does not depend on how partitioning proceeds. */
static void select_many(item *a, int64_t lo, int64_t hi, const int64_t *targets, int nt) {
  while (nt > 0) {
    if (hi - lo <= 32) {
      for (int64_t i = lo + 1; i < hi; i++)
        for (int64_t j = i; j > lo && item_less(a[j], a[j - 1]); j--) swap_items(&a[j], &a[j - 1]);
      return;
    }
    int64_t mid = lo + (hi - lo) / 2;
    if (item_less(a[mid], a[lo])) swap_items(&a[mid], &a[lo]);
    if (item_less(a[hi - 1], a[lo])) swap_items(&a[hi - 1], &a[lo]);
    if (item_less(a[hi - 1], a[mid])) swap_items(&a[hi - 1], &a[mid]);
    item pivot = a[mid];
    swap_items(&a[mid], &a[hi - 1]);
    int64_t s = lo;
    for (int64_t i = lo; i < hi - 1; i++)
      if (item_less(a[i], pivot)) swap_items(&a[i], &a[s++]);
    swap_items(&a[s], &a[hi - 1]);
    int left = 0;
    while (left < nt && targets[left] < s) left++;
    if (left > 0) select_many(a, lo, s, targets, left);
    int skip = left < nt && targets[left] == s ? left + 1 : left;
    targets += skip;
    nt -= skip;
    lo = s + 1;
  }
}

void pe__rfm_qcut_rank_bounds(int64_t n, int bins, int64_t *K) {
  /* numpy.linspace(0, 1, bins+1): j * (1/bins), the last one exactly 1;
   * numpy.quantile(ranks, q) with method "linear": virtual index (n-1)*q,
   * then a lerp between ranks prev+1 and prev+2 that numpy computes as
   * a + (b-a)*g when g < 0.5 and b - (b-a)*(1-g) otherwise. pandas.cut then
   * puts rank r in the first bin whose right edge is >= r. */
  double step = 1.0 / bins;
  K[0] = 0;
  for (int j = 1; j <= bins; j++) {
    double q = j < bins ? (double)j * step : 1.0;
    double v = (double)(n - 1) * q, edge;
    if (v >= (double)(n - 1)) {
      edge = (double)n;
    } else {
      double prev = floor(v), g = v - prev, a = prev + 1, b = prev + 2;
      edge = g < 0.5 ? a + (b - a) * g : b - (b - a) * (1 - g);
    }
    int64_t k = (int64_t)floor(edge);
    if (k < 1) k = 1; /* rank 1 always lands in bin 1 (include_lowest) */
    if (k > n) k = n;
    K[j] = j == bins ? n : k;
  }
}

static uint64_t dim_key(const pe_rfm_result *res, int dim, int64_t i) {
  switch (dim) {
    case 0: return pe_radix_key_i64(res->recency_days[i]);
    case 1: return pe_radix_key_i64(res->frequency[i]);
    default: return double_key(res->monetary[i]);
  }
}

static double dim_value(const pe_rfm_result *res, int dim, int64_t i) {
  switch (dim) {
    case 0: return res->recency_days[i];
    case 1: return res->frequency[i];
    default: return res->monetary[i];
  }
}

/* The cut points of bin j (1-based ranks K[j-1] + 1 .. K[j], in ascending
 * (value, id) order): the values at its first and last rank, its count, all
 * stored under the bin's score (reversed for recency). Known from the ranks
 * alone: no pass over the customers' scores is needed. */
static void set_bounds(pe_rfm_result *res, int dim, const int64_t *K, int j, double lo, double hi) {
  const int bins = res->summary.bins, score = dim == 0 ? bins + 1 - j : j;
  res->bound[dim][score][0] = lo;
  res->bound[dim][score][1] = hi;
  res->bound_count[dim][score] = K[j] - K[j - 1];
}

/* The bin of 1-based rank r: 1 + the number of thresholds K[1..bins-1] below r. */
static inline int bin_of_rank(int64_t r, const int64_t *K, int bins) {
  int bin = 1;
  while (bin < bins && K[bin] < r) bin++;
  return bin;
}

/* Integer dimensions (recency days, frequency) span few distinct values, so
 * rank(method="first") is a counting sort: a customer's rank is the number
 * of smaller values, plus the customers with the same value and a smaller id,
 * plus one. Linear, no comparisons. Returns -1 when the value range is too
 * wide for a count table (then selection is used). */
static int score_by_counting(pe_rfm_result *res, int dim, const int32_t *v, const int64_t *K,
                             uint8_t *out) {
  const int bins = res->summary.bins, reversed = dim == 0;
  int64_t lo = INT64_MAX, hi = INT64_MIN, n = res->summary.customers_scored;
  for (int64_t i = 0; i < res->count; i++)
    if (res->has_purchase[i]) {
      if (v[i] < lo) lo = v[i];
      if (v[i] > hi) hi = v[i];
    }
  int64_t range = hi - lo + 1;
  if (range > 4 * n + 1024) return -1;
  int64_t *next_rank = calloc((size_t)range, sizeof *next_rank);
  if (!next_rank) return -1;
  for (int64_t i = 0; i < res->count; i++)
    if (res->has_purchase[i]) next_rank[v[i] - lo]++;
  /* Each non-empty bin's first and last rank, ascending, and the values
   * there: the value at rank r is the first whose customers reach r. */
  int64_t want[2 * PE_RFM_MAX_BINS];
  int nw = 0;
  for (int j = 1; j <= bins; j++)
    if (K[j] > K[j - 1]) {
      want[nw++] = K[j - 1] + 1;
      want[nw++] = K[j];
    }
  double at[2 * PE_RFM_MAX_BINS];
  int64_t below = 0;
  for (int64_t k = 0, w = 0; k < range; k++) {
    int64_t c = next_rank[k];
    for (; w < nw && want[w] <= below + c; w++) at[w] = (double)(k + lo);
    next_rank[k] = below + 1;
    below += c;
  }
  for (int j = 1, w = 0; j <= bins; j++)
    if (K[j] > K[j - 1]) {
      set_bounds(res, dim, K, j, at[w], at[w + 1]);
      w += 2;
    }
  for (int64_t i = 0; i < res->count; i++) {
    if (!res->has_purchase[i]) continue;
    int bin = bin_of_rank(next_rank[v[i] - lo]++, K, bins);
    out[i] = (uint8_t)(reversed ? bins + 1 - bin : bin);
  }
  free(next_rank);
  return 0;
}

/* Bits of the key that narrow a selection down before it starts. */
#define NARROW_BITS 16
#define NARROW_BUCKETS (1 << NARROW_BITS)

/* Finds the items of the distinct ascending 0-based ranks targets[0..nt)
 * among the scored customers of `dim`. A parallel histogram of the keys'
 * top NARROW_BITS bits above the smallest key (so that keys in a narrow
 * range, or integer keys that share their high bits, still spread) tells
 * which buckets hold the targets; only those buckets' items are gathered
 * and selected from, at ranks shifted by the items of the buckets skipped
 * below them (whole buckets sit below or above each other in the (key, id)
 * order). At millions of customers that is a few per cent of
 * them, where a selection over all of them ran on one thread (100.9M rows:
 * 0.19 s for money). Returns PE_ERR_NOMEM without a message: it may run on
 * a worker thread. */
static pe_status select_ranks(const pe_rfm_result *res, int dim, const int64_t *targets, int nt,
                              item *found) {
  const int64_t count = res->count;
  const int threads = omp_get_max_threads();
  int64_t *hist = calloc((size_t)threads * NARROW_BUCKETS, sizeof *hist);
  uint8_t *wanted = calloc(NARROW_BUCKETS, 1);
  int64_t *gathered_by = calloc((size_t)threads + 1, sizeof *gathered_by);
  if (!hist || !wanted || !gathered_by) {
    free(hist), free(wanted), free(gathered_by);
    return PE_ERR_NOMEM;
  }
  uint64_t low = UINT64_MAX, high = 0;
#pragma omp parallel for schedule(static) reduction(min : low) reduction(max : high)
  for (int64_t i = 0; i < count; i++)
    if (res->has_purchase[i]) {
      const uint64_t key = dim_key(res, dim, i);
      low = key < low ? key : low;
      high = key > high ? key : high;
    }
  const int span = high > low ? 64 - __builtin_clzll(high - low) : 0;
  const int shift = span > NARROW_BITS ? span - NARROW_BITS : 0;
#define BUCKET_OF(key) ((size_t)(((key)-low) >> shift))
  int team = 1;
#pragma omp parallel
  {
#pragma omp single
    team = omp_get_num_threads();
    int64_t *h = hist + (size_t)omp_get_thread_num() * NARROW_BUCKETS;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < count; i++)
      if (res->has_purchase[i]) h[BUCKET_OF(dim_key(res, dim, i))]++;
  }
  for (int t = 1; t < team; t++)
    for (int b = 0; b < NARROW_BUCKETS; b++) hist[b] += hist[(size_t)t * NARROW_BUCKETS + b];
  int64_t shifted[2 * PE_RFM_MAX_BINS], below = 0, skipped = 0, gathered = 0;
  for (int b = 0, ti = 0; b < NARROW_BUCKETS; b++) {
    const int64_t c = hist[b];
    for (; ti < nt && targets[ti] < below + c; ti++) {
      wanted[b] = 1;
      shifted[ti] = targets[ti] - skipped;
    }
    if (wanted[b])
      gathered += c;
    else
      skipped += c;
    below += c;
  }
  free(hist);
  item *items = malloc((size_t)(gathered ? gathered : 1) * sizeof *items);
  if (!items) {
    free(wanted), free(gathered_by);
    return PE_ERR_NOMEM;
  }
  /* Each thread's share of the customers in order (the selection does not
   * care about the order; this keeps the gathering parallel). */
#pragma omp parallel num_threads(team)
  {
    const int t = omp_get_thread_num(), nt_team = omp_get_num_threads();
    const int64_t lo = count * t / nt_team, hi = count * (t + 1) / nt_team;
    int64_t mine = 0;
    for (int64_t i = lo; i < hi; i++)
      mine += res->has_purchase[i] && wanted[BUCKET_OF(dim_key(res, dim, i))];
    gathered_by[t + 1] = mine;
#pragma omp barrier
#pragma omp single
    for (int u = 0; u < nt_team; u++) gathered_by[u + 1] += gathered_by[u];
    int64_t at = gathered_by[t];
    for (int64_t i = lo; i < hi; i++) {
      if (!res->has_purchase[i]) continue;
      const uint64_t key = dim_key(res, dim, i);
      if (wanted[BUCKET_OF(key)]) items[at++] = (item){key, i};
    }
  }
#undef BUCKET_OF
  free(wanted), free(gathered_by);
  select_many(items, 0, gathered, shifted, nt);
  for (int ti = 0; ti < nt; ti++) found[ti] = items[shifted[ti]];
  free(items);
  return PE_OK;
}

/* Any dimension: the customers at the threshold ranks are found by
 * selection over (value, id) keys, then each customer's bin is the number of
 * threshold keys below its own. */
static pe_status score_by_selection(pe_rfm_result *res, int dim, const int64_t *K, uint8_t *out) {
  const int bins = res->summary.bins;
  int64_t targets[2 * PE_RFM_MAX_BINS] = {0};
  /* Distinct 0-based positions of the first and last rank of every
   * non-empty bin: the last ones of bins 1..bins-1 are the thresholds, and
   * all of them give the cut points. */
  int nt = 0;
  for (int j = 1; j <= bins; j++) {
    if (K[j] == K[j - 1]) continue;
    if (nt == 0 || targets[nt - 1] != K[j - 1]) targets[nt++] = K[j - 1];
    if (targets[nt - 1] != K[j] - 1) targets[nt++] = K[j] - 1;
  }
  item found[2 * PE_RFM_MAX_BINS], thr[PE_RFM_MAX_BINS];
  pe_status st = select_ranks(res, dim, targets, nt, found);
  if (st != PE_OK) return st;
    /* The item at 0-based position t. */
#define FOUND_AT(t, ti)                \
  do {                                 \
    while (targets[ti] != (t)) (ti)++; \
  } while (0)
  for (int j = 1, ti = 0; j <= bins; j++) {
    if (K[j] == K[j - 1]) continue;
    FOUND_AT(K[j - 1], ti);
    const double lo = dim_value(res, dim, found[ti].idx);
    FOUND_AT(K[j] - 1, ti);
    set_bounds(res, dim, K, j, lo, dim_value(res, dim, found[ti].idx));
  }
  for (int j = 1, ti = 0; j < bins; j++) {
    FOUND_AT(K[j] - 1, ti);
    thr[j - 1] = found[ti];
  }
#undef FOUND_AT
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < res->count; i++) {
    if (!res->has_purchase[i]) continue;
    item me = {dim_key(res, dim, i), i};
    int bin = 1;
    for (int j = 0; j < bins - 1; j++) bin += item_less(thr[j], me);
    /* Recency is reversed: the most recent customers get the top score. */
    out[i] = (uint8_t)(dim == 0 ? bins + 1 - bin : bin);
  }
  return PE_OK;
}

pe_status pe__rfm_score(pe_rfm_result *res) {
  const int bins = res->summary.bins;
  int64_t n = 0;
  for (int64_t i = 0; i < res->count; i++) n += res->has_purchase[i];
  res->summary.customers_scored = n;
  for (int d = 0; d < 3; d++)
    for (int s = 0; s <= bins; s++) {
      res->bound[d][s][0] = res->bound[d][s][1] = 0;
      res->bound_count[d][s] = 0;
    }
  if (n == 0) return PE_OK;
  int64_t K[PE_RFM_MAX_BINS + 1];
  pe__rfm_qcut_rank_bounds(n, bins, K);
  uint8_t *score_of[3] = {res->r, res->f, res->m};
  const int32_t *int_values[2] = {res->recency_days, res->frequency};
  /* Money first: its selection and scoring are parallel loops of their
   * own. Then the counting sorts of recency and frequency, which run
   * through the customers in order, side by side (a dimension with too wide
   * a range falls back to selection, then on its thread alone unless the
   * caller enabled nested parallelism). Each dimension writes only its own
   * scores and bounds. */
  int failed = score_by_selection(res, 2, K, score_of[2]) != PE_OK;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : failed)
  for (int dim = 0; dim < 2; dim++)
    if (score_by_counting(res, dim, int_values[dim], K, score_of[dim]) != 0)
      failed |= score_by_selection(res, dim, K, score_of[dim]) != PE_OK;
  PE_FAIL_IF(failed, PE_ERR_NOMEM, "out of memory scoring %lld customers", (long long)n);
  return PE_OK;
}
