/* Template of the SIMD kernels, instantiated once per instruction set by a
 * file that defines the vector operations below and then includes this one
 * (kernels/avx2/avx2_kernels.c, kernels/avx512/avx512_kernels.c, and the
 * one-lane kernels/blas/blas_portable.c). Only the ISA file's compile flags
 * differ, so every variant runs the same algorithm.
 *
 * Required definitions:
 *   PE_ISA(name)        symbol of this instantiation, e.g. pe__avx2_##name
 *   PE_W                floats per vector
 *   PE_R_DIRECT, PE_J_DIRECT   register block of the direct form: PE_R
 *   PE_R_DOT, PE_J_DOT         point vectors x PE_J centroids accumulators
 *   PE_R_SEL            vectors per pass of the tile selection (PE_R_SEL *
 *                       PE_W must divide 64, the BLAS tile granularity)
 *   vf, vm              float vector and comparison-mask types
 *   VF_LOAD(p) VF_STORE(p, v) (64-byte aligned), VF_LOADU(p) (unaligned),
 *   VF_SET1(s) VF_ZERO VF_ADD VF_SUB VF_MIN VF_MAX, VF_FMA(a, b, c) = a*b + c,
 *   VF_LT(a, b) -> vm, VF_BLEND(m, a, b) = m ? b : a per lane, VF_HSUM(v),
 *   VF_STOREU(p, v), VL_STOREU(p, v) (labels held as floats -> int32 at p),
 *   VM_ALL(m) (every lane set);
 *   PE_WD doubles per vector, vd its type, VD_CVT_LOADU(p) (PE_WD floats at p
 *   widened), VD_LOADU VD_STOREU VD_ADD VD_MUL VD_SET1.
 * Optional: PE_TRANSPOSE8X8(src, ld, dst, ldd) for the point packing.
 *
 * Layout: a block of P = PE_R * PE_W points is packed transposed (xT[t][p],
 * one vector per coordinate) so that each lane follows one point and the
 * arg-min is a lane-wise compare and blend, never a horizontal reduction;
 * the coordinate loop has no remainder whatever D is. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "kernel_internal.h"

#define PE_P_DIRECT (PE_R_DIRECT * PE_W)
#define PE_P_DOT (PE_R_DOT * PE_W)
#define PE_P_MAX (PE_P_DIRECT > PE_P_DOT ? PE_P_DIRECT : PE_P_DOT)

/* Bytes ahead of the block being packed that assign_* prefetch. Across the
 * engine's 4096-point calls the hardware prefetcher alone leaves the stream
 * short of the memory's bandwidth where a pass is memory-bound: measured on
 * (1e6, 8, 8), 2 threads, a Zen 5 VM, a Lloyd iteration 1.90 -> 1.57 ms
 * (medians of 5; 1, 2, 8 and 16 KiB measured, 4 KiB best; into every
 * cache level, as the update re-reads the rows). Where the pass is
 * compute-bound the few prefetches cost nothing measurable. */
enum { PE_PREFETCH_AHEAD = 4096 };

/* Prefetches the rows of points [i0, i0 + np) shifted PE_PREFETCH_AHEAD
 * bytes ahead, never past the end of x's n rows (offsets, not pointers, are
 * compared: a pointer past the end would be undefined even unused). */
static inline void PE_ISA(prefetch_ahead)(const float *x, int64_t i0, int np, int64_t n, int d) {
  const size_t row = (size_t)d * sizeof(float);
  const size_t end = (size_t)n * row;
  size_t to = ((size_t)i0 + (size_t)np) * row + PE_PREFETCH_AHEAD;
  if (to > end) to = end;
  for (size_t off = (size_t)i0 * row + PE_PREFETCH_AHEAD; off < to; off += 64)
    __builtin_prefetch((const char *)x + off, 0, 3);
}

/* Transposes np <= P rows of x into xT (P columns), zero-filling the lanes
 * of missing points; xn (when not NULL) gets each row's ‖x‖² in float.
 * Whole 8 x 8 tiles go through PE_TRANSPOSE8X8 where the ISA has one. */
