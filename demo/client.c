/* SPDX-License-Identifier: MIT */
/*
 * Demo load generator: CONNS persistent connections hammer the record echo
 * service with valid requests (answers checked) and, every EVIL-th request,
 * a short record that declares 64 bytes (answers classified: leaked/refused).
 * Usage: client PORT SECONDS [CONNS [EVIL [RATE]]]  (RATE per connection, 0 = max)
 * One line per second; SIGUSR1 prints a "mark" line of running totals (for
 * scripts); SIGTERM/SIGINT end the run early. Exits 1 if any connection
 * dropped or any valid request got a wrong answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

enum { C_OK, C_LEAKED, C_REFUSED, C_WRONG, C_DROPPED, C_NR };
static const char *const counter_names[C_NR] = {
	[C_OK] = "ok", [C_LEAKED] = "leaked", [C_REFUSED] = "refused",
	[C_WRONG] = "wrong", [C_DROPPED] = "dropped",
};

static atomic_ulong counters[C_NR];
static atomic_ulong max_latency_ns; /* reset every second by main */
static atomic_bool stopping;

static pthread_mutex_t sample_lock = PTHREAD_MUTEX_INITIALIZER;
static char sample[32 + 4 * REC_DATA_MAX + 1]; /* last leak: who got which bytes */

struct conn {
	int fd;
	int index;
	char session[17]; /* the "secret" this connection sends in every request */
	pthread_t thread;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int io_full(int fd, void *buf, size_t len, bool write)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = write ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? -EPIPE : -errno;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static void note_latency(uint64_t ns)
{
	unsigned long cur = atomic_load_explicit(&max_latency_ns, memory_order_relaxed);

	while (ns > cur && !atomic_compare_exchange_weak(&max_latency_ns, &cur, ns))
		;
}

static void keep_sample(int conn, const uint8_t *p, size_t n)
{
	char *o = sample;

	pthread_mutex_lock(&sample_lock);
	o += sprintf(o, "connection %d got: ", conn);
	for (size_t i = 0; i < n; i++)
		o += p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\'
			     ? sprintf(o, "%c", p[i])
			     : sprintf(o, "\\x%02x", p[i]);
	*o = 0;
	pthread_mutex_unlock(&sample_lock);
}

/* What a valid request carries: data an attacker would like to read. */
static size_t valid_data(const struct conn *c, unsigned long seq, uint8_t *buf)
{
	size_t want = 40 + seq % 25, n;

	n = (size_t)snprintf((char *)buf, REC_DATA_MAX + 1, "user=c%d;session=%s;seq=%lu;",
			     c->index, c->session, seq);
	if (n > REC_DATA_MAX)
		n = REC_DATA_MAX;
	for (; n < want; n++)
		buf[n] = '.';
	return n;
}

/* One request/response; returns the counter it falls into. */
static int one_request(struct conn *c, unsigned long seq, bool evil)
{
	uint8_t req[2 + 2 + REC_DATA_MAX], resp[FRAME_MAX];
	size_t dlen = evil ? 1 : valid_data(c, seq, req + 4), n;
	uint64_t t0 = now_ns();
	int rc;

	if (evil)
		req[4] = '?';
	req[0] = 0;
	req[1] = (uint8_t)(2 + dlen);
	req[2] = REC_ECHO;
	req[3] = evil ? REC_DATA_MAX : (uint8_t)dlen; /* the lie */
	rc = io_full(c->fd, req, 4 + dlen, true);
	if (!rc)
		rc = io_full(c->fd, resp, 2, false);
	n = rc ? 0 : (size_t)resp[0] << 8 | resp[1];
	if (!rc && (n == 0 || n > sizeof(resp)))
		rc = -EPROTO;
	if (!rc)
		rc = io_full(c->fd, resp, n, false);
	if (rc) {
		fprintf(stderr, "client: connection %d dropped: %s\n", c->index, strerror(-rc));
		return C_DROPPED;
	}
	note_latency(now_ns() - t0);
	if (evil && resp[0] == ST_OK && n - 1 > dlen && resp[1] == '?') {
		keep_sample(c->index, resp + 1, n - 1);
		return C_LEAKED;
	}
	if (evil && (resp[0] == ST_BAD_RECORD || (resp[0] == ST_OK && n - 1 == dlen)))
		return C_REFUSED; /* rejected or clamped: both are correct fixes */
	if (!evil && resp[0] == ST_OK && n - 1 == dlen && !memcmp(resp + 1, req + 4, dlen))
		return C_OK;
	return C_WRONG;
}

static unsigned evil_every = 50;
static unsigned rate; /* requests per second per connection; 0 = flat out */

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (unsigned long seq = 1; !atomic_load(&stopping); seq++) {
		int k = one_request(c, seq, seq % evil_every == 0);
		atomic_fetch_add_explicit(&counters[k], 1, memory_order_relaxed);
		if (k == C_DROPPED)
			break;
		if (!rate)
			continue;
		/* Absolute deadlines: a stall (the patch stop) is caught up, not lost. */
		next.tv_nsec += 1000000000 / (long)rate;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return NULL;
}

static int open_conn(struct conn *c, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 5 }; /* a stall this long counts as a drop */
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "client: connection %d to 127.0.0.1:%d: %s\n", c->index, port,
			strerror(errno));
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(c->session, sizeof(c->session), "%016llx",
		 (unsigned long long)(now_ns() * 0x9e3779b97f4a7c15ull ^ (uint64_t)c->index << 56));
	return 0;
}

