/* k-means engine: agreement with a brute-force Lloyd, bit-identical results
 * across thread counts, n_init, empty clusters, weights, errors, model I/O
 * and a real-data sanity check. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "harness.h"
#include "kmeans/kmeans_internal.h"
#include "personae.h"

/* ---- data and a brute-force reference ---- */

/* n points around k random centres (spread `spread`) with noise 1. */
static float *blobs(int64_t n, int d, int k, double spread, uint64_t seed) {
  pe_rng r;
  pe_rng_init(&r, seed, 99);
  double *centres = malloc((size_t)k * d * sizeof(double));
  for (int i = 0; i < k * d; i++) centres[i] = spread * (pe_rng_uniform(&r) - 0.5);
  float *x = malloc((size_t)n * d * sizeof(float));
  for (int64_t i = 0; i < n; i++) {
    int c = (int)pe_rng_below(&r, (uint64_t)k);
    for (int t = 0; t < d; t++) x[i * d + t] = (float)(centres[c * d + t] + pe_rng_normal(&r));
  }
  free(centres);
  return x;
}

static double sq_dist(const float *a, const float *b, int d) {
  double s = 0.0;
  for (int t = 0; t < d; t++) {
    double diff = (double)a[t] - (double)b[t];
    s += diff * diff;
  }
  return s;
}

/* The nearest of k centres (ties to the lowest index) and its distance. */
static int nearest(const float *xi, const float *c, int d, int k, double *dist) {
  int best = 0;
  double bd = sq_dist(xi, c, d);
  for (int j = 1; j < k; j++) {
    double v = sq_dist(xi, c + j * d, d);
    if (v < bd) bd = v, best = j;
  }
  *dist = bd;
  return best;
}

/* Textbook Lloyd: assign (ties to the lowest index), move each centre to the
 * mean of its points, stop when no label changes; no empty clusters allowed
 * (the callers' data never produce one). Returns the iterations. */
static int brute_lloyd(const float *x, int64_t n, int d, int k, float *c, int max_iter,
                       int32_t *labels, double *inertia) {
  double *sums = malloc((size_t)k * d * sizeof(double));
  double *counts = malloc((size_t)k * sizeof(double));
  for (int64_t i = 0; i < n; i++) labels[i] = -1;
  int it = 0, changed = 1;
  while (changed && it < max_iter) {
    it++;
    changed = 0;
    memset(sums, 0, (size_t)k * d * sizeof(double));
    memset(counts, 0, (size_t)k * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
      double bd;
      const int best = nearest(x + i * d, c, d, k, &bd);
      changed |= labels[i] != best;
      labels[i] = best;
      counts[best] += 1;
      for (int t = 0; t < d; t++) sums[best * d + t] += x[i * d + t];
    }
    for (int j = 0; j < k; j++)
      if (counts[j] > 0)
        for (int t = 0; t < d; t++) c[j * d + t] = (float)(sums[j * d + t] / counts[j]);
  }
  /* Final labels of the final centres, as the engine returns them. */
  *inertia = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double bd;
    const int best = nearest(x + i * d, c, d, k, &bd);
    labels[i] = best;
    *inertia += bd;
  }
  free(sums);
  free(counts);
  return it;
}

static pe_kmeans_params given_params(int k, const float *init) {
  pe_kmeans_params p = pe_kmeans_params_default();
  p.k = k;
  p.init = PE_KMEANS_INIT_GIVEN;
  p.init_centers = init;
  p.tol = 0.0;
  p.max_iter = 100;
  return p;
}

static void check_against_brute(int64_t n, int d, int k, const char *kernel) {
  float *x = blobs(n, d, k, 12.0, 7);
  float *init = malloc((size_t)k * d * sizeof(float));
  /* Rows spread over the data, so no cluster starts empty. */
  for (int j = 0; j < k; j++) memcpy(init + j * d, x + (n / k) * j * d, (size_t)d * sizeof(float));
  pe_kmeans_params p = given_params(k, init);
  p.kernel = kernel;
  p.threads = 2;
  pe_kmeans_model *m = NULL;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, n, d, NULL, &p, &m), PE_OK);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);

  float *c = malloc((size_t)k * d * sizeof(float));
  memcpy(c, init, (size_t)k * d * sizeof(float));
  int32_t *labels = malloc((size_t)n * sizeof(int32_t));
  double inertia;
  int iters = brute_lloyd(x, n, d, k, c, 100, labels, &inertia);

  PE_ASSERT_EQ_LL(pe_kmeans_model_iterations(m), iters);
  int64_t differ = 0;
  for (int64_t i = 0; i < n; i++) differ += labels[i] != pe_kmeans_model_labels(m)[i];
  PE_ASSERT_EQ_LL(differ, 0);
  double worst = 0.0;
  for (int e = 0; e < k * d; e++)
    worst = fmax(worst, fabs((double)c[e] - pe_kmeans_model_centroids(m)[e]));
  PE_ASSERT_NEAR(worst, 0.0, 1e-4);
  PE_ASSERT_NEAR(pe_kmeans_model_inertia(m) / inertia, 1.0, 1e-6);
  pe_kmeans_model_free(m);
  free(x);
  free(init);
  free(c);
  free(labels);
}

static void test_matches_brute_force_scalar(void) {
  check_against_brute(500, 3, 4, "scalar");
  /* Several blocks, the last one partial. */
  check_against_brute(3 * PE_KMEANS_BLOCK + 123, 5, 7, "scalar");
}

