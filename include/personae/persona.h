/* Personas: choose K, cluster the scaled features, and turn each cluster into
 * a shopper persona (archetype, name, traits, sizes, marketing actions),
 * as described in docs/personas.md.
 *
 * The description works from per-customer arrays in memory, so a data team
 * can call it on features computed elsewhere:
 *
 *   pe_persona_input in = {...};            // raw + scaled features, labels
 *   pe_persona_params p = pe_persona_params_default();
 *   pe_persona_report *r = NULL;
 *   if (pe_persona_describe(&in, &p, &r) == PE_OK) {
 *     char *md = NULL;
 *     pe_persona_report_markdown(r, &md);   // or _json, _html
 *     ...
 *     free(md);
 *     pe_persona_report_free(r);
 *   }
 */
#ifndef PERSONAE_PERSONA_H
#define PERSONAE_PERSONA_H

#include <stdint.h>

#include "personae/archetype.h"
#include "personae/feature_list.h"
#include "personae/kmeans.h"
#include "personae/results.h"
#include "personae/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- choosing K and clustering ---- */

typedef struct {
  int k;              /* clusters; 0 (default) = choose automatically in k_min..k_max */
  int k_min, k_max;   /* the range tried by auto, 2 <= k_min <= k_max; default 3..12 */
  int64_t sample;     /* customers sampled (uniformly, seeded) to choose K and to run
                         the restarts; default 50000. All customers when n is smaller. */
  int n_init;         /* k-means++ restarts on the sample; the lowest inertia is kept.
                         Default 4. */
  int max_iter;       /* Lloyd iterations per run (sample and full data); default 100 */
  uint64_t seed;      /* default 42 */
  int threads;        /* OpenMP threads, 0 (default) = OpenMP's default */
  const char *kernel; /* k-means kernel, NULL/"auto" (default) */
} pe_persona_cluster_params;

pe_persona_cluster_params pe_persona_cluster_params_default(void);

/* One point of the K curve that `auto` computes on the sample. */
typedef struct {
  int k;
  double inertia;           /* per sampled point */
  double silhouette;        /* simplified silhouette, -1..1; higher is better */
  double calinski_harabasz; /* reported for reference, not used to choose */
} pe_persona_k_score;

typedef struct pe_persona_clustering pe_persona_clustering;

/* `auto` keeps the smallest K whose simplified silhouette is within this of
 * the best one on the curve. */
#define PE_PERSONA_SILHOUETTE_SLACK 0.02

/* Clusters n customers of d scaled features (row-major float32). With
 * params.k = 0, fits every K of k_min..k_max on the sample and keeps the
 * smallest K whose simplified silhouette is within PE_PERSONA_SILHOUETTE_SLACK
 * of the highest (docs/personas.md says why). The
 * chosen K is fitted with n_init restarts on the sample and then refined by
 * Lloyd iterations over all n customers from the best sample centroids.
 * Deterministic for a seed, whatever the thread count. */
pe_status pe_persona_cluster(const float *scaled, int64_t n, int d,
                             const pe_persona_cluster_params *params, pe_persona_clustering **out);
int pe_persona_clustering_k(const pe_persona_clustering *c);
/* The k-means model fitted on all customers (labels, centroids, inertia;
 * save it with pe_kmeans_model_save). Owned by the clustering. */
const pe_kmeans_model *pe_persona_clustering_model(const pe_persona_clustering *c);
/* The K curve (count 0 when K was given). */
int pe_persona_clustering_curve_count(const pe_persona_clustering *c);
const pe_persona_k_score *pe_persona_clustering_curve(const pe_persona_clustering *c);
/* Wall seconds: choosing K, restarts on the sample, refining on all points. */
void pe_persona_clustering_seconds(const pe_persona_clustering *c, double *choose_k,
                                   double *sample_fit, double *refine);
void pe_persona_clustering_free(pe_persona_clustering *c); /* NULL is a no-op */

/* Adjusted Rand index of two labelings of n points (labels >= 0), in [-1, 1];
 * 1 means identical partitions up to renaming. */
