/* Scaling for clustering (docs/features.md, "Scaling"): per column
 *
 *   v      = transform(shrunk(raw))      shares shrunk towards their mean by
 *                                        the customer's evidence count;
 *                                        signed log1p for counts and money
 *   scaled = clamp((v - mean) / sd, ±PE_FEATURES_CLIP)
 *
 * with mean and sd over the customers who have a value (and, for the
 * features whose fill-in is a true zero, everyone); a customer without a
 * value of a NEUTRAL feature is scaled to 0, the mean.
 *
 * Why not the median / IQR of the first version: on zero-inflated columns
 * (discount share, bounce rate) the IQR is 0 or tiny, and those columns then
 * dominated every distance; measured on planted data this scaling lifts the
 * adjusted Rand index of k-means from 0.75 to above 0.9 (docs/personas.md).
 * The clamp keeps one extreme customer from owning an axis.
 *
 * Every statistic is a sum over fixed blocks of rows, combined in block
 * order: the same bits for any thread count. */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "features/features_internal.h"

enum { BLOCK = 16384 };

/* Rows whose values of one column are transformed together. The vector
 * loop always runs over the whole batch (padded), so that each value goes
 * through the same code whatever its position: scaling a row again, alone
 * or among others, gives the same bits. */
enum { BATCH_ROWS = 256 };

/* glibc's vector log1pf (libmvec, through libm), called by the `omp simd`
 * loop below four values at a time: five times faster than log1p one value
 * at a time (measured at 1M customers), within 4 ulp of a float, and the
 * value is stored as a float anyway. */
#pragma omp declare simd notinbranch
float log1pf(float);

/* x -> sign(x) log1p(|x|) over a whole batch. Signed, so that a net amount
 * below zero (more returned than bought) stays finite and ordered. */
static void signed_log1p_batch(float *x) {
  float a[BATCH_ROWS];
  for (int i = 0; i < BATCH_ROWS; i++) a[i] = fabsf(x[i]);
    /* Only the call in this loop: with the sign handled around it, measured
     * three times faster than one loop doing both. */
#pragma omp simd
  for (int i = 0; i < BATCH_ROWS; i++) a[i] = log1pf(a[i]);
  for (int i = 0; i < BATCH_ROWS; i++) x[i] = x[i] < 0 ? -a[i] : a[i];
}

static int counted(const pe_features *f, int j, const uint8_t *has_row) {
  return has_row[j] || f->missing[j] == PE_MISSING_ZERO;
}

/* The values that are centred and scaled, in single precision (the shrinkage in double), of n rows
 * (n x d, row-major) into out: per column, the raw value (a share shrunk
 * towards its mean by the customer's evidence count n: (share * n + W *
 * prior) / (n + W), as if the customer had W more observations at the
 * average rate, so that one discounted order out of one does not look like
 * a discount hunter), transformed; 0 where the column is not counted. The
 * fit stores them in the scaled matrix between its passes, and
 * pe_features_scale computes the same floats. */
static void stored_values(const pe_features *f, const float *raw, const uint8_t *has,
                          const float *ev, int64_t n, float *out) {
  const int d = f->d;
  float x[BATCH_ROWS];
  for (int64_t first = 0; first < n; first += BATCH_ROWS) {
    const int rows = n - first < BATCH_ROWS ? (int)(n - first) : BATCH_ROWS;
    for (int j = 0; j < d; j++) {
      const int shrink = f->evidence[j] != PE_EVIDENCE_NONE;
      const double prior_mass = PE_FEATURES_PRIOR_WEIGHT * f->prior[j];
      for (int i = 0; i < rows; i++) {
        const size_t e = (size_t)(first + i) * (size_t)d + (size_t)j;
        double v = raw[e];
        if (shrink && has[e]) {
          const double count = ev[e] > 0 ? ev[e] : 0.0;
          v = (v * count + prior_mass) / (count + PE_FEATURES_PRIOR_WEIGHT);
        }
        x[i] = (float)v;
      }
      for (int i = rows; i < BATCH_ROWS; i++) x[i] = 0.0f;
      if (f->transform[j] == PE_SCALE_LOG1P) signed_log1p_batch(x);
      for (int i = 0; i < rows; i++) {
        const size_t e = (size_t)(first + i) * (size_t)d + (size_t)j;
        out[e] = counted(f, j, has + (size_t)(first + i) * (size_t)d) ? x[i] : 0.0f;
      }
    }
  }
}

/* The one expression both the fit and pe_features_scale use, so that
 * scaling a customer's raw row again gives the stored scaled row exactly. */
static float scale_value(const pe_features *f, int j, int is_counted, float v) {
  if (!is_counted) return 0.0f;
  double z = ((double)v - f->center[j]) / f->scale[j];
  if (z > PE_FEATURES_CLIP) z = PE_FEATURES_CLIP;
  if (z < -PE_FEATURES_CLIP) z = -PE_FEATURES_CLIP;
  return (float)z;
}

/* What one pass adds per block and column. */
typedef enum { SUM_PRIOR, SUM_VALUE, SUM_SQUARES } pass_kind;

/* Per block and column a sum and a count, combined in block order into
 * sum[j], count[j]. SUM_PRIOR sums the raw shares; SUM_VALUE computes every
 * stored value into f->scaled and sums it; SUM_SQUARES sums the squared
 * deviations of the stored values from the centre. */
