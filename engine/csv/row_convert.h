/* One input record -> one transaction row, or the reason it is skipped. */
#ifndef PE_CSV_ROW_CONVERT_H
#define PE_CSV_ROW_CONVERT_H

#include "csv/column_map.h"
#include "csv/name_codes.h"
#include "csv/record_reader.h"
#include "csv/transactions_writer.h"
#include "personae/import.h"

typedef struct {
  const pe_column_map *map;
  int expected_fields; /* the header's field count (or the first row's) */
  pe_date_order dates;
  pe_name_codes *categories; /* names -> codes; NULL: categories are numbers */
} pe_row_rules;

typedef struct {
  pe_import_skip_reason reason;
  char detail[160]; /* "column 'InvoiceDate': '2011-13-01' is not a date" */
} pe_row_problem;

typedef enum { PE_ROW_OK, PE_ROW_SKIPPED, PE_ROW_NOMEM } pe_row_result;

/* Converts `rec`. The checks run in a fixed order (field count, customer,
 * then the other columns) so a row with several problems always reports the
 * same one. A category name gets its code only when the whole row is good,
 * so the names table holds no name without rows. Without an order column
 * `tx->order_id` is left for the caller to fill. */
pe_row_result pe_row_convert(const pe_row_rules *rules, const pe_record *rec, pe_transaction *tx,
                             pe_row_problem *problem);

#endif
