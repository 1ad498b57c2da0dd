/* bench_kernels: times every assignment variant on the issue's shapes and
 * prints GFLOP/s (2·N·K·D per pass) and GB/s next to this machine's peaks,
 * measured here: a STREAM-like read of a large array, a large sgemm and the
 * FMA throughput of the widest vectors this CPU runs (independent FMAs on
 * registers: the ceiling no kernel can pass).
 *
 *   bench_kernels [--quick] [--reps R] [--shape N,D,K]... [--sweep]
 *
 * Wall-clock figures are the median of R passes (default 5); "cpu" figures
 * are the best pass timed by the slowest thread's own CPU clock, which
 * excludes time spent descheduled when the machine is shared. "1T" calls the kernel on
 * blocks of 4096 points one after another; "2T" splits the same blocks over
 * two OpenMP threads (static schedule, OpenBLAS single-threaded inside), as
 * the engine does. "iter" adds the centroid update (per-thread partial sums,
 * accumulate kernel) to the 2-thread assignment: a whole Lloyd iteration
 * minus the centroid division. Slow variants run on a prefix of the points
 * and are scaled (rates do not depend on N). --sweep instead measures the
 * single-thread rate of each variant over a grid of (D, K): the table behind
 * `auto` (kernels/kernel_auto.c). */
#include <cblas.h>
#include <emmintrin.h>
#include <immintrin.h>
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/rng.h"
#include "kernel_internal.h"

enum { BLOCK = 4096, MAX_REPS = 50, MAX_SHAPES = 8 };

/* ---- a median-of-R timer, kept apart from the cases ---- */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef void (*timed_fn)(void *ctx);

typedef struct {
  double median, best; /* wall seconds */
  double cpu_best;     /* largest thread CPU time, best pass */
} timing;

/* Each pass records every thread's own CPU time for its share of the work
 * (thread CPU clock, read before any barrier). The largest is the wall time
 * the pass would take with a core per thread: time spent descheduled on a
 * busy shared machine does not count. */
enum { MAX_THREADS = 2 };
static double pass_thread_cpu[MAX_THREADS];

static double thread_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double pass_cpu(int threads) {
  double m = 0.0;
  for (int th = 0; th < threads; th++)
    if (pass_thread_cpu[th] > m) m = pass_thread_cpu[th];
  return m;
}

/* On a shared machine the median is what a user sees and the best is the
 * closest to the uncontended speed; both are reported. Sorts t. */
static timing summarize(double *t, double *cpu, int reps) {
  qsort(t, (size_t)reps, sizeof t[0], cmp_double);
  qsort(cpu, (size_t)reps, sizeof cpu[0], cmp_double);
  return (timing){t[reps / 2], t[0], cpu[0]};
}

/* Runs fn once to warm up, then reps times, with `threads` threads. */
static timing time_passes(timed_fn fn, void *ctx, int reps, int threads) {
  double t[MAX_REPS], cpu[MAX_REPS];
  fn(ctx);
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    fn(ctx);
    t[r] = now() - t0;
    cpu[r] = pass_cpu(threads);
  }
  return summarize(t, cpu, reps);
}

/* ---- peaks ---- */

typedef struct {
  const float *a;
  size_t len;
  int threads;
  float sink;
} read_ctx;

static void read_pass(void *p) {
  read_ctx *c = p;
  float total = 0.0f;
#pragma omp parallel num_threads(c->threads) reduction(+ : total)
  {
    double c0 = thread_seconds();
#pragma omp for schedule(static) nowait
    for (size_t b = 0; b < c->len / 4096; b++) {
      const float *q = c->a + b * 4096;
      __m128 s0 = _mm_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
      for (int i = 0; i < 4096; i += 16) {
        s0 = _mm_add_ps(s0, _mm_load_ps(q + i));
        s1 = _mm_add_ps(s1, _mm_load_ps(q + i + 4));
        s2 = _mm_add_ps(s2, _mm_load_ps(q + i + 8));
        s3 = _mm_add_ps(s3, _mm_load_ps(q + i + 12));
      }
      float out[4];
      _mm_storeu_ps(out, _mm_add_ps(_mm_add_ps(s0, s1), _mm_add_ps(s2, s3)));
      total += out[0] + out[1] + out[2] + out[3];
    }
    pass_thread_cpu[omp_get_thread_num()] = thread_seconds() - c0;
  }
  c->sink += total;
}

