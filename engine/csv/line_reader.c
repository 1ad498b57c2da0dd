/* Line reader over zlib's gzread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/error.h"
#include "csv/line_reader.h"

/* Reads in 1 MiB slices: large enough that gzread's per-call cost vanishes. */
enum { READ_SLICE = 1 << 20 };

struct pe_line_reader {
  gzFile gz;
  const char *path;
  char *buf;
  size_t cap;
  size_t start;   /* first byte not yet returned */
  size_t end;     /* one past the last byte read */
  size_t scanned; /* bytes from `start` known to hold no '\n' */
  int eof;
  int64_t line;
  int64_t size;
};

pe_status pe_line_reader_open(const char *path, pe_line_reader **reader) {
  *reader = NULL;
  struct stat st;
  PE_FAIL_IF(stat(path, &st) != 0, PE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  PE_FAIL_IF(S_ISDIR(st.st_mode), PE_ERR_IO, "%s: is a directory, not a CSV file", path);
  pe_line_reader *r = calloc(1, sizeof *r);
  PE_FAIL_IF(!r, PE_ERR_NOMEM, "out of memory");
  r->path = path;
  r->size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : 0;
  r->cap = 2 * READ_SLICE;
  r->buf = malloc(r->cap);
  r->gz = r->buf ? gzopen(path, "rb") : NULL;
  if (!r->gz) {
    int err = errno;
    pe_line_reader_free(r);
    PE_FAIL_IF(err == ENOMEM, PE_ERR_NOMEM, "out of memory");
    return pe__fail(PE_ERR_IO, "%s: cannot open: %s", path, strerror(err));
  }
  gzbuffer(r->gz, 256 * 1024);
  *reader = r;
  return PE_OK;
}

void pe_line_reader_free(pe_line_reader *r) {
  if (!r) return;
  if (r->gz) gzclose(r->gz);
  free(r->buf);
  free(r);
}

/* Moves the unreturned tail to the front and reads more, growing the buffer
 * when one line fills it. */
static pe_status refill(pe_line_reader *r) {
  if (r->start > 0) {
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
  }
  if (r->cap - r->end < READ_SLICE) {
    size_t cap = r->cap * 2;
    char *grown = realloc(r->buf, cap);
    PE_FAIL_IF(!grown, PE_ERR_NOMEM, "%s: out of memory reading line %lld", r->path,
               (long long)r->line + 1);
    r->buf = grown;
    r->cap = cap;
  }
  /* One byte short of the free space, so a NUL always fits after the data. */
  int n = gzread(r->gz, r->buf + r->end, READ_SLICE - 1);
  if (n < 0) {
    int zerr;
    const char *msg = gzerror(r->gz, &zerr);
    PE_FAIL_IF(zerr == Z_ERRNO, PE_ERR_IO, "%s: read error: %s", r->path, strerror(errno));
    return pe__fail(PE_ERR_DATA, "%s: corrupt gzip data near line %lld: %s", r->path,
                    (long long)r->line + 1, msg);
  }
  if (n == 0) {
    /* gzread returns 0 both at a clean end and at a truncated gzip stream. */
    int zerr;
    const char *msg = gzerror(r->gz, &zerr);
    PE_FAIL_IF(zerr != Z_OK && zerr != Z_STREAM_END, PE_ERR_DATA, "%s: corrupt gzip data: %s",
               r->path, msg);
    r->eof = 1;
  }
  r->end += (size_t)n;
  r->buf[r->end] = '\0';
  return PE_OK;
}

pe_status pe_line_reader_next(pe_line_reader *r, char **line, size_t *len) {
  *line = NULL;
  *len = 0;
  for (;;) {
    char *from = r->buf + r->start + r->scanned;
    char *nl = memchr(from, '\n', r->end - r->start - r->scanned);
    if (nl) {
      *line = r->buf + r->start;
      *len = (size_t)(nl + 1 - *line);
      r->start += *len;
      r->scanned = 0;
      r->line++;
      return PE_OK;
    }
    r->scanned = r->end - r->start;
    if (r->eof) {
      if (r->start == r->end) return PE_OK;
      *line = r->buf + r->start;
      *len = r->end - r->start;
      r->start = r->end;
      r->scanned = 0;
      r->line++;
      return PE_OK;
    }
    PE_FORWARD(refill(r));
  }
}

int64_t pe_line_reader_line(const pe_line_reader *r) { return r->line; }

int64_t pe_line_reader_offset(const pe_line_reader *r) { return (int64_t)gzoffset(r->gz); }

int64_t pe_line_reader_size(const pe_line_reader *r) { return r->size; }
