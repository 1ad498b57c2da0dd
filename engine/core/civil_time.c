#include "core/civil_time.h"

#include <stdio.h>

int64_t pe_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void pe_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  int64_t era;
  unsigned yoe;
  const unsigned doy = pe_civil_day_of_year(z, &era, &yoe);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int pe_parse_iso_date(const char *s, int64_t *unix_seconds) {
  int y, m, d, n = 0;
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || s[n] != '\0' || n != 10) return -1;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31) return -1; /* years 1..9999 */
  int64_t days = pe_days_from_civil(y, (unsigned)m, (unsigned)d);
  int64_t yy;
  unsigned mm, dd;
  pe_civil_from_days(days, &yy, &mm, &dd);
  if (yy != y || mm != (unsigned)m || dd != (unsigned)d) return -1; /* e.g. 2023-02-30 */
  *unix_seconds = days * 86400;
  return 0;
}

void pe_format_iso_date(int64_t unix_seconds, char *buf) {
  int64_t days = unix_seconds >= 0 ? unix_seconds / 86400 : -((-unix_seconds + 86399) / 86400);
  int64_t y;
  unsigned m, d;
  pe_civil_from_days(days, &y, &m, &d);
  snprintf(buf, 16, "%04d-%02u-%02u", (int)(y % 100000), m % 100u, d % 100u);
}
