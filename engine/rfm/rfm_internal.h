/* What the RFM steps share: the result they fill in turn (aggregate ->
 * score -> segment) and the functions that do each step. */
#ifndef PE_RFM_INTERNAL_H
#define PE_RFM_INTERNAL_H

#include <stdint.h>

#include "personae/rfm.h"

#define PE_RFM_MAX_BINS 100

struct pe_rfm_result {
  pe_rfm_summary summary;
  int64_t count;
  int64_t *customer_id;
  uint8_t *has_purchase;
  int32_t *recency_days, *frequency, *tenure_days, *orders_returned;
  double *monetary, *aov;
  int64_t *first_purchase, *last_purchase;
  uint8_t *r, *f, *m;
  int32_t *rfm_code;
  int16_t *segment;
  pe_rfm_segment_map *map;
  int nseg;
  pe_rfm_segment_stats *seg;
  /* bound[dim][score] = {lo, hi}; bound_count[dim][score]; score 1..bins */
  double bound[3][PE_RFM_MAX_BINS + 1][2];
  int64_t bound_count[3][PE_RFM_MAX_BINS + 1];
  pe_rfm_seconds seconds;
};

/* Customer d's raw RFM columns from its aggregates (first/last: earliest and
 * latest positive row, last == INT64_MIN when there is none), against
 * res->summary.as_of. The one derivation behind pe_rfm_compute's own pass
 * and pe_rfm_compute_from_aggregates. */
static inline void pe__rfm_fill_customer(pe_rfm_result *res, int64_t d, int32_t frequency,
                                         int32_t returned, double monetary, int64_t first,
                                         int64_t last) {
  const int64_t as_of = res->summary.as_of, day = 86400;
  const int bought = last != INT64_MIN;
  res->frequency[d] = frequency;
  res->orders_returned[d] = returned;
  res->has_purchase[d] = frequency > 0;
  res->monetary[d] = monetary;
  res->aov[d] = frequency > 0 ? monetary / frequency : 0.0;
  res->first_purchase[d] = bought ? first : -1;
  res->last_purchase[d] = bought ? last : -1;
  res->recency_days[d] = bought ? (int32_t)((as_of - last) / day) : -1;
  res->tenure_days[d] = bought ? (int32_t)((as_of - first) / day) : -1;
}

/* Allocates the per-customer arrays for `count` customers (zeroed). */
pe_status pe__rfm_result_alloc(pe_rfm_result *res, int64_t count);

/* Step 1: the streaming group-by. Fills customer_id, the raw values,
 * has_purchase and the summary's counts and as_of. */
pe_status pe__rfm_aggregate(const char *input, const pe_rfm_params *params, pe_rfm_result *res);

/* Step 2: quantile scores r, f, m for customers with has_purchase, and the
 * per-score bounds. */
pe_status pe__rfm_score(pe_rfm_result *res);

/* The 1-based rank thresholds of pandas' qcut over ranks 1..n into `bins`
 * bins: bin j holds ranks (K[j-1], K[j]], K[0] = 0, K[bins] = n. Written to
 * K[0..bins]. Reproduces numpy's linspace + linear quantile in floating point
 * so the result is exactly pandas' `qcut(x.rank(method="first"), bins)`. */
void pe__rfm_qcut_rank_bounds(int64_t n, int bins, int64_t *K);

pe_status pe__rfm_segment_map_clone(const pe_rfm_segment_map *map, pe_rfm_segment_map **out);

#endif
