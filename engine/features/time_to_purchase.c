/* The time from a session's start to a purchase inside it, summarised per
 * customer as the median over the customer's matched purchases. The median
 * rather than the mean: one purchase made at the end of a long browsing
 * session should not make an impulse buyer look deliberate. */
#include <stdlib.h>

#include "core/error.h"
#include "features/features_internal.h"

static int medians_of_partition(pe__feat_partition *ps) {
  if (!ps->purchase_off) return 0; /* no sessions to match: none matched */
  int64_t most = 0;
  for (int64_t s = 0; s < ps->tx_slots; s++)
    if (ps->cust[s].purchases > most) most = ps->cust[s].purchases;
  double *t = malloc((size_t)(most ? most : 1) * sizeof *t);
  if (!t) return -1;
  for (int64_t s = 0; s < ps->tx_slots; s++) {
    pe__feat_customer *c = &ps->cust[s];
    int64_t m = 0;
    for (int64_t i = ps->purchase_off[s]; i < ps->purchase_off[s + 1]; i++)
      if (ps->purchase[i].best_start != INT64_MIN)
        t[m++] = (double)(ps->purchase[i].ts - ps->purchase[i].best_start);
    c->matched = (int32_t)m;
    c->time_to_purchase = m ? (float)pe__feat_quantile(t, m, 0.5) : 0.0f;
  }
  free(t);
  return 0;
}

pe_status pe__feat_resolve_purchases(pe__feat_run *run) {
  int failed = 0;
  int64_t matched = 0;
#pragma omp parallel for schedule(dynamic, 4) reduction(| : failed) reduction(+ : matched)
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    pe__feat_partition *ps = &run->part[p];
    failed |= medians_of_partition(ps) != 0;
    for (int64_t s = 0; s < ps->tx_slots; s++) matched += ps->cust[s].matched;
    free(ps->purchase_off);
    free(ps->purchase);
    ps->purchase_off = NULL;
    ps->purchase = NULL;
  }
  PE_FAIL_IF(failed, PE_ERR_NOMEM, "%s: out of memory summarising times to purchase", run->input);
  run->summary.purchases_matched = matched;
  return PE_OK;
}
