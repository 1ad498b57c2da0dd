/* Internals shared by the k-means files: the model struct, the data a run
 * works on, the blocked parallel passes and the algorithm table. */
#ifndef PE_KMEANS_INTERNAL_H
#define PE_KMEANS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pe_kernels.h"
#include "personae/kmeans.h"

struct pe_kmeans_model {
  int k, d;
  int64_t n;
  float *centroids; /* k x d */
  int32_t *labels;  /* n */
  double inertia;
  int iterations, converged, best_run;
  uint64_t seed;
  char kernel[16], algorithm[16], init[16];
  double init_seconds, iter_seconds;
};

/* What every pass reads: the points, their weights and how to compute. */
typedef struct {
  const float *x;
  int64_t n;
  int d;
  const float *w; /* NULL = all 1 */
  const pe_kernel_table *kernel;
  int threads;
  int64_t nblocks; /* ceil(n / PE_KMEANS_BLOCK) */
} pe__kmeans_data;

/* Fills `data`, resolving the kernel by name (NULL or "auto": the choice
 * for this shape) and the thread count (0: OpenMP's default). */
pe_status pe__kmeans_data_init(const float *x, int64_t n, int d, const float *w, const char *kernel,
                               int k, int threads, pe__kmeans_data *data);

static inline int64_t pe__kmeans_block_end(const pe__kmeans_data *data, int64_t b) {
  int64_t end = (b + 1) * PE_KMEANS_BLOCK;
  return end < data->n ? end : data->n;
}

/* Per-thread scratch for the assignment kernel over one block. */
typedef struct {
  int32_t *labels;
  float *dist;
  float *dist2; /* second-nearest distances, when asked for */
  void *work;
  int64_t sub; /* points per kernel call: keeps the kernel's scratch small */
  /* Points of the block whose label changed (offsets, previous labels). */
  int32_t *moved_at, *moved_old;
} pe__kmeans_scratch;

/* Allocates `threads` scratch sets for centroid count k (and frees them). */
pe_status pe__kmeans_scratch_alloc(const pe__kmeans_data *data, int k, pe__kmeans_scratch **out);
void pe__kmeans_scratch_free(const pe__kmeans_data *data, pe__kmeans_scratch *s);

/* Nearest centroid for the points [begin, end) of one block, calling the
 * kernel in sub-blocks of s->sub points; labels/dist go to s->labels/s->dist
 * (indexed from 0 = begin). */
void pe__kmeans_assign_block(const pe__kmeans_data *data, int64_t begin, int64_t end,
                             const float *c, const float *c_norms, int k, pe__kmeans_scratch *s);
/* The same, also filling s->dist2 with the second-nearest distances. */
void pe__kmeans_assign_block2(const pe__kmeans_data *data, int64_t begin, int64_t end,
                              const float *c, const float *c_norms, int k, pe__kmeans_scratch *s);

/* The result of one assignment pass. */
typedef struct {
  double *sums;      /* k x d weighted sums of the assigned points (NULL: not wanted) */
  double *counts;    /* k summed weights (with sums) */
  int incremental;   /* in: sums/counts hold the sums of the labels `labels` holds
                        before the pass; only the points that change label are
                        moved between clusters (labels must all be valid) */
  int labels_unset;  /* in: `labels` holds nothing yet (a run's first pass): it is not
                        read, and every point counts as moved */
  int want_inertia;  /* in: also sum the distances (only progress reports need it) */
  int exact_inertia; /* in: instead, the exact inertia of the new labels (the same
                        bits as pe__kmeans_exact_inertia), while x is in cache */
  double inertia;    /* sum of w * kernel distance, folded in block order (else 0) */
  int64_t moved;     /* labels that differ from what `labels` held before (not
                        counted when exact_inertia is set: the final pass) */
} pe__kmeans_pass_out;