static void PE_ISA(pack_points)(const float *x, int np, int d, int P, float *restrict xT,
                                float *restrict xn) {
  int p = 0;
#ifdef PE_TRANSPOSE8X8
  int d8 = d - d % 8;
  for (; p + 8 <= np; p += 8) {
    const float *rows = x + (size_t)p * d;
    for (int t = 0; t < d8; t += 8)
      PE_TRANSPOSE8X8(rows + t, (size_t)d, xT + (size_t)t * P + p, (size_t)P);
    if (d8 == d) continue;
    if (d > 8) {
      /* The last columns as one more tile, [d - 8, d), overlapping the
       * previous one: it stays inside the rows, and the overlap is written
       * twice with the same values. Element by element, the tail cost a
       * third of the pass at D = 15. */
      PE_TRANSPOSE8X8(rows + d - 8, (size_t)d, xT + (size_t)(d - 8) * P + p, (size_t)P);
      continue;
    }
    for (int q = 0; q < 8; q++)
      for (int t = d8; t < d; t++) xT[(size_t)t * P + p + q] = rows[(size_t)q * d + t];
  }
#endif
  for (; p < np; p++) {
    const float *row = x + (size_t)p * d;
    for (int t = 0; t < d; t++) xT[(size_t)t * P + p] = row[t];
  }
  for (p = np; p < P; p++)
    for (int t = 0; t < d; t++) xT[(size_t)t * P + p] = 0.0f;
  /* Norms lane-wise from the packed copy (padding lanes are zero). Their
   * rounding differs from a sequential sum, which the factor-2 margin of
   * pe__dot_error_bound covers. */
  if (xn)
    for (int r = 0; r < P / PE_W; r++) {
      vf acc = VF_ZERO;
      for (int t = 0; t < d; t++) {
        vf v = VF_LOAD(xT + (size_t)t * P + r * PE_W);
        acc = VF_FMA(v, v, acc);
      }
      VF_STORE(xn + r * PE_W, acc);
    }
}

/* Writes a block's results for points [0, np): whole vectors straight to
 * the outputs when the block is full, and sends the points whose best
 * distance is not finite to the reference (NaN never compares smaller and
 * overflow gives +INF: the reference keeps the NaN contract exactly). */
static void PE_ISA(emit_direct)(const float *x, int d, const float *c, int k, const float *o1,
                                const float *o2, const float *ol, int np, int P, int32_t *labels,
                                float *d1, float *d2) {
  int all_finite = 1;
  const vf inf = VF_SET1(INFINITY);
  for (int r = 0; r < P / PE_W; r++) all_finite &= VM_ALL(VF_LT(VF_LOAD(o1 + r * PE_W), inf));
  if (np == P && all_finite) {
    for (int r = 0; r < P / PE_W; r++) {
      VF_STOREU(d1 + r * PE_W, VF_LOAD(o1 + r * PE_W));
      VL_STOREU(labels + r * PE_W, VF_LOAD(ol + r * PE_W));
      if (d2) VF_STOREU(d2 + r * PE_W, VF_LOAD(o2 + r * PE_W));
    }
    return;
  }
  for (int p = 0; p < np; p++) {
    if (!(o1[p] < INFINITY)) {
      pe__ref_assign_point(x + (size_t)p * d, d, c, k, &labels[p], &d1[p], d2 ? &d2[p] : NULL);
      continue;
    }
    labels[p] = (int32_t)ol[p];
    d1[p] = o1[p];
    if (d2) d2[p] = o2[p];
  }
}

size_t PE_ISA(assign_work_bytes)(int64_t n, int d, int k) {
  (void)n;
  (void)k;
  return pe__align64((size_t)d * PE_P_MAX * sizeof(float)) + 64;
}

static float *PE_ISA(aligned_work)(void *work) {
  return (float *)(((uintptr_t)work + 63) & ~(uintptr_t)63);
}

