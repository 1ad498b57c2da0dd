/* Features: the public entry point that runs transactions pass -> sessions
 * pass -> time to purchase -> per-customer values -> scaling, and the
 * result's accessors. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/huge_alloc.h"
#include "features/features_internal.h"
#include "io/h5.h"

void pe_features_params_init(pe_features_params *params) {
  memset(params, 0, sizeof *params);
  params->as_of = PE_FEATURES_AS_OF_AUTO;
  params->chunk_rows = 1 << 21;
}

pe_status pe__feat_alloc(pe_features *f) {
  size_t n = (size_t)(f->n ? f->n : 1), nd = n * (size_t)(f->d ? f->d : 1);
  f->customer_id = malloc(n * sizeof *f->customer_id);
  f->raw = malloc(nd * sizeof *f->raw);
  /* `personae run` clusters this matrix: every Lloyd pass streams it. */
  f->scaled = pe_huge_alloc(nd * sizeof *f->scaled);
  f->has_value = malloc(nd);
  f->evidence_n = malloc(nd * sizeof *f->evidence_n);
  PE_FAIL_IF(!f->customer_id || !f->raw || !f->scaled || !f->has_value || !f->evidence_n,
             PE_ERR_NOMEM, "out of memory for %lld customers x %d features", (long long)f->n, f->d);
  return PE_OK;
}

void pe_features_free(pe_features *f) {
  if (!f) return;
  free(f->customer_id);
  free(f->raw);
  free(f->scaled);
  free(f->has_value);
  free(f->evidence_n);
  free(f->rfm_frequency);
  free(f->rfm_returned);
  free(f->rfm_monetary);
  free(f->rfm_first);
  free(f->rfm_last);
  free(f);
}

void pe__feat_report_progress(void *ctx, int64_t rows) {
  pe__feat_run *run = ctx;
  run->rows_done += rows;
  if (run->params->progress)
    run->params->progress(run->params->progress_ctx, run->rows_done, run->rows_total);
}

/* The source a feature needs beyond the four required transaction columns. */
static const char *missing_source(pe_feature feature, const pe__feat_run *run) {
  if (pe_feature_needs_sessions(feature) && !run->has_sessions) return "/sessions";
  if (feature == PE_FEAT_DISCOUNT_SHARE && !run->has_discount) return "/transactions/discount";
  if (feature == PE_FEAT_CATEGORIES && !run->has_category) return "/transactions/category";
  return NULL;
}

static pe_status choose_columns(const pe_features_params *params, const pe__feat_run *run,
                                pe_features *f) {
  f->d = 0;
  if (!params->features) {
    for (int k = 0; k < PE_FEATURE_COUNT; k++)
      if (!missing_source((pe_feature)k, run)) f->column[f->d++] = (pe_feature)k;
  } else {
    for (int i = 0; i < params->nfeatures; i++) {
      pe_feature k = params->features[i];
      PE_FAIL_IF((int)k < 0 || k >= PE_FEATURE_COUNT, PE_ERR_USAGE, "feature id %d is out of range",
                 (int)k);
      for (int j = 0; j < f->d; j++)
        PE_FAIL_IF(f->column[j] == k, PE_ERR_USAGE, "feature '%s' is listed twice",
                   pe_feature_key(k));
      const char *missing = missing_source(k, run);
      PE_FAIL_IF(missing, PE_ERR_DATA, "%s: %s is absent, so feature '%s' cannot be computed",
                 run->input, missing, pe_feature_key(k));
      f->column[f->d++] = k;
    }
  }
  for (int j = 0; j < f->d; j++) f->transform[j] = pe_feature_scaling_of(f->column[j]);
  return PE_OK;
}

/* With the default selection, a column whose source column carries nothing
 * (every category unknown, no discount anywhere: what `personae import`
 * writes when the input has neither) is left out like an absent one, rather
 * than clustered as a constant. */
