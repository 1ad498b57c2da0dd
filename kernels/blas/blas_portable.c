/* The one-lane instantiation of the SIMD kernels (simd/simd_kernels.h) in
 * plain C: the selection and guard the BLAS variant uses on a CPU without
 * AVX2, and a check of the template's logic independent of any ISA. */
#define PE_ISA(name) pe__plain_##name
#define PE_W 1
#define PE_R_DIRECT 4
#define PE_J_DIRECT 4
#define PE_R_DOT 4
#define PE_J_DOT 4
#define PE_R_SEL 4

typedef float vf;
typedef int vm;

/* min/max keep the x86 convention (the second operand when either is NaN),
 * so every instantiation handles NaN the same way. */
#define VF_LOAD(p) (*(p))
#define VF_LOADU(p) (*(p))
#define VF_STORE(p, v) (*(p) = (v))
#define VF_SET1(s) (s)
#define VF_ZERO 0.0f
#define VF_ADD(a, b) ((a) + (b))
#define VF_SUB(a, b) ((a) - (b))
#define VF_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VF_MAX(a, b) ((a) > (b) ? (a) : (b))
#define VF_FMA(a, b, c) ((a) * (b) + (c))
#define VF_LT(a, b) ((a) < (b))
#define VF_BLEND(m, a, b) ((m) ? (b) : (a))
#define VF_HSUM(v) (v)
#define VF_STOREU(p, v) (*(p) = (v))
#define VL_STOREU(p, v) (*(p) = (int32_t)(v))
#define VM_ALL(m) (m)
#define PE_WD 1
typedef double vd;
#define VD_CVT_LOADU(p) ((double)*(p))
#define VD_LOADU(p) (*(p))
#define VD_STOREU(p, v) (*(p) = (v))
#define VD_ADD(a, b) ((a) + (b))
#define VD_MUL(a, b) ((a) * (b))
#define VD_SET1(s) (s)

#include "simd/simd_kernels.h"