/* ---- the direct form: exact-order float sums of (x − c)², two ops per
 * multiply-add, no cancellation to guard ---- */

/* Keeps the smallest (b1, label lab) and second-smallest (b2) lane-wise;
 * strict comparison, so a tie keeps the earlier (lower) centroid index. */
#define PE_SELECT2(v, jv, b1, b2, lab) \
  do {                                 \
    vm m_ = VF_LT(v, b1);              \
    b2 = VF_MIN(b2, VF_MAX(v, b1));    \
    b1 = VF_BLEND(m_, b1, v);          \
    lab = VF_BLEND(m_, lab, jv);       \
  } while (0)

/* The same without the second-smallest, for callers that pass d2 = NULL (the
 * Lloyd pass): b1 and lab evolve exactly as in PE_SELECT2, two operations
 * fewer per centroid. */
#define PE_SELECT1(v, jv, b1, lab) \
  do {                             \
    vm m_ = VF_LT(v, b1);          \
    b1 = VF_BLEND(m_, b1, v);      \
    lab = VF_BLEND(m_, lab, jv);   \
  } while (0)

#define PE_DIRECT_STEP(J)                                                                     \
  do {                                                                                        \
    vf acc[PE_R_DIRECT][J];                                                                   \
    for (int r = 0; r < PE_R_DIRECT; r++)                                                     \
      for (int jj = 0; jj < J; jj++) acc[r][jj] = VF_ZERO;                                    \
    const float *cj = c + (size_t)j * d;                                                      \
    for (int t = 0; t < d; t++) {                                                             \
      vf xv[PE_R_DIRECT];                                                                     \
      for (int r = 0; r < PE_R_DIRECT; r++)                                                   \
        xv[r] = VF_LOAD(xT + (size_t)t * PE_P_DIRECT + r * PE_W);                             \
      for (int jj = 0; jj < J; jj++) {                                                        \
        vf cb = VF_SET1(cj[(size_t)jj * d + t]);                                              \
        for (int r = 0; r < PE_R_DIRECT; r++) {                                               \
          vf df = VF_SUB(xv[r], cb);                                                          \
          acc[r][jj] = VF_FMA(df, df, acc[r][jj]);                                            \
        }                                                                                     \
      }                                                                                       \
    }                                                                                         \
    for (int jj = 0; jj < J; jj++) {                                                          \
      vf jv = VF_SET1((float)(j + jj));                                                       \
      for (int r = 0; r < PE_R_DIRECT; r++) {                                                 \
        if (want2)                                                                            \
          PE_SELECT2(acc[r][jj], jv, b1[r], b2[r], lab[r]);                                   \
        else                                                                                  \
          PE_SELECT1(acc[r][jj], jv, b1[r], lab[r]);                                          \
      }                                                                                       \
    }                                                                                         \
  } while (0)

/* want2 is a constant at both call sites: always inlined, each copy keeps
 * only the selection it needs. */
PE_ALWAYS_INLINE static inline void PE_ISA(block_direct)(const float *restrict xT, int d,
                                                         const float *restrict c, int k,
                                                         const int want2, float *o1, float *o2,
                                                         float *ol) {
  vf b1[PE_R_DIRECT], b2[PE_R_DIRECT], lab[PE_R_DIRECT];
  for (int r = 0; r < PE_R_DIRECT; r++) {
    b1[r] = b2[r] = VF_SET1(INFINITY);
    lab[r] = VF_ZERO;
  }
  int j = 0;
  /* The remainder goes in blocks of 4 and 2 before single centroids: a
   * single centroid leaves only PE_R accumulation chains, latency-bound. */
  for (; j + PE_J_DIRECT <= k; j += PE_J_DIRECT) PE_DIRECT_STEP(PE_J_DIRECT);
  if (PE_J_DIRECT > 4)
    for (; j + 4 <= k; j += 4) PE_DIRECT_STEP(4);
  if (PE_J_DIRECT > 2)
    for (; j + 2 <= k; j += 2) PE_DIRECT_STEP(2);
  for (; j < k; j++) PE_DIRECT_STEP(1);
  for (int r = 0; r < PE_R_DIRECT; r++) {
    VF_STORE(o1 + r * PE_W, b1[r]);
    VF_STORE(o2 + r * PE_W, b2[r]);
    VF_STORE(ol + r * PE_W, lab[r]);
  }
}

