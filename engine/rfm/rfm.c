/* RFM: the public entry point that runs aggregate -> score -> segment, and
 * the result's accessors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/civil_time.h"
#include "core/clock.h"
#include "core/error.h"
#include "rfm/rfm_internal.h"

/* Customers per block when summing segment totals: fixed, so the sums (and
 * their rounding) do not depend on the thread count. */
#define STATS_BLOCK 65536

void pe_rfm_params_init(pe_rfm_params *params) {
  memset(params, 0, sizeof *params);
  params->as_of = PE_RFM_AS_OF_AUTO;
  params->bins = 5;
  params->chunk_rows = 0;
  params->include_sessions = 1;
}

pe_status pe_rfm_parse_date(const char *text, int64_t *unix_seconds) {
  PE_FAIL_IF(pe_parse_iso_date(text, unix_seconds) != 0, PE_ERR_USAGE,
             "'%s' is not a date YYYY-MM-DD", text);
  return PE_OK;
}

/* The result's columns start at zero (customers without a purchase keep
 * some at 0). They come from the heap, which reuses memory earlier steps
 * freed, so calloc would clear them with one thread's memset (66 MB at 1M
 * customers, 0.6 GB at 9.5M): both threads clear them instead, in 1 MiB
 * pieces. */
#define ZERO_PIECE ((size_t)1 << 20)
static void clear_columns(void *const *cols, const size_t *bytes, int ncols) {
  int64_t pieces = 0;
  for (int c = 0; c < ncols; c++) pieces += (int64_t)((bytes[c] + ZERO_PIECE - 1) / ZERO_PIECE);
#pragma omp parallel for schedule(dynamic, 4)
  for (int64_t k = 0; k < pieces; k++) {
    int64_t left = k;
    int c = 0;
    for (;; c++) {
      const int64_t n = (int64_t)((bytes[c] + ZERO_PIECE - 1) / ZERO_PIECE);
      if (left < n) break;
      left -= n;
    }
    const size_t at = (size_t)left * ZERO_PIECE;
    const size_t len = bytes[c] - at < ZERO_PIECE ? bytes[c] - at : ZERO_PIECE;
    memset((char *)cols[c] + at, 0, len);
  }
}

pe_status pe__rfm_result_alloc(pe_rfm_result *res, int64_t count) {
  size_t n = (size_t)(count ? count : 1);
  res->count = count;
  res->customer_id = malloc(n * sizeof *res->customer_id);
  res->has_purchase = malloc(n);
  res->recency_days = malloc(n * sizeof(int32_t));
  res->frequency = malloc(n * sizeof(int32_t));
  res->tenure_days = malloc(n * sizeof(int32_t));
  res->orders_returned = malloc(n * sizeof(int32_t));
  res->monetary = malloc(n * sizeof(double));
  res->aov = malloc(n * sizeof(double));
  res->first_purchase = malloc(n * sizeof(int64_t));
  res->last_purchase = malloc(n * sizeof(int64_t));
  res->r = malloc(n);
  res->f = malloc(n);
  res->m = malloc(n);
  res->rfm_code = malloc(n * sizeof(int32_t));
  res->segment = malloc(n * sizeof(int16_t));
  PE_FAIL_IF(!res->customer_id || !res->has_purchase || !res->recency_days || !res->frequency ||
                 !res->tenure_days || !res->orders_returned || !res->monetary || !res->aov ||
                 !res->first_purchase || !res->last_purchase || !res->r || !res->f || !res->m ||
                 !res->rfm_code || !res->segment,
             PE_ERR_NOMEM, "out of memory for %lld customers' RFM values", (long long)count);
  void *const cols[] = {res->customer_id,
                        res->has_purchase,
                        res->recency_days,
                        res->frequency,
                        res->tenure_days,
                        res->orders_returned,
                        res->monetary,
                        res->aov,
                        res->first_purchase,
                        res->last_purchase,
                        res->r,
                        res->f,
                        res->m,
                        res->rfm_code,
                        res->segment};
  const size_t bytes[] = {n * sizeof(int64_t),
                          n,
                          n * sizeof(int32_t),
                          n * sizeof(int32_t),
                          n * sizeof(int32_t),
                          n * sizeof(int32_t),
                          n * sizeof(double),
                          n * sizeof(double),
                          n * sizeof(int64_t),
                          n * sizeof(int64_t),
                          n,
                          n,
                          n,
                          n * sizeof(int32_t),
                          n * sizeof(int16_t)};
  _Static_assert(sizeof cols / sizeof cols[0] == sizeof bytes / sizeof bytes[0],
                 "a size per column");
  clear_columns(cols, bytes, (int)(sizeof cols / sizeof cols[0]));
  return PE_OK;
}