static void drop_empty_sources(pe_features *f, const pe__feat_run *run) {
  int kept = 0;
  for (int j = 0; j < f->d; j++) {
    pe_feature k = f->column[j];
    if ((k == PE_FEAT_CATEGORIES && !run->any_category) ||
        (k == PE_FEAT_DISCOUNT_SHARE && !run->any_discount))
      continue;
    f->column[kept] = k;
    f->transform[kept++] = f->transform[j];
  }
  f->d = kept;
}

/* Writes every customer's row of raw values and has-value flags, in dense
 * (ascending id) order so that the rows are written sequentially; the
 * customers' records are read out of order, prefetched a few ahead. */
static pe_status assemble(const pe__feat_run *run, pe_features *f) {
  pe__feat_context ctx;
  ctx.as_of = run->as_of;
  int64_t first =
      run->summary.rows - run->summary.rows_future > 0 ? run->summary.first_timestamp : run->as_of;
  ctx.no_purchase_recency = floor((double)(run->as_of - first) / PE_FEATURES_SECONDS_PER_DAY) + 1;
  const int d = f->d;
  const int64_t n = f->n;
  memcpy(f->customer_id, pe_customer_index_ids(run->ix), (size_t)n * sizeof *f->customer_id);
  const uint64_t *where = pe_customer_index_order(run->ix); /* partition << 32 | slot */
  int64_t with_purchase = 0, with_sessions = 0;
  const int rfm = f->has_rfm;
  pe_feature_evidence_kind evidence[PE_FEATURE_COUNT];
  for (int j = 0; j < d; j++) evidence[j] = pe_feature_evidence(f->column[j]);
#pragma omp parallel for schedule(static) reduction(+ : with_purchase, with_sessions)
  for (int64_t i = 0; i < n; i++) {
    if (i + 8 < n)
      __builtin_prefetch(&run->part[where[i + 8] >> 32].cust[where[i + 8] & 0xffffffffu]);
    const pe__feat_customer *c = &run->part[where[i] >> 32].cust[where[i] & 0xffffffffu];
    pe__feat_row(f->column, evidence, d, c, &ctx, &f->raw[i * d], &f->has_value[i * d],
                 &f->evidence_n[i * d]);
    with_purchase += c->purchases > 0;
    with_sessions += c->sessions > 0;
    if (rfm) {
      const int bought = c->last_ts != INT64_MIN;
      f->rfm_frequency[i] = c->purchases;
      f->rfm_returned[i] = c->net_returns;
      f->rfm_monetary[i] = c->monetary;
      f->rfm_first[i] = bought ? c->first_ts : INT64_MIN;
      f->rfm_last[i] = bought ? c->last_ts : INT64_MIN;
    }
  }
  /* Customers first seen in /sessions come after the transactions pass's
   * slots of their partition. */
  int64_t last = INT64_MIN, from_sessions = 0;
  for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
    if (run->part[p].max_ts > last) last = run->part[p].max_ts;
    from_sessions += run->ix->part[p].count - run->part[p].tx_slots;
  }
  f->rfm_from_sessions_only = from_sessions;
  f->rfm_last_timestamp = last == INT64_MIN ? 0 : last;
  f->summary.customers_with_purchase = with_purchase;
  f->summary.customers_with_sessions = with_sessions;
  return PE_OK;
}

static int needs_sessions(const pe_features *f) {
  for (int j = 0; j < f->d; j++)
    if (pe_feature_needs_sessions(f->column[j])) return 1;
  return 0;
}

/* When no session feature is wanted, /sessions only adds its customers (as
 * customers without orders): one id column is read instead of six. */
