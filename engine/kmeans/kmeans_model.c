/* The model handle: getters, free, and prediction for new points. */
#include <stdlib.h>

#include "core/error.h"
#include "kmeans/kmeans_internal.h"

int pe_kmeans_model_k(const pe_kmeans_model *m) {
  return m->k;
}
int pe_kmeans_model_d(const pe_kmeans_model *m) {
  return m->d;
}
int64_t pe_kmeans_model_n(const pe_kmeans_model *m) {
  return m->n;
}
const float *pe_kmeans_model_centroids(const pe_kmeans_model *m) {
  return m->centroids;
}
const int32_t *pe_kmeans_model_labels(const pe_kmeans_model *m) {
  return m->labels;
}
double pe_kmeans_model_inertia(const pe_kmeans_model *m) {
  return m->inertia;
}
int pe_kmeans_model_iterations(const pe_kmeans_model *m) {
  return m->iterations;
}
int pe_kmeans_model_converged(const pe_kmeans_model *m) {
  return m->converged;
}
int pe_kmeans_model_best_run(const pe_kmeans_model *m) {
  return m->best_run;
}
uint64_t pe_kmeans_model_seed(const pe_kmeans_model *m) {
  return m->seed;
}
const char *pe_kmeans_model_kernel(const pe_kmeans_model *m) {
  return m->kernel;
}
const char *pe_kmeans_model_algorithm(const pe_kmeans_model *m) {
  return m->algorithm;
}
const char *pe_kmeans_model_init(const pe_kmeans_model *m) {
  return m->init;
}
double pe_kmeans_model_init_seconds(const pe_kmeans_model *m) {
  return m->init_seconds;
}
double pe_kmeans_model_iter_seconds(const pe_kmeans_model *m) {
  return m->iter_seconds;
}

void pe_kmeans_model_free(pe_kmeans_model *m) {
  if (!m) return;
  free(m->centroids);
  free(m->labels);
  free(m);
}

pe_status pe_kmeans_predict(const pe_kmeans_model *m, const float *x, int64_t n, int d, int threads,
                            int32_t *labels, float *sq_dist) {
  PE_FAIL_IF(!m, PE_ERR_USAGE, "predict: no model");
  PE_FAIL_IF(d != m->d, PE_ERR_USAGE, "predict: the points have %d features, the model %d", d,
             m->d);
  PE_FAIL_IF(n < 0 || threads < 0, PE_ERR_USAGE, "predict: negative point or thread count");
  if (n == 0) return PE_OK;
  PE_FAIL_IF(!x || !labels, PE_ERR_USAGE, "predict: no points or no label buffer");
  int col = 0;
  int64_t row = pe__kmeans_first_nonfinite(x, n, d, &col);
  PE_FAIL_IF(row >= 0, PE_ERR_DATA, "predict: row %lld, column %d of the data is not finite",
             (long long)row, col);
  /* The model's kernel when this machine has it, else this machine's choice. */
  pe__kmeans_data data;
  if (pe__kmeans_data_init(x, n, d, NULL, m->kernel, m->k, threads, &data) != PE_OK)
    PE_FORWARD(pe__kmeans_data_init(x, n, d, NULL, "auto", m->k, threads, &data));
  pe__kmeans_scratch *scratch = NULL;
  PE_FORWARD(pe__kmeans_scratch_alloc(&data, m->k, &scratch));
  pe_status st = pe__kmeans_assign_pass(&data, m->centroids, m->k, scratch, labels, sq_dist, NULL);
  pe__kmeans_scratch_free(&data, scratch);
  return st;
}
