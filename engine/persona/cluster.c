/* pe_persona_cluster: choose K on a sample, fit it with restarts on the
 * sample, then refine on all customers.
 *
 * Why a sample: k-means++ restarts and the K curve need many passes, but
 * their answer (where the centroids are) is already stable on tens of
 * thousands of points; the full data then only needs a few Lloyd iterations
 * from those centroids to converge. This keeps `personae run` linear in N
 * with a small constant. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/rng.h"
#include "persona/persona_internal.h"

struct pe_persona_clustering {
  pe_kmeans_model *model;
  int k;
  int curve_count;
  pe_persona_k_score curve[64];
  double seconds_choose, seconds_sample, seconds_refine;
};

pe_persona_cluster_params pe_persona_cluster_params_default(void) {
  pe_persona_cluster_params p = {.k = 0,
                                 .k_min = 3,
                                 .k_max = 12,
                                 .sample = 50000,
                                 .n_init = 4,
                                 .max_iter = 100,
                                 .seed = 42,
                                 .threads = 0,
                                 .kernel = NULL};
  return p;
}

static pe_status check_params(int64_t n, int d, const pe_persona_cluster_params *p) {
  PE_FAIL_IF(!p, PE_ERR_USAGE, "cluster: no parameters given");
  PE_FAIL_IF(n < 1 || d < 1, PE_ERR_USAGE, "cluster: there are no customers to cluster");
  PE_FAIL_IF(p->k < 0, PE_ERR_USAGE, "cluster: k must be >= 1, or 0 for auto");
  PE_FAIL_IF(p->k == 0 && (p->k_min < 2 || p->k_max < p->k_min || p->k_max > 64), PE_ERR_USAGE,
             "cluster: the auto range must satisfy 2 <= k_min <= k_max <= 64 (got %d..%d)",
             p->k_min, p->k_max);
  /* A usage error, as `personae cluster -k` beyond the points is. */
  PE_FAIL_IF(p->k > n, PE_ERR_USAGE,
             "cluster: k = %d exceeds the %lld customers; choose a smaller k or auto", p->k,
             (long long)n);
  PE_FAIL_IF(p->sample < 1, PE_ERR_USAGE, "cluster: the sample size must be >= 1");
  PE_FAIL_IF(p->n_init < 1 || p->max_iter < 1, PE_ERR_USAGE,
             "cluster: n_init and max_iter must be >= 1");
  return PE_OK;
}

/* Selection sampling (Knuth's algorithm S): m of n rows, in row order, each
 * subset equally likely; one pass, no sort. */
static float *draw_sample(const float *x, int64_t n, int d, int64_t m, uint64_t seed) {
  float *s = malloc((size_t)m * (size_t)d * sizeof *s);
  if (!s) return NULL;
  pe_rng rng;
  pe_rng_init(&rng, seed, 0x5a3b1e);
  int64_t taken = 0;
  for (int64_t i = 0; i < n && taken < m; i++)
    if ((double)(n - i) * pe_rng_uniform(&rng) < (double)(m - taken))
      memcpy(s + (size_t)taken++ * d, x + (size_t)i * d, (size_t)d * sizeof *s);
  return s;
}

/* Simplified silhouette (distance to the own centroid against the nearest
 * other centroid, per point) and Calinski-Harabasz, over the sample. */
static void evaluate(const float *x, int64_t n, int d, const pe_kmeans_model *m,
                     pe_persona_k_score *score) {
  const int k = pe_kmeans_model_k(m);
  const float *c = pe_kmeans_model_centroids(m);
  const int32_t *label = pe_kmeans_model_labels(m);
  /* Per-block partial sums added in block order: the same total for any
   * thread count. */
  enum { BLOCK = 4096 };
  const int64_t nblocks = (n + BLOCK - 1) / BLOCK;
  double *partial = calloc((size_t)nblocks, sizeof *partial);
  double sil = 0;
  if (partial) {
#pragma omp parallel for schedule(static)
    for (int64_t blk = 0; blk < nblocks; blk++) {
      const int64_t end = (blk + 1) * BLOCK < n ? (blk + 1) * BLOCK : n;
      double acc = 0;
      for (int64_t i = blk * BLOCK; i < end; i++) {
        double own = 0, other = INFINITY;
        for (int j = 0; j < k; j++) {
          double s = 0;
          for (int t = 0; t < d; t++) {
            const double diff = (double)x[i * d + t] - c[j * d + t];
            s += diff * diff;
          }
          if (j == label[i])
            own = s;
          else if (s < other)
            other = s;
        }
        const double a = sqrt(own), b = sqrt(other), hi = a > b ? a : b;
        acc += hi > 0 && k > 1 ? (b - a) / hi : 0.0;
      }
      partial[blk] = acc;
    }
    for (int64_t blk = 0; blk < nblocks; blk++) sil += partial[blk];
  }
  free(partial);
  /* Between-cluster dispersion from the centroids and cluster sizes. */
  double *mean = calloc((size_t)d, sizeof *mean);
  int64_t *size = calloc((size_t)k, sizeof *size);
  double between = 0;
  if (mean && size) {
    for (int64_t i = 0; i < n; i++) {
      size[label[i]]++;
      for (int t = 0; t < d; t++) mean[t] += x[i * d + t];
    }
    for (int t = 0; t < d; t++) mean[t] /= (double)n;
    for (int j = 0; j < k; j++)
      for (int t = 0; t < d; t++) {
        const double diff = c[j * d + t] - mean[t];
        between += (double)size[j] * diff * diff;
      }
  }
  free(mean);
  free(size);
  const double within = pe_kmeans_model_inertia(m);
  score->k = k;
  score->inertia = within / (double)n;
  score->silhouette = sil / (double)n;
  score->calinski_harabasz =
      k > 1 && within > 0 && n > k ? (between / (k - 1)) / (within / (double)(n - k)) : 0.0;
}

