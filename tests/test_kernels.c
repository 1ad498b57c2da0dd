/* Every assignment and accumulation kernel against the scalar reference:
 * random shapes (D in 1..130 so every vector tail occurs, K in 1..300, n
 * from 0 to a few hundred), exact ties on an integer grid, duplicate
 * centroids, K = 1, n = 0, n < K and NaN points. Variants the CPU cannot run
 * are reported as skipped suites, never as passes. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/rng.h"
#include "harness.h"
#include "kernel_internal.h"

/* A float sum of d non-negative terms is within d·u (u = FLT_EPSILON / 2)
 * of the exact sum relative to it; allow twice that per coordinate. */
#define DIST_REL_TOL_PER_DIM (2.0 * FLT_EPSILON)
/* Accumulating weighted sums in double in the reference's order may still
 * differ by a contraction into FMA: relative tolerance for weighted sums. */
#define WEIGHTED_SUM_REL_TOL 1e-12
#define RANDOM_SHAPES 40
#define MAX_POINTS 260

typedef struct {
  const char *name;
  pe_assign_fn assign;
  pe_assign_work_fn work_bytes;
} variant;

/* One generated problem and its reference answer. */
typedef struct {
  int64_t n;
  int d, k;
  float *x, *c, *norms;
  int32_t *labels;
  float *d1, *d2;
} problem;

typedef enum { DATA_GAUSSIAN, DATA_GRID, DATA_DUPLICATES } data_kind;

static void problem_free(problem *p) {
  free(p->x);
  free(p->c);
  free(p->norms);
  free(p->labels);
  free(p->d1);
  free(p->d2);
  memset(p, 0, sizeof *p);
}

/* Fills x and c: Gaussian blobs (generic), small integers (many exact ties,
 * exact float sums), or Gaussian with duplicated centroids and points that
 * sit exactly on a centroid. */
static void problem_make(problem *p, int64_t n, int d, int k, data_kind kind, pe_rng *rng) {
  p->n = n;
  p->d = d;
  p->k = k;
  p->x = malloc(sizeof(float) * (size_t)(n ? n : 1) * d);
  p->c = malloc(sizeof(float) * (size_t)k * d);
  p->norms = malloc(sizeof(float) * (size_t)k);
  p->labels = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  p->d1 = malloc(sizeof(float) * (size_t)(n ? n : 1));
  p->d2 = malloc(sizeof(float) * (size_t)(n ? n : 1));
  for (int64_t i = 0; i < (int64_t)k * d; i++)
    p->c[i] = kind == DATA_GRID ? (float)((int)pe_rng_below(rng, 5) - 2)
                                : (float)(3.0 * pe_rng_normal(rng) + 1.5);
  if (kind == DATA_DUPLICATES && k > 1)
    for (int j = 1; j < k; j += 3) {
      int from = (int)pe_rng_below(rng, (uint64_t)j);
      memcpy(p->c + (size_t)j * d, p->c + (size_t)from * d, sizeof(float) * d);
    }
  for (int64_t i = 0; i < n; i++) {
    int home = (int)pe_rng_below(rng, (uint64_t)k);
    for (int t = 0; t < d; t++) {
      float *xi = &p->x[(size_t)i * d + t];
      if (kind == DATA_GRID)
        *xi = (float)((int)pe_rng_below(rng, 5) - 2);
      else if (kind == DATA_DUPLICATES && i % 4 == 0)
        *xi = p->c[(size_t)home * d + t];
      else
        *xi = p->c[(size_t)home * d + t] + (float)pe_rng_normal(rng);
    }
  }
  pe_kernel_sq_norms(p->c, k, d, p->norms);
  pe__ref_assign(p->x, n, d, p->c, p->norms, k, p->labels, p->d1, p->d2, NULL);
}

static void *work_alloc(const variant *v, int64_t n, int d, int k) {
  size_t bytes = v->work_bytes(n, d, k);
  bytes = (bytes + 63) / 64 * 64 + 64;
  return aligned_alloc(64, bytes);
}

static int near_rel(double a, double b, double rel) {
  if (isinf(a) || isinf(b)) return a == b;
  return fabs(a - b) <= rel * fabs(b) + FLT_MIN;
}

/* Runs a variant on p and checks it against the reference. With
 * exact_labels the labels must equal the reference's (integer data: every
 * distance is exact, so ties are true ties and go to the lowest index);
 * otherwise a different label is accepted only when its exact distance is
 * within the tolerance of the reference's d1. Returns the mismatches. */
static int check_variant(const variant *v, const problem *p, int exact_labels) {
  int64_t n = p->n;
  int32_t *labels = malloc(sizeof(int32_t) * (size_t)(n + 1));
  float *d1 = malloc(sizeof(float) * (size_t)(n + 1));
  float *d2 = malloc(sizeof(float) * (size_t)(n + 1));
  void *work = work_alloc(v, n, p->d, p->k);
  labels[n] = -7; /* a sentinel just past the output */
  v->assign(p->x, n, p->d, p->c, p->norms, p->k, labels, d1, d2, work);
  double tol = DIST_REL_TOL_PER_DIM * p->d;
  int bad = 0;
  for (int64_t i = 0; i < n && bad < 5; i++) {
    int label_ok = labels[i] == p->labels[i];
    if (!label_ok && !exact_labels && labels[i] >= 0 && labels[i] < p->k) {
      double mine = pe__ref_sq_dist(p->x + (size_t)i * p->d, p->c + (size_t)labels[i] * p->d, p->d);
      label_ok = near_rel(mine, p->d1[i], tol);
    }
    int ok = label_ok && near_rel(d1[i], p->d1[i], tol) && near_rel(d2[i], p->d2[i], tol) &&
             d1[i] >= 0.0f;
    if (!ok) {
      fprintf(
          stderr,
          "\n  %s n=%lld d=%d k=%d point %lld: label %d d1 %.9g d2 %.9g, reference %d %.9g %.9g",
          v->name, (long long)n, p->d, p->k, (long long)i, labels[i], d1[i], d2[i], p->labels[i],
          p->d1[i], p->d2[i]);
      bad++;
    }
  }
  if (labels[n] != -7) {
    fprintf(stderr, "\n  %s wrote past its %lld outputs", v->name, (long long)n);
    bad++;
  }
  /* Without d2 (as the Lloyd pass calls it) a variant may skip tracking the
   * second distance, but labels and d1 must be the same bits. */
  int32_t *labels1 = malloc(sizeof(int32_t) * (size_t)(n + 1));
  float *d1_1 = malloc(sizeof(float) * (size_t)(n + 1));
  v->assign(p->x, n, p->d, p->c, p->norms, p->k, labels1, d1_1, NULL, work);
  for (int64_t i = 0; i < n && bad < 5; i++)
    if (labels1[i] != labels[i] || memcmp(&d1_1[i], &d1[i], sizeof(float)) != 0) {
      fprintf(stderr,
              "\n  %s n=%lld d=%d k=%d point %lld without d2: label %d d1 %.9g, with d2 %d %.9g",
              v->name, (long long)n, p->d, p->k, (long long)i, labels1[i], d1_1[i], labels[i],
              d1[i]);
      bad++;
    }
  free(labels1);
  free(d1_1);
  free(labels);
  free(d1);
  free(d2);
  free(work);
  return bad;
}