void PE_ISA(assign_direct)(const float *x, int64_t n, int d, const float *c, const float *c_norms,
                           int k, int32_t *labels, float *d1, float *d2, void *work) {
  (void)c_norms;
  float *xT = PE_ISA(aligned_work)(work);
  _Alignas(64) float o1[PE_P_DIRECT], o2[PE_P_DIRECT], ol[PE_P_DIRECT];
  for (int64_t i0 = 0; i0 < n; i0 += PE_P_DIRECT) {
    int np = n - i0 < PE_P_DIRECT ? (int)(n - i0) : PE_P_DIRECT;
    PE_ISA(prefetch_ahead)(x, i0, np, n, d);
    PE_ISA(pack_points)(x + (size_t)i0 * d, np, d, PE_P_DIRECT, xT, NULL);
    if (d2)
      PE_ISA(block_direct)(xT, d, c, k, 1, o1, o2, ol);
    else
      PE_ISA(block_direct)(xT, d, c, k, 0, o1, o2, ol);
    PE_ISA(emit_direct)
    (x + (size_t)i0 * d, d, c, k, o1, o2, ol, np, PE_P_DIRECT, labels + i0, d1 + i0,
     d2 ? d2 + i0 : NULL);
  }
}

/* ---- the dot form: v_j = ‖c_j‖² − 2 x·c_j, one FMA per multiply-add,
 * guarded by pe__dot_error_bound ---- */

/* Keeps the three smallest v (b1 <= b2 <= b3) and the labels of the first
 * two, lane-wise; ties keep the lower centroid index in front. */
#define PE_SELECT3(v, jv, b1, b2, b3, l1, l2)  \
  do {                                         \
    vm m1_ = VF_LT(v, b1), m2_ = VF_LT(v, b2); \
    b3 = VF_MIN(b3, VF_MAX(v, b2));            \
    b2 = VF_MIN(b2, VF_MAX(v, b1));            \
    b1 = VF_BLEND(m1_, b1, v);                 \
    l2 = VF_BLEND(m2_, l2, jv);                \
    l2 = VF_BLEND(m1_, l2, l1);                \
    l1 = VF_BLEND(m1_, l1, jv);                \
  } while (0)

#define PE_DOT_STEP(J)                                                                          \
  do {                                                                                          \
    vf acc[PE_R_DOT][J];                                                                        \
    for (int r = 0; r < PE_R_DOT; r++)                                                          \
      for (int jj = 0; jj < J; jj++) acc[r][jj] = VF_ZERO;                                      \
    const float *cj = c + (size_t)j * d;                                                        \
    for (int t = 0; t < d; t++) {                                                               \
      vf xv[PE_R_DOT];                                                                          \
      for (int r = 0; r < PE_R_DOT; r++) xv[r] = VF_LOAD(xT + (size_t)t * PE_P_DOT + r * PE_W); \
      for (int jj = 0; jj < J; jj++) {                                                          \
        vf cb = VF_SET1(cj[(size_t)jj * d + t]);                                                \
        for (int r = 0; r < PE_R_DOT; r++) acc[r][jj] = VF_FMA(xv[r], cb, acc[r][jj]);          \
      }                                                                                         \
    }                                                                                           \
    for (int jj = 0; jj < J; jj++) {                                                            \
      vf jv = VF_SET1((float)(j + jj)), cn = VF_SET1(c_norms[j + jj]);                          \
      for (int r = 0; r < PE_R_DOT; r++) {                                                      \
        vf v = VF_FMA(acc[r][jj], minus2, cn);                                                  \
        PE_SELECT3(v, jv, b1[r], b2[r], b3[r], l1[r], l2[r]);                                   \
      }                                                                                         \
    }                                                                                           \
  } while (0)

