#include "pe_kernels.h"

void pe_kernel_sq_norms(const float *c, int k, int d, float *norms) {
  for (int j = 0; j < k; j++) {
    float s = 0.0f;
    for (int t = 0; t < d; t++) s += c[(size_t)j * d + t] * c[(size_t)j * d + t];
    norms[j] = s;
  }
}
