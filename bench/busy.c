/* SPDX-License-Identifier: MIT */
/*
 * Benchmark target: N threads spin reading CLOCK_MONOTONIC and log every gap
 * longer than BENCH_GAP_NS into their own slot of a shared file (bench_shm.h).
 * It also holds f0..f999 (busy_funcs.c, generated) that the spinners never call.
 * With "park", one more thread sits inside parked() for good: an apply of a
 * payload replacing parked (park_payload.c) is always refused.
 * Usage: busy NTHREADS SHMFILE [LIFETIME_S [park]]
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench_shm.h"

/* From the generated busy_funcs.c. */
extern int (*const busy_funcs[])(int);
extern const unsigned busy_nfuncs;
int f0(int);

static struct bench_shm *shm;
static uint64_t deadline_ns;

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* SIGUSR1: call every patchable function once so the bench can see whether a
 * patch took effect (sum changes by one per replaced function). Async-signal
 * safe: only plain stores to the shared file. */
static void on_check(int sig)
{
	int64_t sum = 0;

	(void)sig;
	for (unsigned i = 0; i < busy_nfuncs; i++)
		sum += busy_funcs[i](1);
	shm->check_sum = sum;
	__atomic_add_fetch(&shm->check_gen, 1, __ATOMIC_RELEASE);
}

static void spin(struct bench_slot *s)
{
	uint64_t prev = now_ns(), t, n = 0;

	s->tid = (int32_t)syscall(SYS_gettid);
	__atomic_add_fetch(&shm->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		t = now_ns();
		if (t - prev > BENCH_GAP_NS) {
			struct bench_gap *g = &s->ring[s->ngaps % BENCH_RING];

			g->start_ns = prev;
			g->end_ns = t;
			__atomic_store_n(&s->ngaps, s->ngaps + 1, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&s->last_ns, t, __ATOMIC_RELEASE);
		prev = t;
		/* Bounded life: never outlive a bench that died without killing us. */
		if ((++n & 0xfffff) == 0) {
			s->iters = n >> 10;
			if (t > deadline_ns)
				_exit(0);
		}
	}
}

static void *thread_main(void *arg)
{
	spin(arg);
	return NULL;
}

/* Never returns: whoever waits for a thread to leave it waits in vain. */
__attribute__((noinline, noclone, used)) int parked(int x)
{
	struct timespec ts = { 1, 0 };

	for (;;)
		if (nanosleep(&ts, NULL) && errno != EINTR)
			x++;
	return x;
}

static void *park_main(void *arg)
{
	(void)arg;
	return (void *)(long)parked(0);
}

static int map_shm(const char *path, unsigned nthreads)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || ftruncate(fd, sizeof(*shm)) < 0) {
		fprintf(stderr, "busy: %s: %s\n", path, strerror(errno));
		return -1;
	}
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (shm == MAP_FAILED) {
		fprintf(stderr, "busy: mapping %s: %s\n", path, strerror(errno));
		return -1;
	}
	shm->nthreads = nthreads;
	shm->pid = getpid();
	shm->f0_addr = (uint64_t)(uintptr_t)&f0;
	__atomic_store_n(&shm->magic, BENCH_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned nthreads = argc > 2 ? (unsigned)atoi(argv[1]) : 0;
	long lifetime_s = argc > 3 ? atol(argv[3]) : 600;
	pthread_t th;

	bool park = argc > 4 && !strcmp(argv[4], "park");

	if (nthreads < 1 || nthreads > BENCH_MAX_THREADS || lifetime_s < 1) {
		fprintf(stderr, "usage: busy NTHREADS(1..%d) SHMFILE [LIFETIME_S [park]]\n",
		        BENCH_MAX_THREADS);
		return 2;
	}
	deadline_ns = now_ns() + (uint64_t)lifetime_s * 1000000000u;
	if (map_shm(argv[2], nthreads))
		return 1;
	signal(SIGUSR1, on_check);
	for (unsigned i = 1; i < nthreads; i++) {
		int rc = pthread_create(&th, NULL, thread_main, &shm->slot[i]);

		if (rc) {
			fprintf(stderr, "busy: thread %u: %s\n", i, strerror(rc));
			return 1;
		}
	}
	if (park && pthread_create(&th, NULL, park_main, NULL)) {
		fprintf(stderr, "busy: the parked thread: cannot create it\n");
		return 1;
	}
	spin(&shm->slot[0]); /* the main thread is spinner 0: exactly N spinners */
	return 0;
}
