/* The GEMM form of the assignment: ‖x − c‖² = ‖x‖² − 2 x·c + ‖c‖², with the
 * products of a tile of points against all centroids from one OpenBLAS
 * sgemm. The tile is centroid-major (k rows x TP points) so the arg-min runs
 * down the rows with one point per SIMD lane, and small enough (at most
 * TILE_BYTES) to stay in L2 between sgemm writing it and the selection
 * reading it. The float32 cancellation of this form is guarded per point
 * (pe__dot_error_bound): the winner and runner-up are recomputed directly,
 * and every near-tie exactly, so no label is wrong by more than rounding.
 *
 * Thread safety: no state outside the caller's work buffer. OpenBLAS must
 * run single-threaded inside the caller's threads (the engine sets
 * openblas_set_num_threads(1)). */
#include <cblas.h>

#include "kernel_internal.h"

enum {
  TILE_BYTES = 512 * 1024,
  TILE_POINTS_MIN = 64, /* a multiple of every vector width */
  TILE_POINTS_MAX = 512,
};

static int tile_points(int k) {
  int64_t tp = TILE_BYTES / ((int64_t)k * (int64_t)sizeof(float));
  if (tp > TILE_POINTS_MAX) tp = TILE_POINTS_MAX;
  tp -= tp % TILE_POINTS_MIN;
  return tp < TILE_POINTS_MIN ? TILE_POINTS_MIN : (int)tp;
}

size_t pe__blas_assign_work_bytes(int64_t n, int d, int k) {
  (void)n;
  (void)d;
  size_t tp = (size_t)tile_points(k);
  return pe__align64(tp * (size_t)k * sizeof(float)) + 5 * tp * sizeof(float) + 64;
}

void pe__blas_assign_with(pe__tile_select_fn select, pe__point_finish_fn finish, const float *x,
                          int64_t n, int d, const float *c, const float *c_norms, int k,
                          int32_t *labels, float *d1, float *d2, void *work) {
  const int tp = tile_points(k);
  float *tile = (float *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
  float *sel_base = tile + pe__align64((size_t)tp * k * sizeof(float)) / sizeof(float);
  const pe__dot_select sel = {sel_base, sel_base + tp, sel_base + 2 * tp, sel_base + 3 * tp,
                              sel_base + 4 * tp};
  float cmax = 0.0f;
  for (int j = 0; j < k; j++)
    if (c_norms[j] > cmax) cmax = c_norms[j];

  for (int64_t i0 = 0; i0 < n; i0 += tp) {
    int np = n - i0 < tp ? (int)(n - i0) : tp;
    const float *xb = x + (size_t)i0 * d;
    /* tile[j][p] = ‖c_j‖² − 2 c_j·x_p: sgemm adds to the norms (beta = 1).
     * Columns past np (a short last tile) keep the norms, finite values
     * for the whole-vector selection. */
    int np_round = (np + TILE_POINTS_MIN - 1) / TILE_POINTS_MIN * TILE_POINTS_MIN;
    for (int j = 0; j < k; j++) {
      float *row = tile + (size_t)j * tp;
      for (int p = 0; p < np_round; p++) row[p] = c_norms[j];
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, np, d, -2.0f, c, d, xb, d, 1.0f, tile,
                tp);
    select(tile, tp, np_round, k, sel);
    for (int p = 0; p < np; p++) {
      const float *xp = xb + (size_t)p * d;
      float xn = 0.0f, second;
      for (int t = 0; t < d; t++) xn += xp[t] * xp[t];
      int64_t i = i0 + p;
      finish(xp, d, c, k, pe__dot_error_bound(d, xn, cmax), tile + p, tp, sel.a1[p], sel.a2[p],
             sel.a3[p], (int)sel.l1[p], (int)sel.l2[p], &labels[i], &d1[i], &second);
      if (d2) d2[i] = second;
    }
  }
}
