/* Internals shared by the kernel variants and the dispatcher. The engine
 * never includes this header: it sees only pe_kernels.h. */
#ifndef PE_KERNEL_INTERNAL_H
#define PE_KERNEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pe_kernels.h"

/* ---- the scalar reference (kernels/ref/) ---- */

/* ‖x − c‖² of two rows of length d, accumulated in double from the exact
 * float differences: the ground truth every variant is measured against. */
double pe__ref_sq_dist(const float *x, const float *c, int d);

/* The reference assignment of one point (label, d1, d2 as in pe_assign_fn;
 * d2 may be NULL). Variants fall back to it for points they cannot decide. */
void pe__ref_assign_point(const float *x, int d, const float *c, int k, int32_t *label, float *d1,
                          float *d2);

void pe__ref_assign(const float *x, int64_t n, int d, const float *c, const float *c_norms, int k,
                    int32_t *labels, float *d1, float *d2, void *work);
size_t pe__ref_assign_work_bytes(int64_t n, int d, int k);
void pe__ref_accumulate(const float *x, int64_t n, int d, const int32_t *labels,
                        const float *weights, int k, double *sums, double *counts);
double pe__ref_exact_inertia(const float *x, int64_t n, int d, const float *c,
                             const int32_t *labels, const float *weights);
int64_t pe__ref_label_diff(const int32_t *old, const int32_t *now, int64_t n, int32_t *moved_at,
                           int32_t *moved_old);
int64_t pe__avx2_label_diff(const int32_t *old, const int32_t *now, int64_t n, int32_t *moved_at,
                            int32_t *moved_old);
int64_t pe__avx512_label_diff(const int32_t *old, const int32_t *now, int64_t n, int32_t *moved_at,
                              int32_t *moved_old);
/* Byte planes (pe_kernel_unshuffle, pe_kernel_shuffle): the reference for
 * every element size, AVX2 for 4 and 8 bytes (others go to the reference). */
void pe__ref_unshuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem);
void pe__ref_shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem);
void pe__avx2_unshuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem);
void pe__avx2_shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem);
/* The same bits with 256-bit vectors (avx2/avx2_exact_inertia.c); the AVX2
 * and AVX-512 tables use it. */
double pe__avx2_exact_inertia(const float *x, int64_t n, int d, const float *c,
                              const int32_t *labels, const float *weights);

/* ---- the dot-product form and its guard ----
 *
 * The dot form ranks centroids by v_j = ‖c_j‖² − 2 x·c_j (= ‖x − c_j‖² −
 * ‖x‖²). In float32 each v_j is within pe__dot_error_bound() of its exact
 * value, so the ranking is only trusted where the gaps between the three
 * smallest v exceed twice that bound; elsewhere the candidates are
 * recomputed exactly (see the guard in simd/simd_select.h). */
static inline float pe__dot_error_bound(int d, float x_norm, float c_norm_max) {
  /* |fl(x·c) − x·c| <= γ_d Σ|x_t c_t| <= γ_d (‖x‖² + ‖c‖²) / 2 in any
   * summation order (with or without FMA), plus the rounding of ‖c‖² and of
   * the final combination: (d + 2) u (‖x‖² + 2 max ‖c‖²) with u = 2^-24.
   * FLT_EPSILON = 2u gives a factor-2 safety margin. */
  return (float)(d + 2) * 1.1920929e-07f * (x_norm + 2.0f * c_norm_max);
}

/* The per-point outputs of a dot-form selection: the three smallest v
 * (ascending, +INFINITY where k < 3) and the labels of the first two, stored
 * as floats (exact below 2^24 centroids). */
typedef struct {
  float *a1, *a2, *a3, *l1, *l2;
} pe__dot_select;

/* Selects over a tile laid out centroid-major: v_j of point p is
 * tile[j * ld + p], for points [0, np) (np a multiple of 64; every column
 * must hold finite values). */
typedef void (*pe__tile_select_fn)(const float *tile, int ld, int np, int k, pe__dot_select out);
/* Turns one point's selection into the contract's label/d1/d2: exact
 * distances for the winner and runner-up, and the exact recomputation of
 * every candidate when the gaps are within the error bound. `col` holds the
 * point's v_j at stride `ld` (NULL: recompute all centroids). */
typedef void (*pe__point_finish_fn)(const float *x, int d, const float *c, int k, float e,
                                    const float *col, ptrdiff_t ld, float a1, float a2, float a3,
                                    int l1, int l2, int32_t *label, float *d1, float *d2);

/* The BLAS variant: sgemm tiles, then selection and guard through the given
 * functions (the best SIMD ones this CPU runs). */
void pe__blas_assign_with(pe__tile_select_fn select, pe__point_finish_fn finish, const float *x,
                          int64_t n, int d, const float *c, const float *c_norms, int k,
                          int32_t *labels, float *d1, float *d2, void *work);
size_t pe__blas_assign_work_bytes(int64_t n, int d, int k);

/* The SIMD code carries labels in float lanes, exact up to 2^24; beyond
 * that many centroids the variants hand the call to the reference. */
#define PE__MAX_LANE_LABEL (1 << 24)

/* Forces inlining where a constant argument must specialise a template
 * function (the SIMD block loops); nothing on other compilers. */
#if defined(__GNUC__)
#define PE_ALWAYS_INLINE __attribute__((always_inline))
#else
#define PE_ALWAYS_INLINE
#endif

/* ---- per-ISA entry points (defined by the simd/ templates) ---- */
#define PE__DECLARE_ISA(isa)                                                                       \
  void pe__##isa##_assign_direct(const float *x, int64_t n, int d, const float *c,                 \
                                 const float *c_norms, int k, int32_t *labels, float *d1,          \
                                 float *d2, void *work);                                           \
  void pe__##isa##_assign_dot(const float *x, int64_t n, int d, const float *c,                    \
                              const float *c_norms, int k, int32_t *labels, float *d1, float *d2,  \
                              void *work);                                                         \
  size_t pe__##isa##_assign_work_bytes(int64_t n, int d, int k);                                   \
  void pe__##isa##_accumulate(const float *x, int64_t n, int d, const int32_t *labels,             \
                              const float *weights, int k, double *sums, double *counts);          \
  void pe__##isa##_tile_select(const float *tile, int ld, int np, int k, pe__dot_select out);      \
  void pe__##isa##_point_finish(const float *x, int d, const float *c, int k, float e,             \
                                const float *col, ptrdiff_t ld, float a1, float a2, float a3,      \
                                int l1, int l2, int32_t *label, float *d1, float *d2);             \
  void pe__##isa##_blas_assign(const float *x, int64_t n, int d, const float *c,                   \
                               const float *c_norms, int k, int32_t *labels, float *d1, float *d2, \
                               void *work);

PE__DECLARE_ISA(plain)
PE__DECLARE_ISA(avx2)
PE__DECLARE_ISA(avx512)

/* Rounds a byte count up to the 64-byte alignment every work buffer keeps. */
static inline size_t pe__align64(size_t bytes) {
  return (bytes + 63) & ~(size_t)63;
}

#endif
