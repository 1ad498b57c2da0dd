/* pe_kmeans_fit: checks the input, resolves kernel and algorithm, and runs
 * n_init restarts keeping the one with the lowest inertia. */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/huge_alloc.h"
#include "kmeans/kmeans_internal.h"

static pe_status check_params(const float *x, int64_t n, int d, const pe_kmeans_params *p) {
  PE_FAIL_IF(!p, PE_ERR_USAGE, "k-means: no parameters given");
  PE_FAIL_IF(n < 1 || !x, PE_ERR_USAGE, "k-means: there are no points to cluster");
  PE_FAIL_IF(d < 1, PE_ERR_USAGE, "k-means: the points have no features (d = %d)", d);
  PE_FAIL_IF(p->k < 1, PE_ERR_USAGE, "k-means: k must be at least 1 (got %d)", p->k);
  PE_FAIL_IF(p->k > n, PE_ERR_USAGE, "k-means: k = %d exceeds the number of points (%lld)", p->k,
             (long long)n);
  PE_FAIL_IF(p->max_iter < 1, PE_ERR_USAGE, "k-means: max_iter must be at least 1 (got %d)",
             p->max_iter);
  PE_FAIL_IF(!(p->tol >= 0.0 && isfinite(p->tol)), PE_ERR_USAGE,
             "k-means: tol must be a finite number >= 0");
  PE_FAIL_IF(p->n_init < 1, PE_ERR_USAGE, "k-means: n_init must be at least 1 (got %d)", p->n_init);
  PE_FAIL_IF(p->threads < 0, PE_ERR_USAGE, "k-means: threads must be >= 0");
  PE_FAIL_IF(p->init != PE_KMEANS_INIT_KMEANSPP && p->init != PE_KMEANS_INIT_RANDOM &&
                 p->init != PE_KMEANS_INIT_GIVEN,
             PE_ERR_USAGE, "k-means: unknown init kind %d", (int)p->init);
  PE_FAIL_IF(p->init == PE_KMEANS_INIT_GIVEN && !p->init_centers, PE_ERR_USAGE,
             "k-means: init is 'given' but no initial centers were passed");
  return PE_OK;
}

static pe_status check_values(const float *x, int64_t n, int d, const float *w,
                              const pe_kmeans_params *p) {
  int col = 0;
  int64_t row = pe__kmeans_first_nonfinite(x, n, d, &col);
  PE_FAIL_IF(row >= 0, PE_ERR_DATA, "k-means: row %lld, column %d of the data is %s",
             (long long)row, col, isnan(x[row * d + col]) ? "NaN" : "infinite");
  if (p->init == PE_KMEANS_INIT_GIVEN) {
    row = pe__kmeans_first_nonfinite(p->init_centers, p->k, d, &col);
    PE_FAIL_IF(row >= 0, PE_ERR_DATA, "k-means: initial center %lld, column %d is not finite",
               (long long)row, col);
  }
  if (w) {
    double total = 0.0;
    for (int64_t i = 0; i < n; i++) {
      PE_FAIL_IF(!(w[i] >= 0.0f) || isinf(w[i]), PE_ERR_DATA,
                 "k-means: weight of row %lld is %g; weights must be finite and >= 0", (long long)i,
                 (double)w[i]);
      total += w[i];
    }
    PE_FAIL_IF(total <= 0.0, PE_ERR_DATA, "k-means: all weights are 0");
  }
  return PE_OK;
}

static pe_status resolve_kernel(const char *name, int d, int k, const pe_kernel_table **out) {
  pe_kernel_id id = PE_KERNEL_AUTO;
  PE_FAIL_IF(name && pe_kernel_parse(name, &id) != 0, PE_ERR_USAGE,
             "unknown kernel '%s' (expected auto, scalar, avx2, avx512 or blas)", name);
  if (id == PE_KERNEL_AUTO) id = pe_kernel_choose(d, k);
  *out = pe_kernel_get(id);
  PE_FAIL_IF(!*out, PE_ERR_UNSUPPORTED, "kernel '%s' is not supported by this CPU or build",
             pe_kernel_name(id));
  return PE_OK;
}

pe_status pe__kmeans_data_init(const float *x, int64_t n, int d, const float *w, const char *kernel,
                               int k, int threads, pe__kmeans_data *data) {
  memset(data, 0, sizeof *data);
  PE_FORWARD(resolve_kernel(kernel, d, k, &data->kernel));
  data->x = x;
  data->n = n;
  data->d = d;
  data->w = w;
  data->threads = threads > 0 ? threads : omp_get_max_threads();
  data->nblocks = (n + PE_KMEANS_BLOCK - 1) / PE_KMEANS_BLOCK;
  /* Threads are ours: each kernel call (BLAS included) must stay on one.
   * Only when it is not so already: with the pthread OpenBLAS, setting it
   * again after its pool was stopped (personae's main) starts a pool thread
   * that spins in sched_yield beside ours (0.07 s of CPU during a 1M-customer
   * clustering). Only in the pthread build: in the OpenMP build it would set
   * OpenMP's thread count, ours, and its BLAS calls inside our parallel
   * regions run on the calling thread anyway. */
  if (openblas_get_parallel() == 1 && openblas_get_num_threads() != 1) openblas_set_num_threads(1);
  return PE_OK;
}