typedef struct {
  int m, threads;
  float *a, *b, *c;
} gemm_ctx;

/* Each OpenMP thread multiplies A by its half of B's columns with a
 * single-threaded sgemm: the way the kernels use BLAS. */
static void gemm_pass(void *p) {
  gemm_ctx *g = p;
#pragma omp parallel num_threads(g->threads)
  {
    double c0 = thread_seconds();
    int th = omp_get_thread_num(), nth = omp_get_num_threads();
    int n0 = g->m * th / nth, n1 = g->m * (th + 1) / nth;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->m, n1 - n0, g->m, 1.0f, g->a, g->m,
                g->b + n0, g->m, 0.0f, g->c + n0, g->m);
    pass_thread_cpu[th] = thread_seconds() - c0;
  }
}

/* FMA throughput: 16 independent chains (latency x pipes on current
 * cores is at most 8-12 in flight), no memory. Each FMA counts 2 flops per
 * lane, as 2*N*K*D does. */
enum { FMA_CHAINS = 16, FMA_ROUNDS = 1 << 22 };

#define FMA_LOOP(vt, set1, fma, store, lanes)                              \
  vt acc[FMA_CHAINS];                                                        \
  for (int i = 0; i < FMA_CHAINS; i++) acc[i] = set1(1.0f + i * 1e-3f);     \
  const vt mul = set1(0.999999f), add = set1(1e-7f);                         \
  for (long r = 0; r < FMA_ROUNDS; r++)                                      \
    for (int i = 0; i < FMA_CHAINS; i++) acc[i] = fma(acc[i], mul, add);     \
  float out[lanes], total = 0.0f;                                            \
  for (int i = 0; i < FMA_CHAINS; i++) {                                     \
    store(out, acc[i]);                                                      \
    total += out[0];                                                         \
  }                                                                          \
  return total

__attribute__((target("avx512f"))) static float fma_rounds_avx512(void) {
  FMA_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps, 16);
}
__attribute__((target("avx2,fma"))) static float fma_rounds_avx2(void) {
  FMA_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps, 8);
}

typedef struct {
  int threads, lanes;
  float sink;
} fma_ctx;

static void fma_pass(void *p) {
  fma_ctx *f = p;
  float total = 0.0f;
#pragma omp parallel num_threads(f->threads) reduction(+ : total)
  {
    double c0 = thread_seconds();
    total += f->lanes == 16 ? fma_rounds_avx512() : fma_rounds_avx2();
    pass_thread_cpu[omp_get_thread_num()] = thread_seconds() - c0;
  }
  f->sink += total;
}

typedef struct {
  double read_gbs[3], read_gbs_cpu[3]; /* [threads]: from wall and CPU time */
  double sgemm_gfs[3], sgemm_gfs_cpu[3];
  double fma_gfs[3], fma_gfs_cpu[3]; /* 0 when the CPU has neither AVX2 nor AVX-512 */
  int fma_lanes;
} peaks;

static void measure_peaks(peaks *pk, int reps, int quick) {
  size_t len = (size_t)(quick ? 32 : 128) << 20; /* floats: 128 or 512 MiB */
  float *a = aligned_alloc(64, len * sizeof(float));
  for (size_t i = 0; i < len; i++) a[i] = (float)(i & 1023);
  for (int th = 1; th <= 2; th++) {
    read_ctx rc = {a, len, th, 0.0f};
    timing tr = time_passes(read_pass, &rc, reps, th);
    pk->read_gbs[th] = len * sizeof(float) / tr.best / 1e9;
    pk->read_gbs_cpu[th] = len * sizeof(float) / tr.cpu_best / 1e9;
  }
  free(a);
  gemm_ctx g = {quick ? 1024 : 2048, 1, NULL, NULL, NULL};
  size_t mm = (size_t)g.m * g.m;
  g.a = malloc(mm * sizeof(float));
  g.b = malloc(mm * sizeof(float));
  g.c = malloc(mm * sizeof(float));
  for (size_t i = 0; i < mm; i++) g.a[i] = g.b[i] = (float)(i % 7) * 0.25f;
  for (g.threads = 1; g.threads <= 2; g.threads++) {
    timing tg = time_passes(gemm_pass, &g, reps, g.threads);
    pk->sgemm_gfs[g.threads] = 2.0 * g.m * g.m * g.m / tg.best / 1e9;
    pk->sgemm_gfs_cpu[g.threads] = 2.0 * g.m * g.m * g.m / tg.cpu_best / 1e9;
  }
  free(g.a);
  free(g.b);
  free(g.c);
  pk->fma_lanes = pe_kernel_supported(PE_KERNEL_AVX512) ? 16
                  : pe_kernel_supported(PE_KERNEL_AVX2) ? 8
                                                        : 0;
  for (int th = 1; th <= 2 && pk->fma_lanes; th++) {
    fma_ctx f = {th, pk->fma_lanes, 0.0f};
    timing tf = time_passes(fma_pass, &f, reps < 3 ? reps : 3, th);
    double flops = 2.0 * th * FMA_ROUNDS * FMA_CHAINS * pk->fma_lanes;
    pk->fma_gfs[th] = flops / tf.best / 1e9;
    pk->fma_gfs_cpu[th] = flops / tf.cpu_best / 1e9;
  }
}

