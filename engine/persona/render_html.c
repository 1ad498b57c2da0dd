/* The persona report as one self-contained HTML page: inline CSS and SVG
 * charts, no scripts and no external fetches, so that it can be mailed or
 * archived as a single file. */
#include <math.h>
#include <stdio.h>

#include "persona/persona_internal.h"

/* Colour of the persona in report position i (colour-blind-friendly order). */
static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759",
                                      "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
                                      "#9c755f", "#bab0ac", "#1f77b4", "#8c564b"};
enum { PALETTE = sizeof palette / sizeof palette[0] };

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "background:#f5f6f8;color:#1d2330}"
    "header{background:#1d2330;color:#fff;padding:24px 32px}header h1{margin:0 0 6px}"
    "header p{margin:0;opacity:.85}"
    "main{padding:16px 32px}section.charts{display:flex;flex-wrap:wrap;gap:16px}"
    ".panel{background:#fff;border-radius:10px;padding:16px;box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    ".panel h2{font-size:17px;margin:0 0 8px}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:16px;"
    "margin-top:16px}"
    ".persona{background:#fff;border-radius:10px;padding:16px;border-top:6px solid var(--c);"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    ".persona h3{margin:0;font-size:20px}.persona .archetype{margin:2px 0 8px;color:#555}"
    ".persona .desc{font-style:italic;margin:0 0 10px}"
    ".badge{display:inline-block;background:#d62728;color:#fff;border-radius:4px;padding:1px 7px;"
    "font-size:12px;margin-left:8px;vertical-align:middle}"
    ".sizes{display:flex;gap:12px;margin-bottom:8px}.sizes div{flex:1;background:#f0f2f5;"
    "border-radius:6px;padding:6px 8px}.sizes b{display:block;font-size:18px}"
    ".persona h4{margin:10px 0 4px;font-size:14px;text-transform:uppercase;color:#666}"
    ".persona ul{margin:0;padding-left:18px}.persona li{margin:2px 0}"
    "svg text{font-family:inherit}";

static void share_chart(pe__strbuf *b, const pe_persona_report *r) {
  const int row = 34, left = 190, width = 560, bar = 300;
  const int height = 40 + row * r->k;
  pe__sb_printf(b,
                "<svg id=\"share-chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                "role=\"img\" aria-label=\"share of customers vs share of revenue\">",
                width, height, width, height);
  pe__sb_printf(b,
                "<rect x=\"%d\" y=\"6\" width=\"12\" height=\"10\" fill=\"#9aa3b0\"/>"
                "<text x=\"%d\" y=\"15\" font-size=\"12\">share of customers</text>"
                "<rect x=\"%d\" y=\"6\" width=\"12\" height=\"10\" fill=\"#333\"/>"
                "<text x=\"%d\" y=\"15\" font-size=\"12\">share of revenue</text>",
                left, left + 16, left + 150, left + 166);
  double top = 0.01;
  for (int i = 0; i < r->k; i++) {
    const pe_persona *p = &r->entries[i].pub;
    if (p->share_customers > top) top = p->share_customers;
    if (p->share_revenue > top) top = p->share_revenue;
  }
  for (int i = 0; i < r->k; i++) {
    const pe_persona *p = &r->entries[i].pub;
    const int y = 28 + row * i;
    const double rev = p->share_revenue > 0 ? p->share_revenue : 0;
    pe__sb_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"end\">", left - 8,
                  y + 17);
    pe__sb_html(b, p->name);
    pe__sb_printf(b,
                  "</text><rect class=\"bar-customers\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
                  "height=\"12\" fill=\"%s\" opacity=\"0.55\"/>"
                  "<rect class=\"bar-revenue\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"12\" "
                  "fill=\"%s\"/>",
                  left, y + 2, bar * p->share_customers / top, palette[i % PALETTE], left, y + 15,
                  bar * rev / top, palette[i % PALETTE]);
    pe__sb_printf(b,
                  "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%.1f%%</text>"
                  "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" font-weight=\"bold\">%.1f%%</text>",
                  left + bar * p->share_customers / top + 4, y + 12, 100 * p->share_customers,
                  left + bar * rev / top + 4, y + 25, 100 * p->share_revenue);
  }
  pe__sb_puts(b, "</svg>");
}

/* The R x F grid of all customers with an RFM score: each cell shows how many
 * customers it holds, shaded by count and outlined in the colour of the
 * persona that dominates it. */
