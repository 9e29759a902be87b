/* SPDX-License-Identifier: MIT */
/*
 * Layout of the shared-memory file through which bench/busy.c (the target)
 * reports what its spinning threads saw, read by bench/measure.c.
 * Each thread writes only its own cache lines; nobody writes the target's.
 */
#ifndef XS_BENCH_SHM_H
#define XS_BENCH_SHM_H

#include <stdint.h>

#define BENCH_MAGIC 0x78734245u /* "xsBE" */
#define BENCH_MAX_THREADS 256
#define BENCH_RING 2048   /* gaps remembered per thread (power of two) */
#define BENCH_GAP_NS 5000 /* a gap this long (5 us) is "not running" */

/* One interval [start, end] in which a thread made no progress. */
struct bench_gap {
	uint64_t start_ns; /* CLOCK_MONOTONIC of the iteration before the gap */
	uint64_t end_ns;   /* CLOCK_MONOTONIC of the iteration after it */
};

/* Per thread; written only by that thread (aligned so threads share no line). */
struct bench_slot {
	uint64_t last_ns; /* latest iteration's timestamp (every iteration) */
	uint64_t ngaps;   /* gaps recorded so far; ring index = ngaps % BENCH_RING */
	uint64_t iters;   /* iterations / 1024, to show the loop is alive */
	int32_t tid;
	int32_t pad;
	uint8_t pad2[32];
	struct bench_gap ring[BENCH_RING];
} __attribute__((aligned(64)));

struct bench_shm {
	uint32_t magic;
	uint32_t nthreads;
	int32_t pid;
	uint32_t ready;     /* threads that have started spinning */
	uint64_t f0_addr;   /* address of f0 in the target (for bench/floor.c) */
	int64_t check_sum;  /* sum of f0(1)..f999(1), written on SIGUSR1 */
	uint64_t check_gen; /* incremented after each check_sum update */
	uint8_t pad[24];
	struct bench_slot slot[BENCH_MAX_THREADS];
};

#endif
