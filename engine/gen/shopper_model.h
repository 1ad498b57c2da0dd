/* How each planted archetype behaves: one static table and the simulation of
 * one customer from it. */
#ifndef PE_GEN_SHOPPER_MODEL_H
#define PE_GEN_SHOPPER_MODEL_H

#include <stdint.h>

#include "core/rng.h"
#include "gen/gen_block.h"
#include "personae/archetype.h"

/* Share of customers planted for each archetype (sums to 1). */
double pe_gen_archetype_share(pe_archetype a);

typedef struct {
  int64_t start, end; /* the period, Unix seconds, [start, end) */
  int sessions;       /* emit sessions */
} pe_gen_period;

/* Simulates customer `index` (archetype `a`, id `customer_id`) with its own
 * random stream and appends its rows to `b` at customer slot `slot`. */
void pe_gen_customer(pe_gen_block *b, int64_t slot, int64_t index, int64_t customer_id,
                     pe_archetype a, const pe_gen_period *period, pe_rng *rng);

#endif
