/* The persona report as Markdown: readable as plain text in a terminal and
 * rendered nicely wherever Markdown is. */
#include <stdio.h>

#include "persona/persona_internal.h"

static void archetype_label(const pe_persona *p, char *buf, size_t size) {
  if (p->qualifier[0])
    snprintf(buf, size, "%s, %s", pe_archetype_label(p->archetype), p->qualifier);
  else
    snprintf(buf, size, "%s", pe_archetype_label(p->archetype));
}

/* The three largest segments of a persona's RFM mix. */
static void rfm_mix_line(pe__strbuf *b, const pe_persona_report *r, const pe_persona *p) {
  int shown[3] = {-1, -1, -1};
  for (int t = 0; t < 3; t++) {
    for (int s = 0; s < r->rfm_segment_count; s++) {
      if (s == shown[0] || s == shown[1] || p->rfm_mix[s] == 0) continue;
      if (shown[t] < 0 || p->rfm_mix[s] > p->rfm_mix[shown[t]]) shown[t] = s;
    }
  }
  pe__sb_puts(b, "- **RFM mix:** ");
  for (int t = 0; t < 3 && shown[t] >= 0; t++) {
    pe__sb_puts(b, t ? ", " : "");
    pe__sb_markdown(b, r->rfm_segment_names[shown[t]]);
    pe__sb_printf(b, " %.0f%%",
                  p->customers ? 100.0 * (double)p->rfm_mix[shown[t]] / (double)p->customers : 0);
  }
  pe__sb_puts(b, "\n");
}

static void demographics_line(pe__strbuf *b, const pe_persona *p) {
  pe__sb_puts(b, "- **Demographics:** ");
  pe__sb_demographics(b, p, "most often aged", PE_PERSONA_TOP_REGIONS);
  pe__sb_puts(b, "\n");
}

pe_status pe_persona_report_markdown(const pe_persona_report *r, char **text) {
  pe__strbuf b = {0};
  char customers[32], revenue[32], label[96];
  pe__format_count(customers, sizeof customers, r->customers);
  pe__format_money(revenue, sizeof revenue, r->revenue);
  pe__sb_printf(&b, "# Personas\n\n%s customers, net revenue %s, %d personas%s.\n\n", customers,
                revenue, r->k,
                r->has_sessions ? ""
                                : " (no web sessions: session-based "
                                  "archetypes not offered)");
  pe__sb_printf(
      &b, "**Focus** (the fewest personas with >= %.0f%% of revenue): ", 100.0 * r->focus_share);
  int first = 1;
  for (int i = 0; i < r->k; i++)
    if (r->entries[i].pub.focus) {
      pe__sb_printf(&b, "%s%s", first ? "" : ", ", r->entries[i].pub.name);
      first = 0;
    }
  pe__sb_puts(&b, first ? "none (no positive revenue)\n\n" : "\n\n");
  pe__sb_puts(
      &b,
      "| # | Persona | Archetype | Customers | % customers | Revenue | % revenue | Focus |\n"
      "|---|---------|-----------|----------:|------------:|--------:|----------:|:-----:|\n");
  for (int i = 0; i < r->k; i++) {
    const pe_persona *p = &r->entries[i].pub;
    pe__format_count(customers, sizeof customers, p->customers);
    pe__format_money(revenue, sizeof revenue, p->revenue);
    archetype_label(p, label, sizeof label);
    pe__sb_printf(&b, "| %d | %s | %s | %s | %.1f%% | %s | %.1f%% | %s |\n", p->id, p->name, label,
                  customers, 100.0 * p->share_customers, revenue, 100.0 * p->share_revenue,
                  p->focus ? "yes" : "");
  }
  for (int i = 0; i < r->k; i++) {
    const pe_persona *p = &r->entries[i].pub;
    archetype_label(p, label, sizeof label);
    pe__format_count(customers, sizeof customers, p->customers);
    pe__format_money(revenue, sizeof revenue, p->revenue);
    pe__sb_printf(&b, "\n## %s — %s%s\n\n%s\n\n", p->name, label, p->focus ? " (focus)" : "",
                  p->description);
    pe__sb_printf(&b,
                  "- **Size:** %s customers (%.1f%%), revenue %s (%.1f%%); persona %d, "
                  "archetype fit %+.2f\n",
                  customers, 100.0 * p->share_customers, revenue, 100.0 * p->share_revenue, p->id,
                  p->match);
    pe__sb_puts(&b, "- **Traits:**\n");
    for (int t = 0; t < p->trait_count; t++) pe__sb_printf(&b, "  - %s\n", p->traits[t]);
    if (p->rfm_mix) rfm_mix_line(&b, r, p);
    if (p->has_demographics) demographics_line(&b, p);
    pe__sb_puts(&b, "- **Actions:**\n");
    for (int a = 0; a < p->action_count; a++) pe__sb_printf(&b, "  - %s\n", p->actions[a]);
  }
  return pe__sb_finish(&b, text);
}
