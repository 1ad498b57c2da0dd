/* What the steps' write functions need of a pe_results_writer. */
#ifndef PE_IO_RESULTS_WRITER_H
#define PE_IO_RESULTS_WRITER_H

#include <hdf5.h>

#include "io/h5.h"
#include "personae/results.h"

/* The open temporary file being written. */
hid_t pe__results_file(const pe_results_writer *w);
/* The update's output, for writes its writer thread makes later
 * (pe_h5_write_many_to). */
pe_h5_out *pe__results_out(const pe_results_writer *w);

/* Commits `w` when `st` is PE_OK, else aborts it and returns `st`: the tail
 * of every one-group pe_*_write(). */
pe_status pe__results_finish(pe_results_writer *w, pe_status st);

/* Returns `st`, remembering a failure so that pe_results_commit refuses to
 * install a half-written update: every *_write_into returns through it. */
pe_status pe__results_note(pe_results_writer *w, pe_status st);

/* Has the disk start on what is written so far, while the caller computes
 * what comes next (pe_h5_out_start_writeback). */
void pe__results_start_writeback(pe_results_writer *w);

#endif
