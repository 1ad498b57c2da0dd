/* Per-customer behaviour features, scaled for clustering (docs/features.md).
 *
 * One row per customer (everyone in /transactions or /sessions), ascending
 * customer id, one column per feature of feature_list.h. `raw` holds each
 * feature in its own units; `scaled` is the clustering input: a per-column
 * transform (signed log1p for heavy-tailed counts and money, identity for
 * shares, shrunk towards their mean when backed by few orders or sessions)
 * followed by a standardisation over the customers who have a value,
 * clamped at +-4 standard deviations; customers without a value are scaled
 * to 0. The parameters are kept so that new customers are scaled the same
 * way (pe_features_scale).
 *
 * Typical use:
 *   pe_features_params p;  pe_features_params_init(&p);
 *   pe_features *f;
 *   if (pe_features_compute("shop.h5", &p, &f) == PE_OK) {
 *     const float *x = pe_features_scaled(f);   // n x d, row-major
 *     ...
 *     pe_features_write(f, "shop.personae.h5", (const char *[]){"shop.h5", NULL});
 *     pe_features_free(f);
 *   }
 *
 * Reproducibility: the output is bit-identical whatever the number of
 * threads (each customer's values see its rows in file order; the scaling's
 * sums are taken over fixed blocks of rows, combined in block order). */
#ifndef PERSONAE_FEATURES_H
#define PERSONAE_FEATURES_H

#include <stdint.h>

#include "personae/feature_list.h"
#include "personae/results.h"
#include "personae/rfm.h"
#include "personae/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the feature catalogue ---- */

/* The stable key ("recency_days"), a plain-words description, the scaling
 * and whether the feature needs /sessions. Out-of-range ids give NULL / 0. */
const char *pe_feature_key(pe_feature feature);
const char *pe_feature_description(pe_feature feature);
pe_feature_scaling pe_feature_scaling_of(pe_feature feature);
int pe_feature_needs_sessions(pe_feature feature);
/* How a customer without a value of their own is scaled, and the count of
 * observations behind a share (its denominator; PE_EVIDENCE_NONE if the
 * feature is not a share); see feature_list.h. The key names the count in
 * files ("purchases", "orders", "sessions", "cart_sessions", "none"). */
pe_feature_missing pe_feature_missing_of(pe_feature feature);
pe_feature_evidence_kind pe_feature_evidence(pe_feature feature);
const char *pe_feature_evidence_key(pe_feature_evidence_kind evidence);
/* The feature with key `key`, or PE_ERR_USAGE naming the valid keys. */
pe_status pe_feature_from_key(const char *key, pe_feature *feature);
/* Parses a comma-separated list of keys ("recency_days,frequency") into
 * `features` (room for PE_FEATURE_COUNT). Unknown keys, duplicates and empty
 * items are PE_ERR_USAGE with a message naming the item. */
pe_status pe_feature_parse_list(const char *list, pe_feature *features, int *count);

/* ---- computing ---- */

/* "One day after the latest transaction", as RFM's default. */
#define PE_FEATURES_AS_OF_AUTO INT64_MIN

typedef struct {
  /* Reference time, Unix seconds UTC. Transaction and session rows after it
   * are ignored (and counted). Default PE_FEATURES_AS_OF_AUTO. */
  int64_t as_of;
  /* The columns to compute, in this order; borrowed. Default NULL: every
   * feature the input supports, in feature_list.h order: session features
   * only when /sessions exists, categories / discount_share only when some
   * row has a known category (>= 0) / a discount > 0. Naming a feature whose
   * source dataset is missing is PE_ERR_DATA. */
  const pe_feature *features;
  int nfeatures;
  /* Rows per HDF5 read (any size works; a multiple of the file's chunk size
   * reads fastest). Default 2097152: a partition then sees enough rows per
   * chunk to reuse its tables in cache (8% faster than 524288 at 1M
   * customers, for ~35 MB more buffers). */
  int64_t chunk_rows;
  /* Rows grouped by customer partition before the partitions' running values
   * are updated (whole chunks; at least one). Default 0: as many chunks as
   * fit in 512 MiB of grouped rows. Never changes the result. */
  int64_t batch_rows;
  /* Called after each chunk with rows done / total over both tables; may be
   * NULL. Called from the calling thread. */
  void (*progress)(void *ctx, int64_t done, int64_t total);
  void *progress_ctx;
  /* 1: also keep the per-customer RFM aggregates (pe_features_rfm_aggregates)
   * so that RFM needs no second pass over /transactions. Default 0. */
  int rfm_aggregates;
} pe_features_params;

void pe_features_params_init(pe_features_params *params);

typedef struct pe_features pe_features;

/* Reads /transactions and, when present, /sessions of `input` in chunks and
 * computes the features. Bad input (missing columns, mismatched lengths, an
 * empty /transactions, a NaN amount, a negative pageview count, ...) is
 * PE_ERR_DATA naming file, dataset and row. */
pe_status pe_features_compute(const char *input, const pe_features_params *params,
                              pe_features **out);

/* Writes the /features group of the result file `output` atomically, carrying
 * over other steps' groups; `inputs` (NULL-terminated, may be NULL) are
 * refused as output. */