static pe_status add_session_customers(pe__feat_run *run, int64_t fid) {
  PE_FORWARD(pe_customer_index_add_column(run->ix, fid, run->input, "/sessions/customer_id",
                                          run->chunk_rows));
  for (int p = 0; p < PE_CIX_PARTITIONS; p++)
    PE_FAIL_IF(pe__feat_grow_customers(&run->part[p], run->ix->part[p].count) != 0, PE_ERR_NOMEM,
               "%s: out of memory adding the customers of /sessions", run->input);
  run->summary.session_rows = run->rows_total - run->summary.rows;
  return PE_OK;
}

static void free_run(pe__feat_run *run) {
  if (run->part)
    for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
      pe__feat_partition *ps = &run->part[p];
      pe__feat_release_tables(ps);
      free(ps->purchase_off);
      free(ps->purchase);
    }
  free(run->part);
  pe_customer_index_free(run->ix);
}

/* Whether /sessions holds any rows. It is absent or empty: no; it is there
 * but its customer_id cannot be read as integer ids: the error (a broken
 * table is bad input, not a missing one). */
static pe_status sessions_rows(hid_t fid, const char *input, int *present) {
  *present = 0;
  if (!pe_h5_exists(fid, "/sessions")) return PE_OK;
  pe_h5_column col;
  PE_FORWARD(pe_h5_column_open(fid, input, "/sessions/customer_id", PE_I64, &col));
  *present = col.rows > 0;
  pe_h5_column_close(&col);
  return PE_OK;
}

static int64_t column_rows(hid_t fid, const char *input, const char *path) {
  pe_h5_column col;
  if (pe_h5_column_open(fid, input, path, PE_I64, &col) != PE_OK) return 0;
  int64_t rows = col.rows;
  pe_h5_column_close(&col);
  return rows;
}