static void test_matches_brute_force_auto(void) {
  check_against_brute(2 * PE_KMEANS_BLOCK + 77, 16, 9, "auto");
}

/* ---- reproducibility ---- */

static pe_kmeans_model *fit_threads(const float *x, int64_t n, int d, const float *w,
                                    pe_kmeans_params p, int threads) {
  p.threads = threads;
  pe_kmeans_model *m = NULL;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, n, d, w, &p, &m), PE_OK);
  return m;
}

static void assert_bit_identical(const pe_kmeans_model *a, const pe_kmeans_model *b) {
  CU_ASSERT_FATAL(a && b);
  PE_ASSERT_EQ_LL(pe_kmeans_model_iterations(a), pe_kmeans_model_iterations(b));
  PE_ASSERT_EQ_LL(pe_kmeans_model_best_run(a), pe_kmeans_model_best_run(b));
  double ia = pe_kmeans_model_inertia(a), ib = pe_kmeans_model_inertia(b);
  CU_ASSERT(memcmp(&ia, &ib, sizeof ia) == 0);
  size_t kd = (size_t)pe_kmeans_model_k(a) * pe_kmeans_model_d(a);
  CU_ASSERT(
      memcmp(pe_kmeans_model_centroids(a), pe_kmeans_model_centroids(b), kd * sizeof(float)) == 0);
  CU_ASSERT(memcmp(pe_kmeans_model_labels(a), pe_kmeans_model_labels(b),
                   (size_t)pe_kmeans_model_n(a) * sizeof(int32_t)) == 0);
}

static void check_threads(pe_kmeans_init init, const char *kernel, int use_weights) {
  const int64_t n = 5 * PE_KMEANS_BLOCK + 1001;
  const int d = 6, k = 11;
  float *x = blobs(n, d, 8, 10.0, 3);
  float *w = NULL;
  if (use_weights) {
    w = malloc((size_t)n * sizeof(float));
    pe_rng r;
    pe_rng_init(&r, 5, 0);
    for (int64_t i = 0; i < n; i++) w[i] = (float)(0.1 + pe_rng_uniform(&r));
  }
  pe_kmeans_params p = pe_kmeans_params_default();
  p.k = k;
  p.init = init;
  p.n_init = 2;
  p.seed = 1234;
  p.kernel = kernel;
  pe_kmeans_model *m1 = fit_threads(x, n, d, w, p, 1);
  pe_kmeans_model *m2 = fit_threads(x, n, d, w, p, 2);
  pe_kmeans_model *m3 = fit_threads(x, n, d, w, p, 3);
  assert_bit_identical(m1, m2);
  assert_bit_identical(m1, m3);
  pe_kmeans_model_free(m1);
  pe_kmeans_model_free(m2);
  pe_kmeans_model_free(m3);
  free(x);
  free(w);
}

static void test_threads_kmeanspp(void) {
  check_threads(PE_KMEANS_INIT_KMEANSPP, "auto", 0);
}
static void test_threads_random_weighted(void) {
  check_threads(PE_KMEANS_INIT_RANDOM, "auto", 1);
}
static void test_threads_scalar(void) {
  check_threads(PE_KMEANS_INIT_KMEANSPP, "scalar", 1);
}
static void test_threads_blas(void) {
  check_threads(PE_KMEANS_INIT_KMEANSPP, "blas", 0);
}

static void test_same_seed_same_result(void) {
  const int64_t n = 3000;
  float *x = blobs(n, 4, 5, 8.0, 11);
  pe_kmeans_params p = pe_kmeans_params_default();
  p.k = 5;
  p.seed = 77;
  pe_kmeans_model *a = fit_threads(x, n, 4, NULL, p, 2);
  pe_kmeans_model *b = fit_threads(x, n, 4, NULL, p, 2);
  assert_bit_identical(a, b);
  pe_kmeans_model_free(a);
  pe_kmeans_model_free(b);
  free(x);
}

/* ---- initialisation ---- */

/* Index of the data row equal to `c`, or -1. */
static int64_t row_of(const float *x, int64_t n, int d, const float *c) {
  for (int64_t i = 0; i < n; i++)
    if (memcmp(x + i * d, c, (size_t)d * sizeof(float)) == 0) return i;
  return -1;
}

/* On well-separated blobs greedy k-means++ puts one centre in every blob
 * (for a fixed seed the outcome is deterministic, so this cannot flake), and
 * every centre is a data row; random init picks k distinct rows. */
static void test_init_centres_are_rows_and_kmeanspp_spreads(void) {
  const int64_t n = 3 * PE_KMEANS_BLOCK + 500;
  const int d = 4, k = 10;
  float *x = blobs(n, d, k, 1000.0, 17);
  float *init = malloc((size_t)k * d * sizeof(float));
  for (int kind = 0; kind < 2; kind++) {
    pe__kmeans_data data;
    PE_ASSERT_STATUS(pe__kmeans_data_init(x, n, d, NULL, "auto", k, 2, &data), PE_OK);
    int32_t *nearest = malloc((size_t)n * sizeof(int32_t));
    if (kind)
      PE_ASSERT_STATUS(pe__kmeans_init_random(&data, k, 99, 0, init), PE_OK);
    else
      PE_ASSERT_STATUS(pe__kmeans_init_kmeanspp(&data, k, 99, 0, nearest, init), PE_OK);
    int64_t rows[16];
    for (int j = 0; j < k; j++) {
      rows[j] = row_of(x, n, d, init + j * d);
      CU_ASSERT(rows[j] >= 0);
      for (int q = 0; q < j; q++) CU_ASSERT(rows[q] != rows[j]);
    }
    if (!kind) {
      /* One centre per blob: pairwise distances all far above the noise. */
      double closest = INFINITY;
      for (int j = 0; j < k; j++)
        for (int q = 0; q < j; q++) closest = fmin(closest, sq_dist(init + j * d, init + q * d, d));
      CU_ASSERT(closest > 400.0);
    }
    free(nearest);
  }
  free(init);
  free(x);
}