static pe_status block_sums(pe_features *f, pass_kind kind, double *sum, double *count) {
  const int64_t n = f->n;
  const int d = f->d;
  const int64_t nblocks = (n + BLOCK - 1) / BLOCK;
  double *partial = calloc((size_t)(nblocks ? nblocks : 1) * (size_t)d * 2, sizeof *partial);
  PE_FAIL_IF(!partial, PE_ERR_NOMEM, "out of memory fitting the feature scaling");
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < nblocks; b++) {
    double *s = partial + (size_t)b * (size_t)d * 2, *c = s + d;
    const int64_t begin = b * BLOCK, end = (b + 1) * BLOCK < n ? (b + 1) * BLOCK : n;
    const size_t at = (size_t)begin * (size_t)d;
    if (kind == SUM_VALUE)
      stored_values(f, f->raw + at, f->has_value + at, f->evidence_n + at, end - begin,
                    f->scaled + at);
    for (int64_t i = begin; i < end; i++) {
      const float *row = f->raw + i * d, *v = f->scaled + i * d;
      const uint8_t *has = f->has_value + i * d;
      for (int j = 0; j < d; j++) {
        if (kind == SUM_PRIOR) {
          if (has[j]) s[j] += row[j], c[j] += 1;
          continue;
        }
        if (!counted(f, j, has)) continue;
        const double dev = kind == SUM_VALUE ? v[j] : (double)v[j] - f->center[j];
        s[j] += kind == SUM_VALUE ? dev : dev * dev;
        c[j] += 1;
      }
    }
  }
  for (int j = 0; j < d; j++) sum[j] = count[j] = 0;
  for (int64_t b = 0; b < nblocks; b++)
    for (int j = 0; j < d; j++) {
      sum[j] += partial[(size_t)b * (size_t)d * 2 + (size_t)j];
      count[j] += partial[(size_t)b * (size_t)d * 2 + (size_t)d + (size_t)j];
    }
  free(partial);
  return PE_OK;
}

/* out = scaled rows of raw/has; with values == out, the stored values are
 * already in `out` (the fit's last pass). */
static void apply(const pe_features *f, const float *raw, const uint8_t *has, const float *ev,
                  int64_t n, const float *values, float *out) {
  const int d = f->d;
  const int64_t nblocks = (n + BLOCK - 1) / BLOCK;
#pragma omp parallel for schedule(static)
  for (int64_t b = 0; b < nblocks; b++) {
    const int64_t begin = b * BLOCK, end = (b + 1) * BLOCK < n ? (b + 1) * BLOCK : n;
    const size_t at = (size_t)begin * (size_t)d;
    if (!values) stored_values(f, raw + at, has + at, ev + at, end - begin, out + at);
    for (int64_t i = begin; i < end; i++)
      for (int j = 0; j < d; j++) {
        const size_t e = (size_t)i * (size_t)d + (size_t)j;
        out[e] = scale_value(f, j, counted(f, j, has + (size_t)i * (size_t)d), out[e]);
      }
  }
}

/* The evidence kind and the missing-value rule of each column. */
void pe__feat_scaling_rules(pe_features *f) {
  for (int j = 0; j < f->d; j++) {
    f->missing[j] = pe_feature_missing_of(f->column[j]);
    f->evidence[j] = pe_feature_evidence(f->column[j]);
  }
}

pe_status pe__feat_fit_scaling(pe_features *f) {
  const int d = f->d;
  pe__feat_scaling_rules(f);
  double sum[PE_FEATURE_COUNT], count[PE_FEATURE_COUNT];
  for (int j = 0; j < d; j++) f->prior[j] = f->center[j] = 0, f->scale[j] = 1;
  PE_FORWARD(block_sums(f, SUM_PRIOR, sum, count));
  for (int j = 0; j < d; j++)
    if (f->evidence[j] != PE_EVIDENCE_NONE && count[j] > 0) f->prior[j] = sum[j] / count[j];
  PE_FORWARD(block_sums(f, SUM_VALUE, sum, count));
  for (int j = 0; j < d; j++)
    if (count[j] > 0) f->center[j] = sum[j] / count[j];
  PE_FORWARD(block_sums(f, SUM_SQUARES, sum, count));
  for (int j = 0; j < d; j++) {
    const double sd = count[j] > 0 ? sqrt(sum[j] / count[j]) : 0.0;
    /* A constant column (or one nobody has) stays at 0 after centring. */
    f->scale[j] = sd > 0 && isfinite(sd) ? sd : 1.0;
  }
  apply(f, f->raw, f->has_value, f->evidence_n, f->n, f->scaled, f->scaled);
  return PE_OK;
}

pe_status pe_features_scale(const pe_features *f, const float *raw_rows,
                            const uint8_t *has_value_rows, const float *evidence_rows, int64_t n,
                            float *out) {
  PE_FAIL_IF(!f || n < 0 || (n > 0 && (!raw_rows || !has_value_rows || !evidence_rows || !out)),
             PE_ERR_USAGE, "pe_features_scale: NULL argument or negative row count");
  apply(f, raw_rows, has_value_rows, evidence_rows, n, NULL, out);
  return PE_OK;
}
