/* SPDX-License-Identifier: MIT */
/*
 * Benchmark harness: runs one command against bench/busy and reports what the
 * busy threads saw meanwhile, from their gap logs in the shared file.
 *   measure ready SHM               wait until every busy thread spins
 *   measure check SHM               print the sum of f0(1)..f999(1) in busy
 *   measure run SHM -- CMD ARGS...  run CMD, print one "MEASURE ..." line
 *   measure idle SHM MS             the same for a window with no command
 *   measure info SHM                print "PID F0_ADDR" of busy
 * It runs at real-time priority (not inherited by CMD) so that its own
 * timestamps are not late on a machine full of spinning threads.
 *
 * The pause is the longest time no busy thread made progress that overlaps
 * a stop of the command: CMD is run with XSPLICE_STOPS naming a file where
 * xsplice and floor append their stops (src/target/stop_log.h). The host stalls
 * this VM now and then for 1-3 ms whatever runs; a command of 1.5 s (128
 * threads) is hit in about every third run, one of 0.2 s (the floor) in
 * few, so a stall anywhere in the window would charge the host's stalls to
 * the longer command. The longest stall in the whole window is reported too
 * (stall_window_ms), and is the pause of a command that reports no stop.
 * stop_max_ms is the longest of the command's stops as it logged them.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_shm.h"
#include "target/stop_log.h"

#define CMD_TIMEOUT_S 60
#define RESUME_TIMEOUT_NS 10000000000ull
#define MAX_STOPS 256

struct ival {
	uint64_t t;
	int delta; /* +1 a thread stops making progress, -1 it resumes */
};

static struct bench_shm *shm;

/* The command's stops, as [begin, end) in CLOCK_MONOTONIC ns. */
static struct {
	uint64_t begin, end;
} stops[MAX_STOPS];
static size_t nstops;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Map busy's file; with wait, give busy up to 10 s to create and fill it. */
static int map_shm(const char *path, bool wait)
{
	for (int tries = wait ? 1000 : 1; tries > 0; tries--) {
		struct stat st;
		int fd = open(path, O_RDONLY);

		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(*shm)) {
			shm = mmap(NULL, sizeof(*shm), PROT_READ, MAP_SHARED, fd, 0);
			close(fd);
			if (shm == MAP_FAILED) {
				fprintf(stderr, "measure: mapping %s: %s\n", path, strerror(errno));
				return -1;
			}
			if (__atomic_load_n(&shm->magic, __ATOMIC_ACQUIRE) == BENCH_MAGIC)
				return 0;
			munmap(shm, sizeof(*shm));
		} else if (fd >= 0) {
			close(fd);
		}
		if (tries > 1)
			sleep_ms(10);
	}
	fprintf(stderr, "measure: %s is not (yet) a busy shared file\n", path);
	return -1;
}

static int wait_ready(void)
{
	for (int i = 0; i < 10000; i++) {
		if (__atomic_load_n(&shm->ready, __ATOMIC_ACQUIRE) == shm->nthreads)
			return 0;
		sleep_ms(1);
	}
	fprintf(stderr, "measure: only %u of %u busy threads started\n", shm->ready, shm->nthreads);
	return -1;
}

static int check_sum(void)
{
	uint64_t gen = __atomic_load_n(&shm->check_gen, __ATOMIC_ACQUIRE);

	if (kill(shm->pid, SIGUSR1) < 0) {
		fprintf(stderr, "measure: signalling busy pid %d: %s\n", shm->pid, strerror(errno));
		return -1;
	}
	for (int i = 0; i < 10000; i++) {
		if (__atomic_load_n(&shm->check_gen, __ATOMIC_ACQUIRE) != gen) {
			printf("%lld\n", (long long)shm->check_sum);
			return 0;
		}
		sleep_ms(1);
	}
	fprintf(stderr, "measure: busy pid %d did not answer the check\n", shm->pid);
	return -1;
}

