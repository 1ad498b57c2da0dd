/* Reads a text file line by line, gunzipping it on the fly when it is
 * gzip'd (zlib's gzread passes plain files through unchanged). */
#ifndef PE_CSV_LINE_READER_H
#define PE_CSV_LINE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "personae/status.h"

typedef struct pe_line_reader pe_line_reader;

/* Opens `path`; a missing, unreadable or directory path is PE_ERR_IO with a
 * message naming it. */
pe_status pe_line_reader_open(const char *path, pe_line_reader **reader);
void pe_line_reader_free(pe_line_reader *reader);

/* Gives the next line, including its '\n' when it has one, in a buffer that
 * stays valid (and writable) until the next call. A last line without '\n'
 * is followed by a writable NUL, so every line has a byte to terminate it.
 * Lines may be of any length. Returns PE_OK with *line set, PE_OK with *line ==
 * NULL at the end, or PE_ERR_IO / PE_ERR_DATA (corrupt gzip stream). */
pe_status pe_line_reader_next(pe_line_reader *reader, char **line, size_t *len);

/* 1-based number of the line last returned (0 before the first). */
int64_t pe_line_reader_line(const pe_line_reader *reader);

/* Bytes of the (possibly compressed) file consumed so far, and its size. */
int64_t pe_line_reader_offset(const pe_line_reader *reader);
int64_t pe_line_reader_size(const pe_line_reader *reader);

#endif