static pe_status fit(const float *x, int64_t n, int d, int k, uint64_t seed, int threads,
                     const float *init, const pe_persona_cluster_params *p, pe_kmeans_model **m) {
  pe_kmeans_params kp = pe_kmeans_params_default();
  kp.k = k;
  kp.n_init = 1;
  kp.init = init ? PE_KMEANS_INIT_GIVEN : PE_KMEANS_INIT_KMEANSPP;
  kp.init_centers = init;
  kp.max_iter = p->max_iter;
  kp.seed = seed;
  kp.threads = threads;
  kp.kernel = p->kernel;
  return pe_kmeans_fit(x, n, d, NULL, &kp, m);
}

/* Restart r of any K uses its own seed, so that every (K, restart) fit is
 * independent of the others and of the order in which threads run them. */
static uint64_t restart_seed(uint64_t seed, int r) {
  return seed + 0x9E3779B97F4A7C15ull * (uint64_t)r;
}

/* Fits every K of ks[0..nk-1] with n_init k-means++ restarts on the sample
 * and keeps, per K, the restart with the lowest inertia (ties: the first).
 * The fits run in parallel, one thread each: on a sample of tens of thousands
 * of points one fit is too small to share between threads, and whole fits in
 * parallel need no synchronisation at all. */
static pe_status fit_sample(const float *xs, int64_t m, int d, const int *ks, int nk,
                            const pe_persona_cluster_params *p, pe_kmeans_model **best) {
  const int jobs = nk * p->n_init;
  pe_kmeans_model **models = calloc((size_t)jobs, sizeof *models);
  pe_status *status = calloc((size_t)jobs, sizeof *status);
  PE_FAIL_IF(!models || !status, PE_ERR_NOMEM, "cluster: out of memory");
  const int threads = p->threads > 0 ? p->threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int j = 0; j < jobs; j++) {
    const int r = j % p->n_init;
    status[j] = fit(xs, m, d, ks[j / p->n_init], restart_seed(p->seed, r), 1, NULL, p, &models[j]);
  }
  pe_status st = PE_OK;
  for (int j = 0; j < jobs && st == PE_OK; j++) st = status[j];
  for (int i = 0; i < nk; i++) {
    best[i] = NULL;
    for (int r = 0; st == PE_OK && r < p->n_init; r++) {
      pe_kmeans_model **cand = &models[i * p->n_init + r];
      if (!best[i] || pe_kmeans_model_inertia(*cand) < pe_kmeans_model_inertia(best[i])) {
        pe_kmeans_model_free(best[i]);
        best[i] = *cand;
        *cand = NULL;
      }
    }
  }
  for (int j = 0; j < jobs; j++) pe_kmeans_model_free(models[j]);
  if (st != PE_OK)
    for (int i = 0; i < nk; i++) pe_kmeans_model_free(best[i]), best[i] = NULL;
  free(models);
  free(status);
  /* A fit's error message was recorded on its own thread: say which. */
  if (st != PE_OK) return pe__fail(st, "cluster: a k-means fit on the sample failed");
  return PE_OK;
}

static double now(void) {
  return omp_get_wtime();
}