/* ---- the cases ---- */

typedef struct {
  const char *name;
  pe_kernel_id id; /* for support checks */
  pe_assign_fn assign;
  pe_assign_work_fn work_bytes;
  pe_accumulate_fn accumulate;
} bench_variant;

static void auto_assign(const float *x, int64_t n, int d, const float *c, const float *c_norms,
                        int k, int32_t *labels, float *d1, float *d2, void *work);
static size_t auto_work(int64_t n, int d, int k);

static const bench_variant variants[] = {
    {"scalar", PE_KERNEL_SCALAR, pe__ref_assign, pe__ref_assign_work_bytes, pe__ref_accumulate},
    {"avx2-direct", PE_KERNEL_AVX2, pe__avx2_assign_direct, pe__avx2_assign_work_bytes,
     pe__avx2_accumulate},
    {"avx2-dot", PE_KERNEL_AVX2, pe__avx2_assign_dot, pe__avx2_assign_work_bytes,
     pe__avx2_accumulate},
    {"avx512-direct", PE_KERNEL_AVX512, pe__avx512_assign_direct, pe__avx512_assign_work_bytes,
     pe__avx512_accumulate},
    {"avx512-dot", PE_KERNEL_AVX512, pe__avx512_assign_dot, pe__avx512_assign_work_bytes,
     pe__avx512_accumulate},
    {"blas(avx2 sel)", PE_KERNEL_AVX2, pe__avx2_blas_assign, pe__blas_assign_work_bytes,
     pe__avx2_accumulate},
    {"blas", PE_KERNEL_BLAS, NULL, NULL, NULL}, /* the dispatch table's */
    {"auto", PE_KERNEL_AUTO, auto_assign, auto_work, NULL},
};

static const pe_kernel_table *auto_table;

static void auto_assign(const float *x, int64_t n, int d, const float *c, const float *c_norms,
                        int k, int32_t *labels, float *d1, float *d2, void *work) {
  auto_table->assign(x, n, d, c, c_norms, k, labels, d1, d2, work);
}
static size_t auto_work(int64_t n, int d, int k) {
  return auto_table->assign_work_bytes(n, d, k);
}

typedef struct {
  int64_t n;
  int d, k;
  float *x, *c, *norms, *d1, *d2;
  int32_t *labels;
  bench_variant v;
  int threads, with_update;
  void *work[2];
  double *sums[2], *counts[2];
} pass_ctx;

static void assign_pass(void *p) {
  pass_ctx *a = p;
  int64_t nblocks = (a->n + BLOCK - 1) / BLOCK;
#pragma omp parallel num_threads(a->threads)
  {
    int th = omp_get_thread_num();
    double c0 = thread_seconds();
    if (a->with_update) {
      memset(a->sums[th], 0, sizeof(double) * (size_t)a->k * a->d);
      memset(a->counts[th], 0, sizeof(double) * (size_t)a->k);
    }
#pragma omp for schedule(static) nowait
    for (int64_t b = 0; b < nblocks; b++) {
      int64_t i0 = b * BLOCK, len = a->n - i0 < BLOCK ? a->n - i0 : BLOCK;
      const float *xb = a->x + (size_t)i0 * a->d;
      a->v.assign(xb, len, a->d, a->c, a->norms, a->k, a->labels + i0, a->d1 + i0,
                  a->d2 ? a->d2 + i0 : NULL,
                  a->work[th]);
      if (a->with_update)
        a->v.accumulate(xb, len, a->d, a->labels + i0, NULL, a->k, a->sums[th], a->counts[th]);
    }
    pass_thread_cpu[th] = thread_seconds() - c0;
  }
}