/* The incremental pass against a full one: sums/counts from the labels of
 * centroids c0, then an incremental pass to c1 must give the sums a full
 * pass to c1 gives (within rounding: the two add in different orders), the
 * same labels and moved count, and the same bits for 1, 2 and 3 threads.
 * k = 1024, d = 128 makes a block's partial 1 MB, so a pass runs in several
 * rounds, each folding only the rows its blocks' moved points touched. */
static void test_incremental_pass_matches_full_pass(void) {
  const int64_t n = 4 * PE_KMEANS_BLOCK + 777;
  const int d = 128, k = 1024;
  float *x = blobs(n, d, 64, 30.0, 5);
  float *c0 = malloc((size_t)k * d * sizeof(float)), *c1 = malloc((size_t)k * d * sizeof(float));
  pe_rng rng;
  pe_rng_init(&rng, 11, 0);
  for (int j = 0; j < k; j++)
    for (int t = 0; t < d; t++) {
      c0[j * d + t] = x[((int64_t)j * 37 % n) * d + t];
      c1[j * d + t] = c0[j * d + t] + (float)(pe_rng_uniform(&rng) - 0.5) * 4.0f;
    }
  const size_t sums_len = (size_t)k * d;
  double *full = malloc(sums_len * sizeof(double)), *full_n = malloc((size_t)k * sizeof(double));
  double *inc_ref = NULL, *cnt_ref = NULL;
  int32_t *labels = malloc((size_t)n * sizeof(int32_t)),
          *labels_full = malloc((size_t)n * sizeof(int32_t));
  for (int threads = 1; threads <= 3; threads++) {
    pe__kmeans_data data;
    PE_ASSERT_STATUS(pe__kmeans_data_init(x, n, d, NULL, "auto", k, threads, &data), PE_OK);
    pe__kmeans_scratch *scratch = NULL;
    PE_ASSERT_STATUS(pe__kmeans_scratch_alloc(&data, k, &scratch), PE_OK);
    double *sums = malloc(sums_len * sizeof(double)), *counts = malloc((size_t)k * sizeof(double));
    for (int64_t i = 0; i < n; i++) labels[i] = -1;
    pe__kmeans_pass_out first = {.sums = sums, .counts = counts};
    PE_ASSERT_STATUS(pe__kmeans_assign_pass(&data, c0, k, scratch, labels, NULL, &first), PE_OK);
    pe__kmeans_pass_out inc = {.sums = sums, .counts = counts, .incremental = 1};
    PE_ASSERT_STATUS(pe__kmeans_assign_pass(&data, c1, k, scratch, labels, NULL, &inc), PE_OK);
    CU_ASSERT(inc.moved > n / 10 && inc.moved < n);
    for (int64_t i = 0; i < n; i++) labels_full[i] = -1;
    pe__kmeans_pass_out fresh = {.sums = full, .counts = full_n};
    PE_ASSERT_STATUS(pe__kmeans_assign_pass(&data, c1, k, scratch, labels_full, NULL, &fresh),
                     PE_OK);
    CU_ASSERT(memcmp(labels, labels_full, (size_t)n * sizeof(int32_t)) == 0);
    double worst = 0.0;
    for (size_t e = 0; e < sums_len; e++) worst = fmax(worst, fabs(sums[e] - full[e]));
    CU_ASSERT(worst < 1e-6);
    for (int j = 0; j < k; j++) CU_ASSERT(counts[j] == full_n[j]);
    if (!inc_ref) {
      inc_ref = sums;
      cnt_ref = counts;
    } else {
      CU_ASSERT(memcmp(sums, inc_ref, sums_len * sizeof(double)) == 0);
      CU_ASSERT(memcmp(counts, cnt_ref, (size_t)k * sizeof(double)) == 0);
      free(sums);
      free(counts);
    }
    pe__kmeans_scratch_free(&data, scratch);
  }
  free(inc_ref);
  free(cnt_ref);
  free(labels);
  free(labels_full);
  free(full);
  free(full_n);
  free(c0);
  free(c1);
  free(x);
}

/* The distances relocation ranks by: ||x - c_label||^2 in double, rounded to
 * float, over several blocks and threads. */
