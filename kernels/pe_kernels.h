/* The numeric kernel interface: the only header the engine includes from
 * kernels/. Kernels are single-threaded, allocate nothing, know nothing of
 * files or personas; the engine splits work into blocks and threads.
 *
 * Every operation has a scalar reference (kernels/ref/) whose comment is the
 * contract; SIMD and BLAS variants override only the slots they speed up and
 * are tested against the reference (tests/test_kernels*.c). */
#ifndef PE_KERNELS_H
#define PE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  PE_KERNEL_AUTO = 0,
  PE_KERNEL_SCALAR,
  PE_KERNEL_AVX2,
  PE_KERNEL_AVX512,
  PE_KERNEL_BLAS,
  PE_KERNEL_COUNT
} pe_kernel_id;

/* Nearest-centroid assignment for a block of points.
 *
 *   x        n x d points, row-major float32
 *   c        k x d centroids, row-major float32
 *   c_norms  k squared norms of the centroids (sum of c[j][t]^2 in float32),
 *            computed once per iteration by the caller with pe_kernel_sq_norms
 *   labels   out: index of the nearest centroid (ties: the lowest index)
 *   d1       out: squared Euclidean distance to that centroid, >= 0
 *   d2       out (may be NULL): squared distance to the second-nearest
 *            centroid (+INFINITY when k == 1)
 *   work     scratch of at least assign_work_bytes(n, d, k) bytes, 64-byte
 *            aligned (the BLAS variant keeps its distance tile there)
 *
 * Contract: labels are those of the reference up to rounding — where two
 * centroids are within a few ulps of each other a variant may pick either —
 * and d1/d2 match the exact ‖x − c‖² within the named tolerance of
 * tests/test_kernels.c. NaN in a point yields label 0 and d1 = NaN (the
 * engine rejects NaN before clustering). n may be 0; k >= 1; d >= 1. */
typedef void (*pe_assign_fn)(const float *x, int64_t n, int d, const float *c, const float *c_norms,
                             int k, int32_t *labels, float *d1, float *d2, void *work);
typedef size_t (*pe_assign_work_fn)(int64_t n, int d, int k);

/* Centroid update: for each point i, sums[labels[i]][t] += w_i * x[i][t] (in
 * double) and counts[labels[i]] += w_i, where w_i = weights[i] or 1 when
 * weights is NULL. Adds to what is already in sums/counts. */
typedef void (*pe_accumulate_fn)(const float *x, int64_t n, int d, const int32_t *labels,
                                 const float *weights, int k, double *sums, double *counts);

/* Exact inertia of a block: sum over i of w_i * pe_kernel_exact_sq_dist(x_i,
 * c_labels[i]), with point i added to sum i mod 4 and the four combined as
 * (s0 + s1) + (s2 + s3) (w_i = weights[i], or no multiplication when weights
 * is NULL). On finite inputs every variant returns the same bits, so the
 * inertia k-means reports does not depend on the kernel; a NaN input gives
 * NaN in every variant (which NaN payload survives may differ; k-means
 * rejects non-finite data before it gets here). */
typedef double (*pe_exact_inertia_fn)(const float *x, int64_t n, int d, const float *c,
                                      const int32_t *labels, const float *weights);

/* The points whose label changed: for each i in [0, n) with old[i] !=
 * now[i], in increasing i, moved_at[m] = i and moved_old[m] = old[i]; returns
 * m. Both outputs need room for n entries (n < 2^31): a variant may write
 * past the m-th entry, never past the n-th. */
typedef int64_t (*pe_label_diff_fn)(const int32_t *old, const int32_t *now, int64_t n,
                                    int32_t *moved_at, int32_t *moved_old);

typedef struct {
  pe_kernel_id id;
  const char *name; /* "scalar", "avx2", "avx512", "blas" */
  pe_assign_fn assign;
  pe_assign_work_fn assign_work_bytes;
  pe_accumulate_fn accumulate;
  pe_exact_inertia_fn exact_inertia;
  pe_label_diff_fn label_diff;
} pe_kernel_table;

/* ‖x − c‖² in double from the exact float differences, coordinate t added to
 * sum t mod 4 in coordinate order and the four combined as (s0 + s1) +
 * (s2 + s3): the one definition of a point's exact distance (the exact
 * inertia slot sums it; four sums, not one chain of dependent additions). */
