#include "gen/gen_block.h"

#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

static int grow(void **p, int64_t cap, size_t elem) {
  void *q = realloc(*p, (size_t)cap * elem);
  if (!q) return -1;
  *p = q;
  return 0;
}

int pe_gen_block_reset(pe_gen_block *b, int64_t customers) {
  b->tx.n = 0;
  b->sessions.n = 0;
  b->return_rows = 0;
  b->failed = 0;
  pe_gen_customers *c = &b->customers;
  if (c->n < customers || !c->customer_id) {
    if (grow((void **)&c->customer_id, customers, 8) || grow((void **)&c->age, customers, 2) ||
        grow((void **)&c->gender, customers, 1) || grow((void **)&c->income, customers, 4) ||
        grow((void **)&c->region, customers, 4) || grow((void **)&c->archetype, customers, 4) ||
        grow((void **)&c->revenue, customers, 8) || grow((void **)&c->orders, customers, 4)) {
      b->failed = 1;
      return -1;
    }
  }
  c->n = customers;
  return 0;
}

void pe_gen_block_free(pe_gen_block *b) {
  free(b->tx.customer_id), free(b->tx.order_id), free(b->tx.timestamp);
  free(b->tx.amount), free(b->tx.discount), free(b->tx.category);
  free(b->sessions.customer_id), free(b->sessions.timestamp), free(b->sessions.pageviews);
  free(b->sessions.cart_adds), free(b->sessions.duration_s), free(b->sessions.purchased);
  pe_gen_customers *c = &b->customers;
  free(c->customer_id), free(c->age), free(c->gender), free(c->income), free(c->region);
  free(c->archetype), free(c->revenue), free(c->orders);
  memset(b, 0, sizeof *b);
}

void pe_gen_push_transaction(pe_gen_block *b, int64_t customer_id, int64_t order_id,
                             int64_t timestamp, double amount, float discount, int32_t category) {
  pe_gen_transactions *t = &b->tx;
  if (b->failed) return;
  if (t->n == t->cap) {
    int64_t cap = t->cap ? t->cap * 2 : 65536;
    if (grow((void **)&t->customer_id, cap, 8) || grow((void **)&t->order_id, cap, 8) ||
        grow((void **)&t->timestamp, cap, 8) || grow((void **)&t->amount, cap, 8) ||
        grow((void **)&t->discount, cap, 4) || grow((void **)&t->category, cap, 4)) {
      b->failed = 1;
      return;
    }
    t->cap = cap;
  }
  t->customer_id[t->n] = customer_id;
  t->order_id[t->n] = order_id;
  t->timestamp[t->n] = timestamp;
  t->amount[t->n] = amount;
  t->discount[t->n] = discount;
  t->category[t->n] = category;
  t->n++;
}

void pe_gen_push_session(pe_gen_block *b, int64_t customer_id, int64_t timestamp,
                         int32_t pageviews, float duration_s, int32_t cart_adds, uint8_t purchased) {
  pe_gen_sessions *s = &b->sessions;
  if (b->failed) return;
  if (s->n == s->cap) {
    int64_t cap = s->cap ? s->cap * 2 : 65536;
    if (grow((void **)&s->customer_id, cap, 8) || grow((void **)&s->timestamp, cap, 8) ||
        grow((void **)&s->pageviews, cap, 4) || grow((void **)&s->cart_adds, cap, 4) ||
        grow((void **)&s->duration_s, cap, 4) || grow((void **)&s->purchased, cap, 1)) {
      b->failed = 1;
      return;
    }
    s->cap = cap;
  }
  s->customer_id[s->n] = customer_id;
  s->timestamp[s->n] = timestamp;
  s->pageviews[s->n] = pageviews;
  s->duration_s[s->n] = duration_s;
  s->cart_adds[s->n] = cart_adds;
  s->purchased[s->n] = purchased;
  s->n++;
}

/* Swaps element i and j of an array of `size`-byte elements. */
static void swap_elems(void *base, size_t size, int64_t i, int64_t j) {
  unsigned char *p = base, tmp[8];
  memcpy(tmp, p + (size_t)i * size, size);
  memcpy(p + (size_t)i * size, p + (size_t)j * size, size);
  memcpy(p + (size_t)j * size, tmp, size);
}

void pe_gen_block_shuffle(pe_gen_block *b, uint64_t seed, uint64_t stream) {
  pe_rng rng;
  pe_rng_init(&rng, seed, stream);
  pe_gen_transactions *t = &b->tx;
  for (int64_t i = t->n - 1; i > 0; i--) {
    int64_t j = (int64_t)pe_rng_below(&rng, (uint64_t)i + 1);
    swap_elems(t->customer_id, 8, i, j), swap_elems(t->order_id, 8, i, j);
    swap_elems(t->timestamp, 8, i, j), swap_elems(t->amount, 8, i, j);
    swap_elems(t->discount, 4, i, j), swap_elems(t->category, 4, i, j);
  }
  pe_gen_sessions *s = &b->sessions;
  for (int64_t i = s->n - 1; i > 0; i--) {
    int64_t j = (int64_t)pe_rng_below(&rng, (uint64_t)i + 1);
    swap_elems(s->customer_id, 8, i, j), swap_elems(s->timestamp, 8, i, j);
    swap_elems(s->pageviews, 4, i, j), swap_elems(s->cart_adds, 4, i, j);
    swap_elems(s->duration_s, 4, i, j), swap_elems(s->purchased, 1, i, j);
  }
}