/* The variants a suite checks; filled by the suite's skip_reason hook. */
typedef struct {
  const variant *list;
  int count;
} variant_set;

static void check_random_shapes(variant_set vs) {
  static const int fixed[][3] = {{1, 1, 1},    {0, 5, 3},    {3, 130, 300}, {17, 1, 300},
                                 {40, 7, 33},  {33, 16, 8},  {100, 8, 8},   {5, 129, 2},
                                 {64, 31, 17}, {70, 65, 64}, {72, 15, 10},  {40, 9, 5}};
  pe_rng rng;
  pe_rng_init(&rng, 20261123, 1);
  int nfixed = (int)(sizeof fixed / sizeof fixed[0]);
  for (int s = 0; s < nfixed + RANDOM_SHAPES; s++) {
    int64_t n;
    int d, k;
    if (s < nfixed) {
      n = fixed[s][0];
      d = fixed[s][1];
      k = fixed[s][2];
    } else {
      n = (int64_t)pe_rng_below(&rng, MAX_POINTS);
      d = 1 + (int)pe_rng_below(&rng, 130);
      k = 1 + (int)pe_rng_below(&rng, 300);
    }
    problem p;
    problem_make(&p, n, d, k, DATA_GAUSSIAN, &rng);
    for (int v = 0; v < vs.count; v++) CU_ASSERT_EQUAL(check_variant(&vs.list[v], &p, 0), 0);
    problem_free(&p);
  }
}

static void check_grid_ties(variant_set vs) {
  pe_rng rng;
  pe_rng_init(&rng, 7, 2);
  for (int s = 0; s < 12; s++) {
    int d = 1 + (int)pe_rng_below(&rng, 40), k = 1 + (int)pe_rng_below(&rng, 60);
    problem p;
    problem_make(&p, 150, d, k, DATA_GRID, &rng);
    for (int v = 0; v < vs.count; v++) CU_ASSERT_EQUAL(check_variant(&vs.list[v], &p, 1), 0);
    problem_free(&p);
  }
}

static void check_duplicates(variant_set vs) {
  pe_rng rng;
  pe_rng_init(&rng, 11, 3);
  for (int s = 0; s < 10; s++) {
    int d = 1 + (int)pe_rng_below(&rng, 130), k = 2 + (int)pe_rng_below(&rng, 80);
    problem p;
    problem_make(&p, 120, d, k, DATA_DUPLICATES, &rng);
    /* A duplicate of the nearest centroid is a true tie: the lower index. */
    for (int v = 0; v < vs.count; v++) CU_ASSERT_EQUAL(check_variant(&vs.list[v], &p, 0), 0);
    for (int v = 0; v < vs.count; v++) {
      int32_t *labels = malloc(sizeof(int32_t) * 120);
      float *d1 = malloc(sizeof(float) * 120), *d2 = malloc(sizeof(float) * 120);
      void *work = work_alloc(&vs.list[v], 120, d, k);
      vs.list[v].assign(p.x, 120, d, p.c, p.norms, k, labels, d1, d2, work);
      for (int i = 0; i < 120; i += 4) {
        int first = labels[i];
        for (int j = 0; j < first; j++)
          if (memcmp(p.c + (size_t)j * d, p.c + (size_t)first * d, sizeof(float) * d) == 0) {
            fprintf(stderr, "\n  %s: point %d labelled %d, but centroid %d is identical",
                    vs.list[v].name, i, first, j);
            CU_FAIL("duplicate centroid tie not resolved to the lowest index");
            break;
          }
        PE_ASSERT_NEAR(d1[i], 0.0, 0.0); /* these points sit on a centroid */
      }
      free(labels);
      free(d1);
      free(d2);
      free(work);
    }
    problem_free(&p);
  }
}

static void check_awkward(variant_set vs) {
  pe_rng rng;
  pe_rng_init(&rng, 5, 4);
  for (int v = 0; v < vs.count; v++) {
    const variant *var = &vs.list[v];
    /* n = 0 writes nothing. */
    problem p;
    problem_make(&p, 0, 9, 4, DATA_GAUSSIAN, &rng);
    int32_t label = 123;
    float d1 = 5.0f, d2 = 6.0f;
    void *work = work_alloc(var, 0, 9, 4);
    var->assign(p.x, 0, 9, p.c, p.norms, 4, &label, &d1, &d2, work);
    PE_ASSERT_EQ_LL(label, 123);
    free(work);
    problem_free(&p);

    /* K = 1: everything goes to 0 and there is no second centroid. */
    problem_make(&p, 37, 13, 1, DATA_GAUSSIAN, &rng);
    CU_ASSERT_EQUAL(check_variant(var, &p, 1), 0);
    problem_free(&p);

    /* NaN points keep label 0 with d1 = NaN; their neighbours are
     * unaffected; d2 may be NULL. */
    int d = 11, k = 40;
    problem_make(&p, 70, d, k, DATA_GAUSSIAN, &rng);
    p.x[(size_t)3 * d + 5] = NAN;
    p.x[(size_t)66 * d] = NAN;
    int32_t labels[70];
    float dist[70];
    work = work_alloc(var, 70, d, k);
    var->assign(p.x, 70, d, p.c, p.norms, k, labels, dist, NULL, work);
    for (int i = 0; i < 70; i++) {
      if (i == 3 || i == 66) {
        PE_ASSERT_EQ_LL(labels[i], 0);
        CU_ASSERT(isnan(dist[i]));
      } else {
        CU_ASSERT(near_rel(dist[i], p.d1[i], DIST_REL_TOL_PER_DIM * d));
      }
    }
    free(work);
    problem_free(&p);
  }
}

