/* Row buffers for one block of synthetic customers. Blocks are generated in
 * parallel and appended to the file in block order. */
#ifndef PE_GEN_BLOCK_H
#define PE_GEN_BLOCK_H

#include <stdint.h>

typedef struct {
  int64_t n, cap;
  int64_t *customer_id, *order_id, *timestamp;
  double *amount;
  float *discount;
  int32_t *category;
} pe_gen_transactions;

typedef struct {
  int64_t n, cap;
  int64_t *customer_id, *timestamp;
  int32_t *pageviews, *cart_adds;
  float *duration_s;
  uint8_t *purchased;
} pe_gen_sessions;

typedef struct {
  int64_t n; /* customers in this block */
  int64_t *customer_id;
  int16_t *age;
  int8_t *gender;
  float *income;
  int32_t *region;
  int32_t *archetype;
  double *revenue; /* per customer, for the summary */
  int32_t *orders;
} pe_gen_customers;

typedef struct {
  pe_gen_transactions tx;
  pe_gen_sessions sessions;
  pe_gen_customers customers;
  int64_t return_rows;
  int failed; /* an allocation failed: the block is unusable */
} pe_gen_block;

/* Prepares `b` for up to `customers` customers (keeps existing capacity). */
int pe_gen_block_reset(pe_gen_block *b, int64_t customers);
void pe_gen_block_free(pe_gen_block *b);

void pe_gen_push_transaction(pe_gen_block *b, int64_t customer_id, int64_t order_id,
                             int64_t timestamp, double amount, float discount, int32_t category);
void pe_gen_push_session(pe_gen_block *b, int64_t customer_id, int64_t timestamp,
                         int32_t pageviews, float duration_s, int32_t cart_adds, uint8_t purchased);

/* Permutes the transaction and session rows of the block with `seed`, so that
 * consumers cannot rely on rows being grouped by customer or sorted by time. */
void pe_gen_block_shuffle(pe_gen_block *b, uint64_t seed, uint64_t stream);

#endif
