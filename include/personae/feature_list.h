/* The per-customer behaviour features (docs/features.md has each formula and
 * its value for a customer with no orders or no sessions).
 *
 * X(enum name, stable key used in files and JSON, transform, needs sessions,
 *   missing, evidence, plain-words description).
 * - The keys are part of the file format (/features names): append only.
 * - transform: LOG1P for heavy-tailed counts and money, LINEAR for shares,
 *   rates and the bounded day counts (recency and tenure cannot exceed the
 *   period).
 * - missing: what a customer without a value of their own (has_value 0)
 *   counts as when scaling. ZERO: the fill-in 0 is a true value (orders and
 *   revenue: /transactions is the complete record of purchases). NEUTRAL:
 *   unknown (a share of orders for someone who never ordered, anything from
 *   sessions for a customer not in /sessions), scaled to 0 = the mean.
 * - evidence: for a share, the feature that counts the observations behind
 *   it (the customer's purchases, sessions, cart adds); the share is shrunk
 *   towards the mean by that count (docs/features.md, "Scaling"). */
#ifndef PERSONAE_FEATURE_LIST_H
#define PERSONAE_FEATURE_LIST_H

#define PE_FEATURE_MAP(X)                                                                     \
  X(PE_FEAT_RECENCY_DAYS, "recency_days", PE_SCALE_LINEAR, 0, PE_MISSING_NEUTRAL,             \
    PE_FEATURE_NONE, "days since the last purchase")                                          \
  X(PE_FEAT_FREQUENCY, "frequency", PE_SCALE_LOG1P, 0, PE_MISSING_ZERO, PE_FEATURE_NONE,      \
    "orders")                                                                                 \
  X(PE_FEAT_MONETARY, "monetary", PE_SCALE_LOG1P, 0, PE_MISSING_ZERO, PE_FEATURE_NONE,        \
    "net revenue")                                                                            \
  X(PE_FEAT_AOV, "aov", PE_SCALE_LOG1P, 0, PE_MISSING_NEUTRAL, PE_FEATURE_NONE,               \
    "average order value")                                                                    \
  X(PE_FEAT_TENURE_DAYS, "tenure_days", PE_SCALE_LINEAR, 0, PE_MISSING_NEUTRAL,               \
    PE_FEATURE_NONE, "days from first to last purchase")                                      \
  X(PE_FEAT_DISCOUNT_SHARE, "discount_share", PE_SCALE_LINEAR, 0, PE_MISSING_NEUTRAL,         \
    PE_FEAT_FREQUENCY, "share of orders with a discount")                                     \
  X(PE_FEAT_RETURN_RATE, "return_rate", PE_SCALE_LINEAR, 0, PE_MISSING_NEUTRAL,               \
    PE_FEAT_FREQUENCY, "share of orders with a return")                                       \
  X(PE_FEAT_CATEGORIES, "categories", PE_SCALE_LOG1P, 0, PE_MISSING_NEUTRAL, PE_FEATURE_NONE, \
    "distinct categories bought")                                                             \
  X(PE_FEAT_HOLIDAY_SHARE, "holiday_share", PE_SCALE_LINEAR, 0, PE_MISSING_NEUTRAL,           \
    PE_FEAT_FREQUENCY, "share of orders in Nov-Dec")                                          \
  X(PE_FEAT_SESSIONS, "sessions", PE_SCALE_LOG1P, 1, PE_MISSING_NEUTRAL, PE_FEATURE_NONE,     \
    "web sessions")                                                                           \
  X(PE_FEAT_PAGES_PER_SESSION, "pages_per_session", PE_SCALE_LOG1P, 1, PE_MISSING_NEUTRAL,    \
    PE_FEATURE_NONE, "pages per session")                                                     \
  X(PE_FEAT_BOUNCE_RATE, "bounce_rate", PE_SCALE_LINEAR, 1, PE_MISSING_NEUTRAL,               \
    PE_FEAT_SESSIONS, "share of one-page sessions")                                           \
  X(PE_FEAT_CART_ADDS, "cart_adds", PE_SCALE_LOG1P, 1, PE_MISSING_NEUTRAL, PE_FEATURE_NONE,   \
    "items added to cart")                                                                    \
  X(PE_FEAT_CART_ABANDONMENT, "cart_abandonment", PE_SCALE_LINEAR, 1, PE_MISSING_NEUTRAL,     \
    PE_FEAT_CART_ADDS, "share of cart sessions without a purchase")                           \
  X(PE_FEAT_TIME_TO_PURCHASE_S, "time_to_purchase_s", PE_SCALE_LOG1P, 1, PE_MISSING_NEUTRAL,  \
    PE_FEATURE_NONE, "seconds from session start to purchase")

typedef enum { PE_SCALE_LINEAR, PE_SCALE_LOG1P } pe_feature_scaling;

typedef enum { PE_MISSING_NEUTRAL, PE_MISSING_ZERO } pe_feature_missing;

typedef enum {
#define PE__FEATURE_ENUM(name, key, scaling, needs_sessions, missing, evidence, text) name,
  PE_FEATURE_MAP(PE__FEATURE_ENUM)
#undef PE__FEATURE_ENUM
  PE_FEATURE_COUNT
} pe_feature;

/* "No feature" (a share without an evidence count). */
#define PE_FEATURE_NONE ((pe_feature)-1)

#endif
