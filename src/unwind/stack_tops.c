/* SPDX-License-Identifier: MIT */
/*
 * Stack tops read on a second CPU while the stop reads registers
 * (stack_tops.h). The queue has one writer, the thread that stops the
 * target; jobs are taken from it in batches, by the helper or by that
 * thread, with a compare-and-swap on `taken`, so each top is read once.
 */
#include "unwind/stack_tops.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "arch.h"
#include "common/error.h"
#include "target/target.h"
#include "target/warm_pages.h"

#define HELPER_BATCH 8 /* tops per read by the helper: the caller may take the next ones */
#define STEAL_BATCH 8  /* by the caller, when the helper is behind: back to walking soon */
#define IDLE_US 300    /* the helper spins this long without work, then sleeps */
#define WAIT_US 5000   /* a caller waits this long for a top being read, then goes without */

enum slot_state { EMPTY, QUEUED, DONE, FAILED };
enum mode { SLEEPING, RUNNING, CLOSED, QUIT }; /* the helper's futex word */

struct slot {
	pid_t tid;
	unsigned long era;
	_Atomic int state; /* enum slot_state */
};

struct xs_tops {
	pid_t pid;
	size_t cap;
	struct slot *slot;        /* by thread index */
	struct xs_stack_top *top; /* by thread index */
	size_t *queue;            /* job k: a thread index */
	_Atomic size_t queued, taken;
	_Atomic uint32_t mode; /* CLOSED is set by the queueing thread and kept */
	bool have_helper;
	pthread_t helper;
	_Atomic size_t by_helper, by_caller;
};

static void futex(_Atomic uint32_t *word, int op, uint32_t val)
{
	syscall(SYS_futex, (uint32_t *)word, op, val, NULL, NULL, 0);
}

void xs_stack_tops_read(pid_t pid, struct xs_stack_top *tops, const size_t *which, size_t n)
{
	struct iovec local[XS_TOPS_BATCH], remote[XS_TOPS_BATCH];
	struct xs_stack_top *want[XS_TOPS_BATCH];
	bool ok[XS_TOPS_BATCH];
	size_t k = 0;

	for (size_t j = 0; j < n && j < XS_TOPS_BATCH; j++) {
		struct xs_stack_top *top = &tops[which[j]];
		size_t len = xs_stack_top_len(top->addr);

		top->len = 0;
		if (!xs_stack_top_fits(top->addr))
			continue;
		local[k] = (struct iovec){ top->data, len };
		remote[k] = (struct iovec){ (void *)(uintptr_t)top->addr, len };
		want[k++] = top;
	}
	if (!k || xs_proc_readv(pid, local, remote, k, ok) < 0)
		return; /* not allowed at all: every walk reads page by page */
	for (size_t j = 0; j < k; j++)
		if (ok[j])
			want[j]->len = local[j].iov_len;
}

/* Take up to max queued jobs and read their tops: false when none was left. */
static bool take(struct xs_tops *p, size_t max, _Atomic size_t *count)
{
	size_t from = atomic_load(&p->taken), to;

	if (max > XS_TOPS_BATCH)
		max = XS_TOPS_BATCH;
	do {
		size_t queued = atomic_load_explicit(&p->queued, memory_order_acquire);

		if (from >= queued)
			return false;
		to = from + (queued - from < max ? queued - from : max);
	} while (!atomic_compare_exchange_weak(&p->taken, &from, to));
	xs_stack_tops_read(p->pid, p->top, &p->queue[from], to - from);
	for (size_t k = from; k < to; k++) {
		size_t i = p->queue[k];

		atomic_store_explicit(&p->slot[i].state, p->top[i].len ? DONE : FAILED,
		                      memory_order_release);
	}
	atomic_fetch_add(count, to - from);
	return true;
}

static void *helper_main(void *arg)
{
	struct xs_tops *p = arg;

	for (;;) {
		uint32_t mode = atomic_load(&p->mode);
		long long idle_since = xs_now_us();
		unsigned spins = 0;

		if (mode == QUIT)
			return NULL;
		if (mode != RUNNING) {
			futex(&p->mode, FUTEX_WAIT_PRIVATE, mode);
			continue;
		}
		while (atomic_load_explicit(&p->mode, memory_order_relaxed) == RUNNING) {
			uint32_t running = RUNNING;

			if (take(p, HELPER_BATCH, &p->by_helper)) {
				idle_since = xs_now_us();
				continue;
			}
			xs_arch_relax();
			if (++spins % 256 == 0 && xs_now_us() - idle_since > IDLE_US)
				atomic_compare_exchange_strong(&p->mode, &running, SLEEPING);
		}
	}
}

/*
 * Real-time, at the lowest priority: woken by a real-time stopper, a normal
 * thread is queued on the stopper's own CPU and waits there until the stop
 * is over (seen: not one top read by it); a real-time one is sent to the
 * idle CPU. It only spins in the stop, when every target thread is held.
 */