pe_status pe_adjusted_rand_index(const int32_t *a, const int32_t *b, int64_t n, double *ari);

/* ---- describing clusters as personas ---- */

/* Per-customer arrays, all `n` long and in the same customer order. Only
 * raw, columns, labels and k are required; everything else may be NULL/0 and the
 * matching parts of the report are then left out. */
typedef struct {
  int64_t n;
  int d;                     /* columns of raw and scaled */
  const pe_feature *columns; /* d entries: which feature each column holds */
  const float *raw;          /* n x d, original units (days, orders, money, shares) */
  const int32_t *labels;     /* n cluster indices in 0..k-1 */
  int k;
  const int64_t *customer_id; /* for /personas; NULL: row numbers */
  int has_sessions;           /* 0: archetypes that need web sessions are not offered */
  /* RFM (optional): segment code per customer and the code names, and the R
   * and F scores 1..rfm_bins (0 = no purchase) for the R x F grid. */
  const int16_t *rfm_segment;
  int rfm_segment_count;
  const char *const *rfm_segment_names;
  const uint8_t *rfm_r, *rfm_f;
  int rfm_bins;
  /* Demographics from /customers (optional), aligned with the rows above;
   * age <= 0, income < 0 or region < 0 mean unknown. */
  const int16_t *age;
  const float *income;
  const int32_t *region;
} pe_persona_input;

/* ---- gathering the inputs of a description ---- */

/* Owns (or borrows) the arrays a pe_persona_input points into. */
typedef struct pe_persona_data pe_persona_data;

/* Reads everything `describe` needs: /features and (when present) /rfm from
 * the results file, the cluster labels from /kmeans of `kmeans_results` (NULL:
 * the results file itself; `personae cluster` run on the results file writes
 * its model to another file), and /customers (when present) from the input
 * file, joined on customer id. A missing /features or /kmeans, or labels
 * that do not match the features' rows, are PE_ERR_DATA naming the file and
 * group. */
pe_status pe_persona_data_load(const char *input, const char *results, const char *kmeans_results,
                               pe_persona_data **out);
/* The same from results already in memory (borrowed: they must outlive the
 * data): feature columns raw (n x d, with their feature ids and customer
 * ids), cluster labels, and optionally RFM per-customer arrays (any customer
 * order with their own ids; joined here). /customers is read from `input`
 * when it exists (input may be NULL). */
pe_status pe_persona_data_from_memory(const char *input, int64_t n, int d,
                                      const pe_feature *columns, const float *raw,
                                      const int64_t *customer_id, const int32_t *labels, int k,
                                      int has_sessions, int64_t rfm_count,
                                      const int64_t *rfm_customer_id, const int16_t *rfm_segment,
                                      const uint8_t *rfm_r, const uint8_t *rfm_f, int rfm_bins,
                                      int rfm_segment_count, const char *const *rfm_segment_names,
                                      pe_persona_data **out);
const pe_persona_input *pe_persona_data_input(const pe_persona_data *data);
void pe_persona_data_free(pe_persona_data *data); /* NULL is a no-op */

typedef struct {
  double focus_revenue_share; /* focus: smallest set of personas covering at least
                                 this share of revenue; default 0.8 */
  int max_traits;             /* 3..5, default 5 */
} pe_persona_params;

pe_persona_params pe_persona_params_default(void);

typedef struct pe_persona_report pe_persona_report;

enum { PE_PERSONA_MAX_TRAITS = 5, PE_PERSONA_AGE_BANDS = 6, PE_PERSONA_TOP_REGIONS = 3 };

