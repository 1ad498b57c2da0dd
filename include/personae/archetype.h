/* Shopper archetypes: the behaviour patterns personae plants in synthetic
 * data (`personae generate`) and recognises in clusters (`personae describe`). */
#ifndef PERSONAE_ARCHETYPE_H
#define PERSONAE_ARCHETYPE_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(enum name, stable key used in files and JSON, human label). The order and
 * the keys are part of the file format (/truth/archetype, /personas): append
 * only. */
#define PE_ARCHETYPE_MAP(X)                                          \
  X(PE_ARCH_BOUNCER, "bouncer", "Bouncer")                           \
  X(PE_ARCH_PASSIVE_BROWSER, "passive_browser", "Passive browser")   \
  X(PE_ARCH_CART_ABANDONER, "cart_abandoner", "Cart abandoner")      \
  X(PE_ARCH_FIRST_TIME_LOW_AOV, "first_time_low_aov", "First-time buyer (low order value)") \
  X(PE_ARCH_FIRST_TIME_HIGH_AOV, "first_time_high_aov", "First-time buyer (high order value)") \
  X(PE_ARCH_REPEAT_BUYER, "repeat_buyer", "Repeat buyer")            \
  X(PE_ARCH_DISCOUNT_HUNTER, "discount_hunter", "Discount hunter")   \
  X(PE_ARCH_IMPULSE_BUYER, "impulse_buyer", "Impulse buyer")         \
  X(PE_ARCH_HOLIDAY_SHOPPER, "holiday_shopper", "Holiday shopper")   \
  X(PE_ARCH_LAPSED_BUYER, "lapsed_buyer", "Lapsed buyer")

typedef enum {
#define PE__ARCH_ENUM(name, key, label) name,
  PE_ARCHETYPE_MAP(PE__ARCH_ENUM)
#undef PE__ARCH_ENUM
  PE_ARCHETYPE_COUNT
} pe_archetype;

/* "discount_hunter"; NULL for an out-of-range value. */
const char *pe_archetype_key(pe_archetype a);
/* "Discount hunter"; NULL for an out-of-range value. */
const char *pe_archetype_label(pe_archetype a);

#ifdef __cplusplus
}
#endif
#endif