static void test_assigned_distances(void) {
  const int64_t n = 2 * PE_KMEANS_BLOCK + 123;
  const int d = 13, k = 7;
  float *x = blobs(n, d, k, 10.0, 3);
  float c[7 * 13];
  for (int e = 0; e < k * d; e++) c[e] = x[e * 5];
  int32_t *labels = malloc((size_t)n * sizeof(int32_t));
  float *dist = malloc((size_t)n * sizeof(float));
  for (int64_t i = 0; i < n; i++) labels[i] = (int32_t)((i * 3) % k);
  pe__kmeans_data data;
  PE_ASSERT_STATUS(pe__kmeans_data_init(x, n, d, NULL, "auto", k, 2, &data), PE_OK);
  pe__kmeans_assigned_distances(&data, c, labels, dist);
  int64_t wrong = 0;
  for (int64_t i = 0; i < n; i++) {
    double s = 0.0;
    for (int t = 0; t < d; t++) {
      double e = (double)x[i * d + t] - (double)c[labels[i] * d + t];
      s += e * e;
    }
    wrong += fabs((double)dist[i] - s) > 1e-6 * s + 1e-30;
  }
  PE_ASSERT_EQ_LL(wrong, 0);
  free(dist);
  free(labels);
  free(x);
}

/* ---- n_init ---- */

/* Restart r of n_init = R is the same as restart r of n_init = r + 1, so the
 * inertia of n_init = R must be the minimum of the running minima and the
 * kept run the first one reaching it. Random init on many overlapping blobs
 * makes the runs differ. */
static void test_n_init_keeps_lowest_inertia(void) {
  const int64_t n = 4000;
  const int d = 2, R = 6;
  float *x = blobs(n, d, 25, 40.0, 21);
  pe_kmeans_params p = pe_kmeans_params_default();
  p.k = 25;
  p.init = PE_KMEANS_INIT_RANDOM;
  p.seed = 5;
  p.threads = 2;
  double run_min[8];
  int distinct = 0;
  for (int r = 1; r <= R; r++) {
    p.n_init = r;
    pe_kmeans_model *m = NULL;
    PE_ASSERT_STATUS(pe_kmeans_fit(x, n, d, NULL, &p, &m), PE_OK);
    run_min[r - 1] = pe_kmeans_model_inertia(m);
    if (r > 1) {
      CU_ASSERT(run_min[r - 1] <= run_min[r - 2]);
      distinct += run_min[r - 1] < run_min[r - 2];
    }
    int expect_best = 0;
    for (int q = 1; q < r; q++)
      if (run_min[q] < run_min[expect_best]) expect_best = q;
    PE_ASSERT_EQ_LL(pe_kmeans_model_best_run(m), expect_best);
    pe_kmeans_model_free(m);
  }
  /* The data must make restarts matter, or the test proves nothing. */
  CU_ASSERT(distinct > 0);
  free(x);
}

/* ---- empty clusters ---- */

static void test_empty_cluster_relocated_to_farthest_point(void) {
  /* Two tight groups and one outlier; the third initial centre is far from
   * everything, so its cluster is empty after the first assignment and must
   * move onto the outlier (the point farthest from its centre). */
  enum { N = 21, D = 2, K = 3 };
  float x[N * D];
  for (int i = 0; i < 10; i++) {
    x[2 * i] = 0.1f * (float)i;
    x[2 * i + 1] = 0.0f;
    x[2 * (10 + i)] = 10.0f + 0.1f * (float)i;
    x[2 * (10 + i) + 1] = 0.0f;
  }
  x[40] = 5.0f;
  x[41] = 20.0f;
  float init[K * D] = {0, 0, 10, 0, 100, 100};
  pe_kmeans_params p = given_params(K, init);
  pe_kmeans_model *m = NULL;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, N, D, NULL, &p, &m), PE_OK);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  const float *c = pe_kmeans_model_centroids(m);
  PE_ASSERT_NEAR(c[4], 5.0, 0.0);
  PE_ASSERT_NEAR(c[5], 20.0, 0.0);
  PE_ASSERT_EQ_LL(pe_kmeans_model_labels(m)[20], 2);
  PE_ASSERT_NEAR(c[0], 0.45, 1e-6);
  PE_ASSERT_NEAR(c[2], 10.45, 1e-5);
  pe_kmeans_model_free(m);
}

/* Lloyd with scikit-learn's relocation of empty clusters, in double: after
 * each assignment, every empty cluster j (in index order) takes the next of
 * the points farthest from their centre (ties to the lower index), moved out
 * of its cluster's sums. Stops when no label changed or no centre moved
 * (the engine's rule with tol = 0). Counts the iterations that relocated,
 * and whether two came in a row. Returns the iterations. */
static int brute_lloyd_relocating(const float *x, int64_t n, int d, int k, float *c, int max_iter,
                                  int32_t *labels, int *relocations, int *consecutive) {
  double *sums = malloc((size_t)k * d * sizeof(double));
  double *counts = malloc((size_t)k * sizeof(double));
  double *dist = malloc((size_t)n * sizeof(double));
  char *taken = calloc((size_t)n, 1);
  for (int64_t i = 0; i < n; i++) labels[i] = -1;
  int it = 0, changed = 1, previous = 0;
  *relocations = *consecutive = 0;
  while (changed && it < max_iter) {
    it++;
    changed = 0;
    memset(sums, 0, (size_t)k * d * sizeof(double));
    memset(counts, 0, (size_t)k * sizeof(double));
    for (int64_t i = 0; i < n; i++) {
      double bd;
      const int best = nearest(x + i * d, c, d, k, &bd);
      changed |= labels[i] != best;
      labels[i] = best;
      dist[i] = bd;
      counts[best] += 1;
      for (int t = 0; t < d; t++) sums[best * d + t] += x[i * d + t];
    }
    int relocated = 0;
    memset(taken, 0, (size_t)n);
    for (int j = 0; j < k; j++) {
      if (counts[j] != 0.0) continue;
      int64_t far = -1;
      for (int64_t i = 0; i < n; i++)
        if (!taken[i] && (far < 0 || dist[i] > dist[far])) far = i;
      taken[far] = 1;
      relocated = 1;
      for (int t = 0; t < d; t++) {
        sums[labels[far] * d + t] -= x[far * d + t];
        sums[j * d + t] = x[far * d + t];
      }
      counts[labels[far]] -= 1;
      counts[j] = 1;
    }
    *relocations += relocated;
    *consecutive |= relocated && previous;
    previous = relocated;
    int moved = 0;
    for (int j = 0; j < k; j++)
      if (counts[j] > 0)
        for (int t = 0; t < d; t++) {
          const float v = (float)(sums[j * d + t] / counts[j]);
          moved |= v != c[j * d + t];
          c[j * d + t] = v;
        }
    if (!moved) break;
  }
  free(sums);
  free(counts);
  free(dist);
  free(taken);
  return it;
}