/* ---- the variant lists, one per suite ---- */

static const variant portable_variants[] = {
    {"plain_direct", pe__plain_assign_direct, pe__plain_assign_work_bytes},
    {"plain_dot", pe__plain_assign_dot, pe__plain_assign_work_bytes},
    {"plain_blas", pe__plain_blas_assign, pe__blas_assign_work_bytes},
};
static const variant avx2_variants[] = {
    {"avx2_direct", pe__avx2_assign_direct, pe__avx2_assign_work_bytes},
    {"avx2_dot", pe__avx2_assign_dot, pe__avx2_assign_work_bytes},
    {"avx2_blas", pe__avx2_blas_assign, pe__blas_assign_work_bytes},
};
static const variant avx512_variants[] = {
    {"avx512_direct", pe__avx512_assign_direct, pe__avx512_assign_work_bytes},
    {"avx512_dot", pe__avx512_assign_dot, pe__avx512_assign_work_bytes},
    {"avx512_blas", pe__avx512_blas_assign, pe__blas_assign_work_bytes},
};
static variant table_variants[PE_KERNEL_COUNT];

static variant_set table_set(void) {
  int count = 0;
  for (int id = PE_KERNEL_SCALAR; id < PE_KERNEL_COUNT; id++) {
    const pe_kernel_table *t = pe_kernel_get((pe_kernel_id)id);
    if (t) table_variants[count++] = (variant){t->name, t->assign, t->assign_work_bytes};
  }
  return (variant_set){table_variants, count};
}

#define SET_OF(list) ((variant_set){list, (int)(sizeof list / sizeof list[0])})

#define VARIANT_TESTS(suite, set_expr)                                                         \
  static void suite##_random_shapes(void) {                                                    \
    check_random_shapes(set_expr);                                                             \
  }                                                                                            \
  static void suite##_grid_ties(void) {                                                        \
    check_grid_ties(set_expr);                                                                 \
  }                                                                                            \
  static void suite##_duplicates(void) {                                                       \
    check_duplicates(set_expr);                                                                \
  }                                                                                            \
  static void suite##_awkward(void) {                                                          \
    check_awkward(set_expr);                                                                   \
  }                                                                                            \
  static CU_TestInfo suite##_tests[] = {{"random shapes vs reference", suite##_random_shapes}, \
                                        {"exact ties on an integer grid", suite##_grid_ties},  \
                                        {"duplicate centroids", suite##_duplicates},           \
                                        {"n = 0, K = 1, NaN points", suite##_awkward},         \
                                        CU_TEST_INFO_NULL};

VARIANT_TESTS(portable, SET_OF(portable_variants))
VARIANT_TESTS(avx2, SET_OF(avx2_variants))
VARIANT_TESTS(avx512, SET_OF(avx512_variants))
VARIANT_TESTS(tables, table_set())

/* ---- the reference itself, on values worked out by hand ---- */

static void reference_by_hand(void) {
  /* Points on a line, centroids at 0, 4, 4 (a duplicate) and 10. */
  const float x[] = {1, 2, 3, 7, 9, 4};
  const float c[] = {0, 4, 4, 10};
  int32_t labels[6];
  float d1[6], d2[6];
  pe__ref_assign(x, 6, 1, c, NULL, 4, labels, d1, d2, NULL);
  const int32_t want_labels[] = {0, 0, 1, 1, 3, 1}; /* 2 ties 0 and 4: lowest */
  const float want_d1[] = {1, 4, 1, 9, 1, 0};
  const float want_d2[] = {9, 4, 1, 9, 25, 0};
  for (int i = 0; i < 6; i++) {
    PE_ASSERT_EQ_LL(labels[i], want_labels[i]);
    PE_ASSERT_NEAR(d1[i], want_d1[i], 0.0);
    PE_ASSERT_NEAR(d2[i], want_d2[i], 0.0);
  }
}

static void reference_single_centroid(void) {
  const float x[] = {1, 2, -1, 0}, c[] = {1, 0};
  int32_t labels[2];
  float d1[2], d2[2];
  pe__ref_assign(x, 2, 2, c, NULL, 1, labels, d1, d2, NULL);
  PE_ASSERT_EQ_LL(labels[1], 0);
  PE_ASSERT_NEAR(d1[0], 4.0, 0.0);
  PE_ASSERT_NEAR(d1[1], 4.0, 0.0);
  CU_ASSERT(isinf(d2[0]) && d2[0] > 0);
}

static void norms_by_hand(void) {
  const float c[] = {3, 4, 0, 1, 2, 2};
  float norms[3];
  pe_kernel_sq_norms(c, 3, 2, norms);
  PE_ASSERT_NEAR(norms[0], 25.0, 0.0);
  PE_ASSERT_NEAR(norms[1], 1.0, 0.0);
  PE_ASSERT_NEAR(norms[2], 8.0, 0.0);
}

/* ---- accumulation ---- */

static void check_accumulate(pe_accumulate_fn fn, const char *name) {
  pe_rng rng;
  pe_rng_init(&rng, 99, 5);
  for (int s = 0; s < 20; s++) {
    int64_t n = (int64_t)pe_rng_below(&rng, 300);
    int d = 1 + (int)pe_rng_below(&rng, 130), k = 1 + (int)pe_rng_below(&rng, 40);
    if (s == 0) k = 5000; /* more clusters than the SIMD copies' count histogram */
    float *x = malloc(sizeof(float) * (size_t)(n + 1) * d);
    float *w = malloc(sizeof(float) * (size_t)(n + 1));
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)(n + 1));
    for (int64_t i = 0; i < n * d; i++) x[i] = (float)pe_rng_normal(&rng);
    for (int64_t i = 0; i < n; i++) {
      labels[i] = (int32_t)pe_rng_below(&rng, (uint64_t)k);
      w[i] = (float)pe_rng_uniform(&rng) * 3.0f;
    }
    for (int weighted = 0; weighted < 2; weighted++) {
      double *s_ref = calloc((size_t)k * d, sizeof(double)),
             *c_ref = calloc((size_t)k, sizeof(double));
      double *s_got = calloc((size_t)k * d, sizeof(double)),
             *c_got = calloc((size_t)k, sizeof(double));
      /* Both start from the same non-zero values: the kernels add. */
      for (int j = 0; j < k; j++) c_ref[j] = c_got[j] = 0.5 * j;
      pe__ref_accumulate(x, n, d, labels, weighted ? w : NULL, k, s_ref, c_ref);
      fn(x, n, d, labels, weighted ? w : NULL, k, s_got, c_got);
      int bad = 0;
      for (int64_t e = 0; e < (int64_t)k * d; e++) {
        double tol = weighted ? WEIGHTED_SUM_REL_TOL * (fabs(s_ref[e]) + 1.0) : 0.0;
        if (fabs(s_got[e] - s_ref[e]) > tol && bad++ < 3)
          fprintf(stderr, "\n  %s sums[%lld] = %.17g, reference %.17g", name, (long long)e,
                  s_got[e], s_ref[e]);
      }
      for (int j = 0; j < k; j++)
        if (fabs(c_got[j] - c_ref[j]) > (weighted ? WEIGHTED_SUM_REL_TOL * c_ref[j] : 0.0)) bad++;
      CU_ASSERT_EQUAL(bad, 0);
      free(s_ref);
      free(c_ref);
      free(s_got);
      free(c_got);
    }
    free(x);
    free(w);
    free(labels);
  }
}

