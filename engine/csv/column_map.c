/* Column resolution: by exact header name, by a loose match of the name, by
 * 1-based number, or (when the user names nothing) from a table of the names
 * common exports use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "csv/column_map.h"

typedef struct {
  const char *option; /* the CLI option, for messages */
  const char *field;  /* the /transactions/ field it feeds, for the summary */
  /* Normalised names (lower case, letters and digits only), best first. */
  const char *aliases[10];
} role_info;

static const role_info roles[PE_COL_COUNT] = {
    [PE_COL_CUSTOMER] = {"customer-col",
                         "customer_id",
                         {"customerid", "customer", "custid", "clientid", "userid", "memberid",
                          "buyerid", "shopperid"}},
    [PE_COL_TIME] = {"time-col",
                     "timestamp",
                     {"timestamp", "invoicedate", "orderdate", "transactiondate", "purchasedate",
                      "datetime", "date", "time", "createdat"}},
    [PE_COL_AMOUNT] = {"amount-col",
                       "amount",
                       {"amount", "totalamount", "dollarvalue", "revenue", "sales", "linetotal",
                        "total"}},
    [PE_COL_QUANTITY] = {"quantity-col", "quantity", {"quantity", "qty", "units"}},
    [PE_COL_PRICE] = {"price-col", "price", {"unitprice", "price", "itemprice"}},
    [PE_COL_ORDER] = {"order-col",
                      "order_id",
                      {"orderid", "invoiceno", "invoice", "invoiceid", "ordernumber", "orderno",
                       "order", "transactionid"}},
    [PE_COL_DISCOUNT] = {"discount-col", "discount", {"discount", "discountrate"}},
    [PE_COL_CATEGORY] = {"category-col", "category", {"category", "categoryid", "productcategory"}},
};

const char *pe_col_role_option(pe_col_role role) { return roles[role].option; }

static void normalise(const char *s, char *out, size_t size) {
  size_t n = 0;
  for (; *s && n + 1 < size; s++) {
    char c = *s;
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out[n++] = c;
  }
  out[n] = '\0';
}

/* Exact name first, then the loose match; -1 if neither. */
static int find_name(const pe_record *header, const char *want) {
  for (int i = 0; i < header->nfields; i++)
    if (strcmp(header->field[i], want) == 0) return i;
  char w[128], h[128];
  normalise(want, w, sizeof w);
  if (!w[0]) return -1;
  for (int i = 0; i < header->nfields; i++) {
    normalise(header->field[i], h, sizeof h);
    if (strcmp(h, w) == 0) return i;
  }
  return -1;
}

static int find_alias(const pe_record *header, pe_col_role role) {
  char h[128];
  for (const char *const *a = roles[role].aliases; *a; a++)
    for (int i = 0; i < header->nfields; i++) {
      normalise(header->field[i], h, sizeof h);
      if (strcmp(h, *a) == 0) return i;
    }
  return -1;
}

static void list_header(const pe_record *header, char *buf, size_t size) {
  size_t n = 0;
  buf[0] = '\0';
  for (int i = 0; i < header->nfields && n + 1 < size; i++) {
    int w = snprintf(buf + n, size - n, "%s'%s'", i ? ", " : "", header->field[i]);
    if (w < 0) break;
    n += (size_t)w;
  }
  if (n >= size && size > 4) memcpy(buf + size - 4, "...", 4);
}

