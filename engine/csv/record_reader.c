/* Records from lines. CSV goes through libcsv, fed one line at a time so that
 * every record knows the line it starts on (libcsv itself does not count
 * lines): a record ends on the line being fed, and starts as many lines
 * earlier as its quoted fields hold newlines. */
#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "csv/record_reader.h"

/* Fields of the record being assembled, copied out of libcsv's buffer (which
 * it reuses for the next field) into one growing byte arena. */
typedef struct {
  char *bytes;
  size_t used, cap;
  size_t *start; /* offset of each field in `bytes` */
  size_t *len;
  char **field;
  int nfields, fcap;
  int64_t embedded_newlines;
} record_buf;

typedef struct {
  record_buf rec;
  pe_record_fn fn;
  void *ctx;
  const char *file;
  int64_t line; /* the line being fed to libcsv */
  int at_unclosed_quote;
  pe_status status;
} csv_state;

static void record_buf_free(record_buf *r) {
  free(r->bytes);
  free(r->start);
  free(r->len);
  free(r->field);
}

static int record_buf_reserve_fields(record_buf *r, int n) {
  if (n <= r->fcap) return 0;
  int cap = r->fcap ? r->fcap * 2 : 32;
  while (cap < n) cap *= 2;
  size_t *start = realloc(r->start, (size_t)cap * sizeof *start);
  if (!start) return -1;
  r->start = start;
  size_t *len = realloc(r->len, (size_t)cap * sizeof *len);
  if (!len) return -1;
  r->len = len;
  char **field = realloc(r->field, (size_t)cap * sizeof *field);
  if (!field) return -1;
  r->field = field;
  r->fcap = cap;
  return 0;
}

static int record_buf_add(record_buf *r, const char *s, size_t len) {
  if (record_buf_reserve_fields(r, r->nfields + 1)) return -1;
  if (r->used + len + 1 > r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 4096;
    while (cap < r->used + len + 1) cap *= 2;
    char *bytes = realloc(r->bytes, cap);
    if (!bytes) return -1;
    r->bytes = bytes;
    r->cap = cap;
  }
  if (len) memcpy(r->bytes + r->used, s, len);
  r->bytes[r->used + len] = '\0';
  r->start[r->nfields] = r->used;
  r->len[r->nfields] = len;
  r->nfields++;
  r->used += len + 1;
  for (const char *p = s; len && (p = memchr(p, '\n', (size_t)(s + len - p))); p++)
    r->embedded_newlines++;
  return 0;
}

/* A line of blanks is not a record (libcsv reports it as one empty field). */
static int record_is_blank(const record_buf *r) { return r->nfields == 1 && r->len[0] == 0; }

static void on_field(void *s, size_t len, void *data) {
  csv_state *st = data;
  if (st->status != PE_OK) return;
  if (record_buf_add(&st->rec, s, len))
    st->status =
        pe__fail(PE_ERR_NOMEM, "%s: out of memory at line %lld", st->file, (long long)st->line);
}

static void on_record_end(int terminator, void *data) {
  (void)terminator;
  csv_state *st = data;
  record_buf *r = &st->rec;
  if (st->status == PE_OK && !record_is_blank(r)) {
    for (int i = 0; i < r->nfields; i++) r->field[i] = r->bytes + r->start[i];
    pe_record rec = {r->nfields, r->field, r->len, st->line - r->embedded_newlines,
                     st->at_unclosed_quote};
    st->status = st->fn(st->ctx, &rec);
  }
  r->nfields = 0;
  r->used = 0;
  r->embedded_newlines = 0;
}

static pe_status feed_csv(struct csv_parser *p, csv_state *st, const char *line, size_t len) {
  if (csv_parse(p, line, len, on_field, on_record_end, st) != len && st->status == PE_OK)
    st->status = pe__fail(PE_ERR_NOMEM, "%s: line %lld: %s", st->file, (long long)st->line,
                          csv_strerror(csv_error(p)));
  return st->status;
}

/* Whitespace columns: split in place on runs of blanks (the line's own
 * bytes become the fields' NUL terminators). */
