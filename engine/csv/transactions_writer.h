/* Streams transaction rows into the /transactions/ group of an open HDF5
 * file, in blocks, through chunked and compressed appenders. */
#ifndef PE_CSV_TRANSACTIONS_WRITER_H
#define PE_CSV_TRANSACTIONS_WRITER_H

#include <hdf5.h>
#include <stdint.h>

#include "personae/status.h"

typedef struct {
  int64_t customer_id;
  int64_t order_id;
  int64_t timestamp;
  double amount;
  float discount;
  int32_t category;
} pe_transaction;

typedef struct pe_tx_writer pe_tx_writer;

/* Creates /transactions/ with its six empty columns. */
pe_status pe_tx_writer_open(hid_t fid, const char *file, pe_tx_writer **writer);
pe_status pe_tx_writer_add(pe_tx_writer *w, const pe_transaction *tx);
/* Writes the buffered rows, `category_names` (when count > 0) and the
 * group's attributes (`source`: the input's file name), and closes. */
pe_status pe_tx_writer_finish(pe_tx_writer *w, const char *source,
                              const char *const *category_names, int64_t count);
/* Closes without finishing; NULL is a no-op. */
void pe_tx_writer_free(pe_tx_writer *w);

#endif