typedef struct {
  int64_t n;
  int d, k;
} shape;

/* Fills in the dispatch table's functions for "blas" and "auto"; returns 0
 * when this CPU cannot run the variant. */
static int resolve_variant(bench_variant *v, const pe_kernel_table *auto_tab) {
  if (v->id != PE_KERNEL_AUTO && !pe_kernel_supported(v->id)) return 0;
  if (v->id == PE_KERNEL_BLAS && !v->assign) {
    const pe_kernel_table *t = pe_kernel_get(PE_KERNEL_BLAS);
    v->assign = t->assign;
    v->work_bytes = t->assign_work_bytes;
    v->accumulate = t->accumulate;
  }
  if (v->id == PE_KERNEL_AUTO) v->accumulate = auto_tab->accumulate;
  return 1;
}

static void run_shape(shape s, const peaks *pk, int reps) {
  pe_rng rng;
  pe_rng_init(&rng, 42, (uint64_t)s.d * 1000 + s.k);
  size_t nd = (size_t)s.n * s.d;
  float *x = aligned_alloc(64, (nd * sizeof(float) + 63) / 64 * 64);
  float *c = malloc(sizeof(float) * (size_t)s.k * s.d);
  float *norms = malloc(sizeof(float) * (size_t)s.k);
  /* Blobs around k random centres, centroids at the centres plus noise:
   * the distances a real k-means iteration sees. */
  for (size_t i = 0; i < (size_t)s.k * s.d; i++) c[i] = (float)(4.0 * pe_rng_normal(&rng));
  for (int64_t i = 0; i < s.n; i++) {
    const float *home = c + (size_t)pe_rng_below(&rng, (uint64_t)s.k) * s.d;
    for (int t = 0; t < s.d; t++) x[(size_t)i * s.d + t] = home[t] + (float)pe_rng_normal(&rng);
  }
  for (size_t i = 0; i < (size_t)s.k * s.d; i++) c[i] += (float)(0.3 * pe_rng_normal(&rng));
  pe_kernel_sq_norms(c, s.k, s.d, norms);
  int32_t *labels = malloc(sizeof(int32_t) * (size_t)s.n);
  float *d1 = malloc(sizeof(float) * (size_t)s.n);

  auto_table = pe_kernel_get(pe_kernel_choose(s.d, s.k));
  double flops = 2.0 * s.n * s.k * s.d;
  double bytes = (double)s.n * (s.d * 4 + 12);
  printf("\n(N, D, K) = (%lld, %d, %d): %.2f GFLOP and %.1f MB per pass; auto picks %s (%s form)\n",
         (long long)s.n, s.d, s.k, flops / 1e9, bytes / 1e6, auto_table->name,
         pe_kernel_form(auto_table->id, s.d, s.k));
  /* The roofline: 2*K*D flops per point over the bytes a pass moves (the
   * point, its label and distance); the pass is bound by the memory where
   * that is below the ridge (FMA peak / read bandwidth), by the FMAs above. */
  const double intensity = flops / bytes, ridge =
      pk->fma_gfs_cpu[2] / pk->read_gbs_cpu[2];
  const double roof = pk->fma_lanes ? fmin(pk->fma_gfs_cpu[2], intensity * pk->read_gbs_cpu[2]) : 0;
  if (pk->fma_lanes)
    printf("  roofline: %.1f flop per byte moved, ridge %.1f: %s-bound, roof %.0f GFLOP/s (2T cpu)\n",
           intensity, ridge, intensity < ridge ? "read" : "FMA", roof);
  printf("  %-14s %8s %7s %7s %8s %7s %7s %6s %6s %6s %8s %8s\n", "", "1T wall", "", "1T cpu",
         "2T wall", "", "2T cpu", "", "", "", "iter2T", "iter2T");
  printf("  %-14s %8s %7s %7s %8s %7s %7s %6s %6s %6s %8s %8s\n", "variant", "ms", "GFLOP/s",
         "GFLOP/s", "ms", "GFLOP/s", "GFLOP/s", "GB/s", "%peak", "%roof", "wall ms", "cpu ms");
  /* The variants take turns pass by pass, so that whatever else runs on the
   * machine weighs on all of them alike. */
  enum { NVAR = sizeof variants / sizeof variants[0], MODES = 3 };
  static const struct { int threads, update; } modes[MODES] = {{1, 0}, {2, 0}, {2, 1}};
  pass_ctx ctx[NVAR];
  int have[NVAR], vreps[NVAR];
  double scale[NVAR];
  static double t[MODES][NVAR][MAX_REPS], cpu[MODES][NVAR][MAX_REPS];
  for (int vi = 0; vi < NVAR; vi++) {
    bench_variant v = variants[vi];
    have[vi] = resolve_variant(&v, auto_table);
    if (!have[vi]) continue;
    /* The reference is slow: time it on a prefix worth ~2e8 multiply-adds,
     * three times. */
    int64_t n = s.n;
    vreps[vi] = reps;
    if (v.id == PE_KERNEL_SCALAR) {
      int64_t cap = (int64_t)(2e8 / ((double)s.k * s.d));
      if (cap < BLOCK) cap = BLOCK;
      if (n > cap) n = cap - cap % BLOCK;
      if (vreps[vi] > 3) vreps[vi] = 3;
    }
    scale[vi] = (double)s.n / n;
    /* d2 = NULL, as the Lloyd pass calls the kernel. */
    ctx[vi] = (pass_ctx){n, s.d, s.k, x, c, norms, d1, NULL, labels, v, 1, 0, {0}, {0}, {0}};
    size_t wb = (v.work_bytes(BLOCK, s.d, s.k) + 127) / 64 * 64;
    for (int th = 0; th < 2; th++) {
      ctx[vi].work[th] = aligned_alloc(64, wb);
      ctx[vi].sums[th] = malloc(sizeof(double) * (size_t)s.k * s.d);
      ctx[vi].counts[th] = malloc(sizeof(double) * (size_t)s.k);
    }
  }
  for (int m = 0; m < MODES; m++) {
    for (int vi = 0; vi < NVAR; vi++)
      if (have[vi]) {
        ctx[vi].threads = modes[m].threads;
        ctx[vi].with_update = modes[m].update;
        assign_pass(&ctx[vi]); /* warm-up */
      }
    for (int r = 0; r < reps; r++)
      for (int vi = 0; vi < NVAR; vi++)
        if (have[vi] && r < vreps[vi]) {
          double t0 = now();
          assign_pass(&ctx[vi]);
          t[m][vi][r] = (now() - t0) * scale[vi];
          cpu[m][vi][r] = pass_cpu(modes[m].threads) * scale[vi];
        }
  }
  for (int vi = 0; vi < NVAR; vi++) {
    if (!have[vi]) continue;
    timing t1 = summarize(t[0][vi], cpu[0][vi], vreps[vi]);
    timing t2 = summarize(t[1][vi], cpu[1][vi], vreps[vi]);
    timing ti = summarize(t[2][vi], cpu[2][vi], vreps[vi]);
    /* Percent of the peak that binds, both from CPU time: sgemm for
     * compute-bound shapes, the read for memory-bound ones. */
    double gf2cpu = flops / t2.cpu_best / 1e9, gbs2cpu = bytes / t2.cpu_best / 1e9;
    int compute_bound = (double)s.k * s.d >= 8192;
    double pct = compute_bound ? 100.0 * gf2cpu / pk->sgemm_gfs_cpu[2]
                               : 100.0 * gbs2cpu / pk->read_gbs_cpu[2];
    printf("  %-14s %8.2f %7.1f %7.1f %8.2f %7.1f %7.1f %6.1f %5.0f%% %5.0f%% %8.2f %8.2f\n",
           variants[vi].name, t1.median * 1e3, flops / t1.median / 1e9, flops / t1.cpu_best / 1e9,
           t2.median * 1e3, flops / t2.median / 1e9, gf2cpu, gbs2cpu, pct,
           roof > 0 ? 100.0 * gf2cpu / roof : 0.0, ti.median * 1e3, ti.cpu_best * 1e3);
    for (int th = 0; th < 2; th++) {
      free(ctx[vi].work[th]);
      free(ctx[vi].sums[th]);
      free(ctx[vi].counts[th]);
    }
  }
  fflush(stdout);
  free(x);
  free(c);
  free(norms);
  free(labels);
  free(d1);
}

