/* The AVX2+FMA instantiation of the SIMD kernels (simd/simd_kernels.h).
 * Compiled with -mavx2 -mfma; called only when cpuid and XGETBV say the CPU
 * and OS support both. */
#include <immintrin.h>

#define PE_ISA(name) pe__avx2_##name
#define PE_W 8
/* 16 ymm registers. Direct form: 2 x 4 accumulators, 2 point vectors, the
 * broadcast centroid and the difference. Dot form: 2 x 6 accumulators (the
 * classic 16 x 6 sgemm micro-tile), 2 point vectors, the broadcast. */
#define PE_R_DIRECT 2
#define PE_J_DIRECT 4
#define PE_R_DOT 2
#define PE_J_DOT 6
#define PE_R_SEL 4

typedef __m256 vf;
typedef __m256 vm;

#define VF_LOAD(p) _mm256_load_ps(p)
#define VF_LOADU(p) _mm256_loadu_ps(p)
#define VF_STORE(p, v) _mm256_store_ps((p), (v))
#define VF_SET1(s) _mm256_set1_ps(s)
#define VF_ZERO _mm256_setzero_ps()
#define VF_ADD(a, b) _mm256_add_ps((a), (b))
#define VF_SUB(a, b) _mm256_sub_ps((a), (b))
#define VF_MIN(a, b) _mm256_min_ps((a), (b))
#define VF_MAX(a, b) _mm256_max_ps((a), (b))
#define VF_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VF_LT(a, b) _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define VF_BLEND(m, a, b) _mm256_blendv_ps((a), (b), (m))
#define VF_HSUM(v) pe__avx2_hsum(v)
#define VF_STOREU(p, v) _mm256_storeu_ps((p), (v))
#define VL_STOREU(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), _mm256_cvttps_epi32(v))
#define VM_ALL(m) (_mm256_movemask_ps(m) == 0xFF)
#define PE_WD 4
typedef __m256d vd;
#define VD_CVT_LOADU(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
#define VD_LOADU(p) _mm256_loadu_pd(p)
#define VD_STOREU(p, v) _mm256_storeu_pd((p), (v))
#define VD_ADD(a, b) _mm256_add_pd((a), (b))
#define VD_MUL(a, b) _mm256_mul_pd((a), (b))
#define VD_SET1(s) _mm256_set1_pd(s)

static inline float pe__avx2_hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

#include "simd/transpose8x8_avx.h"
#include "simd/simd_kernels.h"
