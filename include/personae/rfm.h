/* RFM: recency, frequency and monetary value per customer, quantile scores
 * and named segments (docs/rfm.md).
 *
 * Typical use:
 *   pe_rfm_params p;  pe_rfm_params_init(&p);
 *   pe_rfm_result *r;
 *   if (pe_rfm_compute("shop.h5", &p, &r) == PE_OK) {
 *     pe_rfm_write(r, "shop.personae.h5", "shop.h5");
 *     pe_rfm_result_free(r);
 *   }
 */
#ifndef PERSONAE_RFM_H
#define PERSONAE_RFM_H

#include <stdint.h>

#include "personae/results.h"
#include "personae/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- segment maps ---- */

/* A segment map assigns a named segment to every (R, F, M) cell of scores
 * 1..5 (scores from other --bins are rescaled to 1..5 first). Rules are tried
 * first-match in order; cells no rule reaches go to "Others". Code 0 is always
 * "No Purchase" (customers without a scored purchase). */
typedef struct pe_rfm_segment_map pe_rfm_segment_map;

/* The default R x F map (docs/rfm.md): ten segments that partition the 25
 * (R, F) cells exactly, whatever M. */
pe_status pe_rfm_segment_map_default(pe_rfm_segment_map **out);
/* Parses rules from text (format in docs/rfm.md); `source` names the text in
 * messages ("segments.txt"). Syntax errors are PE_ERR_USAGE "source:LINE: ...". */
pe_status pe_rfm_segment_map_parse(const char *text, const char *source, pe_rfm_segment_map **out);
/* Reads and parses a rules file. */
pe_status pe_rfm_segment_map_load(const char *path, pe_rfm_segment_map **out);
/* NULL is a no-op. */
void pe_rfm_segment_map_free(pe_rfm_segment_map *map);

/* Segment codes run 0..count-1: 0 "No Purchase", then the distinct rule names
 * in order of first appearance, then "Others" if some cell is unassigned. */
int pe_rfm_segment_map_count(const pe_rfm_segment_map *map);
const char *pe_rfm_segment_map_name(const pe_rfm_segment_map *map, int code);
/* The segment code of a cell, r5, f5, m5 in 1..5. */
int pe_rfm_segment_map_lookup(const pe_rfm_segment_map *map, int r5, int f5, int m5);
/* Validation found when the map was built: cells (written r*100+f*10+m) that
 * no rule reaches, and segment codes that no cell reaches (a rule shadowed by
 * earlier ones). Each returns how many, writing up to `max` of them. */
int pe_rfm_segment_map_unassigned_cells(const pe_rfm_segment_map *map, int *cells, int max);
int pe_rfm_segment_map_unreachable_segments(const pe_rfm_segment_map *map, int *codes, int max);

/* Rescales a score in 1..bins to 1..5 for the segment map:
 * round(1 + (s - 1) * 4 / (bins - 1)), halves rounded up; identity for 5. */
int pe_rfm_rescale_to_5(int score, int bins);

/* ---- computing ---- */

/* "As of one day after the latest transaction". */
#define PE_RFM_AS_OF_AUTO INT64_MIN

typedef struct {
  /* Reference time, Unix seconds UTC. Transactions after it are ignored (and
   * counted). Default PE_RFM_AS_OF_AUTO: latest transaction timestamp + 86400. */
  int64_t as_of;
  /* Scores per dimension, 2..100. Default 5. */
  int bins;
  /* Segment map, borrowed (must outlive the call). Default NULL: the default map. */
  const pe_rfm_segment_map *segments;
  /* Rows per HDF5 read (any size works; a multiple of the file's chunk size
   * reads fastest). Default 0: each of the file's chunks is read, checked
   * and grouped as one task where the four columns share a chunk size of
   * 4096 to 4M rows (docs/rfm.md), else 1048576. */
  int64_t chunk_rows;
  /* Unused since the group-by holds all of a table's grouped rows at once
   * (docs/rfm.md); kept so that callers that set it still compile. */
  int64_t batch_rows;
  /* 1: customers that appear only in /sessions are kept as "No Purchase".
   * Default 1. */
  int include_sessions;
  /* Called after each chunk with rows done / total; may be NULL. Calls
   * never overlap, but in the default (fused) read they come from the
   * worker threads, chunks in any order. */
  void (*progress)(void *ctx, int64_t done, int64_t total);
  void *progress_ctx;
} pe_rfm_params;

void pe_rfm_params_init(pe_rfm_params *params);

/* Parses "YYYY-MM-DD" into 00:00 UTC of that day. */
pe_status pe_rfm_parse_date(const char *text, int64_t *unix_seconds);

typedef struct pe_rfm_result pe_rfm_result;

/* Reads /transactions (customer_id, order_id, timestamp, amount) and, when
 * present and asked for, /sessions/customer_id, of `input` and computes
 * everything. Bad input (missing columns, mismatched lengths, an empty table,
 * a NaN or infinite amount) is PE_ERR_DATA naming file, dataset and row. */
pe_status pe_rfm_compute(const char *input, const pe_rfm_params *params, pe_rfm_result **out);