static void PE_ISA(block_dot)(const float *restrict xT, int d, const float *restrict c,
                              const float *restrict c_norms, int k, pe__dot_select out) {
  vf b1[PE_R_DOT], b2[PE_R_DOT], b3[PE_R_DOT], l1[PE_R_DOT], l2[PE_R_DOT];
  const vf minus2 = VF_SET1(-2.0f);
  for (int r = 0; r < PE_R_DOT; r++) {
    b1[r] = b2[r] = b3[r] = VF_SET1(INFINITY);
    l1[r] = l2[r] = VF_ZERO;
  }
  int j = 0;
  for (; j + PE_J_DOT <= k; j += PE_J_DOT) PE_DOT_STEP(PE_J_DOT);
  if (PE_J_DOT > 4)
    for (; j + 4 <= k; j += 4) PE_DOT_STEP(4);
  if (PE_J_DOT > 2)
    for (; j + 2 <= k; j += 2) PE_DOT_STEP(2);
  for (; j < k; j++) PE_DOT_STEP(1);
  for (int r = 0; r < PE_R_DOT; r++) {
    VF_STORE(out.a1 + r * PE_W, b1[r]);
    VF_STORE(out.a2 + r * PE_W, b2[r]);
    VF_STORE(out.a3 + r * PE_W, b3[r]);
    VF_STORE(out.l1 + r * PE_W, l1[r]);
    VF_STORE(out.l2 + r * PE_W, l2[r]);
  }
}

/* ‖x − c‖² in float: vector body, one horizontal sum, scalar tail. */
static float PE_ISA(sq_dist)(const float *x, const float *c, int d) {
  vf acc = VF_ZERO;
  int t = 0;
  for (; t + PE_W <= d; t += PE_W) {
    vf df = VF_SUB(VF_LOADU(x + t), VF_LOADU(c + t));
    acc = VF_FMA(df, df, acc);
  }
  float s = VF_HSUM(acc);
  for (; t < d; t++) s += (x[t] - c[t]) * (x[t] - c[t]);
  return s;
}

/* One point decided without a dot-form tile: float direct distances to
 * every centroid (each within (d + 2) u of exact, relative, as every term is
 * non-negative), then the exact recomputation of those that could still be
 * first or second. Costs a few times a normal point, not K·D in double. */
static void PE_ISA(assign_point_direct)(const float *x, int d, const float *c, int k,
                                        int32_t *label, float *d1, float *d2) {
  float f1 = INFINITY, f2 = INFINITY;
  for (int j = 0; j < k; j++) {
    float f = PE_ISA(sq_dist)(x, c + (size_t)j * d, d);
    if (f < f1) {
      f2 = f1;
      f1 = f;
    } else if (f < f2) {
      f2 = f;
    }
  }
  float threshold = f2 * (1.0f + 4.0f * (float)(d + 2) * FLT_EPSILON) + FLT_MIN;
  if (!(threshold < INFINITY)) {
    pe__ref_assign_point(x, d, c, k, label, d1, d2);
    return;
  }
  double best = INFINITY, second = INFINITY;
  int32_t arg = 0;
  for (int j = 0; j < k; j++) {
    if (!(PE_ISA(sq_dist)(x, c + (size_t)j * d, d) <= threshold)) continue;
    double v = pe__ref_sq_dist(x, c + (size_t)j * d, d);
    if (v < best) {
      second = best;
      best = v;
      arg = j;
    } else if (v < second) {
      second = v;
    }
  }
  *label = arg;
  *d1 = (float)best;
  *d2 = (float)second;
}

