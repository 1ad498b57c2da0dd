/* Field parsers; all return 0 on success and -1 otherwise. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "csv/field_parse.h"

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

static void trim(const char **s, size_t *len) {
  while (*len && is_blank(**s)) (*s)++, (*len)--;
  while (*len && is_blank((*s)[*len - 1])) (*len)--;
}

int pe_field_is_blank(const char *s, size_t len) {
  trim(&s, &len);
  return len == 0;
}

/* Digits [start, end) as a non-negative int64; -1 on none or overflow. */
static int digits_to_i64(const char *p, const char *end, int64_t *v) {
  if (p == end) return -1;
  int64_t x = 0;
  for (; p < end; p++) {
    if (!is_digit(*p)) return -1;
    int d = *p - '0';
    if (x > (INT64_MAX - d) / 10) return -1;
    x = x * 10 + d;
  }
  *v = x;
  return 0;
}

int pe_parse_id(const char *s, size_t len, int64_t *v) {
  trim(&s, &len);
  const char *p = s, *end = s + len;
  int neg = 0;
  if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
  const char *int_end = p;
  while (int_end < end && is_digit(*int_end)) int_end++;
  if (int_end < end) {
    if (*int_end != '.') return -1;
    for (const char *f = int_end + 1; f < end; f++)
      if (*f != '0') return -1;
  }
  if (digits_to_i64(p, int_end, v)) return -1;
  if (neg) *v = -*v;
  return 0;
}

int pe_parse_order_id(const char *s, size_t len, int64_t *v, int *prefixed) {
  trim(&s, &len);
  const char *p = s, *end = s + len;
  while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))) p++;
  *prefixed = p > s;
  return digits_to_i64(p, end, v);
}

int pe_parse_number(const char *s, size_t len, double *v) {
  trim(&s, &len);
  if (len == 0) return -1;
  /* strtod would also take "inf", "nan" and hex; a plain decimal only. */
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (!(is_digit(c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) return -1;
  }
  /* The field is NUL-terminated right after its bytes or after trailing
   * blanks, so strtod stops inside the field. */
  char *stop;
  errno = 0;
  double x = strtod(s, &stop);
  if (stop != s + len || errno == ERANGE || !isfinite(x)) return -1;
  *v = x;
  return 0;
}

int pe_parse_discount(const char *s, size_t len, double *v) {
  trim(&s, &len);
  int percent = len > 0 && s[len - 1] == '%';
  double x;
  if (pe_parse_number(s, len - (size_t)percent, &x)) return -1;
  if (percent) x /= 100.0;
  if (!(x >= 0.0 && x <= 1.0)) return -1;
  *v = x;
  return 0;
}

int pe_parse_i32(const char *s, size_t len, int32_t *v) {
  int64_t x;
  if (pe_parse_id(s, len, &x) || x < INT32_MIN || x > INT32_MAX) return -1;
  *v = (int32_t)x;
  return 0;
}
