/* Calendar arithmetic in UTC without the C library's time zone state
 * (timegm is not in C11 and mktime depends on TZ). */
#ifndef PE_CORE_CIVIL_TIME_H
#define PE_CORE_CIVIL_TIME_H

#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
int64_t pe_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The inverse: date of a day number. */
void pe_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Parses "YYYY-MM-DD" (a real calendar date) to Unix seconds at 00:00 UTC.
 * Returns 0 on success, -1 if malformed. */
int pe_parse_iso_date(const char *s, int64_t *unix_seconds);
/* Formats Unix seconds as "YYYY-MM-DD" into buf (at least 16 bytes). */
void pe_format_iso_date(int64_t unix_seconds, char *buf);

#endif
