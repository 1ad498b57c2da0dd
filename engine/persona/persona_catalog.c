/* The persona catalogue: for each archetype, alliterative names, a one-line
 * description, and the marketing playbook (docs/personas.md reproduces it).
 * One table, so that marketing can review and change it in one place. */
#include "persona/persona_internal.h"

enum { MAX_ACTIONS = 5 };

typedef struct {
  const char *names[PE__NAMES_PER_ARCHETYPE];
  const char *description;
  const char *actions[MAX_ACTIONS]; /* NULL-terminated when fewer */
} persona_entry;

static const persona_entry catalog[PE_ARCHETYPE_COUNT] = {
    [PE_ARCH_BOUNCER] = {{"Bouncing Bella", "Bouncing Ben", "Bouncing Bo"},
                         "Lands on one page and leaves within seconds; has never bought.",
                         {"Speed up the landing pages these visitors arrive on",
                          "Tighten ad and search targeting: the traffic does not match the offer",
                          "Make the value proposition and the next click obvious above the fold"}},
    [PE_ARCH_PASSIVE_BROWSER] =
        {{"Window-Shopping Wendy", "Window-Shopping Walt", "Window-Shopping Willa"},
         "Comes back often and reads many pages, but has not bought yet.",
         {"Capture an e-mail address (newsletter, wish list, back-in-stock alerts)",
          "Retarget with the products and categories already viewed",
          "Offer guides, reviews and comparisons that help a decision",
          "A modest first-order incentive once the address is known"}},
    [PE_ARCH_CART_ABANDONER] =
        {{"Cart-Abandoning Carl", "Cart-Abandoning Cara", "Cart-Abandoning Cody"},
         "Puts items in the cart and leaves without paying.",
         {"Abandoned-cart e-mails within hours, with the cart's contents",
          "Free shipping (or show its cost before checkout)",
          "Guest checkout and fewer checkout steps",
          "Trust signals at checkout: returns policy, reviews, secure payment"}},
    [PE_ARCH_FIRST_TIME_LOW_AOV] = {{"First-Timer Fiona", "First-Timer Finn", "First-Timer Faye"},
                                    "Has placed one small order.",
                                    {"A welcome series that leads to a second order",
                                     "Recommendations that complement the first purchase",
                                     "A free-shipping threshold just above the first basket"}},
    [PE_ARCH_FIRST_TIME_HIGH_AOV] =
        {{"Big-Ticket Bianca", "Big-Ticket Boris", "Big-Ticket Bree"},
         "Has placed one large order.",
         {"Premium after-sales contact: delivery follow-up, setup help, care tips",
          "Exclusive access (early launches, events) rather than discounts",
          "Accessories and services that go with the purchase"}},
    [PE_ARCH_REPEAT_BUYER] =
        {{"Loyal Leo", "Loyal Lucy", "Loyal Lars"},
         "Orders again and again, recently and across categories.",
         {"Frictionless re-ordering: saved baskets, subscriptions, one-click buy",
          "Promotions on new categories and launches",
          "A loyalty programme with recognition, referrals and reviews"}},
    [PE_ARCH_DISCOUNT_HUNTER] = {{"Discount-Hunting Dana", "Discount-Hunting Dev",
                                  "Discount-Hunting Dora"},
                                 "Buys mostly when there is a discount.",
                                 {"Bundles and multi-buy offers instead of blanket discounts",
                                  "Free-shipping thresholds that raise the basket",
                                  "Loyalty points that reward full-price orders",
                                  "Watch margins and return rates of discounted orders"}},
    [PE_ARCH_IMPULSE_BUYER] = {{"Impulsive Ivy", "Impulsive Ike", "Impulsive Isla"},
                               "Decides fast: buys within minutes of arriving, after few pages.",
                               {"Scarcity and urgency cues (low stock, limited time)",
                                "Cross-sell and add-ons at checkout",
                                "Fast, mobile-first checkout with saved payment"}},
    [PE_ARCH_HOLIDAY_SHOPPER] =
        {{"Holiday Hannah", "Holiday Hugo", "Holiday Hazel"},
         "Shops mainly in November and December.",
         {"Start the gift campaign early: gift guides from October",
          "Gift wrapping, gift cards and guaranteed delivery dates",
          "A post-season reminder (birthdays, Valentine's Day) to shop off-season"}},
    [PE_ARCH_LAPSED_BUYER] = {{"Lapsed Larry", "Lapsed Lena", "Lapsed Lou"},
                              "Used to order regularly but has not come back for a long time.",
                              {"A win-back offer, personal and time-limited",
                               "Ask why they left (short survey) and show what is new",
                               "Suppress from expensive channels if they do not respond"}},
};

const char *pe__persona_name(pe_archetype a, int n) {
  if ((unsigned)a >= PE_ARCHETYPE_COUNT) return "Unnamed";
  return catalog[a].names[(unsigned)n % PE__NAMES_PER_ARCHETYPE];
}

const char *pe__persona_description(pe_archetype a) {
  return (unsigned)a < PE_ARCHETYPE_COUNT ? catalog[a].description : "";
}

const char *const *pe__persona_actions(pe_archetype a, int *count) {
  *count = 0;
  if ((unsigned)a >= PE_ARCHETYPE_COUNT) return NULL;
  while (*count < MAX_ACTIONS && catalog[a].actions[*count]) (*count)++;
  return catalog[a].actions;
}