static void accumulate_portable(void) {
  check_accumulate(pe__plain_accumulate, "plain");
}
static void accumulate_avx2(void) {
  check_accumulate(pe__avx2_accumulate, "avx2");
}
static void accumulate_avx512(void) {
  check_accumulate(pe__avx512_accumulate, "avx512");
}

/* ---- exact inertia: the same bits in every variant ---- */

static void exact_inertia_by_hand(void) {
  /* d = 5: coordinate 4 joins sum 0; three points, the third weighted. */
  const float x[] = {1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
  const float c[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
  const int32_t labels[] = {0, 1, 0};
  const float w[] = {1.0f, 2.0f, 0.5f};
  PE_ASSERT_NEAR(pe_kernel_exact_sq_dist(x, c, 5), 55.0, 0.0);
  PE_ASSERT_NEAR(pe__ref_exact_inertia(x, 3, 5, c, labels, NULL), 55.0 + 5.0 + 5.0, 0.0);
  PE_ASSERT_NEAR(pe__ref_exact_inertia(x, 3, 5, c, labels, w), 55.0 + 10.0 + 2.5, 0.0);
  PE_ASSERT_NEAR(pe__ref_exact_inertia(x, 0, 5, c, labels, NULL), 0.0, 0.0);
}

/* Bit-for-bit equality with the reference on every shape, values spread
 * over many binades (where a different order of additions would show). */
static void check_exact_inertia(pe_exact_inertia_fn fn, const char *name) {
  pe_rng rng;
  pe_rng_init(&rng, 7, 11);
  int bad = 0;
  for (int s = 0; s < 200; s++) {
    int64_t n = (int64_t)pe_rng_below(&rng, 70);
    int d = 1 + (int)pe_rng_below(&rng, 130), k = 1 + (int)pe_rng_below(&rng, 9);
    float *x = malloc(sizeof(float) * (size_t)(n + 1) * d);
    float *c = malloc(sizeof(float) * (size_t)k * d);
    float *w = malloc(sizeof(float) * (size_t)(n + 1));
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)(n + 1));
    for (int64_t i = 0; i < n * d; i++)
      x[i] = (float)(pe_rng_normal(&rng) * pow(10.0, (double)pe_rng_below(&rng, 9) - 4.0));
    for (int64_t i = 0; i < (int64_t)k * d; i++) c[i] = (float)pe_rng_normal(&rng);
    for (int64_t i = 0; i < n; i++) {
      labels[i] = (int32_t)pe_rng_below(&rng, (uint64_t)k);
      w[i] = (float)pe_rng_uniform(&rng) * 3.0f;
    }
    if (s % 10 == 9 && n > 0) x[pe_rng_below(&rng, (uint64_t)(n * d))] = NAN;
    for (int weighted = 0; weighted < 2; weighted++) {
      double want = pe__ref_exact_inertia(x, n, d, c, labels, weighted ? w : NULL);
      double got = fn(x, n, d, c, labels, weighted ? w : NULL);
      if (memcmp(&want, &got, sizeof want) != 0 && bad++ < 3)
        fprintf(stderr, "\n  %s n=%lld d=%d: %.17g, reference %.17g", name, (long long)n, d, got,
                want);
    }
    free(x);
    free(c);
    free(w);
    free(labels);
  }
  CU_ASSERT_EQUAL(bad, 0);
}

/* ---- label diff: positions and old labels of the changed points ---- */

static void check_label_diff(pe_label_diff_fn fn, const char *name) {
  pe_rng rng;
  pe_rng_init(&rng, 3, 17);
  int bad = 0;
  for (int s = 0; s < 300; s++) {
    int64_t n = (int64_t)pe_rng_below(&rng, 200);
    /* None, a few, about half, and all of the points change. */
    const double p_change[] = {0.0, 0.02, 0.5, 1.0};
    double p = p_change[s % 4];
    int32_t *old = malloc(sizeof(int32_t) * (size_t)(n + 1));
    int32_t *now = malloc(sizeof(int32_t) * (size_t)(n + 1));
    /* Room for n entries and a guard band that must stay untouched. */
    int32_t *at_ref = malloc(sizeof(int32_t) * (size_t)(n + 1));
    int32_t *old_ref = malloc(sizeof(int32_t) * (size_t)(n + 1));
    int32_t *at = malloc(sizeof(int32_t) * (size_t)(n + 32));
    int32_t *was = malloc(sizeof(int32_t) * (size_t)(n + 32));
    for (int64_t i = 0; i < n; i++) {
      old[i] = (int32_t)pe_rng_below(&rng, 1000) - 1; /* -1: "no label yet" */
      now[i] = pe_rng_uniform(&rng) < p ? old[i] + 1 + (int32_t)pe_rng_below(&rng, 5) : old[i];
    }
    for (int64_t i = 0; i < n + 32; i++) at[i] = was[i] = 0x5A5A5A5A;
    int64_t m_ref = pe__ref_label_diff(old, now, n, at_ref, old_ref);
    int64_t m = fn(old, now, n, at, was);
    int ok = m == m_ref && memcmp(at, at_ref, sizeof(int32_t) * (size_t)m) == 0 &&
             memcmp(was, old_ref, sizeof(int32_t) * (size_t)m) == 0;
    for (int64_t i = n; i < n + 32; i++) ok &= at[i] == 0x5A5A5A5A && was[i] == 0x5A5A5A5A;
    if (!ok && bad++ < 3)
      fprintf(stderr, "\n  %s n=%lld: %lld changed, reference %lld", name, (long long)n,
              (long long)m, (long long)m_ref);
    free(old);
    free(now);
    free(at_ref);
    free(old_ref);
    free(at);
    free(was);
  }
  CU_ASSERT_EQUAL(bad, 0);
}

