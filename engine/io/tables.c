#include "io/tables.h"

#include <math.h>

#include "core/error.h"

pe_status pe_amount_error(const char *file, int64_t row, double amount) {
  if (isnan(amount))
    return pe__fail(PE_ERR_DATA, "%s: /transactions/amount: row %lld is NaN", file, (long long)row);
  if (isinf(amount))
    return pe__fail(PE_ERR_DATA, "%s: /transactions/amount: row %lld is infinite", file,
                    (long long)row);
  return pe__fail(PE_ERR_DATA,
                  "%s: /transactions/amount: row %lld is %g, beyond +-1e15 (not a price: a unit "
                  "or parsing error?)",
                  file, (long long)row, amount);
}

const pe_column_spec pe_transactions_spec[PE_TX_COLUMN_COUNT] = {
    [PE_TX_CUSTOMER_ID] = {"customer_id", PE_I64, 1}, [PE_TX_ORDER_ID] = {"order_id", PE_I64, 1},
    [PE_TX_TIMESTAMP] = {"timestamp", PE_I64, 1},     [PE_TX_AMOUNT] = {"amount", PE_F64, 1},
    [PE_TX_DISCOUNT] = {"discount", PE_F32, 0},       [PE_TX_CATEGORY] = {"category", PE_I32, 0},
};

const pe_column_spec pe_sessions_spec[PE_SESSION_COLUMN_COUNT] = {
    [PE_SESSION_CUSTOMER_ID] = {"customer_id", PE_I64, 1},
    [PE_SESSION_TIMESTAMP] = {"timestamp", PE_I64, 1},
    [PE_SESSION_PAGEVIEWS] = {"pageviews", PE_I32, 1},
    [PE_SESSION_DURATION_S] = {"duration_s", PE_F32, 1},
    [PE_SESSION_CART_ADDS] = {"cart_adds", PE_I32, 1},
    [PE_SESSION_PURCHASED] = {"purchased", PE_U8, 1},
};

const pe_column_spec pe_customers_spec[PE_CUSTOMER_COLUMN_COUNT] = {
    [PE_CUSTOMER_CUSTOMER_ID] = {"customer_id", PE_I64, 1},
    [PE_CUSTOMER_AGE] = {"age", PE_I16, 0},
    [PE_CUSTOMER_GENDER] = {"gender", PE_I8, 0},
    [PE_CUSTOMER_INCOME] = {"income", PE_F32, 0},
    [PE_CUSTOMER_REGION] = {"region", PE_I32, 0},
};