/* One persona. Strings and arrays are owned by the report. */
typedef struct {
  int id; /* the cluster index */
  pe_archetype archetype;
  const char *archetype_key; /* "discount_hunter" */
  const char *qualifier;     /* "high value" when archetypes are shared, else "" */
  double match;              /* archetype rule score, -1..1 */
  const char *name;          /* "Discount-Hunting Dana" */
  const char *description;   /* one line */
  int64_t customers;
  double share_customers; /* 0..1 */
  double revenue;         /* net revenue of its customers */
  double share_revenue;   /* 0..1 of the total net revenue */
  int trait_count;        /* 3..5 */
  const char *traits[PE_PERSONA_MAX_TRAITS];
  int action_count;
  const char *const *actions;
  int focus; /* 1: among the personas to act on first */
  /* RFM mix: customers per segment code (rfm_segment_count entries, NULL without RFM). */
  const int64_t *rfm_mix;
  /* Demographics: has_demographics 0 without /customers or when none of the
   * persona's customers has a /customers row; age_known / income_known say
   * which parts are measured (ages outside 1..120 count as unknown). */
  int has_demographics, age_known, income_known;
  double age_band_share[PE_PERSONA_AGE_BANDS]; /* 18-24, 25-34, 35-44, 45-54, 55-64, 65+ */
  double mean_age, median_income;
  int top_regions[PE_PERSONA_TOP_REGIONS]; /* -1 when fewer */
  double top_region_share[PE_PERSONA_TOP_REGIONS];
  /* Each top region's share of all customers with a region (the persona's
   * share over this is its over-representation, "lift"). */
  double top_region_base_share[PE_PERSONA_TOP_REGIONS];
  /* The region most over-represented in the persona against the whole base:
   * the largest lift of at least PE_PERSONA_REGION_LIFT among the regions
   * that hold at least PE_PERSONA_REGION_MIN_SHARE of the persona's
   * customers with a region, and at least PE_PERSONA_REGION_MIN_CUSTOMERS
   * of them (a handful of customers in a rare region is chance, not a
   * pattern); -1 when none stands out. Shares are of the customers with a
   * region. */
  int standout_region;
  double standout_region_share, standout_region_base_share;
} pe_persona;

#define PE_PERSONA_REGION_LIFT 1.25
#define PE_PERSONA_REGION_MIN_SHARE 0.05
#define PE_PERSONA_REGION_MIN_CUSTOMERS 30

pe_status pe_persona_describe(const pe_persona_input *in, const pe_persona_params *params,
                              pe_persona_report **out);
int pe_persona_report_count(const pe_persona_report *r);
/* Persona `i` in report order (by revenue, largest first); NULL if out of range. */
const pe_persona *pe_persona_report_get(const pe_persona_report *r, int i);
/* The label used in the age_band_share array ("25-34"). */
const char *pe_persona_age_band_label(int band);

/* Renders the report as Markdown, JSON (stable keys, docs/personas.md) or one
 * self-contained HTML page (inline CSS and SVG). *text is malloc'd; the
 * caller frees it. */
pe_status pe_persona_report_markdown(const pe_persona_report *r, char **text);
pe_status pe_persona_report_json(const pe_persona_report *r, char **text);
pe_status pe_persona_report_html(const pe_persona_report *r, const char *title, char **text);
/* Writes `text` to `path` atomically (temporary file + rename). Refuses
 * (PE_ERR_USAGE) a path that is one of `protected_paths` (NULL-terminated:
 * the inputs and the results file) or an existing HDF5 file. */
pe_status pe_persona_write_text_file(const char *path, const char *text,
                                     const char *const *protected_paths);
/* The checks of pe_persona_write_text_file without writing, and that a file
 * can be created beside `path` (PE_ERR_IO if not): run and describe call it
 * before they compute or save anything, so a report that cannot be written
 * fails the command before the results file is touched. */
pe_status pe_persona_check_text_path(const char *path, const char *const *protected_paths);

/* Writes /personas to the results file (atomically, other groups kept):
 * customer_id and persona (per customer), and the persona table (id,
 * archetype, archetype_key, name, description, customers, share_customers,
 * revenue, share_revenue, focus). */
pe_status pe_persona_report_save(const pe_persona_report *r, const pe_persona_input *in,
                                 const char *path, const char *const *inputs);
/* The same /personas group as part of a larger update (personae/results.h). */
pe_status pe_persona_report_write_into(const pe_persona_report *r, pe_results_writer *w,
                                       const pe_persona_input *in);

void pe_persona_report_free(pe_persona_report *r); /* NULL is a no-op */

#ifdef __cplusplus
}
#endif
#endif
