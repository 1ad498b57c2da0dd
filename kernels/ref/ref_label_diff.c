/* The scalar reference of the label-diff slot: where a pass's new labels
 * differ from the previous ones, in point order. */
#include "kernel_internal.h"

int64_t pe__ref_label_diff(const int32_t *old, const int32_t *now, int64_t n, int32_t *moved_at,
                           int32_t *moved_old) {
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++)
    if (old[i] != now[i]) {
      moved_at[m] = (int32_t)i;
      moved_old[m] = old[i];
      m++;
    }
  return m;
}