static bool start_helper(struct xs_tops *p)
{
	struct sched_param low = { .sched_priority = sched_get_priority_min(SCHED_FIFO) };
	pthread_attr_t rt;
	sigset_t all, old;
	int rc;

	/* Signals for us (SIGCHLD of each ptrace stop) must not land in the helper. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&rt);
	pthread_attr_setinheritsched(&rt, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&rt, SCHED_FIFO);
	pthread_attr_setschedparam(&rt, &low);
	rc = pthread_create(&p->helper, &rt, helper_main, p);
	if (rc == EPERM) /* not allowed: still useful where the stopper is not real-time */
		rc = pthread_create(&p->helper, NULL, helper_main, p);
	pthread_attr_destroy(&rt);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc == 0;
}

struct xs_tops *xs_tops_new(pid_t pid, size_t cap, bool helper)
{
	struct xs_tops *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pid = pid;
	p->cap = cap; /* pages faulted in now, for us and for the kernel that writes them */
	p->slot = xs_alloc_ours(cap * sizeof(*p->slot));
	p->top = xs_alloc_ours(cap * sizeof(*p->top));
	p->queue = xs_alloc_ours(cap * sizeof(*p->queue));
	atomic_init(&p->mode, SLEEPING);
	if (!p->slot || !p->top || !p->queue) {
		xs_tops_free(p);
		return NULL;
	}
	p->have_helper = helper && start_helper(p); /* without one, the caller reads all */
	return p;
}

void xs_tops_queue(struct xs_tops *p, size_t i, pid_t tid, uint64_t addr, unsigned long era)
{
	struct slot *s;
	size_t k;

	if (!p || atomic_load_explicit(&p->mode, memory_order_relaxed) >= CLOSED || i >= p->cap ||
	    !xs_stack_top_fits(addr))
		return; /* a top past the end of the address space: nothing to read */
	s = &p->slot[i];
	if (atomic_load_explicit(&s->state, memory_order_relaxed) != EMPTY)
		return;
	s->tid = tid;
	s->era = era;
	p->top[i].addr = addr;
	atomic_store_explicit(&s->state, QUEUED, memory_order_relaxed);
	k = atomic_load_explicit(&p->queued, memory_order_relaxed);
	p->queue[k] = i;
	atomic_store_explicit(&p->queued, k + 1, memory_order_release);
	if (p->have_helper && atomic_load_explicit(&p->mode, memory_order_relaxed) == SLEEPING) {
		uint32_t sleeping = SLEEPING;

		if (atomic_compare_exchange_strong(&p->mode, &sleeping, RUNNING))
			futex(&p->mode, FUTEX_WAKE_PRIVATE, 1);
	}
}

const struct xs_stack_top *xs_tops_get(struct xs_tops *p, size_t i, pid_t tid, uint64_t addr,
                                       unsigned long era)
{
	size_t batch;
	long long deadline = 0;
	int state;

	if (!p || i >= p->cap)
		return NULL;
	state = atomic_load_explicit(&p->slot[i].state, memory_order_acquire);
	if (state == EMPTY || p->slot[i].tid != tid || p->slot[i].era != era ||
	    p->top[i].addr != addr)
		return NULL;
	batch = p->have_helper ? STEAL_BATCH : XS_TOPS_BATCH;
	for (unsigned spins = 0; state == QUEUED;) {
		/* Not taken yet: read it (and the next few) here. Taken: in flight. */
		if (!take(p, batch, &p->by_caller)) {
			xs_arch_relax();
			if (++spins % 256 == 0) {
				long long now = xs_now_us();

				if (!deadline)
					deadline = now + WAIT_US;
				else if (now > deadline)
					return NULL; /* the walk reads the stack page by page */
			}
		}
		state = atomic_load_explicit(&p->slot[i].state, memory_order_acquire);
	}
	return state == DONE ? &p->top[i] : NULL;
}

void xs_tops_close(struct xs_tops *p)
{
	if (p)
		atomic_store(&p->mode, CLOSED); /* a spinning helper sees it and sleeps */
}

void xs_tops_counts(const struct xs_tops *p, size_t *by_helper, size_t *by_caller)
{
	*by_helper = p ? atomic_load(&p->by_helper) : 0;
	*by_caller = p ? atomic_load(&p->by_caller) : 0;
}

void xs_tops_free(struct xs_tops *p)
{
	if (!p)
		return;
	if (p->have_helper) {
		atomic_store(&p->mode, QUIT);
		futex(&p->mode, FUTEX_WAKE_PRIVATE, 1);
		pthread_join(p->helper, NULL);
	}
	free(p->slot);
	free(p->top);
	free(p->queue);
	free(p);
}
