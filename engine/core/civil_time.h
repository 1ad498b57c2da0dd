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
/* The first half of pe_civil_from_days: the 400-year era of day number z,
 * the year of the era and the day of that year counted from March 1st
 * (0..365). Inline, for tests per row or per order. */
static inline unsigned pe_civil_day_of_year(int64_t z, int64_t *era, unsigned *year_of_era) {
  z += 719468;
  *era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - *era * 146097);
  *year_of_era = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  return doe - (365 * *year_of_era + *year_of_era / 4 - *year_of_era / 100);
}
/* Whether day number z falls in November or December (days 245..305 of
 * the year from March 1st), for the features' holiday share. */
static inline int pe_day_in_nov_dec(int64_t z) {
  int64_t era;
  unsigned yoe;
  const unsigned doy = pe_civil_day_of_year(z, &era, &yoe);
  return doy >= 245 && doy <= 305;
}
/* Parses "YYYY-MM-DD" (a real calendar date, years 1..9999) to Unix seconds at 00:00 UTC.
 * Returns 0 on success, -1 if malformed. */
int pe_parse_iso_date(const char *s, int64_t *unix_seconds);
/* Formats Unix seconds as "YYYY-MM-DD" into buf (at least 16 bytes). */
void pe_format_iso_date(int64_t unix_seconds, char *buf);

#endif
