/* Exact k-means: fit, predict, save and load a model.
 *
 * A data team can link the library and call these directly instead of running
 * `personae cluster`. The whole model lives in memory; the HDF5 helpers at the
 * end are optional conveniences over the same calls.
 *
 * Reproducibility: for the same data, parameters and seed the labels,
 * centroids and inertia are bit-identical whatever the number of threads
 * (work is split into fixed blocks of PE_KMEANS_BLOCK points and per-block
 * partial sums are combined in block order). Different kernels (scalar, avx2,
 * avx512, blas) may round differently and so may differ in the last bits.
 *
 * Typical use:
 *
 *   pe_kmeans_params p = pe_kmeans_params_default();
 *   p.k = 8;
 *   pe_kmeans_model *m = NULL;
 *   if (pe_kmeans_fit(x, n, d, NULL, &p, &m) != PE_OK)
 *     fprintf(stderr, "%s\n", personae_last_error());
 *   const int32_t *labels = pe_kmeans_model_labels(m);
 *   ...
 *   pe_kmeans_model_free(m);
 */
#ifndef PERSONAE_KMEANS_H
#define PERSONAE_KMEANS_H

#include <stdint.h>

#include "personae/results.h"
#include "personae/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Points per block: the unit of parallel work and of the ordered reduction.
 * Fixed, so that results never depend on the number of threads (or, later,
 * processes). */
#define PE_KMEANS_BLOCK 4096

typedef enum {
  PE_KMEANS_INIT_KMEANSPP = 0, /* greedy k-means++, 2 + floor(ln k) local trials */
  PE_KMEANS_INIT_RANDOM,       /* k distinct points drawn uniformly */
  PE_KMEANS_INIT_GIVEN         /* params.init_centers (k x d) */
} pe_kmeans_init;

/* The iteration algorithm. All give the same clustering as Lloyd's; the
 * accelerated ones (Hamerly, Elkan, Yinyang) will only skip distance
 * computations. Only Lloyd is implemented in this version. */
typedef enum { PE_KMEANS_LLOYD = 0, PE_KMEANS_ALGORITHM_COUNT } pe_kmeans_algorithm;

/* What the progress callback receives after each iteration. */
typedef struct {
  int run;        /* restart index, 0 .. n_init-1 */
  int iteration;  /* 1-based */
  double inertia; /* of the assignment made in this iteration (before the update) */
  int64_t moved;  /* points whose label changed in this iteration */
  double shift;   /* total squared centroid shift of the update */
  double seconds; /* wall time of this iteration */
} pe_kmeans_iteration;

typedef void (*pe_kmeans_progress_fn)(void *ctx, const pe_kmeans_iteration *it);

typedef struct {
  int k;                          /* clusters, 1 <= k <= n. No default (0): must be set. */
  int max_iter;                   /* iterations per run, >= 1. Default 300. */
  double tol;                     /* stop when the total squared centroid shift is
                                     <= tol * (mean per-feature variance of the data),
                                     as scikit-learn does; 0 runs max_iter iterations
                                     unless no label changes. Default 1e-4. */
  int n_init;                     /* restarts (different seeds); the lowest inertia is
                                     kept. >= 1, default 1. Ignored (1) for GIVEN. */
  pe_kmeans_init init;            /* default PE_KMEANS_INIT_KMEANSPP */
  const float *init_centers;      /* k x d row-major, for PE_KMEANS_INIT_GIVEN; not kept */
  uint64_t seed;                  /* default 0. Restart r uses stream r of this seed. */
  const char *kernel;             /* "auto" (default, NULL means auto), "scalar",
                                     "avx2", "avx512" or "blas" */
  pe_kmeans_algorithm algorithm;  /* default PE_KMEANS_LLOYD */
  int threads;                    /* OpenMP threads; 0 (default) = OpenMP's default */
  pe_kmeans_progress_fn progress; /* optional, called after every iteration
                                     from the calling thread */
  void *progress_ctx;
} pe_kmeans_params;

/* The defaults documented above (k = 0: the caller must set it). */
pe_kmeans_params pe_kmeans_params_default(void);

/* "lloyd" <-> PE_KMEANS_LLOYD. Parsing also knows the names of the planned
 * accelerated algorithms and answers PE_ERR_UNSUPPORTED for them; anything
 * else is PE_ERR_USAGE. */
pe_status pe_kmeans_algorithm_parse(const char *name, pe_kmeans_algorithm *out);
const char *pe_kmeans_algorithm_name(pe_kmeans_algorithm a);
/* "kmeans++" / "random" / "given". */
const char *pe_kmeans_init_name(pe_kmeans_init init);

typedef struct pe_kmeans_model pe_kmeans_model;