/* ---- --sweep: the measurements behind the auto table ----
 *
 * One thread, thread CPU time (so time spent descheduled on a busy machine
 * does not count), best of the passes: each variant over a grid of (D, K),
 * N chosen for about 0.4 GFLOP per pass. Prints GFLOP/s and the winner. */

static void run_sweep(int reps) {
  static const int ds[] = {4, 8, 16, 32, 64, 128};
  static const int ks[] = {4, 8, 16, 32, 64, 128, 256, 512, 1024};
  static const char *const names[] = {"avx2-direct", "avx2-dot", "avx512-direct", "avx512-dot",
                                      "blas"};
  printf("\nsweep: 1 thread, GFLOP/s from thread CPU time, best of %d\n", reps);
  printf("  %4s %5s %7s", "D", "K", "K*D");
  for (size_t v = 0; v < 5; v++) printf(" %13s", names[v]);
  printf("  winner\n");
  for (size_t di = 0; di < sizeof ds / sizeof ds[0]; di++)
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
      int d = ds[di], k = ks[ki];
      int64_t n = (int64_t)(2e8 / ((double)k * d));
      if (n < 16384) n = 16384;
      if (n > 1000000) n = 1000000;
      pe_rng rng;
      pe_rng_init(&rng, 7, (uint64_t)d * 10000 + k);
      float *x = malloc(sizeof(float) * (size_t)n * d), *c = malloc(sizeof(float) * (size_t)k * d);
      float *norms = malloc(sizeof(float) * k), *d1 = malloc(sizeof(float) * n),
            *d2 = malloc(sizeof(float) * n);
      int32_t *labels = malloc(sizeof(int32_t) * n);
      for (int64_t i = 0; i < (int64_t)k * d; i++) c[i] = (float)(4.0 * pe_rng_normal(&rng));
      for (int64_t i = 0; i < n; i++) {
        const float *home = c + (size_t)pe_rng_below(&rng, (uint64_t)k) * d;
        for (int t = 0; t < d; t++) x[(size_t)i * d + t] = home[t] + (float)pe_rng_normal(&rng);
      }
      pe_kernel_sq_norms(c, k, d, norms);
      printf("  %4d %5d %7d", d, k, k * d);
      double best_rate = 0.0;
      const char *winner = "-";
      for (size_t vi = 0; vi < 5; vi++) {
        bench_variant v = {NULL, PE_KERNEL_BLAS, NULL, NULL, NULL};
        for (size_t j = 0; j < sizeof variants / sizeof variants[0]; j++)
          if (strcmp(variants[j].name, names[vi]) == 0) v = variants[j];
        if (!resolve_variant(&v, NULL)) {
          printf(" %13s", "-");
          continue;
        }
        void *work = aligned_alloc(64, (v.work_bytes(BLOCK, d, k) + 127) / 64 * 64);
        double best = INFINITY;
        for (int r = 0; r <= reps; r++) {
          double t0 = thread_seconds();
          for (int64_t i0 = 0; i0 < n; i0 += BLOCK) {
            int64_t len = n - i0 < BLOCK ? n - i0 : BLOCK;
            v.assign(x + (size_t)i0 * d, len, d, c, norms, k, labels + i0, d1 + i0, d2 + i0, work);
          }
          double t = thread_seconds() - t0;
          if (r > 0 && t < best) best = t; /* pass 0 warms up */
        }
        free(work);
        double rate = 2.0 * n * k * d / best / 1e9;
        printf(" %13.1f", rate);
        if (rate > best_rate) {
          best_rate = rate;
          winner = names[vi];
        }
      }
      printf("  %s\n", winner);
      fflush(stdout);
      free(x);
      free(c);
      free(norms);
      free(d1);
      free(d2);
      free(labels);
    }
}

