/* Byte planes: the variant this CPU runs (see pe_kernels.h). */
#include <pthread.h>

#include "kernel_internal.h"
#include "pe_kernels.h"

typedef void (*byte_planes_fn)(const unsigned char *in, unsigned char *out, size_t n, size_t elem);

static byte_planes_fn unshuffle_fn = pe__ref_unshuffle, shuffle_fn = pe__ref_shuffle;
static pthread_once_t chosen = PTHREAD_ONCE_INIT;

/* The AVX2 objects are compiled for AVX2 and FMA: the same condition as the
 * AVX2 distance table's (and the tests' skip). */
static void choose(void) {
  if (pe_kernel_supported(PE_KERNEL_AVX2)) {
    unshuffle_fn = pe__avx2_unshuffle;
    shuffle_fn = pe__avx2_shuffle;
  }
}

void pe_kernel_unshuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem) {
  pthread_once(&chosen, choose);
  unshuffle_fn(in, out, n, elem);
}

void pe_kernel_shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem) {
  pthread_once(&chosen, choose);
  shuffle_fn(in, out, n, elem);
}
