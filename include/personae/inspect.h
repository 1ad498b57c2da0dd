/* Validating and summarising an input data file (docs/format.md). */
#ifndef PERSONAE_INSPECT_H
#define PERSONAE_INSPECT_H

#include <stdint.h>

#include "personae/archetype.h"
#include "personae/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int64_t transaction_rows;
  int64_t customers;      /* distinct customer ids in /transactions */
  int64_t orders;         /* distinct order ids */
  int64_t return_rows;    /* rows with a negative amount */
  double revenue;         /* sum of net amounts */
  int64_t first_time, last_time;
  int has_sessions;
  int64_t sessions;
  int64_t session_customers;
  int has_customers;
  int64_t customer_rows;
  int has_truth; /* /truth from `personae generate` */
  int64_t truth_counts[PE_ARCHETYPE_COUNT];
} pe_data_summary;

/* Checks every table of `path` against the format (required columns, dtypes,
 * equal lengths, non-empty /transactions, finite amounts) and summarises it.
 * Reads column by column in chunks: memory is O(distinct ids). */
pe_status pe_inspect(const char *path, pe_data_summary *summary);

#ifdef __cplusplus
}
#endif
#endif
