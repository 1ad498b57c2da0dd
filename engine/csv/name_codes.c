/* String -> code map: the names in code order, and an open-addressing table
 * of codes keyed by the names' FNV-1a hashes, kept at most half full. */
#include <stdlib.h>
#include <string.h>

#include "csv/name_codes.h"

struct pe_name_codes {
  char **names;
  size_t *lens;
  uint64_t *hashes;
  int32_t count, names_cap;
  int32_t *table; /* code + 1; 0 is a free slot */
  int64_t table_cap;
};

static uint64_t fnv1a(const char *s, size_t len) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
  return h;
}

pe_name_codes *pe_name_codes_create(void) { return calloc(1, sizeof(pe_name_codes)); }

void pe_name_codes_free(pe_name_codes *nc) {
  if (!nc) return;
  for (int32_t i = 0; i < nc->count; i++) free(nc->names[i]);
  free(nc->names);
  free(nc->lens);
  free(nc->hashes);
  free(nc->table);
  free(nc);
}

static void table_insert(int32_t *table, int64_t cap, uint64_t hash, int32_t code) {
  uint64_t mask = (uint64_t)cap - 1;
  for (uint64_t i = hash & mask;; i = (i + 1) & mask)
    if (!table[i]) {
      table[i] = code + 1;
      return;
    }
}

static int grow_table(pe_name_codes *nc) {
  int64_t cap = nc->table_cap ? nc->table_cap * 2 : 256;
  int32_t *table = calloc((size_t)cap, sizeof *table);
  if (!table) return -1;
  for (int32_t c = 0; c < nc->count; c++) table_insert(table, cap, nc->hashes[c], c);
  free(nc->table);
  nc->table = table;
  nc->table_cap = cap;
  return 0;
}

static int grow_names(pe_name_codes *nc) {
  if (nc->names_cap >= INT32_MAX / 2) return -1;
  int32_t cap = nc->names_cap ? nc->names_cap * 2 : 64;
  char **names = realloc(nc->names, (size_t)cap * sizeof *names);
  if (!names) return -1;
  nc->names = names;
  size_t *lens = realloc(nc->lens, (size_t)cap * sizeof *lens);
  if (!lens) return -1;
  nc->lens = lens;
  uint64_t *hashes = realloc(nc->hashes, (size_t)cap * sizeof *hashes);
  if (!hashes) return -1;
  nc->hashes = hashes;
  nc->names_cap = cap;
  return 0;
}

int pe_name_codes_get(pe_name_codes *nc, const char *name, size_t len, int32_t *code) {
  uint64_t h = fnv1a(name, len);
  if (nc->table_cap) {
    uint64_t mask = (uint64_t)nc->table_cap - 1;
    for (uint64_t i = h & mask; nc->table[i]; i = (i + 1) & mask) {
      int32_t c = nc->table[i] - 1;
      if (nc->hashes[c] == h && nc->lens[c] == len && memcmp(nc->names[c], name, len) == 0) {
        *code = c;
        return 0;
      }
    }
  }
  if (2 * ((int64_t)nc->count + 1) > nc->table_cap && grow_table(nc)) return -1;
  if (nc->count == nc->names_cap && grow_names(nc)) return -1;
  char *copy = malloc(len + 1);
  if (!copy) return -1;
  memcpy(copy, name, len);
  copy[len] = '\0';
  int32_t c = nc->count++;
  nc->names[c] = copy;
  nc->lens[c] = len;
  nc->hashes[c] = h;
  table_insert(nc->table, nc->table_cap, h, c);
  *code = c;
  return 0;
}

int32_t pe_name_codes_count(const pe_name_codes *nc) { return nc->count; }

const char *const *pe_name_codes_names(const pe_name_codes *nc) {
  return (const char *const *)nc->names;
}