static void label_diff_by_hand(void) {
  const int32_t old[] = {-1, 2, 2, 5, 7}, now[] = {0, 2, 3, 5, 1};
  int32_t at[5], was[5];
  CU_ASSERT_EQUAL(pe__ref_label_diff(old, now, 5, at, was), 3);
  CU_ASSERT(at[0] == 0 && at[1] == 2 && at[2] == 4);
  CU_ASSERT(was[0] == -1 && was[1] == 2 && was[2] == 7);
}

static void exact_inertia_avx2(void) {
  check_exact_inertia(pe__avx2_exact_inertia, "avx2");
}
static void label_diff_avx2(void) {
  check_label_diff(pe__avx2_label_diff, "avx2");
}
static void label_diff_avx512(void) {
  check_label_diff(pe__avx512_label_diff, "avx512");
}
/* What each table a CPU runs puts in the two slots. */
static void tables_exact_and_diff(void) {
  for (int id = PE_KERNEL_SCALAR; id < PE_KERNEL_COUNT; id++) {
    const pe_kernel_table *t = pe_kernel_get((pe_kernel_id)id);
    if (!t) continue;
    check_exact_inertia(t->exact_inertia, t->name);
    check_label_diff(t->label_diff, t->name);
  }
}

/* ---- byte planes ---- */

/* Element sizes and counts around the vector widths: tails of every length,
 * no full block, one element, none. */
static const size_t plane_elems[] = {1, 2, 3, 4, 5, 8, 9};
static const size_t plane_counts[] = {0, 1, 7, 31, 32, 33, 63, 64, 65, 1000, 4099};

static unsigned char *random_bytes(size_t n, pe_rng *rng) {
  unsigned char *b = malloc(n ? n : 1);
  for (size_t i = 0; i < n; i++) b[i] = (unsigned char)pe_rng_below(rng, 256);
  return b;
}

/* The reference by hand, and shuffle then unshuffle giving the input back. */
static void byte_planes_reference(void) {
  const unsigned char elements[6] = {0x11, 0x12, 0x21, 0x22, 0x31, 0x32}; /* 3 x 2 bytes */
  unsigned char planes[6], back[6];
  pe__ref_shuffle(elements, planes, 3, 2);
  const unsigned char expect[6] = {0x11, 0x21, 0x31, 0x12, 0x22, 0x32};
  CU_ASSERT(memcmp(planes, expect, 6) == 0);
  pe__ref_unshuffle(planes, back, 3, 2);
  CU_ASSERT(memcmp(back, elements, 6) == 0);
  pe_rng rng;
  pe_rng_init(&rng, 31, 4);
  for (size_t e = 0; e < sizeof plane_elems / sizeof *plane_elems; e++)
    for (size_t c = 0; c < sizeof plane_counts / sizeof *plane_counts; c++) {
      const size_t elem = plane_elems[e], n = plane_counts[c], bytes = elem * n;
      unsigned char *in = random_bytes(bytes, &rng), *mid = malloc(bytes + 1),
                    *out = malloc(bytes + 1);
      pe__ref_shuffle(in, mid, n, elem);
      /* Byte b of element i is at b * n + i. */
      int bad = 0;
      for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < elem; b++) bad += mid[b * n + i] != in[i * elem + b];
      pe__ref_unshuffle(mid, out, n, elem);
      bad += bytes && memcmp(in, out, bytes) != 0;
      PE_ASSERT_EQ_LL(bad, 0);
      free(in);
      free(mid);
      free(out);
    }
}

typedef void (*byte_planes_fn)(const unsigned char *, unsigned char *, size_t, size_t);

/* `fn` against the reference `ref` for every element size and count; a
 * guard byte past the end must stay untouched. */
static void check_byte_planes(byte_planes_fn fn, byte_planes_fn ref, uint64_t seed,
                              const char *what, const char *name) {
  pe_rng rng;
  pe_rng_init(&rng, seed, seed - 27);
  int bad = 0;
  for (size_t e = 0; e < sizeof plane_elems / sizeof *plane_elems; e++)
    for (size_t c = 0; c < sizeof plane_counts / sizeof *plane_counts; c++) {
      const size_t elem = plane_elems[e], n = plane_counts[c], bytes = elem * n;
      unsigned char *in = random_bytes(bytes, &rng), *want = malloc(bytes + 1),
                    *got = malloc(bytes + 1);
      want[bytes] = got[bytes] = 0xA5;
      ref(in, want, n, elem);
      fn(in, got, n, elem);
      if ((bytes && memcmp(want, got, bytes) != 0) || got[bytes] != 0xA5) {
        if (!bad) fprintf(stderr, "%s %s differs: elem %zu, n %zu\n", name, what, elem, n);
        bad++;
      }
      free(in);
      free(want);
      free(got);
    }
  PE_ASSERT_EQ_LL(bad, 0);
}

static void check_unshuffle(byte_planes_fn fn, const char *name) {
  check_byte_planes(fn, pe__ref_unshuffle, 32, "unshuffle", name);
}
static void check_shuffle(byte_planes_fn fn, const char *name) {
  check_byte_planes(fn, pe__ref_shuffle, 33, "shuffle", name);
}

static void byte_planes_dispatch(void) {
  check_unshuffle(pe_kernel_unshuffle, "dispatched");
  check_shuffle(pe_kernel_shuffle, "dispatched");
}
static void byte_planes_avx2(void) {
  check_unshuffle(pe__avx2_unshuffle, "avx2");
  check_shuffle(pe__avx2_shuffle, "avx2");
}

/* ---- dispatch ---- */

static void dispatch_names(void) {
  for (int id = 0; id < PE_KERNEL_COUNT; id++) {
    pe_kernel_id back;
    PE_ASSERT_EQ_LL(pe_kernel_parse(pe_kernel_name((pe_kernel_id)id), &back), 0);
    PE_ASSERT_EQ_LL(back, id);
  }
  pe_kernel_id unused;
  PE_ASSERT_EQ_LL(pe_kernel_parse("avx3", &unused), -1);
  PE_ASSERT_EQ_LL(pe_kernel_parse("", &unused), -1);
}

