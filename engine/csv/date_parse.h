/* Timestamps as exports write them, to Unix seconds UTC. */
#ifndef PE_CSV_DATE_PARSE_H
#define PE_CSV_DATE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "personae/import.h"

/* Parses `s` (len bytes, surrounding blanks ignored). Accepted forms:
 *   2011-12-09T12:50:00Z, 2011-12-09T12:50:00+01:00 (also -0530, +01, and
 *     fractional seconds, which are dropped): the offset is applied;
 *   2011-12-09 12:50[:00], 2011-12-09T12:50[:00], 2011-12-09;
 *   20111209 (exactly 8 digits);
 *   12/09/2011 [12:50[:00]] as MM/DD/YYYY (PE_DATE_MDY) or DD/MM/YYYY
 *     (PE_DATE_DMY); 2011/12/09 [12:50[:00]] whatever the order;
 *   1323435000 (Unix seconds: any other all-digit value, optionally signed).
 * A time without an offset is taken as UTC. With PE_DATE_UNIX only Unix
 * seconds are accepted. Returns 0 and sets *t, or -1 (also for impossible
 * dates such as 2011-02-30 or 25:00). */
int pe_parse_timestamp(const char *s, size_t len, pe_date_order order, int64_t *t);

#endif
