/* Process-wide settings for batch programs that link the library.
 *
 * The `personae` binary calls personae_tune_allocator() first thing; a
 * program that runs the library's passes over large inputs should too, to
 * get the same speed. */
#ifndef PERSONAE_PROCESS_H
#define PERSONAE_PROCESS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Sets glibc's allocator for a batch process: freed memory is kept until
 * exit (and reused) instead of handed back to the kernel at every chance,
 * large arrays come from the heap rather than mappings of their own, and
 * heaps grow in 64 MiB steps. Each shrink of a heap in a process with
 * running threads costs a TLB shootdown across the cores, and memory handed
 * back is faulted in again, page by page, by the next allocation; the
 * streaming passes allocate and free chunk-sized buffers all the time. The
 * price is 40-80 MB more peak memory (docs/performance.md, "The
 * allocator"). Does nothing when GLIBC_TUNABLES is set (the caller's own
 * settings win) or on a C library other than glibc. */
void personae_tune_allocator(void);

#ifdef __cplusplus
}
#endif
#endif