static void dispatch_matches_cpu(void) {
  const pe_cpu_features *f = pe_kernel_cpu();
  int avx2 = f->avx2 && f->fma && f->os_avx;
  int avx512 = avx2 && f->avx512f && f->avx512dq && f->os_avx512;
  PE_ASSERT_EQ_LL(pe_kernel_supported(PE_KERNEL_SCALAR), 1);
  PE_ASSERT_EQ_LL(pe_kernel_supported(PE_KERNEL_BLAS), 1);
  PE_ASSERT_EQ_LL(pe_kernel_supported(PE_KERNEL_AVX2), avx2);
  PE_ASSERT_EQ_LL(pe_kernel_supported(PE_KERNEL_AVX512), avx512);
  PE_ASSERT_EQ_LL(pe_kernel_get(PE_KERNEL_AVX512) != NULL, avx512);
  for (int id = PE_KERNEL_SCALAR; id < PE_KERNEL_COUNT; id++) {
    const pe_kernel_table *t = pe_kernel_get((pe_kernel_id)id);
    if (!t) continue;
    PE_ASSERT_EQ_LL(t->id, id);
    CU_ASSERT_STRING_EQUAL(t->name, pe_kernel_name((pe_kernel_id)id));
  }
  CU_ASSERT_PTR_NOT_NULL(pe_kernel_get(PE_KERNEL_AUTO));
}

static void dispatch_choice_supported(void) {
  static const int shapes[][2] = {{8, 8}, {16, 32}, {32, 256}, {128, 1024}, {1, 1}, {300, 5000}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    pe_kernel_id id = pe_kernel_choose(shapes[s][0], shapes[s][1]);
    CU_ASSERT(id != PE_KERNEL_AUTO);
    PE_ASSERT_EQ_LL(pe_kernel_supported(id), 1);
  }
}

/* Checks that each supported SIMD table runs the form pe_kernel_form reports
 * for the shape (bit for bit the same labels and distances as calling that
 * form directly), on both sides of the vendor's dot-form thresholds, and that
 * both forms occur over the shapes where the rule has a dot side. Returns the number of failures
 * (plain counts, so a child process can run it too). */
static int forms_as_reported(void) {
  static const int shapes[][2] = {{8, 8},    {16, 128}, {16, 256}, {32, 64},  {32, 128},
                                  {32, 256}, {63, 256}, {64, 256}, {128, 32}, {128, 128}};
  int bad = 0;
  bad += strcmp(pe_kernel_form(PE_KERNEL_BLAS, 32, 256), "sgemm") != 0;
  bad += strcmp(pe_kernel_form(PE_KERNEL_SCALAR, 32, 256), "reference") != 0;
  bad += strcmp(pe_kernel_form(PE_KERNEL_AUTO, 32, 256),
                pe_kernel_form(pe_kernel_choose(32, 256), 32, 256)) != 0;
  const struct {
    pe_kernel_id id;
    pe_assign_fn direct, dot;
  } simd[] = {{PE_KERNEL_AVX2, pe__avx2_assign_direct, pe__avx2_assign_dot},
              {PE_KERNEL_AVX512, pe__avx512_assign_direct, pe__avx512_assign_dot}};
  pe_rng rng;
  pe_rng_init(&rng, 11, 3);
  for (size_t v = 0; v < sizeof simd / sizeof simd[0]; v++) {
    const pe_kernel_table *t = pe_kernel_get(simd[v].id);
    if (!t) continue;
    int dots = 0, directs = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
      const int d = shapes[s][0], k = shapes[s][1];
      const char *form = pe_kernel_form(simd[v].id, d, k);
      const int dot = strcmp(form, "dot") == 0;
      bad += !dot && strcmp(form, "direct") != 0;
      dots += dot;
      directs += !dot;
      problem p;
      problem_make(&p, 97, d, k, DATA_GAUSSIAN, &rng);
      const variant as_variant = {t->name, t->assign, t->assign_work_bytes};
      void *work = work_alloc(&as_variant, p.n, d, k);
      const size_t n = (size_t)p.n;
      int32_t *l1 = malloc(sizeof(int32_t) * n), *l2 = malloc(sizeof(int32_t) * n);
      float *a1 = malloc(sizeof(float) * n), *a2 = malloc(sizeof(float) * n);
      float *b1 = malloc(sizeof(float) * n), *b2 = malloc(sizeof(float) * n);
      t->assign(p.x, p.n, d, p.c, p.norms, k, l1, a1, b1, work);
      (dot ? simd[v].dot : simd[v].direct)(p.x, p.n, d, p.c, p.norms, k, l2, a2, b2, work);
      bad += memcmp(l1, l2, sizeof(int32_t) * n) != 0;
      bad += memcmp(a1, a2, sizeof(float) * n) != 0;
      bad += memcmp(b1, b2, sizeof(float) * n) != 0;
      free(work), free(l1), free(l2), free(a1), free(a2), free(b1), free(b2);
      problem_free(&p);
    }
    /* Both forms occur, unless this core's rule never takes the dot form
     * (AVX-512 on Zen 5; the vendor children cover the other rows). */
    const int dot_possible = strcmp(pe_kernel_form(simd[v].id, 1 << 14, 1 << 16), "dot") == 0;
    bad += !(directs > 0 && (dots > 0 || !dot_possible));
  }
  return bad;
}

static void dispatch_form_as_reported(void) {
#if defined(__x86_64__)
  CU_ASSERT(pe_kernel_cpu()->vendor[0] != '\0');
#endif
  PE_ASSERT_EQ_LL(forms_as_reported(), 0);
}

/* The child of dispatch_vendor_rules: PERSONAE_CPU_VENDOR is `value`
 * (VENDOR:FAMILY). The thresholds are those of kernel_auto.c: AMD (and
 * Hygon) cores keep the direct form up to larger shapes than the others, and
 * Zen 5 (family 0x1A) keeps it for AVX-512 at every shape. */