static void rf_grid(pe__strbuf *b, const pe_persona_report *r) {
  int64_t total[5][5] = {{0}}, top = 1;
  int owner[5][5];
  for (int rr = 0; rr < 5; rr++)
    for (int ff = 0; ff < 5; ff++) {
      owner[rr][ff] = -1;
      for (int i = 0; i < r->k; i++) {
        const int64_t v = r->entries[i].rf_grid[rr][ff];
        total[rr][ff] += v;
        if (v > 0 && (owner[rr][ff] < 0 || v > r->entries[owner[rr][ff]].rf_grid[rr][ff]))
          owner[rr][ff] = i;
      }
      if (total[rr][ff] > top) top = total[rr][ff];
    }
  const int cell = 64, left = 60, topy = 20;
  pe__sb_printf(b,
                "<svg id=\"rfm-grid\" width=\"%d\" height=\"%d\" role=\"img\" "
                "aria-label=\"RFM recency by frequency grid\">",
                left + 5 * cell + 10, topy + 5 * cell + 50);
  for (int rr = 0; rr < 5; rr++)
    for (int ff = 0; ff < 5; ff++) {
      /* Recency 5 (most recent) at the top, frequency 5 at the right. */
      const int x = left + ff * cell, y = topy + (4 - rr) * cell;
      const double shade = 0.08 + 0.85 * sqrt((double)total[rr][ff] / (double)top);
      const int o = owner[rr][ff];
      char count[32];
      pe__format_count(count, sizeof count, total[rr][ff]);
      pe__sb_printf(b,
                    "<rect class=\"rf-cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                    "fill=\"#1d2330\" fill-opacity=\"%.2f\" stroke=\"%s\" stroke-width=\"4\"/>",
                    x + 2, y + 2, cell - 4, cell - 4, shade,
                    o >= 0 ? palette[o % PALETTE] : "#ddd");
      pe__sb_printf(b,
                    "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
                    "fill=\"%s\">%s</text>",
                    x + cell / 2, y + cell / 2 + 4, shade > 0.45 ? "#fff" : "#000", count);
    }
  for (int i = 0; i < 5; i++) {
    pe__sb_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">R%d</text>",
                  left - 6, topy + (4 - i) * cell + cell / 2 + 4, i + 1);
    pe__sb_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">F%d</text>",
                  left + i * cell + cell / 2, topy + 5 * cell + 16, i + 1);
  }
  pe__sb_printf(b,
                "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">frequency "
                "score &#8594;  (outline: dominant persona)</text></svg>",
                left + 5 * cell / 2, topy + 5 * cell + 40);
}

/* A diverging bar per feature: the persona's standardised deviation from the
 * whole base, clipped to +-3. */
static void profile_chart(pe__strbuf *b, const pe_persona_report *r, int i) {
  const pe__persona_entry *e = &r->entries[i];
  int features = 0;
  for (int f = 0; f < PE_FEATURE_COUNT; f++) features += r->feature_present[f];
  const int row = 17, label = 130, half = 90, height = 10 + row * features;
  pe__sb_printf(b,
                "<svg class=\"profile\" width=\"%d\" height=\"%d\" role=\"img\" "
                "aria-label=\"trait profile\">",
                label + 2 * half + 10, height);
  pe__sb_printf(b, "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", label + half,
                label + half, height);
  int row_i = 0;
  for (int f = 0; f < PE_FEATURE_COUNT; f++) {
    if (!r->feature_present[f]) continue;
    double z = e->trait_z[f];
    if (z > 3) z = 3;
    if (z < -3) z = -3;
    const double w = fabs(z) / 3.0 * half;
    const int y = 4 + row * row_i++;
    pe__sb_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>",
                  label - 4, y + 10, pe__feature_key((pe_feature)f));
    pe__sb_printf(b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"12\" fill=\"%s\"/>",
                  z >= 0 ? label + half : label + half - w, y, w,
                  z >= 0 ? palette[i % PALETTE] : "#aab");
  }
  pe__sb_puts(b, "</svg>");
}

