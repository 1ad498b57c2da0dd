/* RFM benchmark: personae's RFM against (1) just reading the columns it
 * needs from the same HDF5 file and (2) the pandas groupby + qcut recipe
 * (bench/peers_rfm.py) on the same file, in the same run.
 *
 *   bench_rfm FILE.h5 [--repeat R] [--pandas] [--peers PATH] [--json]
 *
 * Make FILE with e.g. `personae generate --customers 15000000 --no-sessions
 * --no-customers --out big.h5` (about 100M rows over 9.5M buying customers).
 * Every measurement runs in a child process so that its peak resident memory
 * (ru_maxrss from wait4) belongs to it alone; times are medians of R runs. */
#include <hdf5.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io/h5.h"
#include "personae.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Reads `ncols` columns in 1M-row chunks, as RFM does; returns seconds. */
static double read_columns(const char *file, const char *const *cols, int ncols) {
  hid_t fid;
  if (pe_h5_open_read(file, &fid) != PE_OK) return -1;
  double t0 = now();
  const int64_t chunk = 1 << 20;
  void *buf = malloc((size_t)chunk * 8);
  for (int c = 0; c < ncols; c++) {
    char path[128];
    snprintf(path, sizeof path, "/transactions/%s", cols[c]);
    pe_h5_column col;
    if (pe_h5_column_open(fid, file, path, strcmp(cols[c], "amount") ? PE_I64 : PE_F64, &col) !=
        PE_OK)
      return -1;
    for (int64_t off = 0; off < col.rows; off += chunk)
      pe_h5_column_read(&col, off, col.rows - off < chunk ? col.rows - off : chunk, buf);
    pe_h5_column_close(&col);
  }
  double t = now() - t0;
  free(buf);
  H5Fclose(fid);
  return t;
}

static double cpu_seconds(const struct rusage *ru) {
  return (double)ru->ru_utime.tv_sec + 1e-6 * (double)ru->ru_utime.tv_usec +
         (double)ru->ru_stime.tv_sec + 1e-6 * (double)ru->ru_stime.tv_usec;
}

typedef struct {
  double seconds, extra; /* extra: pandas read time, or RFM write time */
  double cpu;            /* user + system CPU seconds of the child, all threads */
  long maxrss_kb;
  int64_t rows, customers, scored;
  pe_rfm_seconds steps; /* of the RFM run */
} measurement;

enum { READ3, READ4, RFM };