/* Clusters that empty in two iterations in a row: each relocation ranks the
 * points by their distance to the centroid they were just assigned to
 * (kmeans_lloyd.c), and must pick the points a brute-force Lloyd picks. All four initial centres
 * sit on one blob, so three clusters are empty at once and take the three outliers; two outliers
 * are the same point, so one of those two clusters empties again in the next iteration and takes
 * the blob's far edge. */
static void test_relocations_in_a_row(void) {
  enum { BLOB = 50, N = BLOB + 4, D = 1, K = 4 };
  float x[N * D];
  for (int i = 0; i < BLOB; i++) x[i] = 0.01f * (float)i;
  x[BLOB] = 0.9f;       /* the blob's far edge */
  x[BLOB + 1] = 300.0f; /* two identical outliers */
  x[BLOB + 2] = 200.0f;
  x[BLOB + 3] = 300.0f;
  float init[K * D] = {0.25f, 0.25f, 0.25f, 0.25f};
  float c[K * D];
  memcpy(c, init, sizeof c);
  int32_t labels[N];
  int relocations, consecutive;
  const int iters = brute_lloyd_relocating(x, N, D, K, c, 100, labels, &relocations, &consecutive);
  CU_ASSERT_FATAL(consecutive); /* the data do what the test is for */
  for (int threads = 1; threads <= 2; threads++) {
    pe_kmeans_params p = given_params(K, init);
    p.threads = threads;
    pe_kmeans_model *m = NULL;
    PE_ASSERT_STATUS(pe_kmeans_fit(x, N, D, NULL, &p, &m), PE_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    PE_ASSERT_EQ_LL(pe_kmeans_model_iterations(m), iters);
    for (int j = 0; j < K * D; j++) PE_ASSERT_NEAR(pe_kmeans_model_centroids(m)[j], c[j], 1e-5);
    for (int i = 0; i < N; i++) PE_ASSERT_EQ_LL(pe_kmeans_model_labels(m)[i], labels[i]);
    pe_kmeans_model_free(m);
  }
}

static void test_relocate_ties_lowest_index(void) {
  /* Four points; points 1 and 3 are equally far (2.0) from their centre.
   * Two empty clusters take them in index order: cluster 1 <- point 1,
   * cluster 2 <- point 3; their weights leave cluster 0. */
  float x[4] = {0, 2, 1, 2};
  float dist[4] = {0.5f, 2.0f, 0.1f, 2.0f};
  int32_t labels[4] = {0, 0, 0, 0};
  double sums[3] = {5, 0, 0}, counts[3] = {4, 0, 0};
  pe__kmeans_data data = {.x = x, .n = 4, .d = 1, .threads = 1, .nblocks = 1};
  PE_ASSERT_EQ_LL(pe__kmeans_relocate_empty(&data, 3, labels, dist, sums, counts), 2);
  PE_ASSERT_NEAR(sums[1], 2.0, 0.0);
  PE_ASSERT_NEAR(sums[2], 2.0, 0.0);
  PE_ASSERT_NEAR(counts[0], 2.0, 0.0);
  PE_ASSERT_NEAR(sums[0], 1.0, 0.0);
}

/* ---- edge cases and errors ---- */

static void test_k1_is_the_mean(void) {
  const int64_t n = 1000;
  float *x = blobs(n, 3, 4, 6.0, 2);
  pe_kmeans_params p = pe_kmeans_params_default();
  p.k = 1;
  pe_kmeans_model *m = NULL;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, n, 3, NULL, &p, &m), PE_OK);
  double mean[3] = {0}, ss = 0.0;
  for (int64_t i = 0; i < n; i++)
    for (int t = 0; t < 3; t++) mean[t] += x[i * 3 + t] / (double)n;
  float meanf[3] = {(float)mean[0], (float)mean[1], (float)mean[2]};
  for (int64_t i = 0; i < n; i++) ss += sq_dist(x + i * 3, meanf, 3);
  for (int t = 0; t < 3; t++) PE_ASSERT_NEAR(pe_kmeans_model_centroids(m)[t], mean[t], 1e-5);
  PE_ASSERT_NEAR(pe_kmeans_model_inertia(m) / ss, 1.0, 1e-9);
  pe_kmeans_model_free(m);
  free(x);
}