static int vendor_child_main(const char *value) {
  char vendor[16];
  snprintf(vendor, sizeof vendor, "%.*s", (int)strcspn(value, ":"), value);
  const char *colon = strchr(value, ':');
  const int family = colon ? (int)strtol(colon + 1, NULL, 0) : -1;
  if (strcmp(pe_kernel_cpu()->vendor, vendor) != 0) return 1;
  if (colon && pe_kernel_cpu()->family != family) return 7;
  const int amd = strcmp(vendor, "AuthenticAMD") == 0 || strcmp(vendor, "HygonGenuine") == 0;
  const int zen5 = strcmp(vendor, "AuthenticAMD") == 0 && family >= 0x1A;
  /* pe_kernel_form answers for variants this CPU lacks too. */
  if (strcmp(pe_kernel_form(PE_KERNEL_AVX512, 32, 256), amd ? "direct" : "dot") != 0) return 2;
  if (strcmp(pe_kernel_form(PE_KERNEL_AVX2, 32, 128), amd ? "direct" : "dot") != 0) return 3;
  if (strcmp(pe_kernel_form(PE_KERNEL_AVX512, 64, 256), zen5 ? "direct" : "dot") != 0) return 4;
  if (strcmp(pe_kernel_form(PE_KERNEL_AVX512, 128, 1024), zen5 ? "direct" : "dot") != 0) return 8;
  if (strcmp(pe_kernel_form(PE_KERNEL_AVX2, 128, 1024), "dot") != 0) return 9;
  if (strcmp(pe_kernel_form(PE_KERNEL_AVX512, 8, 1024), "direct") != 0) return 5;
  return forms_as_reported() ? 6 : 0;
}

/* Runs this program again with `var` = `value` (read once per process, so
 * only a fresh process sees it) and `marker` = `value`, which main() turns
 * into the child's check; returns the child's exit status (0: passed). */
static int child_with(const char *var, const char *marker, const char *value) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    setenv(var, value, 1);
    setenv(marker, value, 1);
    execl("/proc/self/exe", "test_kernels", (char *)NULL);
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

static int vendor_child(const char *vendor) {
  return child_with("PERSONAE_CPU_VENDOR", "PE_TEST_VENDOR_CHILD", vendor);
}

/* Each vendor's dot-form rules, whatever this machine's vendor. */
static void dispatch_vendor_rules(void) {
  PE_ASSERT_EQ_LL(vendor_child("AuthenticAMD:0x19"), 0); /* Zen 4 */
  PE_ASSERT_EQ_LL(vendor_child("AuthenticAMD:0x1A"), 0); /* Zen 5 */
  PE_ASSERT_EQ_LL(vendor_child("AuthenticAMD:26"), 0);
  PE_ASSERT_EQ_LL(vendor_child("HygonGenuine:0x18"), 0);
  PE_ASSERT_EQ_LL(vendor_child("GenuineIntel:6"), 0);
  PE_ASSERT_EQ_LL(vendor_child("SomeOtherCPU:0"), 0);
}

/* PERSONAE_KERNEL is read once per process, so each value is checked in a
 * fresh copy of this program (see the child branch of main). Returns the
 * child's exit status: 0 when what it saw matched `want_state`/`want_id`. */
static int env_child(const char *value, int want_state, pe_kernel_id want_id) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    char state[8], id[8];
    snprintf(state, sizeof state, "%d", want_state);
    snprintf(id, sizeof id, "%d", (int)want_id);
    setenv("PERSONAE_KERNEL", value, 1);
    setenv("PE_TEST_ENV_CHILD_STATE", state, 1);
    setenv("PE_TEST_ENV_CHILD_ID", id, 1);
    execl("/proc/self/exe", "test_kernels", (char *)NULL);
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

/* The child: checks the override state, and that pe_kernel_choose returns
 * the forced variant for every shape (or, when ignored, a supported one). */
static int env_child_main(const char *state_text, const char *id_text) {
  int want_state = atoi(state_text);
  pe_kernel_id want_id = (pe_kernel_id)atoi(id_text), id = PE_KERNEL_AUTO;
  if (pe_kernel_env_override(&id) != want_state) return 1;
  if (want_state == 1 && id != want_id) return 2;
  pe_kernel_id chosen = pe_kernel_choose(32, 256);
  if (want_state == 1 && want_id != PE_KERNEL_AUTO && chosen != want_id) return 3;
  if (!pe_kernel_supported(chosen) || chosen == PE_KERNEL_AUTO) return 4;
  return 0;
}

/* A CPU without AVX-512 (or AVX2), simulated with PERSONAE_CPU_DISABLE in a
 * child: the variants disappear, auto never picks them and every table
 * left still matches the reference. */
static int cpu_disable_child(const char *disable) {
  return child_with("PERSONAE_CPU_DISABLE", "PE_TEST_CPU_CHILD", disable);
}

static int cpu_child_main(const char *disabled) {
  int no_avx2 = strstr(disabled, "avx2") != NULL;
  if (pe_kernel_supported(PE_KERNEL_AVX512)) return 1;
  if (no_avx2 && pe_kernel_supported(PE_KERNEL_AVX2)) return 2;
  static const int shapes[][2] = {{8, 8}, {16, 32}, {32, 256}, {128, 1024}};
  for (int s = 0; s < 4; s++) {
    pe_kernel_id id = pe_kernel_choose(shapes[s][0], shapes[s][1]);
    if (id == PE_KERNEL_AVX512 || (no_avx2 && id == PE_KERNEL_AVX2)) return 3;
  }
  pe_rng rng;
  pe_rng_init(&rng, 1, 9);
  problem p;
  problem_make(&p, 90, 37, 70, DATA_GAUSSIAN, &rng);
  variant_set vs = table_set();
  int bad = 0;
  for (int v = 0; v < vs.count; v++) bad += check_variant(&vs.list[v], &p, 0);
  problem_free(&p);
  return bad ? 4 : 0;
}

static void dispatch_cpu_disable(void) {
  PE_ASSERT_EQ_LL(cpu_disable_child("avx512"), 0);
  PE_ASSERT_EQ_LL(cpu_disable_child("avx2,avx512"), 0);
}

static void dispatch_env_override(void) {
  PE_ASSERT_EQ_LL(env_child("scalar", 1, PE_KERNEL_SCALAR), 0);
  PE_ASSERT_EQ_LL(env_child("blas", 1, PE_KERNEL_BLAS), 0);
  PE_ASSERT_EQ_LL(env_child("auto", 1, PE_KERNEL_AUTO), 0);
  PE_ASSERT_EQ_LL(env_child("fastest", -1, PE_KERNEL_AUTO), 0);
  PE_ASSERT_EQ_LL(env_child("", 0, PE_KERNEL_AUTO), 0);
  /* A variant the CPU lacks is ignored, not obeyed. */
  if (!pe_kernel_supported(PE_KERNEL_AVX512))
    PE_ASSERT_EQ_LL(env_child("avx512", -1, PE_KERNEL_AUTO), 0);
  else
    PE_ASSERT_EQ_LL(env_child("avx512", 1, PE_KERNEL_AVX512), 0);
}