void pe_rfm_result_free(pe_rfm_result *res) {
  if (!res) return;
  free(res->customer_id);
  free(res->has_purchase);
  free(res->recency_days);
  free(res->frequency);
  free(res->tenure_days);
  free(res->orders_returned);
  free(res->monetary);
  free(res->aov);
  free(res->first_purchase);
  free(res->last_purchase);
  free(res->r);
  free(res->f);
  free(res->m);
  free(res->rfm_code);
  free(res->segment);
  free(res->seg);
  pe_rfm_segment_map_free(res->map);
  free(res);
}

/* Sums per segment over fixed blocks of customers, combined in block order. */
typedef struct {
  double customers, revenue, r, f, m, recency, recency_n, frequency, monetary;
} seg_sums;

static pe_status assign_segments(pe_rfm_result *res) {
  const int bins = res->summary.bins, nseg = pe_rfm_segment_map_count(res->map);
  const int64_t n = res->count, blocks = (n + STATS_BLOCK - 1) / STATS_BLOCK;
  seg_sums *part = calloc((size_t)(blocks ? blocks : 1) * (size_t)nseg, sizeof *part);
  res->seg = calloc((size_t)nseg, sizeof *res->seg);
  if (!part || !res->seg) {
    free(part);
    return pe__fail(PE_ERR_NOMEM, "out of memory summing segments");
  }
  res->nseg = nseg;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < blocks; b++) {
    seg_sums *acc = part + b * nseg;
    int64_t end = (b + 1) * STATS_BLOCK < n ? (b + 1) * STATS_BLOCK : n;
    for (int64_t i = b * STATS_BLOCK; i < end; i++) {
      int code = 0;
      if (res->has_purchase[i]) {
        code = pe_rfm_segment_map_lookup(res->map, pe_rfm_rescale_to_5(res->r[i], bins),
                                         pe_rfm_rescale_to_5(res->f[i], bins),
                                         pe_rfm_rescale_to_5(res->m[i], bins));
        res->rfm_code[i] = bins <= 9 ? res->r[i] * 100 + res->f[i] * 10 + res->m[i]
                                     : res->r[i] * 10000 + res->f[i] * 100 + res->m[i];
      }
      res->segment[i] = (int16_t)code;
      seg_sums *s = &acc[code];
      s->customers += 1;
      s->revenue += res->monetary[i];
      s->r += res->r[i];
      s->f += res->f[i];
      s->m += res->m[i];
      /* -1 marks "no positive row"; it must not pull the mean down. */
      if (res->recency_days[i] >= 0) {
        s->recency += res->recency_days[i];
        s->recency_n += 1;
      }
      s->frequency += res->frequency[i];
      s->monetary += res->monetary[i];
    }
  }
  double total_revenue = 0;
  for (int c = 0; c < nseg; c++) {
    seg_sums t = {0};
    for (int64_t b = 0; b < blocks; b++) {
      const seg_sums *s = &part[b * nseg + c];
      t.customers += s->customers;
      t.revenue += s->revenue;
      t.r += s->r;
      t.f += s->f;
      t.m += s->m;
      t.recency += s->recency;
      t.recency_n += s->recency_n;
      t.frequency += s->frequency;
      t.monetary += s->monetary;
    }
    pe_rfm_segment_stats *o = &res->seg[c];
    o->name = pe_rfm_segment_map_name(res->map, c);
    o->customers = (int64_t)t.customers;
    o->revenue = t.revenue;
    double k = t.customers > 0 ? t.customers : 1;
    o->mean_r = t.r / k;
    o->mean_f = t.f / k;
    o->mean_m = t.m / k;
    o->mean_recency_days = t.recency_n > 0 ? t.recency / t.recency_n : 0.0;
    o->mean_frequency = t.frequency / k;
    o->mean_monetary = t.monetary / k;
    total_revenue += t.revenue;
  }
  res->summary.revenue = total_revenue;
  free(part);
  return PE_OK;
}

/* The result with its bins and segment map, before any customer is known;
 * NULL params are the defaults. */
static pe_status new_result(const pe_rfm_params *params, pe_rfm_result **out) {
  *out = NULL;
  pe_rfm_params defaults;
  if (!params) {
    pe_rfm_params_init(&defaults);
    params = &defaults;
  }
  PE_FAIL_IF(params->bins < 2 || params->bins > PE_RFM_MAX_BINS, PE_ERR_USAGE,
             "bins must be in [2, %d], got %d", PE_RFM_MAX_BINS, params->bins);
  pe_rfm_result *res = calloc(1, sizeof *res);
  PE_FAIL_IF(!res, PE_ERR_NOMEM, "out of memory");
  res->summary.bins = params->bins;
  pe_status st = params->segments ? pe__rfm_segment_map_clone(params->segments, &res->map)
                                  : pe_rfm_segment_map_default(&res->map);
  if (st != PE_OK) {
    pe_rfm_result_free(res);
    return st;
  }
  *out = res;
  return PE_OK;
}

