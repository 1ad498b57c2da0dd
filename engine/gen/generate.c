/* `personae generate`: writes a synthetic marketplace block by block.
 *
 * Customers are cut into fixed blocks of BLOCK_CUSTOMERS. A batch of blocks is
 * simulated in parallel (each customer from its own random stream, each block
 * shuffled with its own stream) and then appended to the file in block order,
 * so the bytes written never depend on the thread count, and memory stays
 * bounded by one batch whatever the number of customers. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "gen/gen_block.h"
#include "gen/shopper_model.h"
#include "io/h5.h"
#include "personae/generate.h"

enum { BLOCK_CUSTOMERS = 8192 };
static const int64_t DAY = 86400;
static const int64_t DEFAULT_END = 1767225600; /* 2026-01-01 00:00:00 UTC */

void pe_generate_params_default(pe_generate_params *p) {
  memset(p, 0, sizeof *p);
  p->seed = 42;
  p->days = 730;
  p->end_time = DEFAULT_END;
  p->with_sessions = 1;
  p->with_customers = 1;
}

/* Customer ids look arbitrary (as in real systems) but are unique: a
 * multiplication by an odd constant is a bijection modulo 2^32. */
static int64_t customer_id_of(int64_t index) {
  return 100000 + (int64_t)(uint32_t)((uint64_t)index * 2654435761u);
}