static void test_k_equals_n_and_duplicates(void) {
  /* k = n with distinct points: every point its own centre, inertia 0. */
  float x[10];
  for (int i = 0; i < 10; i++) x[i] = (float)(i * i);
  pe_kmeans_params p = pe_kmeans_params_default();
  p.k = 10;
  pe_kmeans_model *m = NULL;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 10, 1, NULL, &p, &m), PE_OK);
  PE_ASSERT_NEAR(pe_kmeans_model_inertia(m), 0.0, 0.0);
  pe_kmeans_model_free(m);
  /* Fewer distinct points than k: defined result, finite centroids on data
   * points, inertia 0. */
  float dup[12] = {1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2};
  p.k = 4;
  for (int init = 0; init < 2; init++) {
    p.init = init ? PE_KMEANS_INIT_RANDOM : PE_KMEANS_INIT_KMEANSPP;
    PE_ASSERT_STATUS(pe_kmeans_fit(dup, 6, 2, NULL, &p, &m), PE_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (int e = 0; e < 8; e++) {
      float v = pe_kmeans_model_centroids(m)[e];
      CU_ASSERT(v == 1.0f || v == 2.0f);
    }
    PE_ASSERT_NEAR(pe_kmeans_model_inertia(m), 0.0, 0.0);
    pe_kmeans_model_free(m);
  }
}

static void test_errors(void) {
  float x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  pe_kmeans_params p = pe_kmeans_params_default();
  pe_kmeans_model *m = (pe_kmeans_model *)&p; /* must be reset to NULL */
  p.k = 7;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 6, 2, NULL, &p, &m), PE_ERR_USAGE);
  CU_ASSERT_PTR_NULL(m);
  CU_ASSERT(strstr(personae_last_error(), "exceeds the number of points") != NULL);
  p.k = 0;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 6, 2, NULL, &p, &m), PE_ERR_USAGE);
  p.k = 2;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 0, 2, NULL, &p, &m), PE_ERR_USAGE);
  p.max_iter = 0;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 6, 2, NULL, &p, &m), PE_ERR_USAGE);
  p.max_iter = 10;
  p.kernel = "nonsense";
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 6, 2, NULL, &p, &m), PE_ERR_USAGE);
  p.kernel = "auto";

  x[7] = NAN;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 6, 2, NULL, &p, &m), PE_ERR_DATA);
  CU_ASSERT(strstr(personae_last_error(), "row 3, column 1") != NULL);
  CU_ASSERT(strstr(personae_last_error(), "NaN") != NULL);
  x[7] = INFINITY;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 6, 2, NULL, &p, &m), PE_ERR_DATA);
  CU_ASSERT(strstr(personae_last_error(), "infinite") != NULL);
  x[7] = 7;

  /* Over many runs of the vectorised scan and several blocks: the first bad
   * value in row order is named, wherever it lies in its run. */
  {
    enum { N = 10000, D = 15 };
    float *big = malloc((size_t)N * D * sizeof *big);
    for (int64_t e = 0; e < (int64_t)N * D; e++) big[e] = 1.0f + (float)(e % 7);
    big[(int64_t)7777 * D + 14] = INFINITY;
    big[(int64_t)5000 * D + 3] = NAN;
    big[(int64_t)9000 * D + 0] = NAN;
    PE_ASSERT_STATUS(pe_kmeans_fit(big, N, D, NULL, &p, &m), PE_ERR_DATA);
    CU_ASSERT(strstr(personae_last_error(), "row 5000, column 3") != NULL);
    big[(int64_t)5000 * D + 3] = 2.0f;
    PE_ASSERT_STATUS(pe_kmeans_fit(big, N, D, NULL, &p, &m), PE_ERR_DATA);
    CU_ASSERT(strstr(personae_last_error(), "row 7777, column 14") != NULL);
    CU_ASSERT(strstr(personae_last_error(), "infinite") != NULL);
    big[(int64_t)7777 * D + 14] = 2.0f;
    big[(int64_t)9000 * D + 0] = 2.0f;
    big[(int64_t)N * D - 1] = NAN;
    PE_ASSERT_STATUS(pe_kmeans_fit(big, N, D, NULL, &p, &m), PE_ERR_DATA);
    CU_ASSERT(strstr(personae_last_error(), "row 9999, column 14") != NULL);
    free(big);
  }

  float w[6] = {1, 1, -1, 1, 1, 1};
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 6, 2, w, &p, &m), PE_ERR_DATA);
  CU_ASSERT(strstr(personae_last_error(), "row 2") != NULL);
  float zero[6] = {0};
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 6, 2, zero, &p, &m), PE_ERR_DATA);

  float bad_init[4] = {0, 1, NAN, 3};
  pe_kmeans_params g = given_params(2, bad_init);
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 6, 2, NULL, &g, &m), PE_ERR_DATA);
  g.init_centers = NULL;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, 6, 2, NULL, &g, &m), PE_ERR_USAGE);

  pe_kmeans_algorithm a;
  PE_ASSERT_STATUS(pe_kmeans_algorithm_parse("lloyd", &a), PE_OK);
  PE_ASSERT_STATUS(pe_kmeans_algorithm_parse("elkan", &a), PE_ERR_UNSUPPORTED);
  PE_ASSERT_STATUS(pe_kmeans_algorithm_parse("bogus", &a), PE_ERR_USAGE);
  pe_kmeans_model_free(NULL);
}

/* ---- weights and predict ---- */