static void card(pe__strbuf *b, const pe_persona_report *r, int i) {
  const pe_persona *p = &r->entries[i].pub;
  char customers[32], revenue[32];
  pe__format_count(customers, sizeof customers, p->customers);
  pe__format_money(revenue, sizeof revenue, p->revenue);
  pe__sb_printf(b,
                "<article class=\"persona%s\" id=\"persona-%d\" data-archetype=\"%s\" "
                "style=\"--c:%s\"><h3>",
                p->focus ? " focus" : "", p->id, p->archetype_key, palette[i % PALETTE]);
  pe__sb_html(b, p->name);
  if (p->focus) pe__sb_puts(b, "<span class=\"badge\">focus</span>");
  pe__sb_puts(b, "</h3><p class=\"archetype\">");
  pe__sb_html(b, pe_archetype_label(p->archetype));
  if (p->qualifier[0]) {
    pe__sb_puts(b, ", ");
    pe__sb_html(b, p->qualifier);
  }
  pe__sb_puts(b, "</p><p class=\"desc\">");
  pe__sb_html(b, p->description);
  pe__sb_printf(b,
                "</p><div class=\"sizes\"><div><b>%s</b>customers (%.1f%%)</div>"
                "<div><b>%s</b>revenue (%.1f%%)</div></div>",
                customers, 100 * p->share_customers, revenue, 100 * p->share_revenue);
  pe__sb_puts(b, "<h4>Defining traits</h4><ul class=\"traits\">");
  for (int t = 0; t < p->trait_count; t++) {
    pe__sb_puts(b, "<li>");
    pe__sb_html(b, p->traits[t]);
    pe__sb_puts(b, "</li>");
  }
  pe__sb_puts(b, "</ul><h4>Trait profile (vs all customers)</h4>");
  profile_chart(b, r, i);
  if (p->rfm_mix) {
    pe__sb_puts(b, "<h4>RFM segments</h4><p class=\"rfm\">");
    int shown = 0;
    for (int s = 0; s < r->rfm_segment_count; s++) {
      const double share = p->customers ? (double)p->rfm_mix[s] / (double)p->customers : 0;
      if (share < 0.05) continue;
      pe__sb_puts(b, shown++ ? ", " : "");
      pe__sb_html(b, r->rfm_segment_names[s]);
      pe__sb_printf(b, " %.0f%%", 100 * share);
    }
    pe__sb_puts(b, "</p>");
  }
  if (p->has_demographics) {
    pe__sb_puts(b, "<h4>Demographics</h4><p class=\"demographics\">");
    pe__sb_demographics(b, p, "Most often", 1);
    pe__sb_puts(b, "</p>");
  }
  pe__sb_puts(b, "<h4>Recommended actions</h4><ul class=\"actions\">");
  for (int a = 0; a < p->action_count; a++) {
    pe__sb_puts(b, "<li>");
    pe__sb_html(b, p->actions[a]);
    pe__sb_puts(b, "</li>");
  }
  pe__sb_puts(b, "</ul></article>");
}

pe_status pe_persona_report_html(const pe_persona_report *r, const char *title, char **text) {
  pe__strbuf b = {0};
  char customers[32], revenue[32];
  pe__format_count(customers, sizeof customers, r->customers);
  pe__format_money(revenue, sizeof revenue, r->revenue);
  pe__sb_puts(&b,
              "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
              "<title>");
  pe__sb_html(&b, title ? title : "Personas");
  pe__sb_printf(&b, "</title><style>%s</style></head>\n<body><header><h1>", style);
  pe__sb_html(&b, title ? title : "Personas");
  pe__sb_printf(&b,
                "</h1><p>%s customers, net revenue %s, %d personas. Focus (fewest personas "
                "with &#8805; %.0f%% of revenue): ",
                customers, revenue, r->k, 100 * r->focus_share);
  int first = 1;
  for (int i = 0; i < r->k; i++)
    if (r->entries[i].pub.focus) {
      pe__sb_puts(&b, first ? "" : ", ");
      pe__sb_html(&b, r->entries[i].pub.name);
      first = 0;
    }
  pe__sb_puts(&b, first ? "none.</p></header>\n<main>" : ".</p></header>\n<main>");
  pe__sb_puts(&b,
              "<section class=\"charts\"><div class=\"panel\"><h2>Share of customers vs "
              "share of revenue</h2>");
  share_chart(&b, r);
  pe__sb_puts(&b, "</div>");
  if (r->has_rfm) {
    pe__sb_puts(&b, "<div class=\"panel\"><h2>RFM grid: recency &#215; frequency</h2>");
    rf_grid(&b, r);
    pe__sb_puts(&b, "</div>");
  }
  pe__sb_puts(&b, "</section>\n<section class=\"cards\">");
  for (int i = 0; i < r->k; i++) card(&b, r, i);
  pe__sb_puts(&b, "</section></main></body></html>\n");
  return pe__sb_finish(&b, text);
}
