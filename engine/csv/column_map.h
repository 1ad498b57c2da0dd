/* Which input column feeds which /transactions/ field. */
#ifndef PE_CSV_COLUMN_MAP_H
#define PE_CSV_COLUMN_MAP_H

#include <stddef.h>

#include "csv/record_reader.h"
#include "personae/import.h"

typedef enum {
  PE_COL_CUSTOMER,
  PE_COL_TIME,
  PE_COL_AMOUNT,
  PE_COL_QUANTITY,
  PE_COL_PRICE,
  PE_COL_ORDER,
  PE_COL_DISCOUNT,
  PE_COL_CATEGORY,
  PE_COL_COUNT
} pe_col_role;

typedef struct {
  int index[PE_COL_COUNT];     /* 0-based field index, -1 when the role is unused */
  char name[PE_COL_COUNT][64]; /* the header name (or "column N") for messages */
} pe_column_map;

/* The option that names a role ("customer-col"). */
const char *pe_col_role_option(pe_col_role role);

/* Resolves the columns from the header record (NULL with no_header; then
 * `nfields` is the first row's field count and every choice must be a
 * column number). Exactly one of amount or quantity x price is used. A
 * column that is not there is PE_ERR_USAGE with a message naming `file`,
 * the option and the header's names. */
pe_status pe_column_map_resolve(const char *file, const pe_record *header, int nfields,
                                const pe_import_params *params, pe_column_map *map);

/* "customer_id=CustomerID timestamp=InvoiceDate amount=Quantity*UnitPrice ..."
 */
void pe_column_map_describe(const pe_column_map *map, char *buf, size_t size);

#endif
