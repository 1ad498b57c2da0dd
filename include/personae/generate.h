/* The synthetic marketplace: raw tables with planted shopper archetypes.
 *
 * Output is a function of (params minus threads) only: the same seed gives
 * byte-identical datasets whatever the thread count, because every customer
 * draws from its own random stream and blocks are written in order. */
#ifndef PERSONAE_GENERATE_H
#define PERSONAE_GENERATE_H

#include <stdint.h>

#include "personae/archetype.h"
#include "personae/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int64_t customers;   /* number of customers, >= 1. No default. */
  uint64_t seed;       /* default 42 */
  int days;            /* length of the period in days, 60..3650; default 730 */
  int64_t end_time;    /* Unix seconds (UTC) at which the period ends; default 2026-01-01 */
  int with_sessions;   /* write /sessions; default 1 */
  int with_customers;  /* write /customers (demographics); default 1 */
  int threads;         /* OpenMP threads, 0 = all; never changes the output */
  /* Called from the writing thread after each batch (may be NULL). */
  void (*progress)(void *ctx, int64_t done, int64_t total);
  void *progress_ctx;
} pe_generate_params;

void pe_generate_params_default(pe_generate_params *p);

typedef struct {
  int64_t customers;
  int64_t buyers;            /* customers with at least one order */
  int64_t orders;
  int64_t transaction_rows;  /* order lines, returns included */
  int64_t return_rows;
  int64_t sessions;
  double revenue;            /* sum of net amounts */
  int64_t start_time, end_time;
  int64_t archetype_customers[PE_ARCHETYPE_COUNT];
  double archetype_revenue[PE_ARCHETYPE_COUNT];
} pe_generate_summary;

/* Writes /transactions, /sessions, /customers and /truth to `out_path`
 * atomically. `summary` may be NULL. */
pe_status pe_generate(const char *out_path, const pe_generate_params *params,
                      pe_generate_summary *summary);

#ifdef __cplusplus
}
#endif
#endif