static void test_integer_weights_equal_duplicates(void) {
  const int64_t n = 2000;
  const int d = 3, k = 4;
  float *x = blobs(n, d, k, 10.0, 31);
  float *w = malloc((size_t)n * sizeof(float));
  int64_t total = 0;
  for (int64_t i = 0; i < n; i++) total += (int64_t)(w[i] = (float)(1 + i % 3));
  float *dup = malloc((size_t)total * d * sizeof(float));
  int64_t r = 0;
  for (int64_t i = 0; i < n; i++)
    for (int c = 0; c < (int)w[i]; c++) memcpy(dup + d * r++, x + i * d, (size_t)d * sizeof(float));
  float init[12];
  for (int j = 0; j < k; j++) memcpy(init + j * d, x + j * 500 * d, (size_t)d * sizeof(float));
  pe_kmeans_params p = given_params(k, init);
  pe_kmeans_model *mw = NULL, *md = NULL;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, n, d, w, &p, &mw), PE_OK);
  PE_ASSERT_STATUS(pe_kmeans_fit(dup, total, d, NULL, &p, &md), PE_OK);
  CU_ASSERT_FATAL(mw && md);
  for (int e = 0; e < k * d; e++)
    PE_ASSERT_NEAR(pe_kmeans_model_centroids(mw)[e], pe_kmeans_model_centroids(md)[e], 1e-4);
  PE_ASSERT_NEAR(pe_kmeans_model_inertia(mw) / pe_kmeans_model_inertia(md), 1.0, 1e-6);
  PE_ASSERT_EQ_LL(pe_kmeans_model_iterations(mw), pe_kmeans_model_iterations(md));

  /* predict on the training data gives the training labels. */
  int32_t *labels = malloc((size_t)n * sizeof(int32_t));
  float *dist = malloc((size_t)n * sizeof(float));
  PE_ASSERT_STATUS(pe_kmeans_predict(mw, x, n, d, 2, labels, dist), PE_OK);
  CU_ASSERT(memcmp(labels, pe_kmeans_model_labels(mw), (size_t)n * sizeof(int32_t)) == 0);
  PE_ASSERT_STATUS(pe_kmeans_predict(mw, x, n, d + 1, 2, labels, dist), PE_ERR_USAGE);
  free(labels);
  free(dist);
  pe_kmeans_model_free(mw);
  pe_kmeans_model_free(md);
  free(x);
  free(w);
  free(dup);
}

/* ---- model I/O ---- */

static void test_model_save_load_roundtrip(void) {
  const int64_t n = 1500;
  float *x = blobs(n, 5, 3, 9.0, 41);
  pe_kmeans_params p = pe_kmeans_params_default();
  p.k = 3;
  p.seed = 0xFEDCBA9876543210ull;
  pe_kmeans_model *m = NULL, *back = NULL;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, n, 5, NULL, &p, &m), PE_OK);
  char path[512];
  pe_test_path(path, sizeof path, "model.h5");
  PE_ASSERT_STATUS(pe_kmeans_model_save(m, path, NULL, "blobs"), PE_OK);
  PE_ASSERT_STATUS(pe_kmeans_model_load(path, &back), PE_OK);
  CU_ASSERT_FATAL(back != NULL);
  assert_bit_identical(m, back);
  CU_ASSERT(pe_kmeans_model_seed(back) == p.seed);
  CU_ASSERT_STRING_EQUAL(pe_kmeans_model_kernel(back), pe_kmeans_model_kernel(m));
  CU_ASSERT_STRING_EQUAL(pe_kmeans_model_algorithm(back), "lloyd");
  CU_ASSERT_STRING_EQUAL(pe_kmeans_model_init(back), "kmeans++");
  PE_ASSERT_EQ_LL(pe_kmeans_model_converged(back), pe_kmeans_model_converged(m));
  pe_kmeans_model_free(back);
  /* Not a model: a clear error. */
  char other[512];
  pe_test_path(other, sizeof other, "missing.h5");
  PE_ASSERT_STATUS(pe_kmeans_model_load(other, &back), PE_ERR_IO);
  CU_ASSERT_PTR_NULL(back);
  pe_kmeans_model_free(m);
  free(x);
}

/* ---- a real data set: Fränti's S1 from its ground-truth centroids ---- */

static const char *no_datasets(void) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/franti-clustering-basic-benchmark/data/s1.txt",
           PE_SHARED_DATASETS);
  FILE *f = fopen(path, "r");
  if (!f) return "shared dataset franti-clustering-basic-benchmark/s1 not found";
  fclose(f);
  return NULL;
}

static float *read_points(const char *name, int64_t *n) {
  char path[1024];
  snprintf(path, sizeof path, "%s/franti-clustering-basic-benchmark/%s", PE_SHARED_DATASETS, name);
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  int64_t cap = 1024, count = 0;
  float *x = malloc((size_t)cap * 2 * sizeof(float));
  double a, b;
  while (fscanf(f, "%lf %lf", &a, &b) == 2) {
    if (count == cap) x = realloc(x, (size_t)(cap *= 2) * 2 * sizeof(float));
    x[2 * count] = (float)a;
    x[2 * count + 1] = (float)b;
    count++;
  }
  fclose(f);
  *n = count;
  return x;
}

/* Centroid index (Fränti): how many ground-truth centroids are nobody's
 * nearest among the found ones. 0 means every cluster was found. */
