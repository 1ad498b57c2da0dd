/* bench_kmeans: per-iteration time of pe_kmeans_fit on seeded Gaussian blobs,
 * for 1 and 2 threads (and whether the two give the same bits), and the time
 * of k-means++. No files, no Python: the engine alone.
 *
 * usage: bench_kmeans [N D K [ITERS [KERNEL]]]   (default 1000000 8 8 15 auto) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "personae.h"

static float *blobs(int64_t n, int d, int k, uint64_t seed) {
  pe_rng r;
  pe_rng_init(&r, seed, 0);
  float *centres = malloc((size_t)k * d * sizeof(float));
  float *x = malloc((size_t)n * d * sizeof(float));
  if (!centres || !x) exit(4);
  for (int i = 0; i < k * d; i++) centres[i] = (float)(20.0 * pe_rng_uniform(&r) - 10.0);
  for (int64_t i = 0; i < n; i++) {
    const float *c = centres + (size_t)pe_rng_below(&r, (uint64_t)k) * d;
    for (int t = 0; t < d; t++) x[(size_t)i * d + t] = c[t] + (float)pe_rng_normal(&r);
  }
  free(centres);
  return x;
}

int main(int argc, char **argv) {
  int64_t n = argc > 1 ? atoll(argv[1]) : 1000000;
  int d = argc > 2 ? atoi(argv[2]) : 8;
  int k = argc > 3 ? atoi(argv[3]) : 8;
  int iters = argc > 4 ? atoi(argv[4]) : 15;
  const char *kernel = argc > 5 ? argv[5] : "auto";
  float *x = blobs(n, d, k, 7);
  /* Fixed initial centres (rows spread over the data) so that both thread
   * counts do exactly the same iterations. */
  float *init = malloc((size_t)k * d * sizeof(float));
  for (int j = 0; j < k; j++)
    memcpy(init + (size_t)j * d, x + (size_t)(n / k) * j * d, (size_t)d * sizeof(float));

  printf("bench_kmeans N=%lld D=%d K=%d iters<=%d kernel=%s\n", (long long)n, d, k, iters, kernel);
  pe_kmeans_model *m[2] = {NULL, NULL};
  for (int t = 1; t <= 2; t++) {
    pe_kmeans_params p = pe_kmeans_params_default();
    p.k = k;
    p.init = PE_KMEANS_INIT_GIVEN;
    p.init_centers = init;
    p.tol = 0.0;
    p.max_iter = iters;
    p.kernel = kernel;
    p.threads = t;
    if (pe_kmeans_fit(x, n, d, NULL, &p, &m[t - 1]) != PE_OK) {
      fprintf(stderr, "bench_kmeans: %s\n", personae_last_error());
      return 1;
    }
    pe_kmeans_model *mm = m[t - 1];
    printf("  threads=%d  %d iterations  %.3f ms/iteration  inertia %.10g  kernel %s\n", t,
           pe_kmeans_model_iterations(mm),
           1e3 * pe_kmeans_model_iter_seconds(mm) / pe_kmeans_model_iterations(mm),
           pe_kmeans_model_inertia(mm), pe_kmeans_model_kernel(mm));
  }
  int same = memcmp(pe_kmeans_model_centroids(m[0]), pe_kmeans_model_centroids(m[1]),
                    (size_t)k * d * sizeof(float)) == 0 &&
             memcmp(pe_kmeans_model_labels(m[0]), pe_kmeans_model_labels(m[1]),
                    (size_t)n * sizeof(int32_t)) == 0 &&
             pe_kmeans_model_inertia(m[0]) == pe_kmeans_model_inertia(m[1]);
  printf("  1 and 2 threads bit-identical: %s\n", same ? "yes" : "NO");

  pe_kmeans_params p = pe_kmeans_params_default();
  p.k = k;
  p.max_iter = 1;
  p.kernel = kernel;
  p.threads = 2;
  pe_kmeans_model *pp = NULL;
  if (pe_kmeans_fit(x, n, d, NULL, &p, &pp) == PE_OK)
    printf("  k-means++ (2 threads): %.3f s\n", pe_kmeans_model_init_seconds(pp));
  pe_kmeans_model_free(pp);
  pe_kmeans_model_free(m[0]);
  pe_kmeans_model_free(m[1]);
  free(x);
  free(init);
  return same ? 0 : 1;
}