/* Kernels are called from the engine's OpenMP threads: every variant must
 * give, block by block, exactly what it gives when called alone (the BLAS one
 * included, whatever OpenBLAS does with its own threads). */
static void threads_match_serial(void) {
  enum { BLOCKS = 16, PER_BLOCK = 300 };
  pe_rng rng;
  pe_rng_init(&rng, 3, 6);
  problem p;
  problem_make(&p, BLOCKS * PER_BLOCK, 24, 150, DATA_GAUSSIAN, &rng);
  variant_set vs = table_set();
  for (int v = 0; v < vs.count; v++) {
    const variant *var = &vs.list[v];
    int32_t *serial = malloc(sizeof(int32_t) * BLOCKS * PER_BLOCK);
    int32_t *parallel = malloc(sizeof(int32_t) * BLOCKS * PER_BLOCK);
    float *d1 = malloc(sizeof(float) * BLOCKS * PER_BLOCK * 2);
    void *work = work_alloc(var, PER_BLOCK, p.d, p.k);
    for (int b = 0; b < BLOCKS; b++)
      var->assign(p.x + (size_t)b * PER_BLOCK * p.d, PER_BLOCK, p.d, p.c, p.norms, p.k,
                  serial + b * PER_BLOCK, d1 + b * PER_BLOCK, NULL, work);
    free(work);
    int failures = 0;
#pragma omp parallel num_threads(4) reduction(+ : failures)
    {
      void *w = work_alloc(var, PER_BLOCK, p.d, p.k);
      if (!w) failures++;
#pragma omp for schedule(dynamic, 1)
      for (int b = 0; b < BLOCKS; b++)
        if (w)
          var->assign(p.x + (size_t)b * PER_BLOCK * p.d, PER_BLOCK, p.d, p.c, p.norms, p.k,
                      parallel + b * PER_BLOCK, d1 + BLOCKS * PER_BLOCK + b * PER_BLOCK, NULL, w);
      free(w);
    }
    PE_ASSERT_EQ_LL(failures, 0);
    PE_ASSERT_EQ_LL(memcmp(serial, parallel, sizeof(int32_t) * BLOCKS * PER_BLOCK), 0);
    PE_ASSERT_EQ_LL(memcmp(d1, d1 + BLOCKS * PER_BLOCK, sizeof(float) * BLOCKS * PER_BLOCK), 0);
    free(serial);
    free(parallel);
    free(d1);
  }
  problem_free(&p);
}

/* ---- suites ---- */

static const char *no_avx2(void) {
  return pe_kernel_supported(PE_KERNEL_AVX2) ? NULL : "CPU or OS lacks AVX2+FMA";
}
static const char *no_avx512(void) {
  return pe_kernel_supported(PE_KERNEL_AVX512) ? NULL : "CPU or OS lacks AVX-512F/DQ";
}

static CU_TestInfo reference_tests[] = {
    {"hand-computed distances, ties, duplicates", reference_by_hand},
    {"single centroid", reference_single_centroid},
    {"centroid norms", norms_by_hand},
    CU_TEST_INFO_NULL};
static CU_TestInfo dispatch_tests[] = {
    {"names round-trip", dispatch_names},
    {"tables match the CPU", dispatch_matches_cpu},
    {"auto picks a supported variant", dispatch_choice_supported},
    {"SIMD tables run the form they report", dispatch_form_as_reported},
    {"each vendor's dot-form rules (PERSONAE_CPU_VENDOR)", dispatch_vendor_rules},
    {"PERSONAE_KERNEL override", dispatch_env_override},
    {"a CPU without AVX-512 / AVX2", dispatch_cpu_disable},
    {"threads give the serial result", threads_match_serial},
    CU_TEST_INFO_NULL};
static CU_TestInfo accumulate_portable_tests[] = {
    {"accumulate vs reference", accumulate_portable},
    {"exact inertia by hand (tail coordinates, weights)", exact_inertia_by_hand},
    {"label diff by hand", label_diff_by_hand},
    {"byte planes: reference by hand and round trip", byte_planes_reference},
    {"byte planes: the dispatched unshuffle and shuffle vs reference", byte_planes_dispatch},
    {"every table's exact inertia (same bits) and label diff", tables_exact_and_diff},
    CU_TEST_INFO_NULL};
static CU_TestInfo accumulate_avx2_tests[] = {
    {"accumulate vs reference", accumulate_avx2},
    {"exact inertia: the reference's bits", exact_inertia_avx2},
    {"label diff vs reference", label_diff_avx2},
    {"byte planes: unshuffle and shuffle vs reference", byte_planes_avx2},
    CU_TEST_INFO_NULL};
static CU_TestInfo accumulate_avx512_tests[] = {{"accumulate vs reference", accumulate_avx512},
                                                {"label diff vs reference", label_diff_avx512},
                                                CU_TEST_INFO_NULL};

int main(int argc, char **argv) {
  const char *child_state = getenv("PE_TEST_ENV_CHILD_STATE");
  if (child_state) return env_child_main(child_state, getenv("PE_TEST_ENV_CHILD_ID"));
  const char *cpu_child = getenv("PE_TEST_CPU_CHILD");
  if (cpu_child) return cpu_child_main(cpu_child);
  const char *vendor_child_env = getenv("PE_TEST_VENDOR_CHILD");
  if (vendor_child_env) return vendor_child_main(vendor_child_env);
  static const pe_test_suite suites[] = {
      {"reference", reference_tests, NULL},
      {"dispatch", dispatch_tests, NULL},
      {"portable (one-lane template, BLAS)", portable_tests, NULL},
      {"portable accumulate, exact inertia, label diff", accumulate_portable_tests, NULL},
      {"dispatch tables (every supported variant)", tables_tests, NULL},
      {"avx2", avx2_tests, no_avx2},
      {"avx2 accumulate, exact inertia, label diff, byte planes", accumulate_avx2_tests, no_avx2},
      {"avx512", avx512_tests, no_avx512},
      {"avx512 accumulate, label diff", accumulate_avx512_tests, no_avx512},
      {NULL, NULL, NULL}};
  return pe_test_run(argc, argv, suites);
}