static void print_totals(const char *prefix)
{
	printf("%s", prefix);
	for (int i = 0; i < C_NR; i++)
		printf(" %s=%lu", counter_names[i], atomic_load(&counters[i]));
}

/* Main thread: per-second lines and marks, driven by sigtimedwait. */
static void report_loop(unsigned seconds, const sigset_t *sigs)
{
	unsigned long last[C_NR] = { 0 };
	uint64_t start = now_ns(), next = start + 1000000000u;
	unsigned marks = 0, tick = 0;

	while (tick < seconds) {
		uint64_t now = now_ns();
		struct timespec ts = { 0 };
		int sig;

		if (now < next)
			ts = (struct timespec){ (time_t)((next - now) / 1000000000u),
						(long)((next - now) % 1000000000u) };
		sig = now < next ? sigtimedwait(sigs, NULL, &ts) : -1;
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGUSR1) {
			char prefix[32];
			snprintf(prefix, sizeof(prefix), "mark %u:", ++marks);
			print_totals(prefix);
			pthread_mutex_lock(&sample_lock);
			printf(" sample=\"%s\"\n", sample);
			sample[0] = 0;
			pthread_mutex_unlock(&sample_lock);
			fflush(stdout);
			continue;
		}
		if (now_ns() < next)
			continue;
		next += 1000000000u;
		printf("[%3us]", ++tick);
		for (int i = 0; i < C_NR; i++) {
			unsigned long v = atomic_load(&counters[i]);
			printf(" %s %-6lu", counter_names[i], v - last[i]);
			last[i] = v;
		}
		printf(" max latency %.1f ms\n", (double)atomic_exchange(&max_latency_ns, 0) / 1e6);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	int port = argc > 2 ? atoi(argv[1]) : 0, nconns = argc > 3 ? atoi(argv[3]) : 8;
	unsigned seconds = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	struct conn *conns;
	sigset_t sigs;
	int rc = 0;

	if (argc > 4)
		evil_every = (unsigned)atoi(argv[4]);
	if (argc > 5)
		rate = (unsigned)atoi(argv[5]);
	if (port <= 0 || port > 65535 || seconds < 1 || nconns < 1 || nconns > 256 ||
	    evil_every < 2 || rate > 1000000) {
		fprintf(stderr, "usage: client PORT SECONDS [CONNS 1..256 [EVIL >= 2 [RATE]]]\n");
		return 2;
	}
	/* Blocked everywhere; main collects them with sigtimedwait. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	conns = calloc((size_t)nconns, sizeof(*conns));
	if (!conns)
		return 1;
	for (int i = 0; i < nconns && !rc; i++) {
		conns[i].index = i;
		rc = open_conn(&conns[i], port);
	}
	for (int i = 0; i < nconns && !rc; i++)
		rc = pthread_create(&conns[i].thread, NULL, conn_main, &conns[i]) ? -1 : 0;
	if (rc) {
		fprintf(stderr, "client: could not start all %d connections\n", nconns);
		return 1; /* exiting ends whatever did start */
	}
	printf("client: %d connections to 127.0.0.1:%d for %us, every %u-th request malicious",
	       nconns, port, seconds, evil_every);
	if (rate)
		printf(", %u requests/s each", rate);
	printf("\n");
	fflush(stdout);
	report_loop(seconds, &sigs);
	atomic_store(&stopping, true);
	for (int i = 0; i < nconns; i++) {
		pthread_join(conns[i].thread, NULL);
		close(conns[i].fd);
	}
	free(conns);
	print_totals("client: totals:");
	rc = atomic_load(&counters[C_WRONG]) || atomic_load(&counters[C_DROPPED]);
	printf("\nclient: %s\n", rc ? "FAIL: a valid request got a wrong answer or a connection dropped"
				    : "PASS: every valid request answered correctly, no connection dropped");
	return rc;
}
