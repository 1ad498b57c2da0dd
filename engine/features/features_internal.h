/* What the feature steps share: the result, the per-customer running values
 * the two streaming passes fill (transactions, then sessions), and the
 * functions of each step.
 *
 * Layout of the group-by. Customers live in the partitioned customer index
 * of rfm/customer_index.h; every partition has its own running values,
 * indexed by the customer's local slot, and is only ever touched by one
 * thread at a time, seeing its rows in file order. So every sum is taken in
 * the same order whatever the thread count. */
#ifndef PE_FEATURES_INTERNAL_H
#define PE_FEATURES_INTERNAL_H

#include <stdint.h>

#include "personae/features.h"
#include "rfm/customer_index.h"
#include "rfm/partitioned_pass.h"

#define PE_FEATURES_SECONDS_PER_DAY 86400

struct pe_features {
  int64_t n;
  int d;
  pe_feature column[PE_FEATURE_COUNT];
  pe_feature_scaling transform[PE_FEATURE_COUNT];
  double center[PE_FEATURE_COUNT], scale[PE_FEATURE_COUNT];
  /* Scaling rules per column (scaling.c): the share's prior mean, the kind
   * of its evidence count and what a missing value counts as. */
  double prior[PE_FEATURE_COUNT];
  pe_feature_evidence_kind evidence[PE_FEATURE_COUNT];
  pe_feature_missing missing[PE_FEATURE_COUNT];
  float *evidence_n; /* n x d: the count behind each share, 0 elsewhere */
  int64_t *customer_id;
  float *raw, *scaled; /* n x d */
  uint8_t *has_value;  /* n x d */
  pe_features_summary summary;
  pe_features_seconds seconds;
  /* With params.rfm_aggregates: per customer, as pe_rfm_aggregates. */
  char input[4096];
  int has_rfm;
  int32_t *rfm_frequency, *rfm_returned;
  double *rfm_monetary;
  int64_t *rfm_first, *rfm_last;
  int64_t rfm_last_timestamp, rfm_from_sessions_only;
};

/* One customer's running values in its partition, by local slot. The
 * transactions walk keeps its own per-thread table (transactions_pass.c) and
 * copies the first five values here when the partition's walk ends; the
 * order counts follow from its orders, the session counts from the sessions
 * pass. Timestamps of rows with a positive amount are INT64_MAX / INT64_MIN
 * while there is none. */
typedef struct {
  double monetary;
  int64_t first_ts, last_ts;
  int32_t rows;       /* transaction rows up to as_of */
  int32_t categories; /* distinct known (>= 0) categories of positive rows */
  int32_t orders, purchases, discounted, holiday, returned;
  int32_t net_returns; /* orders whose net amount is < 0 (RFM's orders_returned) */
  int32_t sessions, bounces, cart_sessions, abandoned, matched;
  float time_to_purchase; /* median over matched purchases, seconds */
  int64_t pageviews, cart_adds;
} pe__feat_customer;
_Static_assert(sizeof(pe__feat_customer) == 96, "no padding in a customer's record");

/* A purchase (an order with a positive net amount) to match to sessions:
 * its time and the latest start of a session that contains it (INT64_MIN:
 * none yet), side by side, so that a match touches one line. */
typedef struct {
  int64_t ts, best_start;
} pe__feat_purchase;

/* A (customer, order) pair of a partition's open-addressing order table. */
typedef struct {
  int64_t order_id;
  double net;
  int64_t first_ts; /* earliest row with a positive amount; INT64_MAX if none */
  /* The customer's position in the walk's customer table + 1; 0 = empty. */
  uint32_t customer_plus_one;
  uint32_t flags; /* PE__ORDER_* */
} pe__feat_order;

enum { PE__ORDER_DISCOUNT = 1, PE__ORDER_NEGATIVE = 2 };

typedef struct {
  pe__feat_customer *cust;
  int64_t cap;
  int64_t norders;        /* (customer, order) pairs, once the transactions pass is over */
  int64_t min_ts, max_ts; /* of transaction rows up to as_of */
  int64_t rows_future;
  int64_t rows_with_category, rows_with_discount; /* known category, discount > 0 */
  /* Between the passes: each customer's purchases, by time, in
   * purchase[purchase_off[s] .. purchase_off[s + 1]) for the tx_slots
   * customers that the transactions pass saw. */
  int64_t tx_slots, purchases;
  int64_t *purchase_off; /* NULL: not wanted */
  pe__feat_purchase *purchase;
  /* Sessions pass. */
  int64_t sessions_future;
} pe__feat_partition;