/* Fork/exec argv, wait for it (bounded), return its exit status or -1. */
static int run_cmd(char **argv)
{
	struct timespec limit = { CMD_TIMEOUT_S, 0 };
	sigset_t set, old;
	int st = 0;
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid == 0) {
		/* The command runs as any program would: nice 0, SCHED_OTHER
		 * (the latter through SCHED_RESET_ON_FORK, see main). */
		setpriority(PRIO_PROCESS, 0, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "measure: running %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (sigtimedwait(&set, NULL, &limit) < 0 && errno == EAGAIN) {
			fprintf(stderr, "measure: %s still running after %d s, killed\n", argv[0],
			        CMD_TIMEOUT_S);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Wait until every thread has run after t (bounded); returns how many did not. */
static unsigned wait_resumed(uint64_t t)
{
	uint64_t limit = now_ns() + RESUME_TIMEOUT_NS;
	unsigned late;

	do {
		late = 0;
		for (unsigned i = 0; i < shm->nthreads; i++)
			if (__atomic_load_n(&shm->slot[i].last_ns, __ATOMIC_ACQUIRE) <= t)
				late++;
		if (!late)
			return 0;
		sleep_ms(1);
	} while (now_ns() < limit);
	return late;
}

static int cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->delta - y->delta; /* a resume before a stop at the same instant */
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Gaps of thread i that overlap [t0, t1), appended to ev as stop/resume
 * events; returns the longest, or sets *overflow if the ring wrapped. */
static uint64_t thread_gaps(unsigned i, uint64_t n0, uint64_t t0, uint64_t t1, struct ival *ev,
                            size_t *nev, unsigned *overflow)
{
	const struct bench_slot *s = &shm->slot[i];
	uint64_t n1 = __atomic_load_n(&s->ngaps, __ATOMIC_ACQUIRE), longest = 0;

	if (n1 - n0 > BENCH_RING - 1) {
		(*overflow)++;
		n0 = n1 - (BENCH_RING - 1);
	}
	for (uint64_t k = n0; k < n1; k++) {
		struct bench_gap g = s->ring[k % BENCH_RING];

		if (g.end_ns <= t0 || g.start_ns >= t1)
			continue;
		ev[(*nev)++] = (struct ival){ g.start_ns, +1 };
		ev[(*nev)++] = (struct ival){ g.end_ns, -1 };
		if (g.end_ns - g.start_ns > longest)
			longest = g.end_ns - g.start_ns;
	}
	return longest;
}

static bool overlaps_a_stop(uint64_t from, uint64_t until)
{
	for (size_t i = 0; i < nstops; i++)
		if (from < stops[i].end && until > stops[i].begin)
			return true;
	return false;
}

struct stalls {
	uint64_t max, sum;    /* in the whole window */
	uint64_t max_in_stop; /* of those that overlap a stop */
};

/* The times in which no thread made progress. */
static void stalls(struct ival *ev, size_t nev, unsigned nthreads, struct stalls *st)
{
	uint64_t since = 0;
	unsigned idle = 0;

	memset(st, 0, sizeof(*st));
	qsort(ev, nev, sizeof(*ev), cmp_ival);
	for (size_t k = 0; k < nev; k++) {
		if (ev[k].delta > 0 && ++idle == nthreads)
			since = ev[k].t;
		if (ev[k].delta < 0 && idle-- == nthreads) {
			uint64_t len = ev[k].t - since;

			st->sum += len;
			if (len > st->max)
				st->max = len;
			if (len > st->max_in_stop && overlaps_a_stop(since, ev[k].t))
				st->max_in_stop = len;
		}
	}
}

/* Read (and remove) the file the command appended its stops to. */
static void read_stops(const char *path)
{
	unsigned long long b, e;
	FILE *f = fopen(path, "r");

	nstops = 0;
	if (!f)
		return;
	while (nstops < MAX_STOPS && fscanf(f, XS_STOPS_FMT, &b, &e) == 2) {
		stops[nstops].begin = b;
		stops[nstops++].end = e;
	}
	fclose(f);
	unlink(path);
}

static int report(const uint64_t *n0, uint64_t t0, uint64_t t1, int rc)
{
	unsigned n = shm->nthreads, late = wait_resumed(t1), overflow = 0;
	struct ival *ev = malloc(sizeof(*ev) * 2 * BENCH_RING * n);
	uint64_t *longest = malloc(sizeof(*longest) * n), stop_max = 0;
	struct stalls st;
	size_t nev = 0;

	if (!ev || !longest) {
		free(ev);
		free(longest);
		return -1;
	}
	for (unsigned i = 0; i < n; i++)
		longest[i] = thread_gaps(i, n0[i], t0, t1, ev, &nev, &overflow);
	stalls(ev, nev, n, &st);
	qsort(longest, n, sizeof(*longest), cmp_u64);
	for (size_t k = 0; k < nstops; k++)
		if (stops[k].end - stops[k].begin > stop_max)
			stop_max = stops[k].end - stops[k].begin;
	printf("MEASURE rc=%d wall_ms=%.3f stall_ms=%.3f stall_window_ms=%.3f stall_total_ms=%.3f "
	       "stops=%zu stop_max_ms=%.3f gap_max_ms=%.3f gap_med_ms=%.3f threads=%u late=%u "
	       "overflow=%u\n",
	       rc, (t1 - t0) / 1e6, (nstops ? st.max_in_stop : st.max) / 1e6, st.max / 1e6,
	       st.sum / 1e6, nstops, stop_max / 1e6, longest[n - 1] / 1e6, longest[n / 2] / 1e6, n,
	       late, overflow);
	fflush(stdout);
	free(ev);
	free(longest);
	return late ? -1 : 0;
}

/* Run argv (or sleep idle_ms when argv is NULL) and report the window. */
static int measure(char **argv, long idle_ms)
{
	uint64_t n0[BENCH_MAX_THREADS], t0, t1;
	char stops_path[64];
	int rc = 0;

	snprintf(stops_path, sizeof(stops_path), "/dev/shm/xsplice-measure-%d.stops", getpid());
	unlink(stops_path);
	setenv(XS_STOPS_ENV, stops_path, 1);
	for (unsigned i = 0; i < shm->nthreads; i++)
		n0[i] = __atomic_load_n(&shm->slot[i].ngaps, __ATOMIC_ACQUIRE);
	t0 = now_ns();
	if (argv)
		rc = run_cmd(argv);
	else
		sleep_ms(idle_ms);
	t1 = now_ns();
	read_stops(stops_path);
	return report(n0, t0, t1, rc) ? 1 : rc != 0;
}

int main(int argc, char **argv)
{
	struct sched_param rt = { .sched_priority = 40 };

	/* Silently without when not permitted: timestamps only get noisier. */
	sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt);
	/* "ready" may come before busy has created the file. */
	if (argc < 3 || map_shm(argv[2], !strcmp(argv[1], "ready")))
		goto usage;
	if (!strcmp(argv[1], "info")) {
		printf("%d 0x%llx\n", shm->pid, (unsigned long long)shm->f0_addr);
		return 0;
	}
	if (!strcmp(argv[1], "ready"))
		return wait_ready() ? 1 : 0;
	if (!strcmp(argv[1], "check"))
		return check_sum() ? 1 : 0;
	if (!strcmp(argv[1], "run") && argc > 4 && !strcmp(argv[3], "--"))
		return measure(argv + 4, 0);
	if (!strcmp(argv[1], "idle") && argc == 4)
		return measure(NULL, atol(argv[3]));
usage:
	fprintf(stderr, "usage: measure info|ready|check SHM | run SHM -- CMD... | idle SHM MS\n");
	return 2;
}
