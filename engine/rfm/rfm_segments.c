/* Segment maps: rules over (R, F, M) score ranges, applied first-match over
 * the 125 cells of 1..5 scores, validated when built. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "personae/rfm.h"
#include "rfm/rfm_internal.h"

#define MAX_RULES 256
#define MAX_SEGMENTS 200
#define NAME_LEN 64
#define CELLS 125

typedef struct {
  char name[NAME_LEN];
  int lo[3], hi[3]; /* inclusive score ranges for R, F, M */
} rule;

struct pe_rfm_segment_map {
  int nseg;
  char names[MAX_SEGMENTS][NAME_LEN];
  int16_t cell[CELLS]; /* (r-1)*25 + (f-1)*5 + (m-1) -> code */
  int n_unassigned, unassigned[CELLS];
  int n_unreachable, unreachable[MAX_SEGMENTS];
};

static const char *const no_purchase_name = "No Purchase";
static const char *const others_name = "Others";

/* The default R x F map (docs/rfm.md). Its ten rules partition the 25 (R, F)
 * cells exactly; M does not take part. */
static const rule default_rules[] = {
    {"Hibernating", {1, 1, 1}, {2, 2, 5}},         {"At Risk", {1, 3, 1}, {2, 4, 5}},
    {"Can't Lose Them", {1, 5, 1}, {2, 5, 5}},     {"About To Sleep", {3, 1, 1}, {3, 2, 5}},
    {"Need Attention", {3, 3, 1}, {3, 3, 5}},      {"Loyal Customers", {3, 4, 1}, {4, 5, 5}},
    {"Promising", {4, 1, 1}, {4, 1, 5}},           {"New Customers", {5, 1, 1}, {5, 1, 5}},
    {"Potential Loyalists", {4, 2, 1}, {5, 3, 5}}, {"Champions", {5, 4, 1}, {5, 5, 5}},
};

static int cell_index(int r, int f, int m) {
  return (r - 1) * 25 + (f - 1) * 5 + (m - 1);
}

/* 1 when s is well-formed UTF-8 (RFC 3629: shortest form, no surrogates,
 * nothing above U+10FFFF) with no C0 or C1 control character: names go into
 * HDF5 strings marked UTF-8, JSON, HTML and the terminal. */
static int printable_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    const unsigned c = *p;
    if (c < 0x20 || c == 0x7f) return 0;
    if (c < 0x80) {
      p++;
      continue;
    }
    int extra;
    unsigned lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
      if (c == 0xc2) lo = 0xa0; /* U+0080..U+009F: C1 controls */
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      if (c == 0xe0) lo = 0xa0; /* overlong */
      if (c == 0xed) hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      if (c == 0xf0) lo = 0x90; /* overlong */
      if (c == 0xf4) hi = 0x8f; /* beyond U+10FFFF */
    } else {
      return 0;
    }
    if (p[1] < lo || p[1] > hi) return 0;
    p += 2;
    for (int i = 1; i < extra; i++, p++)
      if ((*p & 0xc0) != 0x80) return 0;
  }
  return 1;
}

static int code_of_name(pe_rfm_segment_map *map, const char *name) {
  for (int c = 1; c < map->nseg; c++)
    if (strcmp(map->names[c], name) == 0) return c;
  if (map->nseg == MAX_SEGMENTS) return -1;
  size_t len = strnlen(name, NAME_LEN - 1);
  memcpy(map->names[map->nseg], name, len);
  map->names[map->nseg][len] = '\0';
  return map->nseg++;
}

/* Assigns every cell its first matching rule, then records what no rule
 * reaches and which segments no cell reaches. */
