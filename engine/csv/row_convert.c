/* Row conversion: every field of a row is checked before any of it is kept. */
#include <stdio.h>

#include "csv/date_parse.h"
#include "csv/field_parse.h"
#include "csv/row_convert.h"
#include "io/tables.h"

/* The first `max` bytes of a field for a message: control and NUL bytes as
 * \xNN, so that what made the field bad is visible (a NUL would otherwise
 * end the text there) and the message stays one line. Returns 1 when the
 * field was cut short (by `max` or by the room in `out`). */
static int quote_field(const char *s, size_t len, size_t max, char *out, size_t size) {
  size_t o = 0, i = 0;
  for (; i < len && i < max && o + 5 < size; i++) {
    const unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7f)
      o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
    else
      out[o++] = (char)c;
  }
  out[o] = '\0';
  return i < len;
}

static pe_row_result skip(pe_row_problem *pr, pe_import_skip_reason reason,
                          const pe_column_map *map, pe_col_role role, const pe_record *rec,
                          const char *what) {
  pr->reason = reason;
  int i = map->index[role];
  /* 40 bytes keep a runaway field (an unclosed quote) from filling the line. */
  char shown[64];
  const int cut = quote_field(rec->field[i], rec->len[i], 40, shown, sizeof shown);
  snprintf(pr->detail, sizeof pr->detail, "column '%.40s': '%s'%s is not %s", map->name[role],
           shown, cut ? "..." : "", what);
  return PE_ROW_SKIPPED;
}

static void trim(const char **s, size_t *len) {
  while (*len && (**s == ' ' || **s == '\t')) (*s)++, (*len)--;
  while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r'))
    (*len)--;
}

pe_row_result pe_row_convert(const pe_row_rules *rules, const pe_record *rec, pe_transaction *tx,
                             pe_row_problem *pr) {
  const pe_column_map *m = rules->map;
  const int *ix = m->index;
  if (rec->unclosed_quote) {
    pr->reason = PE_SKIP_UNCLOSED_QUOTE;
    snprintf(pr->detail, sizeof pr->detail,
             "a quoted field opened here is never closed; the rest of the file was read into it");
    return PE_ROW_SKIPPED;
  }
  if (rec->nfields != rules->expected_fields) {
    pr->reason = PE_SKIP_FIELD_COUNT;
    snprintf(pr->detail, sizeof pr->detail, "%d fields, expected %d", rec->nfields,
             rules->expected_fields);
    return PE_ROW_SKIPPED;
  }
#define FIELD(role) rec->field[ix[role]], rec->len[ix[role]]
  if (pe_field_is_blank(FIELD(PE_COL_CUSTOMER))) {
    /* Common (a quarter of Online Retail) and never listed: no detail text. */
    pr->reason = PE_SKIP_MISSING_CUSTOMER;
    pr->detail[0] = '\0';
    return PE_ROW_SKIPPED;
  }
  if (pe_parse_id(FIELD(PE_COL_CUSTOMER), &tx->customer_id))
    return skip(pr, PE_SKIP_BAD_CUSTOMER, m, PE_COL_CUSTOMER, rec, "an integer id");
  if (ix[PE_COL_ORDER] >= 0) {
    int prefixed;
    if (pe_parse_order_id(FIELD(PE_COL_ORDER), &tx->order_id, &prefixed))
      return skip(pr, PE_SKIP_BAD_ORDER, m, PE_COL_ORDER, rec, "an order number");
  }
  if (pe_parse_timestamp(FIELD(PE_COL_TIME), rules->dates, &tx->timestamp))
    return skip(pr, PE_SKIP_BAD_TIME, m, PE_COL_TIME, rec, "a date");
  if (ix[PE_COL_AMOUNT] >= 0) {
    if (pe_parse_number(FIELD(PE_COL_AMOUNT), &tx->amount))
      return skip(pr, PE_SKIP_BAD_AMOUNT, m, PE_COL_AMOUNT, rec, "a number");
    if (!pe_amount_ok(tx->amount))
      return skip(pr, PE_SKIP_BAD_AMOUNT, m, PE_COL_AMOUNT, rec, "an amount within +-1e15");
  } else {
    double q, p;
    if (pe_parse_number(FIELD(PE_COL_QUANTITY), &q))
      return skip(pr, PE_SKIP_BAD_QUANTITY, m, PE_COL_QUANTITY, rec, "a number");
    if (pe_parse_number(FIELD(PE_COL_PRICE), &p))
      return skip(pr, PE_SKIP_BAD_PRICE, m, PE_COL_PRICE, rec, "a number");
    tx->amount = q * p;
    if (!pe_amount_ok(tx->amount))
      return skip(pr, PE_SKIP_BAD_AMOUNT, m, PE_COL_PRICE, rec,
                  "a price whose line amount (quantity x price) is within +-1e15");
  }
  double discount = 0.0;
  if (ix[PE_COL_DISCOUNT] >= 0 && !pe_field_is_blank(FIELD(PE_COL_DISCOUNT)) &&
      pe_parse_discount(FIELD(PE_COL_DISCOUNT), &discount))
    return skip(pr, PE_SKIP_BAD_DISCOUNT, m, PE_COL_DISCOUNT, rec, "a discount (0..1 or N%)");
  tx->discount = (float)discount;
  tx->category = -1;
  if (ix[PE_COL_CATEGORY] >= 0 && !pe_field_is_blank(FIELD(PE_COL_CATEGORY))) {
    if (!rules->categories) {
      if (pe_parse_i32(FIELD(PE_COL_CATEGORY), &tx->category))
        return skip(pr, PE_SKIP_BAD_CATEGORY, m, PE_COL_CATEGORY, rec, "an int32 category");
    } else {
      const char *s = rec->field[ix[PE_COL_CATEGORY]];
      size_t len = rec->len[ix[PE_COL_CATEGORY]];
      trim(&s, &len);
      if (pe_name_codes_get(rules->categories, s, len, &tx->category)) return PE_ROW_NOMEM;
    }
  }
#undef FIELD
  return PE_ROW_OK;
}