void PE_ISA(point_finish)(const float *x, int d, const float *c, int k, float e, const float *col,
                          ptrdiff_t ld, float a1, float a2, float a3, int l1, int l2,
                          int32_t *label, float *d1, float *d2) {
  if (k == 1) {
    *label = 0;
    *d1 = (float)pe__ref_sq_dist(x, c, d);
    *d2 = INFINITY;
    return;
  }
  /* Both gaps clear the error bound: the dot form's first and second are
   * the true first and second, only their values need recomputing. (NaN or
   * infinite values fail the comparisons and take the exact path.) */
  if (a2 - a1 > 2.0f * e && a3 - a2 > 2.0f * e) {
    *label = l1;
    *d1 = PE_ISA(sq_dist)(x, c + (size_t)l1 * d, d);
    *d2 = PE_ISA(sq_dist)(x, c + (size_t)l2 * d, d);
    return;
  }
  /* Every centroid whose exact v could be below the runner-up's is within
   * 2e of a2: recompute those exactly, as the reference does. */
  float threshold = a2 + 2.0f * e;
  if (!col) {
    PE_ISA(assign_point_direct)(x, d, c, k, label, d1, d2);
    return;
  }
  if (!(threshold < INFINITY)) {
    pe__ref_assign_point(x, d, c, k, label, d1, d2);
    return;
  }
  double best = INFINITY, second = INFINITY;
  int32_t arg = -1;
  for (int j = 0; j < k; j++) {
    if (!(col[(ptrdiff_t)j * ld] <= threshold)) continue;
    double v = pe__ref_sq_dist(x, c + (size_t)j * d, d);
    if (arg < 0 || v < best) {
      second = best;
      best = v;
      arg = j;
    } else if (v < second) {
      second = v;
    }
  }
  if (arg < 0) {
    pe__ref_assign_point(x, d, c, k, label, d1, d2);
    return;
  }
  *label = arg;
  *d1 = (float)best;
  *d2 = (float)second;
}

static float PE_ISA(max_norm)(const float *c_norms, int k) {
  float m = 0.0f;
  for (int j = 0; j < k; j++)
    if (c_norms[j] > m) m = c_norms[j];
  return m;
}

void PE_ISA(assign_dot)(const float *x, int64_t n, int d, const float *c, const float *c_norms,
                        int k, int32_t *labels, float *d1, float *d2, void *work) {
  float *xT = PE_ISA(aligned_work)(work);
  _Alignas(64) float a1[PE_P_DOT], a2[PE_P_DOT], a3[PE_P_DOT], l1[PE_P_DOT], l2[PE_P_DOT],
      xn[PE_P_DOT];
  const pe__dot_select sel = {a1, a2, a3, l1, l2};
  const float cmax = PE_ISA(max_norm)(c_norms, k);
  for (int64_t i0 = 0; i0 < n; i0 += PE_P_DOT) {
    int np = n - i0 < PE_P_DOT ? (int)(n - i0) : PE_P_DOT;
    PE_ISA(prefetch_ahead)(x, i0, np, n, d);
    PE_ISA(pack_points)(x + (size_t)i0 * d, np, d, PE_P_DOT, xT, xn);
    PE_ISA(block_dot)(xT, d, c, c_norms, k, sel);
    for (int p = 0; p < np; p++) {
      int64_t i = i0 + p;
      float second;
      PE_ISA(point_finish)
      (x + (size_t)i * d, d, c, k, pe__dot_error_bound(d, xn[p], cmax), NULL, 0, a1[p], a2[p],
       a3[p], (int)l1[p], (int)l2[p], &labels[i], &d1[i], &second);
      if (d2) d2[i] = second;
    }
  }
}

/* ---- selection over an sgemm tile (the BLAS variant) ---- */

/* PE_R_SEL independent vectors per pass keep several compare chains in
 * flight (each j depends on the previous one through b1..l2). */