/* Runs one measurement in a child; the child writes its numbers to a pipe. */
static int measure(int what, const char *file, const char *out, measurement *m) {
  int fd[2];
  if (pipe(fd) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    /* The allocator as `personae rfm` sets it, for every measurement. */
    personae_tune_allocator();
    measurement r = {0};
    static const char *const three[] = {"customer_id", "timestamp", "amount"};
    static const char *const four[] = {"customer_id", "order_id", "timestamp", "amount"};
    if (what == READ3)
      r.seconds = read_columns(file, three, 3);
    else if (what == READ4)
      r.seconds = read_columns(file, four, 4);
    else {
      pe_rfm_params p;
      pe_rfm_params_init(&p);
      p.include_sessions = 0;
      pe_rfm_result *res;
      double t0 = now();
      if (pe_rfm_compute(file, &p, &res) != PE_OK) {
        fprintf(stderr, "bench_rfm: %s\n", personae_last_error());
        _exit(1);
      }
      r.seconds = now() - t0;
      pe_rfm_summary s;
      pe_rfm_result_summary(res, &s);
      r.rows = s.rows;
      r.customers = s.customers;
      r.scored = s.customers_scored;
      pe_rfm_result_seconds(res, &r.steps);
      t0 = now();
      if (pe_rfm_write(res, out, file) != PE_OK) _exit(1);
      r.extra = now() - t0;
      pe_rfm_result_free(res);
    }
    if (write(fd[1], &r, sizeof r) != (ssize_t)sizeof r) _exit(1);
    _exit(0);
  }
  close(fd[1]);
  ssize_t got = read(fd[0], m, sizeof *m);
  close(fd[0]);
  int status;
  struct rusage ru;
  wait4(pid, &status, 0, &ru);
  m->maxrss_kb = ru.ru_maxrss;
  m->cpu = cpu_seconds(&ru);
  return got == (ssize_t)sizeof *m && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Runs the pandas peer as a child process; parses its JSON timings. */
static int measure_pandas(const char *peers, const char *file, const char *compare,
                          measurement *m) {
  char tmp[] = "/tmp/bench_rfm_pandas_XXXXXX";
  int fd = mkstemp(tmp);
  if (fd < 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd, 1);
    execl("/usr/bin/python3", "python3", peers, file, "--json", "--compare", compare, (char *)NULL);
    _exit(127);
  }
  int status;
  struct rusage ru;
  wait4(pid, &status, 0, &ru);
  m->maxrss_kb = ru.ru_maxrss;
  m->cpu = cpu_seconds(&ru);
  char buf[8192] = {0};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  close(fd);
  unlink(tmp);
  if (n <= 0) return -1;
  const char *r = strstr(buf, "\"read_s\":"), *c = strstr(buf, "\"compute_s\":");
  if (!r || !c) return -1;
  m->extra = atof(r + 9);
  m->seconds = atof(c + 12);
  const char *problems = strstr(buf, "\"problems\": []");
  if (!problems) fprintf(stderr, "bench_rfm: pandas and personae disagree:\n%s\n", buf);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int cmp_meas(const void *a, const void *b) {
  double x = ((const measurement *)a)->seconds, y = ((const measurement *)b)->seconds;
  return (x > y) - (x < y);
}

static measurement median_of(int what, const char *file, const char *out, int repeat) {
  measurement runs[16];
  int n = 0;
  for (int i = 0; i < repeat && i < 16; i++)
    if (measure(what, file, out, &runs[n]) == 0) n++;
  if (n == 0) return (measurement){.seconds = -1};
  qsort(runs, (size_t)n, sizeof runs[0], cmp_meas);
  return runs[n / 2];
}

int main(int argc, char **argv) {
  const char *file = NULL, *peers = "bench/peers_rfm.py";
  int repeat = 3, pandas = 0, json = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
      repeat = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--pandas"))
      pandas = 1;
    else if (!strcmp(argv[i], "--peers") && i + 1 < argc)
      peers = argv[++i];
    else if (!strcmp(argv[i], "--json"))
      json = 1;
    else
      file = argv[i];
  }
  if (!file) {
    fprintf(stderr, "usage: bench_rfm FILE.h5 [--repeat R] [--pandas] [--peers PATH] [--json]\n");
    return 1;
  }
  char out[4096];
  snprintf(out, sizeof out, "%s.bench_rfm.h5", file);
  /* A first, unmeasured read puts the file in the page cache for everyone. */
  measurement warm;
  measure(READ4, file, out, &warm);
  measurement r3 = median_of(READ3, file, out, repeat);
  measurement r4 = median_of(READ4, file, out, repeat);
  measurement rfm = median_of(RFM, file, out, repeat);
  measurement pd = {.seconds = -1};
  if (pandas && measure_pandas(peers, file, out, &pd) != 0)
    fprintf(stderr, "bench_rfm: pandas run failed (see above)\n");
  /* Input size in memory: the six /transactions columns, 36 bytes a row. */
  double table_mb = (double)rfm.rows * 36 / 1e6;
  double output_mb = (double)rfm.customers * 66 / 1e6;
  if (json) {
    printf(
        "{\"rows\": %lld, \"customers\": %lld, \"scored\": %lld, \"threads\": %d,\n"
        " \"read3_s\": %.3f, \"read3_cpu_s\": %.3f, \"read4_s\": %.3f, \"read4_cpu_s\": %.3f,\n"
        " \"rfm_s\": %.3f, \"rfm_cpu_s\": %.3f, \"rfm_write_s\": %.3f,\n"
        " \"rfm_maxrss_mb\": %.0f, \"table_mb\": %.0f, \"output_mb\": %.0f,\n"
        " \"pandas_read_s\": %.3f, \"pandas_compute_s\": %.3f, \"pandas_cpu_s\": %.3f, "
        "\"pandas_maxrss_mb\": %.0f,\n"
        " \"rfm_steps\": {\"read\": %.3f, \"check\": %.3f, \"group\": %.3f, \"aggregate\": %.3f, "
        "\"resolve\": %.3f, \"sort\": %.3f, \"fill\": %.3f, \"score\": %.3f}}\n",
        (long long)rfm.rows, (long long)rfm.customers, (long long)rfm.scored, omp_get_max_threads(),
        r3.seconds, r3.cpu, r4.seconds, r4.cpu, rfm.seconds, rfm.cpu, rfm.extra,
        rfm.maxrss_kb / 1024.0, table_mb, output_mb, pd.extra, pd.seconds, pd.cpu,
        pd.maxrss_kb / 1024.0, rfm.steps.read, rfm.steps.check, rfm.steps.group,
        rfm.steps.aggregate, rfm.steps.resolve, rfm.steps.sort, rfm.steps.fill, rfm.steps.score);
    return 0;
  }
  printf("bench_rfm: %s: %lld rows, %lld customers (%lld scored); %d threads; medians of %d\n",
         file, (long long)rfm.rows, (long long)rfm.customers, (long long)rfm.scored,
         omp_get_max_threads(), repeat);
  printf("                                                  wall s   CPU s (all threads)\n");
  printf("  read 3 columns (customer_id, timestamp, amount) %8.3f %8.3f\n", r3.seconds, r3.cpu);
  printf("  read 4 columns (+ order_id)                     %8.3f %8.3f\n", r4.seconds, r4.cpu);
  printf("  personae rfm compute (reads included)           %8.3f %8.3f   (child incl. write)\n",
         rfm.seconds, rfm.cpu);
  printf("  personae rfm write of /rfm                      %8.3f\n", rfm.extra);
  const pe_rfm_seconds *t = &rfm.steps;
  printf("  rfm steps (the median run, wall s): read %.2f, checks %.2f, grouping %.2f, group-by "
         "%.2f, resolving orders %.2f, sorting ids %.2f, filling %.2f, scoring %.2f\n",
         t->read, t->check, t->group, t->aggregate, t->resolve, t->sort, t->fill, t->score);
  printf(
      "  personae rfm / 3-column read: %.2fx wall (the issue's target: 3x); / the 4 columns it "
      "reads: %.2fx\n",
      rfm.seconds / r3.seconds, rfm.seconds / r4.seconds);
  printf("  peak memory: rfm %.0f MB; transactions table %.0f MB + per-customer output %.0f MB\n",
         rfm.maxrss_kb / 1024.0, table_mb, output_mb);
  if (pd.seconds > 0)
    printf(
        "  pandas: read %.3f s, groupby + qcut %.3f s, CPU %.3f s, peak %.0f MB\n"
        "  pandas groupby + qcut / personae rfm (whole, reads included): %.1fx wall\n"
        "  pandas read + compute / personae rfm: %.1fx wall, %.1fx CPU\n",
        pd.extra, pd.seconds, pd.cpu, pd.maxrss_kb / 1024.0, pd.seconds / rfm.seconds,
        (pd.extra + pd.seconds) / rfm.seconds, pd.cpu / rfm.cpu);
  return 0;
}