static int centroid_index(const float *found, const float *truth, int k) {
  int orphans = 0;
  for (int g = 0; g < k; g++) {
    int claimed = 0;
    for (int f = 0; f < k && !claimed; f++) {
      int nearest = 0;
      for (int h = 1; h < k; h++)
        if (sq_dist(found + 2 * f, truth + 2 * h, 2) <
            sq_dist(found + 2 * f, truth + 2 * nearest, 2))
          nearest = h;
      claimed = nearest == g;
    }
    orphans += !claimed;
  }
  return orphans;
}

static void test_franti_s1_from_ground_truth(void) {
  int64_t n = 0, k = 0;
  float *x = read_points("data/s1.txt", &n);
  float *gt = read_points("gt/s1-gt.txt", &k);
  CU_ASSERT_FATAL(x && gt);
  PE_ASSERT_EQ_LL(n, 5000);
  PE_ASSERT_EQ_LL(k, 15);
  pe_kmeans_params p = given_params((int)k, gt);
  p.tol = 1e-4;
  pe_kmeans_model *m = NULL;
  PE_ASSERT_STATUS(pe_kmeans_fit(x, n, 2, NULL, &p, &m), PE_OK);
  CU_ASSERT_FATAL(m != NULL);
  PE_ASSERT_EQ_LL(centroid_index(pe_kmeans_model_centroids(m), gt, (int)k), 0);
  CU_ASSERT(pe_kmeans_model_iterations(m) <= 10);
  pe_kmeans_model_free(m);
  free(x);
  free(gt);
}

/* The variance behind tol (the mean over features of each feature's
 * variance, as scikit-learn's np.var(X, axis=0).mean()) against a two-pass
 * sum in long double, over several blocks and a partial last one, with a
 * feature far from zero; the same bits for 1, 2 and 3 threads. */
static void test_mean_variance(void) {
  enum { D = 5 };
  const int64_t n = 3 * PE_KMEANS_BLOCK + 17;
  float *x = malloc((size_t)n * D * sizeof *x);
  pe_rng r;
  pe_rng_init(&r, 5, 0);
  for (int64_t i = 0; i < n; i++)
    for (int t = 0; t < D; t++)
      x[i * D + t] = t == 3 ? 10000.0f + (float)pe_rng_uniform(&r)
                            : (float)(t * pe_rng_normal(&r) + (i % 7 == 0 ? 3.0 : 0.0));
  long double want = 0;
  for (int t = 0; t < D; t++) {
    long double mean = 0, ss = 0;
    for (int64_t i = 0; i < n; i++) mean += x[i * D + t];
    mean /= n;
    for (int64_t i = 0; i < n; i++) ss += (x[i * D + t] - mean) * (x[i * D + t] - mean);
    want += ss / n;
  }
  want /= D;
  double first = 0;
  for (int threads = 1; threads <= 3; threads++) {
    pe__kmeans_data data;
    PE_ASSERT_STATUS(pe__kmeans_data_init(x, n, D, NULL, "scalar", 2, threads, &data), PE_OK);
    const double got = pe__kmeans_mean_variance(&data);
    PE_ASSERT_NEAR(got, (double)want, 1e-12 * (double)want);
    if (threads == 1) first = got;
    CU_ASSERT_EQUAL(got, first);
  }
  free(x);
}

int main(int argc, char **argv) {
  static CU_TestInfo lloyd[] = {
      {"matches brute force (scalar kernel)", test_matches_brute_force_scalar},
      {"matches brute force (auto kernel)", test_matches_brute_force_auto},
      {"k = 1 gives the mean", test_k1_is_the_mean},
      {"k = n and duplicate points", test_k_equals_n_and_duplicates},
      {"empty cluster moves to the farthest point", test_empty_cluster_relocated_to_farthest_point},
      {"relocation ties go to the lowest index", test_relocate_ties_lowest_index},
      {"relocations in consecutive iterations", test_relocations_in_a_row},
      {"relocation distances: exact, to the assigned centroid", test_assigned_distances},
      {"incremental pass = full pass (several rounds, 1-3 threads)",
       test_incremental_pass_matches_full_pass},
      {"integer weights equal duplicated points; predict", test_integer_weights_equal_duplicates},
      {"errors", test_errors},
      {"the variance behind tol", test_mean_variance},
      {"init: rows of the data; k-means++ covers separated blobs",
       test_init_centres_are_rows_and_kmeanspp_spreads},
      CU_TEST_INFO_NULL};
  static CU_TestInfo repro[] = {
      {"1, 2, 3 threads bit-identical (kmeans++)", test_threads_kmeanspp},
      {"1, 2, 3 threads bit-identical (random, weights)", test_threads_random_weighted},
      {"1, 2, 3 threads bit-identical (scalar kernel)", test_threads_scalar},
      {"1, 2, 3 threads bit-identical (blas kernel)", test_threads_blas},
      {"same seed, same result", test_same_seed_same_result},
      {"n_init keeps the lowest inertia", test_n_init_keeps_lowest_inertia},
      CU_TEST_INFO_NULL};
  static CU_TestInfo io[] = {{"model save/load round trip", test_model_save_load_roundtrip},
                             CU_TEST_INFO_NULL};
  static CU_TestInfo real[] = {
      {"Franti S1 from ground truth: CI = 0", test_franti_s1_from_ground_truth}, CU_TEST_INFO_NULL};
  static const pe_test_suite suites[] = {{"kmeans", lloyd, NULL},
                                         {"kmeans_reproducible", repro, NULL},
                                         {"kmeans_io", io, NULL},
                                         {"kmeans_real_data", real, no_datasets},
                                         {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