void PE_ISA(tile_select)(const float *tile, int ld, int np, int k, pe__dot_select out) {
  for (int p0 = 0; p0 < np; p0 += PE_R_SEL * PE_W) {
    vf b1[PE_R_SEL], b2[PE_R_SEL], b3[PE_R_SEL], l1[PE_R_SEL], l2[PE_R_SEL];
    for (int r = 0; r < PE_R_SEL; r++) {
      b1[r] = b2[r] = b3[r] = VF_SET1(INFINITY);
      l1[r] = l2[r] = VF_ZERO;
    }
    for (int j = 0; j < k; j++) {
      const float *row = tile + (size_t)j * ld + p0;
      vf jv = VF_SET1((float)j);
      for (int r = 0; r < PE_R_SEL; r++) {
        vf v = VF_LOAD(row + r * PE_W);
        PE_SELECT3(v, jv, b1[r], b2[r], b3[r], l1[r], l2[r]);
      }
    }
    for (int r = 0; r < PE_R_SEL; r++) {
      VF_STORE(out.a1 + p0 + r * PE_W, b1[r]);
      VF_STORE(out.a2 + p0 + r * PE_W, b2[r]);
      VF_STORE(out.a3 + p0 + r * PE_W, b3[r]);
      VF_STORE(out.l1 + p0 + r * PE_W, l1[r]);
      VF_STORE(out.l2 + p0 + r * PE_W, l2[r]);
    }
  }
}

void PE_ISA(blas_assign)(const float *x, int64_t n, int d, const float *c, const float *c_norms,
                         int k, int32_t *labels, float *d1, float *d2, void *work) {
  if (k > PE__MAX_LANE_LABEL) {
    pe__ref_assign(x, n, d, c, c_norms, k, labels, d1, d2, work);
    return;
  }
  pe__blas_assign_with(PE_ISA(tile_select), PE_ISA(point_finish), x, n, d, c, c_norms, k, labels,
                       d1, d2, work);
}

/* ---- centroid update: each element's sum is built in point order with the
 * reference's operations (convert, multiply by the weight when there is
 * one, add), so the sums are bit-identical to the reference's ---- */

/* Unweighted counts go to an integer histogram first: adding it once equals
 * adding 1.0 that many times while counts are integers below 2^53 (the
 * engine's always are), and it takes a store-to-load chain per point out of
 * the loop. */
enum { PE_ACC_HIST_MAX_K = 4096, PE_ACC_HIST_CHUNK = 1 << 30 };

void PE_ISA(accumulate)(const float *x, int64_t n, int d, const int32_t *labels,
                        const float *weights, int k, double *sums, double *counts) {
  if (!weights && k <= PE_ACC_HIST_MAX_K) {
    uint32_t hist[PE_ACC_HIST_MAX_K];
    for (int64_t c0 = 0; c0 < n; c0 += PE_ACC_HIST_CHUNK) {
      int64_t end = n - c0 < PE_ACC_HIST_CHUNK ? n : c0 + PE_ACC_HIST_CHUNK;
      memset(hist, 0, sizeof(uint32_t) * (size_t)k);
      for (int64_t i = c0; i < end; i++) {
        double *row = sums + (size_t)labels[i] * d;
        const float *xi = x + (size_t)i * d;
        int t = 0;
        for (; t + PE_WD <= d; t += PE_WD)
          VD_STOREU(row + t, VD_ADD(VD_LOADU(row + t), VD_CVT_LOADU(xi + t)));
        for (; t < d; t++) row[t] += (double)xi[t];
        hist[labels[i]]++;
      }
      for (int j = 0; j < k; j++) counts[j] += (double)hist[j];
    }
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    double *row = sums + (size_t)labels[i] * d;
    const float *xi = x + (size_t)i * d;
    double w = weights ? (double)weights[i] : 1.0;
    vd wv = VD_SET1(w);
    int t = 0;
    for (; t + PE_WD <= d; t += PE_WD)
      VD_STOREU(row + t, VD_ADD(VD_LOADU(row + t), VD_MUL(wv, VD_CVT_LOADU(xi + t))));
    for (; t < d; t++) row[t] += w * (double)xi[t];
    counts[labels[i]] += w;
  }
}