pe_status pe_persona_cluster(const float *x, int64_t n, int d, const pe_persona_cluster_params *p,
                             pe_persona_clustering **out) {
  PE_FAIL_IF(!out, PE_ERR_USAGE, "cluster: no output given");
  *out = NULL;
  PE_FORWARD(check_params(n, d, p));
  pe_persona_clustering *c = calloc(1, sizeof *c);
  PE_FAIL_IF(!c, PE_ERR_NOMEM, "cluster: out of memory");
  /* At least ten customers per cluster in the sample, whatever --sample. */
  int64_t m = n < p->sample ? n : p->sample;
  const int64_t k_top = p->k > 0 ? p->k : p->k_max;
  if (m < 10 * k_top) m = n < 10 * k_top ? n : 10 * k_top;
  const float *xs = x;
  float *sample = NULL;
  pe_kmeans_model *best = NULL;
  pe_status st = PE_OK;
  if (m < n) {
    sample = draw_sample(x, n, d, m, p->seed);
    if (!sample) {
      st = pe__fail(PE_ERR_NOMEM, "cluster: out of memory for a sample of %lld customers",
                    (long long)m);
      goto fail;
    }
    xs = sample;
  }
  double t0 = now();
  int k = p->k;
  if (k == 0) {
    /* At most one persona per ten customers (but never below k_min): on a
     * small input the simplified silhouette of one-customer clusters is 1,
     * and the rule would pick as many personas as customers. */
    int64_t per_ten = m / 10 > p->k_min ? m / 10 : p->k_min;
    const int hi = (int)(p->k_max < per_ten ? p->k_max : per_ten < m ? per_ten : m);
    if (p->k_min > hi) {
      st = pe__fail(PE_ERR_DATA, "cluster: too few customers (%lld) for k >= %d", (long long)m,
                    p->k_min);
      goto fail;
    }
    int ks[64];
    pe_kmeans_model *fits[64];
    const int nk = hi - p->k_min + 1;
    for (int i = 0; i < nk; i++) ks[i] = p->k_min + i;
    PE_CHECK_GOTO(fit_sample(xs, m, d, ks, nk, p, fits), st, fail);
    double top = -INFINITY;
    for (int i = 0; i < nk; i++) {
      pe_persona_k_score *s = &c->curve[c->curve_count++];
      evaluate(xs, m, d, fits[i], s);
      if (s->silhouette > top) top = s->silhouette;
    }
    /* Parsimony: the smallest K whose silhouette is within
     * PE_PERSONA_SILHOUETTE_SLACK of the best. Fewer personas are easier to
     * act on, and the simplified silhouette often creeps up slowly with K
     * once the real groups are found. */
    int chosen = -1;
    for (int i = 0; i < nk && chosen < 0; i++)
      if (c->curve[i].silhouette >= top - PE_PERSONA_SILHOUETTE_SLACK) chosen = i;
    k = ks[chosen];
    best = fits[chosen];
    for (int i = 0; i < nk; i++)
      if (i != chosen) pe_kmeans_model_free(fits[i]);
  }
  double t1 = now();
  if (!best) PE_CHECK_GOTO(fit_sample(xs, m, d, &k, 1, p, &best), st, fail);
  double t2 = now();
  /* Refine on every customer from the best sample centroids. */
  PE_CHECK_GOTO(fit(x, n, d, k, p->seed, p->threads, pe_kmeans_model_centroids(best), p, &c->model),
                st, fail);
  c->k = k;
  c->seconds_choose = t1 - t0;
  c->seconds_sample = t2 - t1;
  c->seconds_refine = now() - t2;
  pe_kmeans_model_free(best);
  free(sample);
  *out = c;
  return PE_OK;
fail:
  pe_kmeans_model_free(best);
  free(sample);
  pe_persona_clustering_free(c);
  return st;
}

int pe_persona_clustering_k(const pe_persona_clustering *c) {
  return c ? c->k : 0;
}
const pe_kmeans_model *pe_persona_clustering_model(const pe_persona_clustering *c) {
  return c ? c->model : NULL;
}
int pe_persona_clustering_curve_count(const pe_persona_clustering *c) {
  return c ? c->curve_count : 0;
}
const pe_persona_k_score *pe_persona_clustering_curve(const pe_persona_clustering *c) {
  return c ? c->curve : NULL;
}
void pe_persona_clustering_seconds(const pe_persona_clustering *c, double *choose_k,
                                   double *sample_fit, double *refine) {
  if (choose_k) *choose_k = c ? c->seconds_choose : 0;
  if (sample_fit) *sample_fit = c ? c->seconds_sample : 0;
  if (refine) *refine = c ? c->seconds_refine : 0;
}
void pe_persona_clustering_free(pe_persona_clustering *c) {
  if (!c) return;
  pe_kmeans_model_free(c->model);
  free(c);
}
