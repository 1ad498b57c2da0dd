/* The row scan of row_pack.h. */
#include "rfm/row_pack.h"

#include <omp.h>

#include "core/civil_time.h"
#include "io/tables.h"

/* (As separate passes, scalar, the spans alone cost the RFM check 0.045 s
 * of 100.9M rows; GCC keeps rint() and the && of pe_amount_ok scalar, hence
 * the magic-number rounding and the branch-free range tests.) */
__attribute__((target_clones("avx2", "default"))) void pe_scan_rows(const double *amount,
                                                                    const int64_t *timestamp,
                                                                    const int64_t *customer,
                                                                    const int64_t *order, int64_t n,
                                                                    pe_row_scan *out) {
  int64_t tmin = INT64_MAX, tmax = INT64_MIN, cmin = INT64_MAX, cmax = INT64_MIN;
  int64_t omin = INT64_MAX, omax = INT64_MIN;
  int cents = 1, ok = 1;
  for (int64_t i = 0; i < n; i++) {
    const int64_t t = timestamp[i], cu = customer[i], o = order[i];
    const double a = amount[i];
    tmin = t < tmin ? t : tmin;
    tmax = t > tmax ? t : tmax;
    cmin = cu < cmin ? cu : cmin;
    cmax = cu > cmax ? cu : cmax;
    omin = o < omin ? o : omin;
    omax = o > omax ? o : omax;
    ok &= (a <= PE_MAX_ABS_AMOUNT) & (a >= -PE_MAX_ABS_AMOUNT) & (t <= PE_MAX_ABS_TIMESTAMP) &
          (t >= -PE_MAX_ABS_TIMESTAMP);
    /* Equal as doubles: -0.0 comes back as 0.0, which no result can tell
     * apart (sums start at 0.0; only signs of nets and amounts are tested). */
    const double c = pe_cents_rounded(a);
    cents &= (c >= -2147483647.0) & (c <= 2147483647.0) & (pe_amount_of_cents(c) == a);
  }
  *out = (pe_row_scan){tmin, tmax, cmin, cmax, omin, omax, cents, ok};
}

int64_t pe_scan_chunk(const double *amount, const int64_t *timestamp, const int64_t *customer,
                      const int64_t *order, int64_t n, pe_row_scan *out) {
  /* Blocks of a multiple of 4096 rows, at most PE_SCAN_BLOCKS of them: the
   * split depends on n alone. */
  int64_t block = (n + PE_SCAN_BLOCKS - 1) / PE_SCAN_BLOCKS;
  block = (block + 4095) / 4096 * 4096;
  const int blocks = n > 0 ? (int)((n + block - 1) / block) : 0;
  pe_row_scan scan[PE_SCAN_BLOCKS];
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
  for (int b = 0; b < blocks; b++) {
    const int64_t begin = b * block, rows = n - begin < block ? n - begin : block;
    pe_scan_rows(amount + begin, timestamp + begin, customer + begin, order + begin, rows,
                 &scan[b]);
  }
  *out = pe_row_scan_empty();
  int64_t bad = n;
  for (int b = 0; b < blocks; b++) {
    pe_row_scan_merge(out, &scan[b]);
    for (int64_t i = b * block; bad == n && !scan[b].ok && i < n && i < (b + 1) * block; i++)
      if (!pe_amount_ok(amount[i]) || !pe_timestamp_ok(timestamp[i])) bad = i;
  }
  return bad;
}
