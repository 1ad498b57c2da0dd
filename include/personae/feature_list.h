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
 * - evidence: for a share, the count of observations behind it (its
 *   denominator: the customer's purchases, orders, sessions or sessions with
 *   cart adds); the share is shrunk towards the mean by that count
 *   (docs/features.md, "Scaling"). */
#ifndef PERSONAE_FEATURE_LIST_H
#define PERSONAE_FEATURE_LIST_H

#define PE_FEATURE_MAP(X)                                                                     \
  X(PE_FEAT_RECENCY_DAYS, "recency_days", PE_SCALE_LINEAR, 0, PE_MISSING_NEUTRAL,             \
    PE_EVIDENCE_NONE, "days since the last purchase")                                          \
  X(PE_FEAT_FREQUENCY, "frequency", PE_SCALE_LOG1P, 0, PE_MISSING_ZERO, PE_EVIDENCE_NONE,      \
    "orders")                                                                                 \
  X(PE_FEAT_MONETARY, "monetary", PE_SCALE_LOG1P, 0, PE_MISSING_ZERO, PE_EVIDENCE_NONE,        \
    "net revenue")                                                                            \
  X(PE_FEAT_AOV, "aov", PE_SCALE_LOG1P, 0, PE_MISSING_NEUTRAL, PE_EVIDENCE_NONE,               \
    "average order value")                                                                    \
  X(PE_FEAT_TENURE_DAYS, "tenure_days", PE_SCALE_LINEAR, 0, PE_MISSING_NEUTRAL,               \
    PE_EVIDENCE_NONE, "days from first to last purchase")                                      \
  X(PE_FEAT_DISCOUNT_SHARE, "discount_share", PE_SCALE_LINEAR, 0, PE_MISSING_NEUTRAL,         \
    PE_EVIDENCE_PURCHASES, "share of orders with a discount")                                     \
  X(PE_FEAT_RETURN_RATE, "return_rate", PE_SCALE_LINEAR, 0, PE_MISSING_NEUTRAL,               \
    PE_EVIDENCE_ORDERS, "share of orders with a return")                                       \
  X(PE_FEAT_CATEGORIES, "categories", PE_SCALE_LOG1P, 0, PE_MISSING_NEUTRAL, PE_EVIDENCE_NONE, \
    "distinct categories bought")                                                             \
  X(PE_FEAT_HOLIDAY_SHARE, "holiday_share", PE_SCALE_LINEAR, 0, PE_MISSING_NEUTRAL,           \
    PE_EVIDENCE_PURCHASES, "share of orders in Nov-Dec")                                          \
  X(PE_FEAT_SESSIONS, "sessions", PE_SCALE_LOG1P, 1, PE_MISSING_NEUTRAL, PE_EVIDENCE_NONE,     \
    "web sessions")                                                                           \
  X(PE_FEAT_PAGES_PER_SESSION, "pages_per_session", PE_SCALE_LOG1P, 1, PE_MISSING_NEUTRAL,    \
    PE_EVIDENCE_NONE, "pages per session")                                                     \
  X(PE_FEAT_BOUNCE_RATE, "bounce_rate", PE_SCALE_LINEAR, 1, PE_MISSING_NEUTRAL,               \
    PE_EVIDENCE_SESSIONS, "share of one-page sessions")                                           \
  X(PE_FEAT_CART_ADDS, "cart_adds", PE_SCALE_LOG1P, 1, PE_MISSING_NEUTRAL, PE_EVIDENCE_NONE,   \
    "items added to cart")                                                                    \
  X(PE_FEAT_CART_ABANDONMENT, "cart_abandonment", PE_SCALE_LINEAR, 1, PE_MISSING_NEUTRAL,     \
    PE_EVIDENCE_CART_SESSIONS, "share of cart sessions without a purchase")                           \
  X(PE_FEAT_TIME_TO_PURCHASE_S, "time_to_purchase_s", PE_SCALE_LOG1P, 1, PE_MISSING_NEUTRAL,  \
    PE_EVIDENCE_NONE, "seconds from session start to purchase")

typedef enum { PE_SCALE_LINEAR, PE_SCALE_LOG1P } pe_feature_scaling;

typedef enum { PE_MISSING_NEUTRAL, PE_MISSING_ZERO } pe_feature_missing;

/* The denominators that back a share. */
typedef enum {
  PE_EVIDENCE_NONE,
  PE_EVIDENCE_PURCHASES,
  PE_EVIDENCE_ORDERS,
  PE_EVIDENCE_SESSIONS,
  PE_EVIDENCE_CART_SESSIONS
} pe_feature_evidence_kind;

typedef enum {
#define PE__FEATURE_ENUM(name, key, scaling, needs_sessions, missing, evidence, text) name,
  PE_FEATURE_MAP(PE__FEATURE_ENUM)
#undef PE__FEATURE_ENUM
  PE_FEATURE_COUNT
} pe_feature;

#endif