static pe_status build(const rule *rules, int nrules, const char *source,
                       pe_rfm_segment_map **out) {
  pe_rfm_segment_map *map = calloc(1, sizeof *map);
  PE_FAIL_IF(!map, PE_ERR_NOMEM, "out of memory building the segment map");
  snprintf(map->names[0], NAME_LEN, "%s", no_purchase_name);
  map->nseg = 1;
  int rule_code[MAX_RULES];
  for (int i = 0; i < nrules; i++) {
    rule_code[i] = code_of_name(map, rules[i].name);
    if (rule_code[i] < 0) {
      free(map);
      return pe__fail(PE_ERR_USAGE, "%s: more than %d distinct segment names", source,
                      MAX_SEGMENTS - 2);
    }
  }
  int others = 0;
  for (int r = 1; r <= 5; r++)
    for (int f = 1; f <= 5; f++)
      for (int m = 1; m <= 5; m++) {
        int v[3] = {r, f, m}, code = -1;
        for (int i = 0; i < nrules && code < 0; i++) {
          int hit = 1;
          for (int d = 0; d < 3; d++) hit &= v[d] >= rules[i].lo[d] && v[d] <= rules[i].hi[d];
          if (hit) code = rule_code[i];
        }
        if (code < 0) {
          if (!others) others = code_of_name(map, others_name);
          code = others;
          map->unassigned[map->n_unassigned++] = r * 100 + f * 10 + m;
        }
        map->cell[cell_index(r, f, m)] = (int16_t)code;
      }
  for (int c = 1; c < map->nseg; c++) {
    int reached = 0;
    for (int k = 0; k < CELLS && !reached; k++) reached = map->cell[k] == c;
    if (!reached) map->unreachable[map->n_unreachable++] = c;
  }
  *out = map;
  return PE_OK;
}

pe_status pe_rfm_segment_map_default(pe_rfm_segment_map **out) {
  return build(default_rules, (int)(sizeof default_rules / sizeof default_rules[0]), "default map",
               out);
}

/* Parses "N" or "N-M" (1..5) after "key=". */
static int parse_range(const char *s, int *lo, int *hi) {
  char *end;
  long a = strtol(s, &end, 10), b = a;
  if (end == s) return -1;
  if (*end == '-') {
    const char *t = end + 1;
    b = strtol(t, &end, 10);
    if (end == t) return -1;
  }
  if (*end != '\0' || a < 1 || b > 5 || a > b) return -1;
  *lo = (int)a;
  *hi = (int)b;
  return 0;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
  return s;
}