pe_status pe_features_compute(const char *input, const pe_features_params *params,
                              pe_features **out) {
  *out = NULL;
  pe_features_params defaults;
  if (!params) {
    pe_features_params_init(&defaults);
    params = &defaults;
  }
  PE_FAIL_IF(params->features && (params->nfeatures < 1 || params->nfeatures > PE_FEATURE_COUNT),
             PE_ERR_USAGE, "the feature list must name 1 to %d features, got %d", PE_FEATURE_COUNT,
             params->nfeatures);
  pe__feat_run run;
  memset(&run, 0, sizeof run);
  run.input = input;
  run.params = params;
  run.as_of = params->as_of;
  run.filter_future = params->as_of != PE_FEATURES_AS_OF_AUTO;
  run.chunk_rows = params->chunk_rows > 0 ? params->chunk_rows : (1 << 21);
  pe_features *f = calloc(1, sizeof *f);
  hid_t fid = H5I_INVALID_HID;
  pe_status st = f ? PE_OK : pe__fail(PE_ERR_NOMEM, "out of memory");
  if (st == PE_OK) st = pe_h5_open_read(input, &fid);
  if (st == PE_OK) {
    /* An empty /sessions carries no behaviour: its columns are left out as
     * when it is absent (as empty category and discount columns are). */
    st = sessions_rows(fid, input, &run.has_sessions);
    run.has_discount = pe_h5_exists(fid, "/transactions/discount");
    run.has_category = pe_h5_exists(fid, "/transactions/category");
    if (st == PE_OK) st = choose_columns(params, &run, f);
    /* A column no chosen feature needs is not read. */
    run.has_discount &= pe_features_column_of(f, PE_FEAT_DISCOUNT_SHARE) >= 0;
    run.has_category &= pe_features_column_of(f, PE_FEAT_CATEGORIES) >= 0;
  }
  if (st == PE_OK) {
    run.part = calloc(PE_CIX_PARTITIONS, sizeof *run.part);
    st = run.part ? pe_customer_index_create(&run.ix) : pe__fail(PE_ERR_NOMEM, "out of memory");
  }
  if (st == PE_OK) {
    const int64_t tx_rows = column_rows(fid, input, "/transactions/customer_id");
    run.rows_total =
        tx_rows + (run.has_sessions ? column_rows(fid, input, "/sessions/customer_id") : 0);
    for (int p = 0; p < PE_CIX_PARTITIONS; p++) {
      run.part[p].min_ts = INT64_MAX;
      run.part[p].max_ts = INT64_MIN;
    }
    run.want_purchase_times = run.has_sessions && needs_sessions(f);
    const double t = pe_now();
    st = pe__feat_transactions_pass(&run, (int64_t)fid);
    if (f) f->seconds.transactions = pe_now() - t;
  }
  double t = pe_now();
  if (st == PE_OK && !params->features) drop_empty_sources(f, &run);
  if (st == PE_OK && run.has_sessions) {
    if (needs_sessions(f))
      st = pe__feat_sessions_pass(&run, (int64_t)fid);
    else
      st = add_session_customers(&run, (int64_t)fid);
  }
  if (fid >= 0) H5Fclose(fid);
  if (f) f->seconds.sessions = pe_now() - t;
  t = pe_now();
  if (st == PE_OK) st = pe__feat_resolve_purchases(&run);
  if (st == PE_OK) st = pe_customer_index_finish(run.ix);
  if (st == PE_OK) {
    f->n = pe_customer_index_count(run.ix);
    st = pe__feat_alloc(f);
  }
  if (st == PE_OK) snprintf(f->input, sizeof f->input, "%s", input);
  if (st == PE_OK && params->rfm_aggregates) {
    const size_t n = (size_t)(f->n ? f->n : 1);
    f->has_rfm = 1;
    f->rfm_frequency = malloc(n * sizeof *f->rfm_frequency);
    f->rfm_returned = malloc(n * sizeof *f->rfm_returned);
    f->rfm_monetary = malloc(n * sizeof *f->rfm_monetary);
    f->rfm_first = malloc(n * sizeof *f->rfm_first);
    f->rfm_last = malloc(n * sizeof *f->rfm_last);
    if (!f->rfm_frequency || !f->rfm_returned || !f->rfm_monetary || !f->rfm_first || !f->rfm_last)
      st = pe__fail(PE_ERR_NOMEM, "out of memory for %lld customers' RFM aggregates",
                    (long long)f->n);
  }
  if (st == PE_OK) {
    f->summary = run.summary;
    f->summary.as_of = run.as_of;
    f->summary.has_sessions = run.has_sessions;
    f->summary.customers = f->n;
    f->seconds.customers = pe_now() - t;
    t = pe_now();
    st = assemble(&run, f);
    f->seconds.assemble = pe_now() - t;
  }
  free_run(&run);
  t = pe_now();
  if (st == PE_OK) st = pe__feat_fit_scaling(f);
  if (f) f->seconds.scaling = pe_now() - t;
  if (st != PE_OK) {
    pe_features_free(f);
    return st;
  }
  f->seconds.transactions_read = run.tx_seconds.read;
  f->seconds.transactions_group = run.tx_seconds.group;
  f->seconds.transactions_aggregate = run.tx_seconds.process;
  f->seconds.sessions_read = run.sessions_seconds.read;
  f->seconds.sessions_group = run.sessions_seconds.group;
  f->seconds.sessions_aggregate = run.sessions_seconds.process;
  *out = f;
  return PE_OK;
}

int64_t pe_features_count(const pe_features *f) {
  return f->n;
}
int pe_features_dim(const pe_features *f) {
  return f->d;
}
const int64_t *pe_features_customer_ids(const pe_features *f) {
  return f->customer_id;
}
pe_feature pe_features_column(const pe_features *f, int j) {
  return f->column[j];
}
int pe_features_column_of(const pe_features *f, pe_feature feature) {
  for (int j = 0; j < f->d; j++)
    if (f->column[j] == feature) return j;
  return -1;
}
const float *pe_features_raw(const pe_features *f) {
  return f->raw;
}
const float *pe_features_scaled(const pe_features *f) {
  return f->scaled;
}
const uint8_t *pe_features_has_value(const pe_features *f) {
  return f->has_value;
}
const double *pe_features_center(const pe_features *f) {
  return f->center;
}
const double *pe_features_scale_of(const pe_features *f) {
  return f->scale;
}
const double *pe_features_prior(const pe_features *f) {
  return f->prior;
}
const float *pe_features_evidence_counts(const pe_features *f) {
  return f->evidence_n;
}

