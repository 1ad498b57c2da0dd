#include "core/id_set.h"

#include <stdlib.h>

static uint64_t hash(int64_t id) {
  uint64_t z = (uint64_t)id * 0x9E3779B97F4A7C15ull;
  return z ^ (z >> 29);
}

int pe_id_set_init(pe_id_set *s, int64_t expected) {
  uint64_t cap = 1024;
  while (cap < (uint64_t)expected * 2) cap <<= 1;
  s->slots = malloc(cap * sizeof *s->slots);
  s->used = calloc(cap, 1);
  s->mask = cap - 1;
  s->count = 0;
  return s->slots && s->used ? 0 : -1;
}

static int grow(pe_id_set *s) {
  pe_id_set bigger;
  if (pe_id_set_init(&bigger, (int64_t)(s->mask + 1)) != 0) {
    pe_id_set_free(&bigger);
    return -1;
  }
  for (uint64_t i = 0; i <= s->mask; i++)
    if (s->used[i]) pe_id_set_add(&bigger, s->slots[i]);
  pe_id_set_free(s);
  *s = bigger;
  return 0;
}

int pe_id_set_add(pe_id_set *s, int64_t id) {
  /* Keep the load factor at or below 1/2 so probes stay short. */
  if ((uint64_t)(s->count + 1) * 2 > s->mask + 1 && grow(s) != 0) return -1;
  for (uint64_t i = hash(id) & s->mask;; i = (i + 1) & s->mask) {
    if (!s->used[i]) {
      s->used[i] = 1;
      s->slots[i] = id;
      s->count++;
      return 1;
    }
    if (s->slots[i] == id) return 0;
  }
}

void pe_id_set_free(pe_id_set *s) {
  free(s->slots);
  free(s->used);
  s->slots = NULL;
  s->used = NULL;
  s->count = 0;
}
