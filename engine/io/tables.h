/* The input tables of docs/format.md as column specs, one place for all
 * readers. Column indices are fixed by the enums. */
#ifndef PE_IO_TABLES_H
#define PE_IO_TABLES_H

#include "io/h5.h"

enum {
  PE_TX_CUSTOMER_ID,
  PE_TX_ORDER_ID,
  PE_TX_TIMESTAMP,
  PE_TX_AMOUNT,
  PE_TX_DISCOUNT, /* optional */
  PE_TX_CATEGORY, /* optional */
  PE_TX_COLUMN_COUNT
};
enum {
  PE_SESSION_CUSTOMER_ID,
  PE_SESSION_TIMESTAMP,
  PE_SESSION_PAGEVIEWS,
  PE_SESSION_DURATION_S,
  PE_SESSION_CART_ADDS,
  PE_SESSION_PURCHASED,
  PE_SESSION_COLUMN_COUNT
};
enum {
  PE_CUSTOMER_CUSTOMER_ID,
  PE_CUSTOMER_AGE,
  PE_CUSTOMER_GENDER,
  PE_CUSTOMER_INCOME,
  PE_CUSTOMER_REGION,
  PE_CUSTOMER_COLUMN_COUNT
};

extern const pe_column_spec pe_transactions_spec[PE_TX_COLUMN_COUNT];
extern const pe_column_spec pe_sessions_spec[PE_SESSION_COLUMN_COUNT];
extern const pe_column_spec pe_customers_spec[PE_CUSTOMER_COLUMN_COUNT];

/* Largest |amount| taken for a price: 1e15 of any currency. Beyond it a value
 * is a unit or parsing error, and sums of such values overflow to infinity
 * (in the float32 feature matrix from 3.4e38 on, in double from 1.8e308). */
#define PE_MAX_ABS_AMOUNT 1e15

/* 1 when `amount` is a usable price: finite and within PE_MAX_ABS_AMOUNT. */
static inline int pe_amount_ok(double amount) {
  return amount <= PE_MAX_ABS_AMOUNT && amount >= -PE_MAX_ABS_AMOUNT;
}

/* The data error for row `row` of /transactions/amount when !pe_amount_ok. */
pe_status pe_amount_error(const char *file, int64_t row, double amount);

#endif