/* The state of one computation. */
typedef struct {
  const char *input;
  int64_t as_of;
  int filter_future; /* as_of was given: drop later transaction rows */
  int has_sessions, has_discount, has_category;
  int want_purchase_times; /* the sessions pass will run: keep each customer's purchase times */
  int any_category, any_discount; /* some row up to as_of has one */
  int64_t max_ts;                 /* of every transaction row read */
  int64_t chunk_rows;
  int64_t rows_total, rows_done; /* for progress, over both tables */
  const pe_features_params *params;
  pe_customer_index *ix;
  pe__feat_partition *part;            /* PE_CIX_PARTITIONS */
  struct pe__feat_tx_workspace *tx_ws; /* the transactions pass's tables, per thread */
  struct pe__feat_tx_chunk *tx_chunks; /* the transactions pass's chunks: how each is packed */
  struct pe__feat_session_chunk *session_chunks; /* the same for the sessions pass */
  pe_features_summary summary;
  pe_cix_pass_seconds tx_seconds, sessions_seconds; /* the two passes' parts */
} pe__feat_run;

/* Grows a partition's customer array to hold slot `need - 1`; new entries are
 * initialised. Returns 0, or -1 when out of memory (no message: workers). */
int pe__feat_grow_customers(pe__feat_partition *p, int64_t need);
/* Releases the partition's tables (customers, orders, categories). */
void pe__feat_release_tables(pe__feat_partition *p);

/* Counts `rows` more rows read and reports progress (a pe_cix_pass's
 * chunk_done: `run` is the pe__feat_run). */
void pe__feat_report_progress(void *run, int64_t rows);

/* Step 1: the transactions pass and the resolution of orders into each
 * customer's counts and purchase times. Sets as_of when it was automatic. */
pe_status pe__feat_transactions_pass(pe__feat_run *run, int64_t fid);
/* Step 2: the sessions pass (only when /sessions exists), matching each
 * purchase to the latest-starting session that contains it. */
pe_status pe__feat_sessions_pass(pe__feat_run *run, int64_t fid);
/* Step 3: medians of the time to purchase; frees the purchase times. */
pe_status pe__feat_resolve_purchases(pe__feat_run *run);

/* What the formulas need besides the customer: the reference time and the
 * recency given to customers without a purchase (the period in whole days
 * from the earliest transaction to as_of, plus one). */
typedef struct {
  int64_t as_of;
  double no_purchase_recency;
} pe__feat_context;

/* Step 4: one customer's row: per column j, its raw value, has-value flag
 * and the count of evidence[j] behind it (0 for PE_EVIDENCE_NONE). */
void pe__feat_row(const pe_feature *columns, const pe_feature_evidence_kind *evidence, int d,
                  const pe__feat_customer *c, const pe__feat_context *ctx, float *value,
                  uint8_t *has_value, float *evidence_count);

/* Step 5: priors, centres and scales of every column from the raw values,
 * then the scaled matrix. */
pe_status pe__feat_fit_scaling(pe_features *f);
/* Sets f's evidence kinds and missing-value rules from the catalogue. */
void pe__feat_scaling_rules(pe_features *f);

/* Allocates the n x d arrays and customer_id of `f` (f->n, f->d set). */
pe_status pe__feat_alloc(pe_features *f);

/* The lowest of the values of a that would sit at position k of the sorted
 * array (0-based), moving elements of `a` (a quickselect with
 * median-of-three pivots; deterministic). */
double pe__feat_select(double *a, int64_t n, int64_t k);
/* numpy's linear quantile (type 7) of a[0..n), n >= 1; reorders a. */
double pe__feat_quantile(double *a, int64_t n, double q);
/* Several quantiles at once, q ascending, each selection narrowed by the
 * previous one; reorders a. */
void pe__feat_quantiles(double *a, int64_t n, const double *q, int m, double *out);

#endif