/* Scores, segments and hands over `res` (freed on failure). */
static pe_status finish(pe_rfm_result *res, pe_status st, pe_rfm_result **out) {
  const double t = pe_now();
  if (st == PE_OK) st = pe__rfm_score(res);
  if (st == PE_OK) st = assign_segments(res);
  res->seconds.score = pe_now() - t;
  if (st == PE_OK) res->summary.customers = res->count;
  if (st != PE_OK) {
    pe_rfm_result_free(res);
    return st;
  }
  *out = res;
  return PE_OK;
}

pe_status pe_rfm_compute(const char *input, const pe_rfm_params *params, pe_rfm_result **out) {
  *out = NULL;
  pe_rfm_params defaults;
  if (!params) {
    pe_rfm_params_init(&defaults);
    params = &defaults;
  }
  pe_rfm_result *res;
  PE_FORWARD(new_result(params, &res));
  return finish(res, pe__rfm_aggregate(input, params, res), out);
}

/* The per-customer columns from the aggregates (as the RFM pass's own
 * finish_customers derives them). */
static void fill_from_aggregates(const pe_rfm_aggregates *agg, pe_rfm_result *res) {
  res->summary.as_of = agg->as_of;
  memcpy(res->customer_id, agg->customer_id, (size_t)agg->count * sizeof *res->customer_id);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < agg->count; i++)
    pe__rfm_fill_customer(res, i, agg->frequency[i], agg->orders_returned[i], agg->monetary[i],
                          agg->first_purchase[i], agg->last_purchase[i]);
  pe_rfm_summary *s = &res->summary;
  s->rows = agg->rows;
  s->rows_future = agg->rows_future;
  s->orders = agg->orders;
  s->customers_from_sessions_only = agg->customers_from_sessions_only;
  s->first_timestamp = agg->first_timestamp;
  s->last_timestamp = agg->last_timestamp;
}

pe_status pe_rfm_compute_from_aggregates(const pe_rfm_aggregates *agg, const pe_rfm_params *params,
                                         pe_rfm_result **out) {
  PE_FAIL_IF(!out || !agg || agg->count < 0, PE_ERR_USAGE, "rfm: no aggregates given");
  *out = NULL;
  PE_FAIL_IF(agg->rows == 0, PE_ERR_DATA, "%s: /transactions is empty (0 rows); nothing to score",
             agg->input ? agg->input : "input");
  pe_rfm_result *res;
  PE_FORWARD(new_result(params, &res));
  const double t = pe_now();
  pe_status st = pe__rfm_result_alloc(res, agg->count);
  if (st == PE_OK) fill_from_aggregates(agg, res);
  res->seconds.fill = pe_now() - t;
  return finish(res, st, out);
}

void pe_rfm_result_summary(const pe_rfm_result *res, pe_rfm_summary *summary) {
  *summary = res->summary;
}

void pe_rfm_result_seconds(const pe_rfm_result *res, pe_rfm_seconds *seconds) {
  *seconds = res->seconds;
}

void pe_rfm_result_columns(const pe_rfm_result *res, pe_rfm_columns *c) {
  c->count = res->count;
  c->customer_id = res->customer_id;
  c->has_purchase = res->has_purchase;
  c->recency_days = res->recency_days;
  c->frequency = res->frequency;
  c->tenure_days = res->tenure_days;
  c->orders_returned = res->orders_returned;
  c->monetary = res->monetary;
  c->aov = res->aov;
  c->first_purchase = res->first_purchase;
  c->last_purchase = res->last_purchase;
  c->r = res->r;
  c->f = res->f;
  c->m = res->m;
  c->rfm_code = res->rfm_code;
  c->segment = res->segment;
}

int pe_rfm_result_segment_count(const pe_rfm_result *res) {
  return res->nseg;
}

void pe_rfm_result_segment(const pe_rfm_result *res, int code, pe_rfm_segment_stats *stats) {
  if (code < 0 || code >= res->nseg) {
    memset(stats, 0, sizeof *stats);
    stats->name = "";
    return;
  }
  *stats = res->seg[code];
}

void pe_rfm_result_bounds(const pe_rfm_result *res, int dim, int score, double *lo, double *hi,
                          int64_t *count) {
  if (dim < 0 || dim > 2 || score < 1 || score > res->summary.bins) {
    *lo = *hi = 0;
    *count = 0;
    return;
  }
  *lo = res->bound[dim][score][0];
  *hi = res->bound[dim][score][1];
  *count = res->bound_count[dim][score];
}

const pe_rfm_segment_map *pe_rfm_result_segment_map(const pe_rfm_result *res) {
  return res->map;
}