static int all_digits(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

/* A role the user named: by header name, else by number. */
static pe_status resolve_named(const char *file, const pe_record *header, int nfields,
                               pe_col_role role, const char *want, pe_column_map *map) {
  int idx = header ? find_name(header, want) : -1;
  if (idx < 0 && all_digits(want)) {
    long n = strlen(want) > 6 ? -1 : atol(want);
    PE_FAIL_IF(n < 1 || n > nfields, PE_ERR_USAGE,
               "%s: --%s %s: the file has %d columns (numbers start at 1)", file,
               roles[role].option, want, nfields);
    idx = (int)n - 1;
  }
  if (idx < 0) {
    PE_FAIL_IF(!header, PE_ERR_USAGE,
               "%s: --%s '%s': without a header row columns are chosen by "
               "number (1 = first)",
               file, roles[role].option, want);
    char names[600];
    list_header(header, names, sizeof names);
    return pe__fail(PE_ERR_USAGE, "%s: no column named '%s' (--%s); the header has: %s", file, want,
                    roles[role].option, names);
  }
  map->index[role] = idx;
  return PE_OK;
}

/* Resolves `role`; a role the user did not name is looked up by alias.
 * `required` roles that stay unresolved fail with `why`. */
static pe_status resolve(const char *file, const pe_record *header, int nfields, pe_col_role role,
                         const char *want, int required, pe_column_map *map) {
  map->index[role] = -1;
  if (want) return resolve_named(file, header, nfields, role, want, map);
  if (header) map->index[role] = find_alias(header, role);
  if (map->index[role] >= 0 || !required) return PE_OK;
  PE_FAIL_IF(!header, PE_ERR_USAGE, "%s: with --no-header, give --%s as a column number", file,
             roles[role].option);
  char names[600];
  list_header(header, names, sizeof names);
  return pe__fail(PE_ERR_USAGE,
                  "%s: cannot tell which column holds the %s; name it with "
                  "--%s. The header has: %s",
                  file, roles[role].field, roles[role].option, names);
}

static pe_status resolve_amount(const char *file, const pe_record *header, int nfields,
                                const pe_import_params *p, pe_column_map *map) {
  map->index[PE_COL_AMOUNT] = map->index[PE_COL_QUANTITY] = map->index[PE_COL_PRICE] = -1;
  PE_FAIL_IF(p->amount_col && (p->quantity_col || p->price_col), PE_ERR_USAGE,
             "give either --amount-col, or --quantity-col with --price-col, not both");
  if (p->amount_col) return resolve(file, header, nfields, PE_COL_AMOUNT, p->amount_col, 1, map);
  if (!p->quantity_col && !p->price_col) {
    PE_FORWARD(resolve(file, header, nfields, PE_COL_AMOUNT, NULL, 0, map));
    if (map->index[PE_COL_AMOUNT] >= 0) return PE_OK;
    PE_FORWARD(resolve(file, header, nfields, PE_COL_QUANTITY, NULL, 0, map));
    PE_FORWARD(resolve(file, header, nfields, PE_COL_PRICE, NULL, 0, map));
    if (map->index[PE_COL_QUANTITY] >= 0 && map->index[PE_COL_PRICE] >= 0) return PE_OK;
    PE_FAIL_IF(!header, PE_ERR_USAGE,
               "%s: with --no-header, give --amount-col (or --quantity-col and "
               "--price-col) as "
               "column numbers",
               file);
    char names[600];
    list_header(header, names, sizeof names);
    return pe__fail(PE_ERR_USAGE,
                    "%s: cannot tell which column holds the amount; name it "
                    "with --amount-col, or "
                    "--quantity-col and --price-col. The header has: %s",
                    file, names);
  }
  PE_FORWARD(resolve(file, header, nfields, PE_COL_QUANTITY, p->quantity_col, 1, map));
  return resolve(file, header, nfields, PE_COL_PRICE, p->price_col, 1, map);
}

pe_status pe_column_map_resolve(const char *file, const pe_record *header, int nfields,
                                const pe_import_params *p, pe_column_map *map) {
  memset(map, 0, sizeof *map);
  PE_FORWARD(resolve(file, header, nfields, PE_COL_CUSTOMER, p->customer_col, 1, map));
  PE_FORWARD(resolve(file, header, nfields, PE_COL_TIME, p->time_col, 1, map));
  PE_FORWARD(resolve_amount(file, header, nfields, p, map));
  PE_FORWARD(resolve(file, header, nfields, PE_COL_ORDER, p->order_col, 0, map));
  PE_FORWARD(resolve(file, header, nfields, PE_COL_DISCOUNT, p->discount_col, 0, map));
  PE_FORWARD(resolve(file, header, nfields, PE_COL_CATEGORY, p->category_col, 0, map));
  for (int r = 0; r < PE_COL_COUNT; r++) {
    int i = map->index[r];
    if (i < 0) continue;
    if (header)
      snprintf(map->name[r], sizeof map->name[r], "%s", header->field[i]);
    else
      snprintf(map->name[r], sizeof map->name[r], "column %d", i + 1);
  }
  return PE_OK;
}

void pe_column_map_describe(const pe_column_map *map, char *buf, size_t size) {
  size_t n = 0;
  buf[0] = '\0';
#define PE__APPEND(...)                                              \
  do {                                                               \
    int w = n < size ? snprintf(buf + n, size - n, __VA_ARGS__) : 0; \
    if (w > 0) n += (size_t)w;                                       \
  } while (0)
  PE__APPEND("customer_id=%s timestamp=%s", map->name[PE_COL_CUSTOMER], map->name[PE_COL_TIME]);
  if (map->index[PE_COL_AMOUNT] >= 0)
    PE__APPEND(" amount=%s", map->name[PE_COL_AMOUNT]);
  else
    PE__APPEND(" amount=%s*%s", map->name[PE_COL_QUANTITY], map->name[PE_COL_PRICE]);
  PE__APPEND(" order_id=%s",
             map->index[PE_COL_ORDER] >= 0 ? map->name[PE_COL_ORDER] : "(row number)");
  if (map->index[PE_COL_DISCOUNT] >= 0) PE__APPEND(" discount=%s", map->name[PE_COL_DISCOUNT]);
  if (map->index[PE_COL_CATEGORY] >= 0) PE__APPEND(" category=%s", map->name[PE_COL_CATEGORY]);
#undef PE__APPEND
}