static pe_status feed_whitespace(record_buf *r, char *line, size_t len, int64_t lineno,
                                 pe_record_fn fn, void *ctx, const char *file) {
  r->nfields = 0;
  size_t i = 0;
  while (i < len) {
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n' ||
                       line[i] == '\v' || line[i] == '\f'))
      i++;
    if (i == len) break;
    size_t s = i;
    while (i < len && !(line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n' ||
                        line[i] == '\v' || line[i] == '\f'))
      i++;
    PE_FAIL_IF(record_buf_reserve_fields(r, r->nfields + 1), PE_ERR_NOMEM,
               "%s: out of memory at line %lld", file, (long long)lineno);
    r->field[r->nfields] = line + s;
    r->len[r->nfields] = i - s;
    r->nfields++;
    /* Writing the terminator over the separator (or the spare byte after the
     * last line) never touches a byte that is still to be scanned. */
    line[i] = '\0';
    if (i < len) i++;
  }
  if (r->nfields == 0) return PE_OK;
  pe_record rec = {r->nfields, r->field, r->len, lineno, 0};
  return fn(ctx, &rec);
}

pe_record_layout pe_records_detect(const char *line, size_t len) {
  static const char candidates[] = {',', ';', '\t'};
  size_t count[3] = {0, 0, 0};
  int quoted = 0;
  for (size_t i = 0; i < len; i++) {
    if (line[i] == '"') quoted = !quoted;
    if (quoted) continue;
    for (int c = 0; c < 3; c++) count[c] += line[i] == candidates[c];
  }
  int best = 0;
  for (int c = 1; c < 3; c++)
    if (count[c] > count[best]) best = c;
  pe_record_layout l = {PE_IMPORT_FORMAT_CSV, candidates[best]};
  if (count[best] == 0) l.format = PE_IMPORT_FORMAT_WHITESPACE;
  return l;
}

static int line_is_blank(const char *line, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (!(line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) return 0;
  return 1;
}

/* Settles the layout from the first non-blank line: whatever the caller left
 * open (format AUTO, delimiter 0) is taken from the detection. */
static void settle_layout(pe_record_layout *layout, const char *line, size_t len) {
  pe_record_layout seen = pe_records_detect(line, len);
  if (layout->format == PE_IMPORT_FORMAT_AUTO)
    layout->format = layout->delimiter ? PE_IMPORT_FORMAT_CSV : seen.format;
  if (layout->format == PE_IMPORT_FORMAT_WHITESPACE)
    layout->delimiter = 0;
  else if (!layout->delimiter)
    layout->delimiter = seen.delimiter;
}

pe_status pe_records_read(pe_line_reader *reader, const char *file, pe_record_layout *layout,
                          pe_record_fn fn, void *ctx) {
  struct csv_parser parser;
  PE_FAIL_IF(csv_init(&parser, CSV_APPEND_NULL) != 0, PE_ERR_NOMEM, "out of memory");
  /* libcsv grows its field buffer by a fixed block (128 bytes by default):
   * linear growth, so a long field (or an unclosed quote swallowing the
   * rest of the file) would cost quadratic copying without a large block. */
  csv_set_blk_size(&parser, 1u << 20);
  csv_state st = {.fn = fn, .ctx = ctx, .file = file, .status = PE_OK};
  int settled = 0, last_had_newline = 0;
  char *line;
  size_t len;
  pe_status status;
  while ((status = pe_line_reader_next(reader, &line, &len)) == PE_OK && line) {
    st.line = pe_line_reader_line(reader);
    if (st.line == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
      line += 3;
      len -= 3;
    }
    if (!settled) {
      if (line_is_blank(line, len)) continue;
      settle_layout(layout, line, len);
      csv_set_delim(&parser, (unsigned char)layout->delimiter);
      settled = 1;
    }
    last_had_newline = len > 0 && line[len - 1] == '\n';
    if (layout->format == PE_IMPORT_FORMAT_WHITESPACE)
      status = feed_whitespace(&st.rec, line, len, st.line, fn, ctx, file);
    else
      status = feed_csv(&parser, &st, line, len);
    if (status != PE_OK) break;
  }
  if (status == PE_OK && settled && layout->format != PE_IMPORT_FORMAT_WHITESPACE) {
    /* A quoted field still open at the end of the file swallowed every line
     * after its start. In strict mode csv_fini only reports that, without
     * side effects; the lenient call then hands the record over, flagged. */
    /* Whatever csv_fini still hands over ends after the last byte: on the
     * line after the last one when the file ends with a newline. */
    st.line += last_had_newline;
    int opts = csv_get_opts(&parser);
    csv_set_opts(&parser, (unsigned char)(opts | CSV_STRICT | CSV_STRICT_FINI));
    st.at_unclosed_quote = csv_fini(&parser, on_field, on_record_end, &st) != 0;
    csv_set_opts(&parser, (unsigned char)opts);
    if (st.at_unclosed_quote) csv_fini(&parser, on_field, on_record_end, &st);
    status = st.status;
  }
  csv_free(&parser);
  record_buf_free(&st.rec);
  return status;
}
