/* Distinct strings numbered 0, 1, 2, ... in the order they are first seen
 * (categories such as a StockCode become int32 codes plus a names table). */
#ifndef PE_CSV_NAME_CODES_H
#define PE_CSV_NAME_CODES_H

#include <stddef.h>
#include <stdint.h>

typedef struct pe_name_codes pe_name_codes;

pe_name_codes *pe_name_codes_create(void);
void pe_name_codes_free(pe_name_codes *nc);

/* The code of `name` (len bytes), adding it if new: 0 and *code set, -1 out
 * of memory or more than INT32_MAX names. */
int pe_name_codes_get(pe_name_codes *nc, const char *name, size_t len, int32_t *code);

int32_t pe_name_codes_count(const pe_name_codes *nc);
/* The names, NUL-terminated, indexed by code; valid until the next _get. */
const char *const *pe_name_codes_names(const pe_name_codes *nc);

#endif
