/* Numbers and identifiers from CSV fields. Every parser takes the field's
 * bytes (NUL-terminated at s[len]), ignores surrounding blanks, and accepts
 * the whole field or nothing: "12abc" is not 12. */
#ifndef PE_CSV_FIELD_PARSE_H
#define PE_CSV_FIELD_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* 1 if the field is empty or only blanks. */
int pe_field_is_blank(const char *s, size_t len);

/* A decimal integer, or a decimal whose fraction is all zeros ("13085.0",
 * as spreadsheet exports write integer ids). */
int pe_parse_id(const char *s, size_t len, int64_t *v);

/* An order id: a decimal integer after an optional run of letters, which is
 * dropped ("536365" -> 536365, "C536379" -> 536379, "A563185" -> 563185).
 * *prefixed is set when letters were dropped. */
int pe_parse_order_id(const char *s, size_t len, int64_t *v, int *prefixed);

/* A finite decimal number ("2.55", "-1e3"; no hex, inf or nan). */
int pe_parse_number(const char *s, size_t len, double *v);

/* A discount as a fraction in [0, 1]: "0.15", or a percentage "15%". */
int pe_parse_discount(const char *s, size_t len, double *v);

/* A decimal int32. */
int pe_parse_i32(const char *s, size_t len, int32_t *v);

#endif