/* One rule line: "NAME: r=LO-HI f=LO-HI m=LO-HI", each range optional. */
static pe_status parse_line(char *line, const char *source, int lineno, rule *out) {
  char *colon = strchr(line, ':');
  PE_FAIL_IF(!colon, PE_ERR_USAGE, "%s:%d: expected 'NAME: r=LO-HI f=LO-HI m=LO-HI'", source,
             lineno);
  *colon = '\0';
  char *name = trim(line);
  PE_FAIL_IF(!*name, PE_ERR_USAGE, "%s:%d: empty segment name", source, lineno);
  PE_FAIL_IF(strlen(name) >= NAME_LEN, PE_ERR_USAGE, "%s:%d: segment name longer than %d bytes",
             source, lineno, NAME_LEN - 1);
  PE_FAIL_IF(!printable_utf8(name), PE_ERR_USAGE,
             "%s:%d: segment name is not printable UTF-8 (control characters or another "
             "encoding: save the file as UTF-8)",
             source, lineno);
  PE_FAIL_IF(strcmp(name, no_purchase_name) == 0 || strcmp(name, others_name) == 0, PE_ERR_USAGE,
             "%s:%d: '%s' is reserved", source, lineno, name);
  snprintf(out->name, NAME_LEN, "%s", name);
  int seen[3] = {0, 0, 0};
  for (int d = 0; d < 3; d++) {
    out->lo[d] = 1;
    out->hi[d] = 5;
  }
  char *save = NULL;
  for (char *tok = strtok_r(colon + 1, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
    static const char dims[] = "rfm";
    const char *at = tok[0] ? strchr(dims, tolower((unsigned char)tok[0])) : NULL;
    int d = at ? (int)(at - dims) : -1;
    PE_FAIL_IF(d < 0 || tok[1] != '=', PE_ERR_USAGE,
               "%s:%d: '%s': expected r=, f= or m= followed by a score range like 4-5", source,
               lineno, tok);
    PE_FAIL_IF(seen[d], PE_ERR_USAGE, "%s:%d: '%c' given twice", source, lineno, dims[d]);
    seen[d] = 1;
    PE_FAIL_IF(parse_range(tok + 2, &out->lo[d], &out->hi[d]) != 0, PE_ERR_USAGE,
               "%s:%d: '%s': a range is N or LO-HI with 1 <= LO <= HI <= 5", source, lineno, tok);
  }
  return PE_OK;
}

pe_status pe_rfm_segment_map_parse(const char *text, const char *source, pe_rfm_segment_map **out) {
  *out = NULL;
  rule *rules = malloc(MAX_RULES * sizeof *rules);
  char *copy = strdup(text);
  if (!rules || !copy) {
    free(rules);
    free(copy);
    return pe__fail(PE_ERR_NOMEM, "out of memory reading %s", source);
  }
  pe_status st = PE_OK;
  int nrules = 0, lineno = 0;
  char *save = NULL;
  /* strtok_r would skip empty lines and lose the line count, so split by hand. */
  for (char *line = copy; line && st == PE_OK; line = save) {
    char *nl = strchr(line, '\n');
    save = nl ? nl + 1 : NULL;
    if (nl) *nl = '\0';
    lineno++;
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *t = trim(line);
    if (!*t) continue;
    if (nrules == MAX_RULES) {
      st = pe__fail(PE_ERR_USAGE, "%s:%d: more than %d rules", source, lineno, MAX_RULES);
      break;
    }
    st = parse_line(t, source, lineno, &rules[nrules]);
    if (st == PE_OK) nrules++;
  }
  if (st == PE_OK && nrules == 0) st = pe__fail(PE_ERR_USAGE, "%s: no rules", source);
  if (st == PE_OK) st = build(rules, nrules, source, out);
  free(rules);
  free(copy);
  return st;
}

pe_status pe_rfm_segment_map_load(const char *path, pe_rfm_segment_map **out) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  PE_FAIL_IF(!f, PE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  char *text = NULL;
  size_t len = 0, cap = 0;
  pe_status st = PE_OK;
  for (;;) {
    if (len + 4096 + 1 > cap) {
      cap = cap ? 2 * cap : 8192;
      char *t = realloc(text, cap);
      if (!t) {
        st = pe__fail(PE_ERR_NOMEM, "%s: out of memory", path);
        break;
      }
      text = t;
    }
    size_t n = fread(text + len, 1, 4096, f);
    len += n;
    if (n < 4096) break;
    if (len > (1u << 20)) {
      st = pe__fail(PE_ERR_USAGE, "%s: larger than 1 MiB; not a segment rules file", path);
      break;
    }
  }
  if (st == PE_OK && ferror(f)) st = pe__fail(PE_ERR_IO, "%s: read error", path);
  fclose(f);
  if (st == PE_OK) {
    text[len] = '\0';
    st = memchr(text, '\0', len) != NULL ? pe__fail(PE_ERR_USAGE, "%s: not a text file", path)
                                         : pe_rfm_segment_map_parse(text, path, out);
  }
  free(text);
  return st;
}

void pe_rfm_segment_map_free(pe_rfm_segment_map *map) {
  free(map);
}

pe_status pe__rfm_segment_map_clone(const pe_rfm_segment_map *map, pe_rfm_segment_map **out) {
  *out = malloc(sizeof **out);
  PE_FAIL_IF(!*out, PE_ERR_NOMEM, "out of memory copying the segment map");
  memcpy(*out, map, sizeof **out);
  return PE_OK;
}

int pe_rfm_segment_map_count(const pe_rfm_segment_map *map) {
  return map->nseg;
}

const char *pe_rfm_segment_map_name(const pe_rfm_segment_map *map, int code) {
  return code >= 0 && code < map->nseg ? map->names[code] : "";
}

int pe_rfm_segment_map_lookup(const pe_rfm_segment_map *map, int r5, int f5, int m5) {
  return map->cell[cell_index(r5, f5, m5)];
}

int pe_rfm_segment_map_unassigned_cells(const pe_rfm_segment_map *map, int *cells, int max) {
  for (int i = 0; i < map->n_unassigned && i < max; i++) cells[i] = map->unassigned[i];
  return map->n_unassigned;
}

int pe_rfm_segment_map_unreachable_segments(const pe_rfm_segment_map *map, int *codes, int max) {
  for (int i = 0; i < map->n_unreachable && i < max; i++) codes[i] = map->unreachable[i];
  return map->n_unreachable;
}

int pe_rfm_rescale_to_5(int score, int bins) {
  if (bins == 5) return score;
  /* round(1 + (s-1)*4/(b-1)) with halves up, in integers. */
  return 1 + ((score - 1) * 8 + (bins - 1)) / (2 * (bins - 1));
}
