/* Calendar arithmetic in UTC without the C library's time zone state
 * (timegm is not in C11 and mktime depends on TZ). */
#ifndef PE_CORE_CIVIL_TIME_H
#define PE_CORE_CIVIL_TIME_H

#include <stdint.h>

/* 9999-12-31T23:59:59Z. A timestamp whose magnitude is beyond it is garbage
 * (a unit mix-up, a corrupt value), and rejecting it everywhere the data is
 * read keeps date arithmetic far from int64 overflow. */
#define PE_MAX_ABS_TIMESTAMP 253402300799LL

static inline int pe_timestamp_ok(int64_t t) {
  return t <= PE_MAX_ABS_TIMESTAMP && t >= -PE_MAX_ABS_TIMESTAMP;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
int64_t pe_days_from_civil(int64_t y, unsigned m, unsigned d);
/* The inverse: date of a day number. */
void pe_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* Parses "YYYY-MM-DD" (a real calendar date, years 1..9999) to Unix seconds at 00:00 UTC.
 * Returns 0 on success, -1 if malformed. */
int pe_parse_iso_date(const char *s, int64_t *unix_seconds);
/* Formats Unix seconds as "YYYY-MM-DD" into buf (at least 16 bytes). */
void pe_format_iso_date(int64_t unix_seconds, char *buf);

#endif
