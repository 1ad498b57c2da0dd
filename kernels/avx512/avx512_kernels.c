/* The AVX-512F instantiation of the SIMD kernels (simd/simd_kernels.h).
 * Compiled with -mavx512f -mavx512dq; called only when cpuid and XGETBV say
 * the CPU and OS support them (the OS must save the ZMM and opmask state). */
#include <immintrin.h>

#define PE_ISA(name) pe__avx512_##name
#define PE_W 16
/* 32 zmm registers. Direct form: 4 x 4 accumulators (4 point vectors share
 * each broadcast), plus the point vectors, broadcast and differences. Dot
 * form: 4 x 6 accumulators, 4 point vectors, the broadcast. */
#define PE_R_DIRECT 4
#define PE_J_DIRECT 4
#define PE_R_DOT 4
#define PE_J_DOT 6
#define PE_R_SEL 4

typedef __m512 vf;
typedef __mmask16 vm;

#define VF_LOAD(p) _mm512_load_ps(p)
#define VF_LOADU(p) _mm512_loadu_ps(p)
#define VF_STORE(p, v) _mm512_store_ps((p), (v))
#define VF_SET1(s) _mm512_set1_ps(s)
#define VF_ZERO _mm512_setzero_ps()
#define VF_ADD(a, b) _mm512_add_ps((a), (b))
#define VF_SUB(a, b) _mm512_sub_ps((a), (b))
#define VF_MIN(a, b) _mm512_min_ps((a), (b))
#define VF_MAX(a, b) _mm512_max_ps((a), (b))
#define VF_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define VF_LT(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ)
#define VF_BLEND(m, a, b) _mm512_mask_blend_ps((m), (a), (b))
#define VF_HSUM(v) _mm512_reduce_add_ps(v)
#define VF_STOREU(p, v) _mm512_storeu_ps((p), (v))
#define VL_STOREU(p, v) _mm512_storeu_si512((void *)(p), _mm512_cvttps_epi32(v))
#define VM_ALL(m) ((m) == 0xFFFF)
#define PE_WD 8
typedef __m512d vd;
#define VD_CVT_LOADU(p) _mm512_cvtps_pd(_mm256_loadu_ps(p))
#define VD_LOADU(p) _mm512_loadu_pd(p)
#define VD_STOREU(p, v) _mm512_storeu_pd((p), (v))
#define VD_ADD(a, b) _mm512_add_pd((a), (b))
#define VD_MUL(a, b) _mm512_mul_pd((a), (b))
#define VD_SET1(s) _mm512_set1_pd(s)

#include "simd/transpose8x8_avx.h"
#include "simd/simd_kernels.h"