/* Clusters n points of dimension d (row-major float32, n*d values).
 * `weights` (n non-negative finite values, not all zero) or NULL for 1 each.
 * NaN or Inf in the data or weights, k > n, k < 1 and d < 1 are PE_ERR_USAGE
 * or PE_ERR_DATA with a message naming the row. Duplicate points are fine;
 * when there are fewer distinct points than k some clusters stay empty
 * (count 0, centroid on a data point) and the result is still defined.
 * On success *out owns the model; on failure *out is NULL. */
pe_status pe_kmeans_fit(const float *x, int64_t n, int d, const float *weights,
                        const pe_kmeans_params *params, pe_kmeans_model **out);

/* Assigns n new points to the nearest centroid (ties: lowest index).
 * `sq_dist` (may be NULL) receives the squared distances. Uses `threads`
 * OpenMP threads (0 = default) and the model's kernel when this CPU has it,
 * else the automatic choice. */
pe_status pe_kmeans_predict(const pe_kmeans_model *m, const float *x, int64_t n, int d, int threads,
                            int32_t *labels, float *sq_dist);

/* Getters. Arrays are owned by the model and live until pe_kmeans_model_free. */
int pe_kmeans_model_k(const pe_kmeans_model *m);
int pe_kmeans_model_d(const pe_kmeans_model *m);
int64_t pe_kmeans_model_n(const pe_kmeans_model *m);              /* points the labels cover */
const float *pe_kmeans_model_centroids(const pe_kmeans_model *m); /* k x d */
const int32_t *pe_kmeans_model_labels(const pe_kmeans_model *m);  /* n, or NULL if n = 0 */
/* Sum over points of weight * ||x - c_label||^2 (computed in double from
 * exact differences, for the returned labels and centroids). */
double pe_kmeans_model_inertia(const pe_kmeans_model *m);
int pe_kmeans_model_iterations(const pe_kmeans_model *m); /* of the kept run */
int pe_kmeans_model_converged(const pe_kmeans_model *m);  /* 1 if stopped before max_iter */
int pe_kmeans_model_best_run(const pe_kmeans_model *m);   /* which restart was kept */
uint64_t pe_kmeans_model_seed(const pe_kmeans_model *m);
const char *pe_kmeans_model_kernel(const pe_kmeans_model *m);    /* "avx2", ... */
const char *pe_kmeans_model_algorithm(const pe_kmeans_model *m); /* "lloyd" */
const char *pe_kmeans_model_init(const pe_kmeans_model *m);      /* "kmeans++", ... */
/* Wall seconds spent in initialisation and in iterations (all restarts). */
double pe_kmeans_model_init_seconds(const pe_kmeans_model *m);
double pe_kmeans_model_iter_seconds(const pe_kmeans_model *m);
void pe_kmeans_model_free(pe_kmeans_model *m); /* NULL is a no-op */

/* ---- HDF5 convenience ---- */

/* Reads a 2-D numeric dataset (N x D, any float or integer type) into one new
 * malloc'd float32 buffer (the caller frees), by hyperslabs so that no second
 * copy of the matrix is ever made. Rejects NaN/Inf naming file, dataset, row
 * and column. */
pe_status pe_kmeans_read_matrix(const char *file, const char *dataset, float **x, int64_t *n,
                                int *d);
/* Reads a 1-D weight column of exactly n rows (float32), checking that every
 * weight is finite and >= 0 and that they are not all 0. */
pe_status pe_kmeans_read_weights(const char *file, const char *dataset, int64_t n, float **w);

/* Writes the model as group /kmeans of the results file `path` (atomically;
 * other groups of an existing results file are kept). `inputs` (NULL-
 * terminated, may be NULL) are files that must not be overwritten;
 * `source` names the clustered data for the record (may be NULL). */
pe_status pe_kmeans_model_save(const pe_kmeans_model *m, const char *path,
                               const char *const *inputs, const char *source);
/* The same /kmeans group as part of a larger update (personae/results.h). */
pe_status pe_kmeans_model_write_into(const pe_kmeans_model *m, pe_results_writer *w,
                                     const char *source);
/* Loads /kmeans of a results file written by pe_kmeans_model_save. */
pe_status pe_kmeans_model_load(const char *path, pe_kmeans_model **out);

/* Writes the output of pe_kmeans_predict as group /predict of the results
 * file `path` (atomically, other groups kept): labels (n int32) and
 * sq_dist (n float32, may be NULL), with attribute `model` naming the model
 * file and `source` the data (either may be NULL). */
pe_status pe_kmeans_predictions_save(const char *path, const char *const *inputs, const char *model,
                                     const char *source, int64_t n, const int32_t *labels,
                                     const float *sq_dist);

#ifdef __cplusplus
}
#endif
#endif
