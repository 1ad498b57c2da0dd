/* The variant tables, what this CPU runs, the PERSONAE_KERNEL override and
 * the per-shape choice of `auto`. Everything is decided once per process. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_auto.h"
#include "kernel_internal.h"

static const char *const kernel_names[PE_KERNEL_COUNT] = {
    [PE_KERNEL_AUTO] = "auto",     [PE_KERNEL_SCALAR] = "scalar", [PE_KERNEL_AVX2] = "avx2",
    [PE_KERNEL_AVX512] = "avx512", [PE_KERNEL_BLAS] = "blas",
};

/* A SIMD table ranks centroids with the direct form ‖x − c‖² unless the
 * shape passes the variant's measured dot-form rule (kernel_auto.c: long
 * coordinate loops, where one FMA per multiply-add and the guard pay off).
 * Labels travel in float lanes, so beyond 2^24 centroids the reference
 * takes the call. */
static const pe__dot_form_rule *avx2_dot_form, *avx512_dot_form; /* set by init() */

typedef enum { FORM_REFERENCE, FORM_DIRECT, FORM_DOT } simd_form;
static const char *const form_names[] = {"reference", "direct", "dot"};

/* The one choice both the SIMD tables and pe_kernel_form make. */
static inline simd_form simd_form_of(const pe__dot_form_rule *rule, int d, int k) {
  if (k > PE__MAX_LANE_LABEL) return FORM_REFERENCE;
  return pe__use_dot_form(rule, d, k) ? FORM_DOT : FORM_DIRECT;
}

