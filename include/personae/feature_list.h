/* The per-customer behaviour features (docs/features.md has each formula and
 * its value for a customer with no orders or no sessions).
 *
 * X(enum name, stable key used in files and JSON, scaling, needs sessions,
 *   plain-words description). The keys are part of the file format (/features
 *   names): append only. Scaling: LOG1P for heavy-tailed counts and money,
 *   LINEAR for shares and rates; both then robust-standardised. */
#ifndef PERSONAE_FEATURE_LIST_H
#define PERSONAE_FEATURE_LIST_H

#define PE_FEATURE_MAP(X)                                                                    \
  X(PE_FEAT_RECENCY_DAYS, "recency_days", PE_SCALE_LOG1P, 0, "days since the last purchase") \
  X(PE_FEAT_FREQUENCY, "frequency", PE_SCALE_LOG1P, 0, "orders")                             \
  X(PE_FEAT_MONETARY, "monetary", PE_SCALE_LOG1P, 0, "net revenue")                          \
  X(PE_FEAT_AOV, "aov", PE_SCALE_LOG1P, 0, "average order value")                            \
  X(PE_FEAT_TENURE_DAYS, "tenure_days", PE_SCALE_LOG1P, 0, "days from first to last purchase") \
  X(PE_FEAT_DISCOUNT_SHARE, "discount_share", PE_SCALE_LINEAR, 0, "share of orders with a discount") \
  X(PE_FEAT_RETURN_RATE, "return_rate", PE_SCALE_LINEAR, 0, "share of orders with a return")  \
  X(PE_FEAT_CATEGORIES, "categories", PE_SCALE_LOG1P, 0, "distinct categories bought")       \
  X(PE_FEAT_HOLIDAY_SHARE, "holiday_share", PE_SCALE_LINEAR, 0, "share of orders in Nov-Dec") \
  X(PE_FEAT_SESSIONS, "sessions", PE_SCALE_LOG1P, 1, "web sessions")                         \
  X(PE_FEAT_PAGES_PER_SESSION, "pages_per_session", PE_SCALE_LOG1P, 1, "pages per session") \
  X(PE_FEAT_BOUNCE_RATE, "bounce_rate", PE_SCALE_LINEAR, 1, "share of one-page sessions")    \
  X(PE_FEAT_CART_ADDS, "cart_adds", PE_SCALE_LOG1P, 1, "items added to cart")                \
  X(PE_FEAT_CART_ABANDONMENT, "cart_abandonment", PE_SCALE_LINEAR, 1,                         \
    "share of cart sessions without a purchase")                                             \
  X(PE_FEAT_TIME_TO_PURCHASE_S, "time_to_purchase_s", PE_SCALE_LOG1P, 1,                      \
    "seconds from session start to purchase")

typedef enum { PE_SCALE_LINEAR, PE_SCALE_LOG1P } pe_feature_scaling;

typedef enum {
#define PE__FEATURE_ENUM(name, key, scaling, needs_sessions, text) name,
  PE_FEATURE_MAP(PE__FEATURE_ENUM)
#undef PE__FEATURE_ENUM
  PE_FEATURE_COUNT
} pe_feature;

#endif