static uint64_t gcd(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Archetypes are planted in exact proportions and spread over the index range
 * by an affine permutation i -> (a*i + b) mod N (a coprime with N). */
typedef struct {
  uint64_t n, a, b;
  double cumulative[PE_ARCHETYPE_COUNT];
} archetype_plan;

static void plan_archetypes(archetype_plan *plan, int64_t n) {
  plan->n = (uint64_t)n;
  plan->a = (uint64_t)((double)n * 0.6180339887) | 1;
  while (gcd(plan->a, plan->n) != 1) plan->a++;
  plan->b = (uint64_t)n / 3;
  double acc = 0;
  for (int k = 0; k < PE_ARCHETYPE_COUNT; k++) plan->cumulative[k] = acc += pe_gen_archetype_share(k);
  plan->cumulative[PE_ARCHETYPE_COUNT - 1] = 1.0;
}

static pe_archetype archetype_of(const archetype_plan *plan, int64_t index) {
  uint64_t pos = (uint64_t)(((__uint128_t)plan->a * (uint64_t)index + plan->b) % plan->n);
  double q = ((double)pos + 0.5) / (double)plan->n;
  int k = 0;
  while (k < PE_ARCHETYPE_COUNT - 1 && q >= plan->cumulative[k]) k++;
  return (pe_archetype)k;
}

static void simulate_block(pe_gen_block *b, int64_t block, int64_t customers,
                           const archetype_plan *plan, const pe_gen_period *period, uint64_t seed) {
  int64_t first = block * BLOCK_CUSTOMERS;
  int64_t count = customers - first < BLOCK_CUSTOMERS ? customers - first : BLOCK_CUSTOMERS;
  if (pe_gen_block_reset(b, count) != 0) return;
  for (int64_t s = 0; s < count; s++) {
    int64_t i = first + s;
    pe_rng rng;
    pe_rng_init(&rng, seed, (uint64_t)i);
    pe_gen_customer(b, s, i, customer_id_of(i), archetype_of(plan, i), period, &rng);
  }
  /* Streams above 2^62 are reserved for block shuffles, disjoint from customers. */
  pe_gen_block_shuffle(b, seed, (1ull << 62) + (uint64_t)block);
}

typedef struct {
  pe_h5_appender tx[6], sessions[6], customers[5], truth[2];
  int ntx, nsessions, ncustomers;
} writers;

static pe_status create_group(hid_t fid, const char *file, const char *name, hid_t *gid) {
  return pe_h5_replace_group(fid, file, name, gid);
}

static pe_status open_writers(hid_t fid, const char *file, const pe_generate_params *p, writers *w,
                              hid_t groups[4]) {
  static const struct {
    const char *name;
    pe_dtype type;
  } tx_cols[] = {{"customer_id", PE_I64}, {"order_id", PE_I64}, {"timestamp", PE_I64},
                 {"amount", PE_F64},      {"discount", PE_F32}, {"category", PE_I32}},
    session_cols[] = {{"customer_id", PE_I64}, {"timestamp", PE_I64}, {"pageviews", PE_I32},
                      {"duration_s", PE_F32},  {"cart_adds", PE_I32}, {"purchased", PE_U8}},
    customer_cols[] = {{"customer_id", PE_I64}, {"age", PE_I16}, {"gender", PE_I8},
                       {"income", PE_F32},      {"region", PE_I32}},
    truth_cols[] = {{"customer_id", PE_I64}, {"archetype", PE_I32}};
  memset(w, 0, sizeof *w);
  PE_FORWARD(create_group(fid, file, "/transactions", &groups[0]));
  for (int i = 0; i < 6; i++, w->ntx++)
    PE_FORWARD(pe_h5_appender_create(groups[0], file, tx_cols[i].name, tx_cols[i].type, 0, 1, &w->tx[i]));
  if (p->with_sessions) {
    PE_FORWARD(create_group(fid, file, "/sessions", &groups[1]));
    for (int i = 0; i < 6; i++, w->nsessions++)
      PE_FORWARD(pe_h5_appender_create(groups[1], file, session_cols[i].name, session_cols[i].type,
                                       0, 1, &w->sessions[i]));
  }
  if (p->with_customers) {
    PE_FORWARD(create_group(fid, file, "/customers", &groups[2]));
    for (int i = 0; i < 5; i++, w->ncustomers++)
      PE_FORWARD(pe_h5_appender_create(groups[2], file, customer_cols[i].name,
                                       customer_cols[i].type, 0, 1, &w->customers[i]));
  }
  PE_FORWARD(create_group(fid, file, "/truth", &groups[3]));
  for (int i = 0; i < 2; i++)
    PE_FORWARD(pe_h5_appender_create(groups[3], file, truth_cols[i].name, truth_cols[i].type, 0, 1,
                                     &w->truth[i]));
  const char *keys[PE_ARCHETYPE_COUNT];
  for (int k = 0; k < PE_ARCHETYPE_COUNT; k++) keys[k] = pe_archetype_key(k);
  PE_FORWARD(pe_h5_attr_strings(groups[3], "archetype_names", keys, PE_ARCHETYPE_COUNT));
  PE_FORWARD(pe_h5_write_strings(groups[3], file, "archetype_names", keys, PE_ARCHETYPE_COUNT));
  return PE_OK;
}

static pe_status flush_writers(writers *w) {
  for (int i = 0; i < w->ntx; i++) PE_FORWARD(pe_h5_appender_flush(&w->tx[i]));
  for (int i = 0; i < w->nsessions; i++) PE_FORWARD(pe_h5_appender_flush(&w->sessions[i]));
  for (int i = 0; i < w->ncustomers; i++) PE_FORWARD(pe_h5_appender_flush(&w->customers[i]));
  for (int i = 0; i < 2; i++) PE_FORWARD(pe_h5_appender_flush(&w->truth[i]));
  return PE_OK;
}

static void close_writers(writers *w, hid_t groups[4]) {
  for (int i = 0; i < w->ntx; i++) pe_h5_appender_close(&w->tx[i]);
  for (int i = 0; i < w->nsessions; i++) pe_h5_appender_close(&w->sessions[i]);
  for (int i = 0; i < w->ncustomers; i++) pe_h5_appender_close(&w->customers[i]);
  for (int i = 0; i < 2; i++) pe_h5_appender_close(&w->truth[i]);
  for (int g = 0; g < 4; g++)
    if (groups[g] > 0) H5Gclose(groups[g]);
}

static pe_status write_block(writers *w, const pe_gen_block *b) {
  const pe_gen_transactions *t = &b->tx;
  const void *tx_data[6] = {t->customer_id, t->order_id, t->timestamp, t->amount, t->discount,
                            t->category};
  for (int i = 0; i < w->ntx; i++) PE_FORWARD(pe_h5_appender_append(&w->tx[i], tx_data[i], t->n));
  const pe_gen_sessions *s = &b->sessions;
  const void *s_data[6] = {s->customer_id, s->timestamp, s->pageviews, s->duration_s, s->cart_adds,
                           s->purchased};
  for (int i = 0; i < w->nsessions; i++)
    PE_FORWARD(pe_h5_appender_append(&w->sessions[i], s_data[i], s->n));
  const pe_gen_customers *c = &b->customers;
  const void *c_data[5] = {c->customer_id, c->age, c->gender, c->income, c->region};
  for (int i = 0; i < w->ncustomers; i++)
    PE_FORWARD(pe_h5_appender_append(&w->customers[i], c_data[i], c->n));
  PE_FORWARD(pe_h5_appender_append(&w->truth[0], c->customer_id, c->n));
  PE_FORWARD(pe_h5_appender_append(&w->truth[1], c->archetype, c->n));
  return PE_OK;
}

static void add_to_summary(pe_generate_summary *s, const pe_gen_block *b) {
  const pe_gen_customers *c = &b->customers;
  s->customers += c->n;
  s->transaction_rows += b->tx.n;
  s->return_rows += b->return_rows;
  s->sessions += b->sessions.n;
  for (int64_t i = 0; i < c->n; i++) {
    s->orders += c->orders[i];
    s->buyers += c->orders[i] > 0;
    s->revenue += c->revenue[i];
    s->archetype_customers[c->archetype[i]]++;
    s->archetype_revenue[c->archetype[i]] += c->revenue[i];
  }
}

static pe_status write_metadata(hid_t fid, const pe_generate_params *p, int64_t start) {
  PE_FORWARD(pe_h5_attr_str(fid, "generator", "personae generate " PERSONAE_VERSION_STRING));
  PE_FORWARD(pe_h5_attr_i64(fid, "seed", (int64_t)p->seed));
  PE_FORWARD(pe_h5_attr_i64(fid, "customers", p->customers));
  PE_FORWARD(pe_h5_attr_i64(fid, "start_time", start));
  PE_FORWARD(pe_h5_attr_i64(fid, "end_time", p->end_time));
  return PE_OK;
}

pe_status pe_generate(const char *out_path, const pe_generate_params *p,
                      pe_generate_summary *summary) {
  PE_FAIL_IF(p->customers < 1 || p->customers > (1ll << 32), PE_ERR_USAGE,
             "--customers must be between 1 and 4294967296 (got %lld)", (long long)p->customers);
  PE_FAIL_IF(p->days < 60 || p->days > 3650, PE_ERR_USAGE,
             "--days must be between 60 and 3650 (got %d)", p->days);
  pe_generate_summary local;
  pe_generate_summary *s = summary ? summary : &local;
  memset(s, 0, sizeof *s);
  pe_gen_period period = {p->end_time - (int64_t)p->days * DAY, p->end_time, p->with_sessions};
  s->start_time = period.start;
  s->end_time = period.end;
  archetype_plan plan;
  plan_archetypes(&plan, p->customers);

  pe_h5_out *out;
  PE_FORWARD(pe_h5_out_begin(out_path, NULL, NULL, &out));
  hid_t fid = pe_h5_out_file(out);
  hid_t groups[4] = {0, 0, 0, 0};
  writers w;
  pe_status st = open_writers(fid, out_path, p, &w, groups);
  if (st == PE_OK) st = write_metadata(fid, p, period.start);

  int threads = p->threads > 0 ? p->threads : omp_get_max_threads();
  int64_t nblocks = (p->customers + BLOCK_CUSTOMERS - 1) / BLOCK_CUSTOMERS;
  int64_t batch = 2 * (int64_t)threads;
  pe_gen_block *blocks = calloc((size_t)batch, sizeof *blocks);
  if (!blocks && st == PE_OK) st = pe__fail(PE_ERR_NOMEM, "%s: out of memory", out_path);
  for (int64_t first = 0; st == PE_OK && first < nblocks; first += batch) {
    int64_t count = nblocks - first < batch ? nblocks - first : batch;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int64_t j = 0; j < count; j++)
      simulate_block(&blocks[j], first + j, p->customers, &plan, &period, p->seed);
    for (int64_t j = 0; j < count && st == PE_OK; j++) {
      if (blocks[j].failed) st = pe__fail(PE_ERR_NOMEM, "%s: out of memory while generating", out_path);
      else st = write_block(&w, &blocks[j]);
      if (st == PE_OK) add_to_summary(s, &blocks[j]);
    }
    if (p->progress && st == PE_OK) p->progress(p->progress_ctx, s->customers, p->customers);
  }
  for (int64_t j = 0; blocks && j < batch; j++) pe_gen_block_free(&blocks[j]);
  free(blocks);
  if (st == PE_OK) st = flush_writers(&w);
  close_writers(&w, groups);
  if (st != PE_OK) {
    pe_h5_out_abort(out);
    return st;
  }
  return pe_h5_out_commit(out);
}