pe_status pe_features_write(const pe_features *f, const char *output, const char *const *inputs);
/* The same /features group as part of a larger update (personae/results.h);
 * `input` (may be NULL) is stamped as the file the features came from. `f`
 * must stay alive, unchanged, until the update is committed or aborted. */
pe_status pe_features_write_into(const pe_features *f, pe_results_writer *w, const char *input);

/* Reads the /features group written by pe_features_write. */
pe_status pe_features_read(const char *results_path, pe_features **out);

/* NULL is a no-op. */
void pe_features_free(pe_features *f);

/* ---- the result ---- */

int64_t pe_features_count(const pe_features *f); /* customers, n */
int pe_features_dim(const pe_features *f);       /* columns, d */
/* Ascending customer ids, n of them. */
const int64_t *pe_features_customer_ids(const pe_features *f);
/* The feature in column j, 0 <= j < d. */
pe_feature pe_features_column(const pe_features *f, int j);
/* The column of `feature`, or -1 if it was not computed. */
int pe_features_column_of(const pe_features *f, pe_feature feature);
/* n x d row-major: values in original units, and the clustering input. */
const float *pe_features_raw(const pe_features *f);
const float *pe_features_scaled(const pe_features *f);
/* n x d row-major: 1 where the customer's value comes from their own rows, 0
 * where it is the documented fill-in (e.g. bounce_rate of a customer without
 * sessions). */
const uint8_t *pe_features_has_value(const pe_features *f);
/* Per column: scaled = clamp((transform(shrunk(raw)) - center) / scale). */
const double *pe_features_center(const pe_features *f);
const double *pe_features_scale_of(const pe_features *f);
/* The reference time used, Unix seconds UTC. */
int64_t pe_features_as_of(const pe_features *f);

/* Scaling (docs/features.md): a share is shrunk towards its mean as if the
 * customer had PE_FEATURES_PRIOR_WEIGHT more observations at the average
 * rate; scaled values are clamped to +-PE_FEATURES_CLIP standard deviations. */
#define PE_FEATURES_PRIOR_WEIGHT 4.0
#define PE_FEATURES_CLIP 4.0
/* Per column: the prior mean of a share (0 for other columns). */
const double *pe_features_prior(const pe_features *f);
/* n x d row-major: each share's evidence count for the customer (its
 * denominator: purchases, orders, sessions, cart sessions), 0 in columns
 * that are not shares. */
const float *pe_features_evidence_counts(const pe_features *f);

/* Scales `n` rows of raw values, has-value flags and evidence counts (n x d
 * each, columns as in `f`) with f's rules, priors, centres and scales into
 * `out` (n x d). Gives exactly pe_features_scaled() for f's own rows. */
pe_status pe_features_scale(const pe_features *f, const float *raw_rows,
                            const uint8_t *has_value_rows, const float *evidence_rows,
                            int64_t n, float *out);

/* The RFM aggregates of the same pass, for pe_rfm_compute_from_aggregates;
 * borrowed from `f` (valid while it lives). PE_ERR_USAGE unless `f` was
 * computed with params.rfm_aggregates = 1. */
pe_status pe_features_rfm_aggregates(const pe_features *f, pe_rfm_aggregates *agg);

typedef struct {
  int64_t as_of;
  int has_sessions;          /* /sessions was read */
  int64_t rows, rows_future; /* /transactions rows, and those after as_of */
  int64_t session_rows, sessions_future;
  int64_t orders;            /* distinct (customer, order) pairs up to as_of */
  int64_t purchases;         /* orders with net amount > 0 */
  int64_t purchases_matched; /* purchases inside one of the customer's sessions */
  int64_t customers;
  int64_t customers_with_purchase, customers_with_sessions;
  int64_t first_timestamp; /* earliest transaction row used; 0 if none */
} pe_features_summary;

/* After pe_features_read only as_of, has_sessions and the customer counts
 * are known. */
void pe_features_get_summary(const pe_features *f, pe_features_summary *summary);

/* Wall seconds of the steps of pe_features_compute (all 0 after
 * pe_features_read), for logs and benchmarks: the streaming pass over
 * /transactions (read, group by customer and order), the one over /sessions,
 * resolving purchases and numbering the customers, computing each customer's
 * feature values, and fitting and applying the scaling. Each pass is also
 * split into reading and decompressing its columns, grouping rows by
 * partition and the per-partition group-by (the rest: checks, opening). */
typedef struct {
  double transactions, sessions, customers, assemble, scaling;
  double transactions_read, transactions_group, transactions_aggregate;
  double sessions_read, sessions_group, sessions_aggregate;
} pe_features_seconds;
void pe_features_get_seconds(const pe_features *f, pe_features_seconds *seconds);

/* Column j over the customers that have a value (has_value = 1). */
typedef struct {
  double mean, median, p90; /* 0 when no customer has a value */
  double share_with_value;  /* customers with a value / all customers */
  double center, scale;
} pe_feature_stats;

pe_status pe_features_column_stats(const pe_features *f, int j, pe_feature_stats *stats);
/* All d columns at once (in parallel): stats[j] for column j. */
pe_status pe_features_stats(const pe_features *f, pe_feature_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