double pe_kernel_exact_sq_dist(const float *x, const float *c, int d);

/* Squared norms of k rows of length d (float32, the same rounding every
 * variant sees). */
void pe_kernel_sq_norms(const float *c, int k, int d, float *norms);

/* The table of a variant, or NULL when this CPU or build cannot run it.
 * PE_KERNEL_AUTO is resolved with pe_kernel_choose(): call
 * pe_kernel_get(pe_kernel_choose(d, k)) for the per-shape choice;
 * pe_kernel_get(PE_KERNEL_AUTO) itself gives the choice for a small shape. */
const pe_kernel_table *pe_kernel_get(pe_kernel_id id);
/* The variant `auto` picks for this shape (per-shape, from measurements). The
 * environment variable PERSONAE_KERNEL=scalar|avx2|avx512|blas overrides it. */
pe_kernel_id pe_kernel_choose(int d, int k);
int pe_kernel_supported(pe_kernel_id id);
const char *pe_kernel_name(pe_kernel_id id);
/* Parses "scalar|avx2|avx512|blas|auto"; returns -1 if unknown. */
int pe_kernel_parse(const char *name, pe_kernel_id *id);
/* How variant `id` computes distances for a shape: "direct" (‖x − c‖²
 * coordinate by coordinate), "dot" (‖c‖² − 2·x·c, guarded), "sgemm" or
 * "reference"; for auto, the form of the variant pe_kernel_choose(d, k)
 * picks. For a variant this CPU lacks it says what that variant would run.
 * For benchmark tables and `personae info`. */
const char *pe_kernel_form(pe_kernel_id id, int d, int k);

/* What the CPU reports (cpuid) and what the OS saves on a context switch
 * (XGETBV): an instruction set is usable only when both say yes. */
typedef struct {
  /* The CPU implements them (cpuid). */
  int sse42, avx, avx2, fma, avx512f, avx512dq;
  /* XCR0 has the SSE and AVX state bits. */
  int os_avx;
  /* XCR0 also has the opmask and upper-ZMM state bits. */
  int os_avx512;
  /* cpuid leaf 0's vendor string ("GenuineIntel", "AuthenticAMD"): the
   * cores differ in where FP adds execute, which moves the shapes where the
   * dot form beats the direct form (kernel_auto.c). */
  char vendor[13];
  /* cpuid leaf 1's display family (base + extended): AMD Zen 4 is 0x19,
   * Zen 5 0x1A, whose full-width AVX-512 moves those shapes again. */
  int family;
  /* The first name in PERSONAE_CPU_DISABLE that is none of avx512, avx2,
   * fma ("" when all are known): such a name hides nothing. */
  char disable_unknown[32];
} pe_cpu_features;

/* Detected once per process (thread-safe). PERSONAE_CPU_DISABLE=avx512,
 * avx2,fma (any of them, comma-separated) hides features for testing;
 * PERSONAE_CPU_VENDOR=NAME[:FAMILY] replaces the vendor string and,
 * when given, the family (whose dot-form thresholds the dispatch then
 * uses). */
const pe_cpu_features *pe_kernel_cpu(void);

/* The PERSONAE_KERNEL environment variable as read once at start-up:
 * returns 0 when it is unset or empty, 1 when it names a variant this CPU
 * runs (stored in *id, PE_KERNEL_AUTO included), -1 when it is set to an
 * unknown or unsupported name (pe_kernel_choose then ignores it). */
int pe_kernel_env_override(pe_kernel_id *id);

/* ---- byte planes ----
 *
 * A block of n elements of `elem` bytes stored as `elem` planes of n bytes,
 * plane b holding byte b of every element (the layout that HDF5's shuffle
 * filter writes, which makes numbers compress better), and back. `in` and
 * `out` hold n * elem bytes each and do not overlap. Both run with AVX2
 * where the CPU has it (and PERSONAE_CPU_DISABLE does not hide it) for 4-
 * and 8-byte elements; every variant gives the same bytes. */
void pe_kernel_unshuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem);
void pe_kernel_shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem);

#endif
