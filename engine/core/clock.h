/* Wall-clock seconds for step timings: CLOCK_MONOTONIC, the clock the CLI's
 * own timings use too, so that a step's parts and the step compare. */
#ifndef PE_CORE_CLOCK_H
#define PE_CORE_CLOCK_H

#include <time.h>

static inline double pe_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