pe_status pe_features_rfm_aggregates(const pe_features *f, pe_rfm_aggregates *agg) {
  PE_FAIL_IF(!f || !agg || !f->has_rfm, PE_ERR_USAGE,
             "features: RFM aggregates were not kept (set params.rfm_aggregates)");
  memset(agg, 0, sizeof *agg);
  agg->input = f->input;
  agg->count = f->n;
  agg->customer_id = f->customer_id;
  agg->frequency = f->rfm_frequency;
  agg->orders_returned = f->rfm_returned;
  agg->monetary = f->rfm_monetary;
  agg->first_purchase = f->rfm_first;
  agg->last_purchase = f->rfm_last;
  agg->as_of = f->summary.as_of;
  agg->rows = f->summary.rows;
  agg->rows_future = f->summary.rows_future;
  agg->orders = f->summary.orders;
  agg->customers_from_sessions_only = f->rfm_from_sessions_only;
  agg->first_timestamp = f->summary.first_timestamp;
  agg->last_timestamp = f->rfm_last_timestamp;
  return PE_OK;
}
int64_t pe_features_as_of(const pe_features *f) {
  return f->summary.as_of;
}
void pe_features_get_summary(const pe_features *f, pe_features_summary *summary) {
  *summary = f->summary;
}

void pe_features_get_seconds(const pe_features *f, pe_features_seconds *seconds) {
  *seconds = f->seconds;
}

/* Column j's statistics, using `v` (room for n values) as scratch. */
static void stats_of_column(const pe_features *f, int j, double *v, pe_feature_stats *stats) {
  memset(stats, 0, sizeof *stats);
  stats->center = f->center[j];
  stats->scale = f->scale[j];
  int64_t m = 0;
  double sum = 0;
  for (int64_t i = 0; i < f->n; i++)
    if (f->has_value[i * f->d + j]) {
      v[m] = f->raw[i * f->d + j];
      sum += v[m++];
    }
  stats->share_with_value = f->n ? (double)m / (double)f->n : 0.0;
  if (m == 0) return;
  stats->mean = sum / (double)m;
  static const double q[2] = {0.5, 0.9};
  double qv[2];
  pe__feat_quantiles(v, m, q, 2, qv);
  stats->median = qv[0];
  stats->p90 = qv[1];
}

pe_status pe_features_column_stats(const pe_features *f, int j, pe_feature_stats *stats) {
  PE_FAIL_IF(j < 0 || j >= f->d, PE_ERR_USAGE, "feature column %d is out of range (d = %d)", j,
             f->d);
  double *v = malloc((size_t)(f->n ? f->n : 1) * sizeof *v);
  PE_FAIL_IF(!v, PE_ERR_NOMEM, "out of memory for feature statistics");
  stats_of_column(f, j, v, stats);
  free(v);
  return PE_OK;
}

pe_status pe_features_stats(const pe_features *f, pe_feature_stats *stats) {
  int failed = 0;
  /* Whole columns per thread: the same numbers for every thread count. */
#pragma omp parallel reduction(| : failed)
  {
    double *v = malloc((size_t)(f->n ? f->n : 1) * sizeof *v);
    failed = v == NULL;
#pragma omp for schedule(dynamic, 1)
    for (int j = 0; j < f->d; j++)
      if (v) stats_of_column(f, j, v, &stats[j]);
    free(v);
  }
  PE_FAIL_IF(failed, PE_ERR_NOMEM, "out of memory for feature statistics");
  return PE_OK;
}