/* One pass over all blocks: labels[i] <- nearest centroid of c, dist[i] <- its
 * squared distance (dist may be NULL), and when out->sums is set the per-block
 * partial sums/counts/inertia folded in block order (pe__kmeans_fold; an
 * incremental pass folds only the rows each block's moved points touched).
 *
 * The reduction order is the contract that makes results independent of the
 * thread count: block b covers points [b*B, min(n, (b+1)*B)), each block's
 * partial is computed alone, and partials are added left to right in block
 * order into a zeroed accumulator. A multi-process version gives each process
 * whole blocks and folds the same partials in the same order. */
pe_status pe__kmeans_assign_pass(const pe__kmeans_data *data, const float *c, int k,
                                 pe__kmeans_scratch *scratch, int32_t *labels, float *dist,
                                 pe__kmeans_pass_out *out);

/* acc[e] += parts[p][e] for p = 0 .. nparts-1 in that order, for each of
 * `len` elements; parallel over elements, so the order per element is fixed. */
void pe__kmeans_fold(double *acc, const double *parts, int64_t nparts, int64_t len, int threads);

/* Exact inertia sum w * ||x - c_label||^2 over all points, computed from the
 * differences in double (no kernel rounding), folded in block order. */
double pe__kmeans_exact_inertia(const pe__kmeans_data *data, const float *c, const int32_t *labels);

/* dist[i] = ||x_i - c_labels[i]||^2 for every point, from the differences in
 * double (as the exact inertia), rounded to float: what the relocation of
 * empty clusters ranks points by. O(n d), against the O(n k d) of an
 * assignment, and the same whatever kernel assigned the points. */
void pe__kmeans_assigned_distances(const pe__kmeans_data *data, const float *c,
                                   const int32_t *labels, float *dist);

/* Mean over features of the (unweighted) variance of the data, as
 * scikit-learn scales tol. Folded in block order. */
double pe__kmeans_mean_variance(const pe__kmeans_data *data);

/* First row (and column) holding NaN or Inf, or -1 when all finite. */
int64_t pe__kmeans_first_nonfinite(const float *x, int64_t n, int d, int *column);

/* ---- initialisation ---- */
/* `nearest` is scratch of n int32 the caller lends. */
pe_status pe__kmeans_init_kmeanspp(const pe__kmeans_data *data, int k, uint64_t seed,
                                   uint64_t stream, int32_t *nearest, float *centers);
pe_status pe__kmeans_init_random(const pe__kmeans_data *data, int k, uint64_t seed, uint64_t stream,
                                 float *centers);

/* ---- empty clusters ---- */

/* For every cluster with zero weight, in cluster-index order, moves its
 * centroid onto the next of the points farthest from their own centroid
 * (largest dist, ties to the lowest index, each point used once, zero-weight
 * points never), and moves that point's contribution from its old cluster's
 * sums/counts to the new one, as scikit-learn does. Returns how many clusters
 * were relocated. */
int pe__kmeans_relocate_empty(const pe__kmeans_data *data, int k, const int32_t *labels,
                              const float *dist, double *sums, double *counts);

/* ---- algorithms ---- */

/* What one run of an iteration algorithm gets and returns. Centers (k x d)
 * come in initialised and go out final; labels (n) is filled. */
typedef struct {
  int k, max_iter, run;
  double tol_abs; /* tol * mean variance */
  pe_kmeans_progress_fn progress;
  void *progress_ctx;
} pe__kmeans_run_params;

typedef struct {
  int iterations;
  int converged;
  int labels_final; /* 1 if labels already belong to the returned centers */
} pe__kmeans_run_result;

typedef pe_status (*pe__kmeans_algorithm_fn)(const pe__kmeans_data *data,
                                             const pe__kmeans_run_params *p, float *centers,
                                             int32_t *labels, pe__kmeans_run_result *res);

pe_status pe__kmeans_lloyd(const pe__kmeans_data *data, const pe__kmeans_run_params *p,
                           float *centers, int32_t *labels, pe__kmeans_run_result *res);

/* The run function of an algorithm, or NULL. The table lives in
 * kmeans_params.c: a new algorithm is one entry there plus its own file. */
pe__kmeans_algorithm_fn pe__kmeans_algorithm_get(pe_kmeans_algorithm a);

double pe__kmeans_now(void);

#endif
