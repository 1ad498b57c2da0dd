/* Scaling for clustering: a per-column transform (signed log1p for
 * heavy-tailed counts and money, identity for shares) and a robust
 * standardisation (x - median) / scale, where the scale is the interquartile
 * range as scikit-learn's RobustScaler takes it.
 *
 * A column whose IQR is 0 (most customers share one value, e.g. return_rate
 * when few customers return anything) falls back to the MAD, then to the
 * standard deviation, each multiplied so that it equals the IQR on normally
 * distributed data; a constant column gets scale 1. */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "features/features_internal.h"

/* On normal data: IQR = 1.3490 sigma, MAD = 0.6745 sigma. */
#define IQR_PER_SIGMA 1.3489795003921634
#define IQR_PER_MAD 2.0

double pe__feat_transform(pe_feature_scaling t, double x) {
  if (t != PE_SCALE_LOG1P) return x;
  /* Signed, so that a net amount below zero (more returned than bought)
   * stays finite and ordered. */
  return x >= 0 ? log1p(x) : -log1p(-x);
}

/* `v` holds the transformed column (reordered here); its quartiles are known. */
static double robust_scale(double *v, int64_t n, double q25, double q75, double median) {
  if (q75 - q25 > 0) return q75 - q25;
  double sum = 0;
  for (int64_t i = 0; i < n; i++) sum += v[i];
  double mean = sum / (double)n, ss = 0;
  for (int64_t i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
  double sd = sqrt(ss / (double)n);
  for (int64_t i = 0; i < n; i++) v[i] = fabs(v[i] - median);
  double mad = pe__feat_quantile(v, n, 0.5);
  if (mad > 0) return IQR_PER_MAD * mad;
  if (sd > 0 && isfinite(sd)) return IQR_PER_SIGMA * sd;
  return 1.0;
}

/* The one expression both the fit and pe_features_scale use, so that
 * scaling a customer's raw row again gives the stored scaled row exactly. */
static inline float scale_one(const pe_features *f, int j, double transformed) {
  return (float)((transformed - f->center[j]) / f->scale[j]);
}

/* Fits column j from its raw values `col` (n, contiguous), with `v` (n
 * doubles) as scratch. */
static void fit_column(pe_features *f, int j, const float *col, double *v) {
  const int64_t n = f->n;
  for (int64_t i = 0; i < n; i++) v[i] = pe__feat_transform(f->transform[j], col[i]);
  static const double q[3] = {0.25, 0.5, 0.75};
  double qv[3];
  pe__feat_quantiles(v, n, q, 3, qv);
  f->center[j] = qv[1];
  f->scale[j] = robust_scale(v, n, qv[0], qv[2], qv[1]);
}

static void apply(const pe_features *f, const float *raw, int64_t n, float *out) {
  const int d = f->d;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++)
    for (int j = 0; j < d; j++)
      out[i * d + j] = scale_one(f, j, pe__feat_transform(f->transform[j], raw[i * d + j]));
}

pe_status pe__feat_fit_scaling(pe_features *f) {
  const int64_t n = f->n;
  const int d = f->d;
  for (int j = 0; j < d; j++) {
    f->center[j] = 0;
    f->scale[j] = 1;
  }
  if (n == 0) return PE_OK;
  /* The columns side by side first: selecting in a column then reads memory
   * in order instead of striding through the row-major matrix. */
  float *cols = malloc((size_t)n * (size_t)d * sizeof *cols);
  PE_FAIL_IF(!cols, PE_ERR_NOMEM, "out of memory fitting the feature scaling");
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++)
    for (int j = 0; j < d; j++) cols[(int64_t)j * n + i] = f->raw[i * d + j];
  int failed = 0;
  /* Columns are shared out whole: each column's selection runs on one
   * thread, so the result is the same for every thread count. */
#pragma omp parallel reduction(| : failed)
  {
    double *v = malloc((size_t)n * sizeof *v);
    failed = v == NULL;
#pragma omp for schedule(dynamic, 1)
    for (int j = 0; j < d; j++)
      if (v) fit_column(f, j, cols + (int64_t)j * n, v);
    free(v);
  }
  free(cols);
  PE_FAIL_IF(failed, PE_ERR_NOMEM, "out of memory fitting the feature scaling");
  apply(f, f->raw, n, f->scaled);
  return PE_OK;
}

pe_status pe_features_scale(const pe_features *f, const float *raw_rows, int64_t n, float *out) {
  PE_FAIL_IF(!f || n < 0 || (n > 0 && (!raw_rows || !out)), PE_ERR_USAGE,
             "pe_features_scale: NULL argument or negative row count");
  apply(f, raw_rows, n, out);
  return PE_OK;
}