#define PE__SIMD_ASSIGN(isa)                                                                       \
  static void isa##_assign(const float *x, int64_t n, int d, const float *c, const float *c_norms, \
                           int k, int32_t *labels, float *d1, float *d2, void *work) {             \
    switch (simd_form_of(isa##_dot_form, d, k)) {                                                  \
      case FORM_REFERENCE: pe__ref_assign(x, n, d, c, c_norms, k, labels, d1, d2, work); break;    \
      case FORM_DOT:                                                                               \
        pe__##isa##_assign_dot(x, n, d, c, c_norms, k, labels, d1, d2, work);                      \
        break;                                                                                     \
      case FORM_DIRECT:                                                                            \
        pe__##isa##_assign_direct(x, n, d, c, c_norms, k, labels, d1, d2, work);                   \
        break;                                                                                     \
    }                                                                                              \
  }
PE__SIMD_ASSIGN(avx2)
PE__SIMD_ASSIGN(avx512)

/* The centroid update on AVX-512 machines: rows of up to 16 doubles take the
 * AVX2 loop. A row a 512-bit store has just updated is often read again a
 * few points later (few clusters), and on AMD Zen 4/5 such a load waits for
 * the split 512-bit store instead of being forwarded from it: at (1e6, 8, 8)
 * the 256-bit loop is 18% faster, at d = 16 6%, and at d = 32 5% slower.
 * Both add the same terms in the same order: the same bits. */
static void avx512_accumulate(const float *x, int64_t n, int d, const int32_t *labels,
                              const float *weights, int k, double *sums, double *counts) {
  if (d <= 16)
    pe__avx2_accumulate(x, n, d, labels, weights, k, sums, counts);
  else
    pe__avx512_accumulate(x, n, d, labels, weights, k, sums, counts);
}

static const pe_kernel_table table_scalar = {PE_KERNEL_SCALAR, "scalar", pe__ref_assign,
                                             pe__ref_assign_work_bytes, pe__ref_accumulate,
                                             pe__ref_exact_inertia, pe__ref_label_diff};
static const pe_kernel_table table_avx2 = {PE_KERNEL_AVX2, "avx2", avx2_assign,
                                           pe__avx2_assign_work_bytes, pe__avx2_accumulate,
                                           pe__avx2_exact_inertia, pe__avx2_label_diff};
static const pe_kernel_table table_avx512 = {PE_KERNEL_AVX512, "avx512", avx512_assign,
                                             pe__avx512_assign_work_bytes, avx512_accumulate,
                                             pe__avx2_exact_inertia, pe__avx512_label_diff};
/* The BLAS variant's selection and accumulation use the best SIMD this CPU
 * runs; its distances always come from sgemm. */
static const pe_kernel_table table_blas_avx512 = {PE_KERNEL_BLAS, "blas", pe__avx512_blas_assign,
                                                  pe__blas_assign_work_bytes,
                                                  avx512_accumulate, pe__avx2_exact_inertia,
                                                  pe__avx512_label_diff};
static const pe_kernel_table table_blas_avx2 = {PE_KERNEL_BLAS, "blas", pe__avx2_blas_assign,
                                                pe__blas_assign_work_bytes, pe__avx2_accumulate,
                                                pe__avx2_exact_inertia, pe__avx2_label_diff};
static const pe_kernel_table table_blas_plain = {PE_KERNEL_BLAS, "blas", pe__plain_blas_assign,
                                                 pe__blas_assign_work_bytes, pe__ref_accumulate,
                                                 pe__ref_exact_inertia, pe__ref_label_diff};

static const pe_kernel_table *tables[PE_KERNEL_COUNT];
static int env_state;
static pe_kernel_id env_id;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init(void) {
  const pe_cpu_features *f = pe_kernel_cpu();
  int avx2 = f->avx && f->avx2 && f->fma && f->os_avx;
  int avx512 = avx2 && f->avx512f && f->avx512dq && f->os_avx512;
  avx2_dot_form = pe__dot_form_rule_of(PE_KERNEL_AVX2);
  avx512_dot_form = pe__dot_form_rule_of(PE_KERNEL_AVX512);
  tables[PE_KERNEL_SCALAR] = &table_scalar;
  tables[PE_KERNEL_AVX2] = avx2 ? &table_avx2 : NULL;
  tables[PE_KERNEL_AVX512] = avx512 ? &table_avx512 : NULL;
  tables[PE_KERNEL_BLAS] = avx512 ? &table_blas_avx512
                           : avx2 ? &table_blas_avx2
                                  : &table_blas_plain;

  const char *env = getenv("PERSONAE_KERNEL");
  if (env && *env) {
    pe_kernel_id id;
    if (pe_kernel_parse(env, &id) == 0 && (id == PE_KERNEL_AUTO || tables[id])) {
      env_state = 1;
      env_id = id;
    } else {
      env_state = -1;
    }
  }
}

int pe_kernel_supported(pe_kernel_id id) {
  pthread_once(&init_once, init);
  if (id == PE_KERNEL_AUTO) return 1;
  return id > PE_KERNEL_AUTO && id < PE_KERNEL_COUNT && tables[id] != NULL;
}

const pe_kernel_table *pe_kernel_get(pe_kernel_id id) {
  pthread_once(&init_once, init);
  if (id == PE_KERNEL_AUTO) return tables[pe__kernel_auto_pick(1, 1, tables)];
  if (id <= PE_KERNEL_AUTO || id >= PE_KERNEL_COUNT) return NULL;
  return tables[id];
}

int pe_kernel_env_override(pe_kernel_id *id) {
  pthread_once(&init_once, init);
  if (env_state == 1 && id) *id = env_id;
  return env_state;
}

pe_kernel_id pe_kernel_choose(int d, int k) {
  pthread_once(&init_once, init);
  if (env_state == 1 && env_id != PE_KERNEL_AUTO) return env_id;
  return pe__kernel_auto_pick(d, k, tables);
}

const char *pe_kernel_name(pe_kernel_id id) {
  if (id < 0 || id >= PE_KERNEL_COUNT) return "unknown";
  return kernel_names[id];
}

const char *pe_kernel_form(pe_kernel_id id, int d, int k) {
  pthread_once(&init_once, init);
  if (id == PE_KERNEL_AUTO) id = pe_kernel_choose(d, k);
  switch (id) {
    case PE_KERNEL_AVX2: return form_names[simd_form_of(avx2_dot_form, d, k)];
    case PE_KERNEL_AVX512: return form_names[simd_form_of(avx512_dot_form, d, k)];
    case PE_KERNEL_BLAS: return "sgemm";
    default: return "reference";
  }
}

int pe_kernel_parse(const char *name, pe_kernel_id *id) {
  for (int i = 0; i < PE_KERNEL_COUNT; i++)
    if (name && strcmp(name, kernel_names[i]) == 0) {
      *id = (pe_kernel_id)i;
      return 0;
    }
  return -1;
}