int main(int argc, char **argv) {
  /* The pthread OpenBLAS keeps a pool of threads that spin (sched_yield)
   * after every call and would steal the cores from the OpenMP threads being
   * timed: run without the pool, as the engine does inside its threads. */
  const char *obt = getenv("OPENBLAS_NUM_THREADS");
  if (!obt || strcmp(obt, "1") != 0) {
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv);
    perror("bench_kernels: re-exec with OPENBLAS_NUM_THREADS=1");
  }
  static const shape issue_shapes[] = {
      {1000000, 8, 8}, {1000000, 16, 32}, {1000000, 32, 256}, {200000, 128, 1024}};
  shape shapes[MAX_SHAPES];
  int nshapes = 0, reps = 5, quick = 0, sweep = 0;
  static const struct option opts[] = {
      {"quick", no_argument, NULL, 'q'},       {"reps", required_argument, NULL, 'r'},
      {"shape", required_argument, NULL, 's'}, {"sweep", no_argument, NULL, 'w'},
      {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "qr:s:h", opts, NULL)) != -1) {
    long long n;
    int d, k;
    switch (opt) {
      case 'q': quick = 1; break;
      case 'w': sweep = 1; break;
      case 'r':
        reps = atoi(optarg);
        if (reps < 1 || reps > MAX_REPS) reps = 5;
        break;
      case 's':
        if (sscanf(optarg, "%lld,%d,%d", &n, &d, &k) != 3 || n < 1 || d < 1 || k < 1 ||
            nshapes == MAX_SHAPES) {
          fprintf(stderr, "bench_kernels: --shape wants N,D,K (positive), at most %d\n",
                  MAX_SHAPES);
          return 1;
        }
        shapes[nshapes++] = (shape){n, d, k};
        break;
      default:
        fprintf(stderr, "usage: bench_kernels [--quick] [--reps R] [--shape N,D,K]... [--sweep]\n");
        return opt == 'h' ? 0 : 1;
    }
  }
  if (nshapes == 0)
    for (int i = 0; i < 4; i++) {
      shapes[nshapes] = issue_shapes[i];
      if (quick) shapes[nshapes].n /= 10;
      nshapes++;
    }
  const pe_cpu_features *f = pe_kernel_cpu();
  printf(
      "bench_kernels: %d passes per figure; CPU avx2=%d fma=%d avx512f=%d (OS: avx=%d "
      "avx512=%d)\n",
      reps, f->avx2, f->fma, f->avx512f, f->os_avx, f->os_avx512);
  /* Other work on the machine skews every figure: say how busy it was. */
  FILE *la = fopen("/proc/loadavg", "r");
  char load[64] = "unknown";
  if (la) {
    if (!fgets(load, sizeof load, la)) snprintf(load, sizeof load, "unknown");
    fclose(la);
  }
  printf("load average at start: %s", load);
  if (sweep) {
    run_sweep(reps);
    return 0;
  }
  peaks pk;
  measure_peaks(&pk, reps, quick);
  printf(
      "peaks measured here, best pass, wall (cpu) time: read %.1f (%.1f) GB/s 1T, %.1f (%.1f) "
      "GB/s 2T; sgemm %.1f (%.1f) GFLOP/s 1T, %.1f (%.1f) GFLOP/s 2T\n",
      pk.read_gbs[1], pk.read_gbs_cpu[1], pk.read_gbs[2], pk.read_gbs_cpu[2], pk.sgemm_gfs[1],
      pk.sgemm_gfs_cpu[1], pk.sgemm_gfs[2], pk.sgemm_gfs_cpu[2]);
  if (pk.fma_lanes)
    printf("FMA peak (%d-lane vectors, registers only): %.1f (%.1f) GFLOP/s 1T, %.1f (%.1f) "
           "GFLOP/s 2T\n",
           pk.fma_lanes, pk.fma_gfs[1], pk.fma_gfs_cpu[1], pk.fma_gfs[2], pk.fma_gfs_cpu[2]);
  printf(
      "wall: median pass; cpu: best pass timed by the slowest thread's own CPU clock (time\n"
      "spent descheduled on a busy machine excluded). %%peak: 2T cpu GFLOP/s vs 2T cpu sgemm "
      "where\n"
      "K*D >= 8192 (compute-bound), else 2T cpu GB/s vs 2T cpu read (the issue's rule).\n"
      "%%roof: 2T cpu GFLOP/s vs the roofline's bound for the shape (the read or the FMA peak,\n"
      "whichever binds at the shape's flops per byte moved).\n");
  for (int i = 0; i < nshapes; i++) run_shape(shapes[i], &pk, reps);
  return 0;
}