/* Per-customer RFM aggregates computed by another pass over /transactions
 * (the features step computes them on its way: pe_features_rfm_aggregates),
 * so that `personae run` reads the table once. The arrays are `count` long,
 * ascending customer_id, borrowed. first/last_purchase are the earliest and
 * latest timestamps of the customer's rows with a positive amount, INT64_MIN
 * when none (any other value, 1969 included, is a time); orders_returned counts orders whose net amount is < 0. The summary
 * counts are as pe_rfm_summary's. */
typedef struct {
  const char *input; /* the file aggregated, for messages (may be NULL) */
  int64_t count;
  const int64_t *customer_id;
  const int32_t *frequency, *orders_returned;
  const double *monetary;
  const int64_t *first_purchase, *last_purchase;
  int64_t as_of, rows, rows_future, orders, customers_from_sessions_only;
  int64_t first_timestamp, last_timestamp;
} pe_rfm_aggregates;

/* Scores and segments `agg` exactly as pe_rfm_compute scores what it reads;
 * `params` gives bins and the segment map (as_of, chunk_rows and
 * include_sessions are the aggregating pass's business). */
pe_status pe_rfm_compute_from_aggregates(const pe_rfm_aggregates *agg,
                                         const pe_rfm_params *params, pe_rfm_result **out);

/* Writes the /rfm group into the result file `output` atomically, carrying
 * over other steps' groups; `input` is refused as output. */
pe_status pe_rfm_write(const pe_rfm_result *result, const char *output, const char *input);
/* The same /rfm group as part of a larger update (personae/results.h);
 * `result` must stay alive, unchanged, until the update is committed or
 * aborted. */
pe_status pe_rfm_write_into(const pe_rfm_result *result, pe_results_writer *w, const char *input);

/* NULL is a no-op. */
void pe_rfm_result_free(pe_rfm_result *result);

typedef struct {
  int64_t as_of; /* reference time used, Unix s */
  int bins;
  int64_t rows;             /* transaction rows read */
  int64_t rows_future;      /* rows after as_of, ignored */
  int64_t orders;           /* distinct (customer, order) pairs up to as_of */
  int64_t customers;        /* all customers kept, including No Purchase */
  int64_t customers_scored; /* frequency >= 1 */
  int64_t customers_from_sessions_only;
  double revenue;                          /* sum of monetary over all customers */
  int64_t first_timestamp, last_timestamp; /* of rows up to as_of; 0 if none */
} pe_rfm_summary;

void pe_rfm_result_summary(const pe_rfm_result *result, pe_rfm_summary *summary);

/* Wall seconds of the steps of pe_rfm_compute, for logs and benchmarks: the
 * streaming pass over /transactions (reading and decompressing the columns,
 * checking them, grouping rows by partition, the per-partition group-by),
 * numbering the customers and resolving orders, sorting the customer ids
 * (with /sessions' customers), filling the per-customer columns, and scoring
 * and segmenting. After pe_rfm_compute_from_aggregates only `fill` and
 * `score` are set. */
typedef struct {
  double read, check, group, aggregate, resolve, sort, fill, score;
} pe_rfm_seconds;
void pe_rfm_result_seconds(const pe_rfm_result *result, pe_rfm_seconds *seconds);

/* Per-customer arrays, ascending customer_id, `count` long, owned by the
 * result. Customers without a scored purchase have has_purchase 0, r = f = m
 * = 0 and segment 0; where they have no positive row, first/last_purchase are
 * -1 and recency_days and tenure_days are -1. */
typedef struct {
  int64_t count;
  const int64_t *customer_id;
  const uint8_t *has_purchase;
  const int32_t *recency_days, *frequency, *tenure_days, *orders_returned;
  const double *monetary, *aov;
  const int64_t *first_purchase, *last_purchase;
  const uint8_t *r, *f, *m;
  const int32_t *rfm_code; /* r*100+f*10+m when bins <= 9, else r*10000+f*100+m */
  const int16_t *segment;
} pe_rfm_columns;

void pe_rfm_result_columns(const pe_rfm_result *result, pe_rfm_columns *columns);

/* Per segment totals. Means are over the segment's customers; the mean of
 * recency_days skips customers without a positive row (recency -1). */
typedef struct {
  const char *name;
  int64_t customers;
  double revenue;
  double mean_r, mean_f, mean_m;
  double mean_recency_days, mean_frequency, mean_monetary;
} pe_rfm_segment_stats;

int pe_rfm_result_segment_count(const pe_rfm_result *result);
void pe_rfm_result_segment(const pe_rfm_result *result, int code, pe_rfm_segment_stats *stats);

/* The cut points: the smallest and largest raw value (recency_days,
 * frequency, monetary for dim 0, 1, 2) among customers given `score`
 * (1..bins), and how many got it. Empty scores report count 0. */
void pe_rfm_result_bounds(const pe_rfm_result *result, int dim, int score, double *lo, double *hi,
                          int64_t *count);

/* The segment map the result was computed with (owned by the result). */
const pe_rfm_segment_map *pe_rfm_result_segment_map(const pe_rfm_result *result);

#ifdef __cplusplus
}
#endif
#endif
