/* Splits a text file into records of fields: RFC 4180 CSV through libcsv,
 * or whitespace-separated columns. Knows nothing of what the fields mean. */
#ifndef PE_CSV_RECORD_READER_H
#define PE_CSV_RECORD_READER_H

#include <stddef.h>
#include <stdint.h>

#include "csv/line_reader.h"
#include "personae/import.h"

/* One record. Fields are NUL-terminated (and may contain NULs of their own
 * only if the file does; `len` is authoritative). Valid during the callback. */
typedef struct {
  int nfields;
  char **field;
  const size_t *len;
  int64_t line;       /* 1-based line where the record starts */
  int unclosed_quote; /* the file ended inside this record's last quoted field */
} pe_record;

/* Called once per record; a non-OK status stops the reading and is returned
 * by pe_records_read. Blank lines produce no record. */
typedef pe_status (*pe_record_fn)(void *ctx, const pe_record *rec);

typedef struct {
  pe_import_format format; /* AUTO: decided from the first non-blank line */
  char delimiter;          /* CSV only; 0: detected among ',' ';' TAB (',' if none) */
} pe_record_layout;

/* Reads every record of `reader`. `layout` is updated to what was used. A
 * UTF-8 byte order mark before the first record is dropped. */
pe_status pe_records_read(pe_line_reader *reader, const char *file, pe_record_layout *layout,
                          pe_record_fn fn, void *ctx);

/* The layout the first line suggests: CSV with the most frequent of ',' ';'
 * TAB outside quotes, or whitespace when it holds none of them. */
pe_record_layout pe_records_detect(const char *first_line, size_t len);

#endif
