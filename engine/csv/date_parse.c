/* Date and time parsing by hand: strptime depends on the locale and knows
 * no time zone offsets, and timegm is not C11. */
#include <string.h>

#include "core/civil_time.h"
#include "csv/date_parse.h"

static int days_in_month(int64_t y, int m) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return days[m - 1] + (m == 2 && leap);
}

/* A cursor over the text being parsed. */
typedef struct {
  const char *p, *end;
} cursor;

static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* Reads between min and max digits; -1 if fewer than min. */
static int read_digits(cursor *c, int min, int max, int64_t *v) {
  int n = 0;
  *v = 0;
  while (c->p < c->end && n < max && is_digit(*c->p)) {
    *v = *v * 10 + (*c->p - '0');
    c->p++;
    n++;
  }
  return n >= min ? n : -1;
}

static int accept(cursor *c, char ch) {
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

static int valid_date(int64_t y, int64_t m, int64_t d) {
  return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, (int)m);
}

/* HH:MM[:SS[.fff]] into seconds of the day. */
static int read_clock(cursor *c, int64_t *secs) {
  int64_t h, mi, s = 0, frac;
  if (read_digits(c, 1, 2, &h) < 0 || !accept(c, ':') || read_digits(c, 2, 2, &mi) < 0) return -1;
  if (accept(c, ':')) {
    if (read_digits(c, 2, 2, &s) < 0) return -1;
    if (accept(c, '.') && read_digits(c, 1, 9, &frac) < 0) return -1;
  }
  if (h > 23 || mi > 59 || s > 60) return -1; /* 60: a leap second */
  *secs = h * 3600 + mi * 60 + s;
  return 0;
}

/* Z, +HH:MM, +HHMM or +HH; seconds to subtract to reach UTC. */
static int read_offset(cursor *c, int64_t *offset) {
  *offset = 0;
  if (c->p == c->end) return 0;
  if (accept(c, 'Z') || accept(c, 'z')) return 0;
  int sign = accept(c, '+') ? 1 : accept(c, '-') ? -1 : 0;
  if (!sign) return -1;
  int64_t h, m = 0;
  if (read_digits(c, 2, 2, &h) < 0) return -1;
  if (accept(c, ':')) {
    if (read_digits(c, 2, 2, &m) < 0) return -1;
  } else if (c->p < c->end && read_digits(c, 2, 2, &m) < 0) {
    return -1;
  }
  if (h > 23 || m > 59) return -1;
  *offset = sign * (h * 3600 + m * 60);
  return 0;
}

/* After a date: nothing, or a separator and a clock, then for ISO forms an
 * optional offset. */
static int read_time_part(cursor *c, int allow_offset, int64_t *secs, int64_t *offset) {
  *secs = 0;
  *offset = 0;
  if (c->p == c->end) return 0;
  if (!(accept(c, 'T') || accept(c, 't') || accept(c, ' '))) return -1;
  while (accept(c, ' ')) continue;
  if (read_clock(c, secs)) return -1;
  while (!allow_offset && accept(c, ' ')) continue;
  if (allow_offset && read_offset(c, offset)) return -1;
  return c->p == c->end ? 0 : -1;
}

static int finish(int64_t y, int64_t m, int64_t d, int64_t secs, int64_t offset, int64_t *t) {
  if (!valid_date(y, m, d)) return -1;
  *t = pe_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + secs - offset;
  return 0;
}

static int parse_unix(cursor c, int64_t *t) {
  int neg = accept(&c, '-');
  if (!neg) accept(&c, '+');
  int64_t v;
  /* 12 digits reach year 33658: plenty, and far from overflowing. */
  if (read_digits(&c, 1, 12, &v) < 0) return -1;
  if (accept(&c, '.')) {
    int64_t frac;
    if (read_digits(&c, 0, 18, &frac) < 0) return -1;
  }
  if (c.p != c.end) return -1;
  *t = neg ? -v : v;
  /* Digits that fit are not yet a date: beyond years 1..9999 is garbage. */
  return pe_timestamp_ok(*t) ? 0 : -1;
}

/* YYYY-MM-DD... (ISO 8601 and its space-separated cousin). */
static int parse_iso(cursor c, int64_t *t) {
  int64_t y, m, d, secs, offset;
  if (read_digits(&c, 4, 4, &y) < 0 || !accept(&c, '-') || read_digits(&c, 1, 2, &m) < 0 ||
      !accept(&c, '-') || read_digits(&c, 1, 2, &d) < 0)
    return -1;
  if (read_time_part(&c, 1, &secs, &offset)) return -1;
  return finish(y, m, d, secs, offset, t);
}

/* A/B/C with an optional clock: YYYY/MM/DD, or MM/DD/YYYY or DD/MM/YYYY. */
static int parse_slashed(cursor c, pe_date_order order, int64_t *t) {
  int64_t a, b, y, secs, offset;
  int na = read_digits(&c, 1, 4, &a);
  if (na < 0 || !accept(&c, '/') || read_digits(&c, 1, 2, &b) < 0 || !accept(&c, '/')) return -1;
  int64_t m, d;
  if (na == 4) {
    y = a;
    m = b;
    if (read_digits(&c, 1, 2, &d) < 0) return -1;
  } else {
    if (na > 2 || read_digits(&c, 4, 4, &y) < 0) return -1;
    m = order == PE_DATE_DMY ? b : a;
    d = order == PE_DATE_DMY ? a : b;
  }
  if (read_time_part(&c, 0, &secs, &offset)) return -1;
  return finish(y, m, d, secs, 0, t);
}

static int parse_yyyymmdd(cursor c, int64_t *t) {
  int64_t v;
  if (read_digits(&c, 8, 8, &v) != 8 || c.p != c.end) return -1;
  return finish(v / 10000, v / 100 % 100, v % 100, 0, 0, t);
}

int pe_parse_timestamp(const char *s, size_t len, pe_date_order order, int64_t *t) {
  cursor c = {s, s + len};
  while (c.p < c.end && (*c.p == ' ' || *c.p == '\t')) c.p++;
  while (c.end > c.p && (c.end[-1] == ' ' || c.end[-1] == '\t' || c.end[-1] == '\r')) c.end--;
  if (c.p == c.end) return -1;
  if (order == PE_DATE_UNIX) return parse_unix(c, t);

  size_t n = (size_t)(c.end - c.p);
  size_t lead = 0;
  while (lead < n && is_digit(c.p[lead])) lead++;
  if (lead == n) return n == 8 ? parse_yyyymmdd(c, t) : parse_unix(c, t);
  if (lead == 4 && c.p[4] == '-') return parse_iso(c, t);
  if (lead >= 1 && c.p[lead] == '/') return parse_slashed(c, order, t);
  return parse_unix(c, t);
}