static pe_kmeans_model *model_alloc(int k, int d, int64_t n) {
  pe_kmeans_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->k = k;
  m->d = d;
  m->n = n;
  m->centroids = malloc((size_t)k * d * sizeof(float));
  /* Every pass reads the labels and rewrites those that change. */
  m->labels = n > 0 ? pe_huge_alloc((size_t)n * sizeof(int32_t)) : NULL;
  if (!m->centroids || (n > 0 && !m->labels)) {
    pe_kmeans_model_free(m);
    return NULL;
  }
  return m;
}

/* `scratch_i32` holds n values, lent to k-means++ (the labels array, which
 * the algorithm overwrites afterwards). */
static pe_status initial_centers(const pe__kmeans_data *data, const pe_kmeans_params *p, int run,
                                 int32_t *scratch_i32, float *centers) {
  switch (p->init) {
    case PE_KMEANS_INIT_KMEANSPP:
      return pe__kmeans_init_kmeanspp(data, p->k, p->seed, (uint64_t)run, scratch_i32, centers);
    case PE_KMEANS_INIT_RANDOM:
      return pe__kmeans_init_random(data, p->k, p->seed, (uint64_t)run, centers);
    case PE_KMEANS_INIT_GIVEN:
      memcpy(centers, p->init_centers, (size_t)p->k * data->d * sizeof(float));
      return PE_OK;
  }
  return pe__fail(PE_ERR_INTERNAL, "k-means: unknown init");
}

pe_status pe_kmeans_fit(const float *x, int64_t n, int d, const float *weights,
                        const pe_kmeans_params *params, pe_kmeans_model **out) {
  *out = NULL;
  PE_FORWARD(check_params(x, n, d, params));
  const pe_kmeans_params *p = params;
  pe__kmeans_algorithm_fn algorithm = pe__kmeans_algorithm_get(p->algorithm);
  PE_FAIL_IF(!algorithm, PE_ERR_UNSUPPORTED, "k-means algorithm %d is not available",
             (int)p->algorithm);
  PE_FORWARD(check_values(x, n, d, weights, p));
  pe__kmeans_data data;
  PE_FORWARD(pe__kmeans_data_init(x, n, d, weights, p->kernel, p->k, p->threads, &data));

  const int k = p->k;
  const int runs = p->init == PE_KMEANS_INIT_GIVEN ? 1 : p->n_init;
  pe_kmeans_model *m = model_alloc(k, d, n);
  float *centers = malloc((size_t)k * d * sizeof(float));
  /* A single run labels straight into the model; restarts need a second
   * array, swapped with the model's whenever a run beats the best. */
  int32_t *labels = runs > 1 ? pe_huge_alloc((size_t)n * sizeof(int32_t)) : m ? m->labels : NULL;
  pe__kmeans_scratch *scratch = NULL;
  pe_status st = PE_OK;
  if (!m || !centers || !labels) {
    st = pe__fail(PE_ERR_NOMEM, "k-means: out of memory for %lld labels", (long long)n);
    goto done;
  }
  double tol_abs = 0.0;
  if (p->tol > 0.0) {
    double var = pe__kmeans_mean_variance(&data);
    if (var < 0.0) {
      st = pe__fail(PE_ERR_NOMEM, "k-means: out of memory");
      goto done;
    }
    tol_abs = p->tol * var;
  }
  PE_CHECK_GOTO(pe__kmeans_scratch_alloc(&data, k, &scratch), st, done);

  m->inertia = INFINITY;
  for (int run = 0; run < runs; run++) {
    double t0 = pe__kmeans_now();
    PE_CHECK_GOTO(initial_centers(&data, p, run, labels, centers), st, done);
    double t1 = pe__kmeans_now();
    pe__kmeans_run_params rp = {k, p->max_iter, run, tol_abs, p->progress, p->progress_ctx};
    pe__kmeans_run_result res;
    PE_CHECK_GOTO(algorithm(&data, &rp, centers, labels, &res), st, done);
    /* Labels must be those of the returned centroids: one more assignment
     * (which also yields the exact inertia) unless the last update left
     * every centroid where it was. */
    double inertia;
    if (!res.labels_final) {
      pe__kmeans_pass_out final = {.exact_inertia = 1};
      PE_CHECK_GOTO(pe__kmeans_assign_pass(&data, centers, k, scratch, labels, NULL, &final), st,
                    done);
      inertia = final.inertia;
    } else {
      inertia = pe__kmeans_exact_inertia(&data, centers, labels);
    }
    double t2 = pe__kmeans_now();
    m->init_seconds += t1 - t0;
    m->iter_seconds += t2 - t1;
    if (inertia < 0.0) {
      st = pe__fail(PE_ERR_NOMEM, "k-means: out of memory");
      goto done;
    }
    /* Strictly lower: ties keep the earlier run. */
    if (inertia < m->inertia || run == 0) {
      m->inertia = inertia;
      m->iterations = res.iterations;
      m->converged = res.converged;
      m->best_run = run;
      memcpy(m->centroids, centers, (size_t)k * d * sizeof(float));
      int32_t *previous_best = m->labels;
      m->labels = labels;
      labels = previous_best;
    }
  }
  m->seed = p->seed;
  snprintf(m->kernel, sizeof m->kernel, "%s", data.kernel->name);
  snprintf(m->algorithm, sizeof m->algorithm, "%s", pe_kmeans_algorithm_name(p->algorithm));
  snprintf(m->init, sizeof m->init, "%s", pe_kmeans_init_name(p->init));
done:
  pe__kmeans_scratch_free(&data, scratch);
  free(centers);
  if (!m || labels != m->labels) free(labels);
  if (st != PE_OK) {
    pe_kmeans_model_free(m);
    return st;
  }
  *out = m;
  return PE_OK;
}
