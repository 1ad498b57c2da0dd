/* A set of int64 ids (open addressing, linear probing) for distinct counts. */
#ifndef PE_CORE_ID_SET_H
#define PE_CORE_ID_SET_H

#include <stdint.h>

typedef struct {
  int64_t *slots;
  uint8_t *used;
  uint64_t mask;
  int64_t count;
} pe_id_set;

int pe_id_set_init(pe_id_set *s, int64_t expected);
/* Returns 1 if added, 0 if present, -1 if out of memory. */
int pe_id_set_add(pe_id_set *s, int64_t id);
void pe_id_set_free(pe_id_set *s);

#endif
