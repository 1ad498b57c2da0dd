/* A growable string for the report renderers, number formatting, and the
 * demographics sentence both cards share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "persona/persona_internal.h"

static int reserve(pe__strbuf *b, size_t extra) {
  if (b->failed) return 0;
  if (b->len + extra + 1 <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra + 1) cap *= 2;
  char *data = realloc(b->data, cap);
  if (!data) {
    b->failed = 1;
    return 0;
  }
  b->data = data;
  b->cap = cap;
  return 1;
}

void pe__sb_printf(pe__strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const int need = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (need < 0 || !reserve(b, (size_t)need)) return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)need + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)need;
}

void pe__sb_puts(pe__strbuf *b, const char *s) {
  const size_t n = strlen(s);
  if (!reserve(b, n)) return;
  memcpy(b->data + b->len, s, n + 1);
  b->len += n;
}

void pe__sb_html(pe__strbuf *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
      case '&': pe__sb_puts(b, "&amp;"); break;
      case '<': pe__sb_puts(b, "&lt;"); break;
      case '>': pe__sb_puts(b, "&gt;"); break;
      case '"': pe__sb_puts(b, "&quot;"); break;
      default:
        if (reserve(b, 1)) {
          b->data[b->len++] = *s;
          b->data[b->len] = '\0';
        }
    }
  }
}

void pe__sb_markdown(pe__strbuf *b, const char *s) {
  for (; *s; s++) {
    if (strchr("\\`*_[]<>&|", *s) && reserve(b, 1)) {
      b->data[b->len++] = '\\';
      b->data[b->len] = '\0';
    }
    if (reserve(b, 1)) {
      b->data[b->len++] = *s;
      b->data[b->len] = '\0';
    }
  }
}

void pe__sb_demographics(pe__strbuf *b, const pe_persona *p, const char *age_intro,
                         int max_regions) {
  const char *sep = "";
  if (p->age_known) {
    int top = 0;
    for (int a = 1; a < PE_PERSONA_AGE_BANDS; a++)
      if (p->age_band_share[a] > p->age_band_share[top]) top = a;
    pe__sb_printf(b, "%s %s (%.0f%%), mean age %.0f", age_intro, pe_persona_age_band_label(top),
                  100.0 * p->age_band_share[top], p->mean_age);
    sep = ", ";
  }
  if (p->income_known) {
    char income[32];
    pe__format_money(income, sizeof income, p->median_income);
    pe__sb_printf(b, "%smedian income ~%s", sep, income);
    sep = "; ";
  }
  if (p->top_regions[0] < 0) return;
  if (max_regions == 1) {
    pe__sb_printf(b, "%stop region %d (%.0f%%)", *sep ? "; " : "", p->top_regions[0],
                  100.0 * p->top_region_share[0]);
  } else {
    pe__sb_printf(b, "%stop regions:", *sep ? "; " : "");
    for (int t = 0; t < max_regions && t < PE_PERSONA_TOP_REGIONS && p->top_regions[t] >= 0; t++)
      pe__sb_printf(b, "%s %d (%.0f%%)", t ? "," : "", p->top_regions[t],
                    100.0 * p->top_region_share[t]);
  }
  /* The largest regions are usually the base's largest too: what sets the
   * persona apart is the region it over-represents, or that none stands out. */
  if (p->standout_region >= 0)
    pe__sb_printf(b, "; over-represented: region %d (%.0f%% vs %.0f%% overall)",
                  p->standout_region, 100.0 * p->standout_region_share,
                  100.0 * p->standout_region_base_share);
  else
    pe__sb_puts(b, "; no region over-represented");
}

pe_status pe__sb_finish(pe__strbuf *b, char **text) {
  if (b->failed || !reserve(b, 0)) {
    free(b->data);
    *text = NULL;
    return pe__fail(PE_ERR_NOMEM, "out of memory while rendering the persona report");
  }
  b->data[b->len] = '\0';
  *text = b->data;
  return PE_OK;
}

void pe__format_count(char *buf, size_t size, int64_t v) {
  char digits[32];
  snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
  const size_t n = strlen(digits);
  size_t o = 0;
  if (v < 0 && o + 1 < size) buf[o++] = '-';
  for (size_t i = 0; i < n && o + 1 < size; i++) {
    if (i > 0 && (n - i) % 3 == 0 && o + 1 < size) buf[o++] = ',';
    if (o + 1 < size) buf[o++] = digits[i];
  }
  buf[o] = '\0';
}

void pe__format_money(char *buf, size_t size, double v) {
  const double a = v < 0 ? -v : v;
  if (a >= 1e9)
    snprintf(buf, size, "%.2fB", v / 1e9);
  else if (a >= 1e6)
    snprintf(buf, size, "%.2fM", v / 1e6);
  else if (a >= 1e4)
    snprintf(buf, size, "%.1fk", v / 1e3);
  else
    snprintf(buf, size, "%.0f", v);
}
