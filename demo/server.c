/* SPDX-License-Identifier: MIT */
/*
 * Demo target: a multi-threaded record echo service on 127.0.0.1 with a
 * Heartbleed-style bug in a file-local parser, patched live by demo/fix.c.
 * Usage: server [WORKERS]   (prints its port; SIGTERM prints stats and exits)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto.h"

static atomic_ulong records_served;
static atomic_ulong bad_records; /* the fix counts the records it refuses here too */
static atomic_ulong connections;
static int listen_fd;

/*
 * The bug: the declared length is checked against the record's buffer, but
 * not against the bytes that actually arrived (n - 2). A short record that
 * declares 64 bytes gets back whatever an earlier request left in the
 * receive buffer. Bounded (rx is larger than 2 + 64), so the process
 * never crashes: it just leaks.
 *
 * noipa: keep this a real, separately callable function with the standard
 * calling convention (no inlining, no clones, no caller-side register
 * assumptions), which is what patching it by jumping from its entry needs.
 */
static __attribute__((noipa)) int parse_record(const uint8_t *body, size_t n, struct record *rec)
{
	if (n < 2 || body[0] != REC_ECHO || body[1] > sizeof(rec->data)) {
		atomic_fetch_add_explicit(&bad_records, 1, memory_order_relaxed);
		return -1;
	}
	rec->type = body[0];
	rec->len = body[1];
	memcpy(rec->data, body + 2, rec->len);
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Receive buffers come from a shared LIFO pool, as in many real servers: a
 * request lands in whatever buffer the previous request (of any connection)
 * just gave back, so the leak shows other clients' data.
 */
#define POOL_MAX 256
static uint8_t pool_mem[POOL_MAX][FRAME_MAX];
static uint8_t *pool_free[POOL_MAX];
static int pool_n;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static uint8_t *buf_get(void)
{
	uint8_t *b;

	pthread_mutex_lock(&pool_lock);
	b = pool_free[--pool_n]; /* never empty: one buffer per worker at most */
	pthread_mutex_unlock(&pool_lock);
	return b;
}

static void buf_put(uint8_t *b)
{
	pthread_mutex_lock(&pool_lock);
	pool_free[pool_n++] = b;
	pthread_mutex_unlock(&pool_lock);
}

/* One request: body in rx, response frame written to fd. */
static int handle(int fd, const uint8_t *rx, size_t n)
{
	uint8_t out[2 + 1 + REC_DATA_MAX];
	struct record rec;
	size_t olen;

	if (parse_record(rx, n, &rec) == 0) {
		out[2] = ST_OK;
		memcpy(out + 3, rec.data, rec.len);
		olen = 1 + (size_t)rec.len;
	} else {
		out[2] = ST_BAD_RECORD;
		olen = 1;
	}
	out[0] = (uint8_t)(olen >> 8);
	out[1] = (uint8_t)olen;
	return write_full(fd, out, 2 + olen);
}

/* One persistent connection: frames in, one response frame per request. */
static void serve(int fd)
{
	for (;;) {
		uint8_t hdr[2], *rx;
		size_t n;
		int rc;

		if (read_full(fd, hdr, 2))
			return;
		n = (size_t)hdr[0] << 8 | hdr[1];
		if (n == 0 || n > FRAME_MAX)
			return;
		rx = buf_get();
		rc = read_full(fd, rx, n);
		if (!rc)
			rc = handle(fd, rx, n);
		buf_put(rx);
		if (rc)
			return;
		atomic_fetch_add_explicit(&records_served, 1, memory_order_relaxed);
	}
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("server: accept on 127.0.0.1");
			exit(1);
		}
		atomic_fetch_add_explicit(&connections, 1, memory_order_relaxed);
		serve(fd);
		close(fd);
	}
	return NULL;
}

static int open_listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		perror("server: listening socket on 127.0.0.1");
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

int main(int argc, char **argv)
{
	int workers = argc > 1 ? atoi(argv[1]) : 8, port, sig;
	sigset_t set;

	if (workers < 1 || workers > POOL_MAX) {
		fprintf(stderr, "usage: server [WORKERS 1..256]\n");
		return 2;
	}
	for (int i = 0; i < workers; i++)
		pool_free[pool_n++] = pool_mem[i];
	listen_fd = open_listener(&port);
	if (listen_fd < 0)
		return 1;
	/* Workers inherit the mask; only main takes SIGTERM/SIGINT, in sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < workers; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, NULL)) {
			fprintf(stderr, "server: cannot start worker %d\n", i);
			return 1;
		}
		pthread_detach(t);
	}
	printf("server: pid %d listening on 127.0.0.1:%d, %d workers\n", (int)getpid(), port,
	       workers);
	fflush(stdout);
	sigwait(&set, &sig);
	printf("server: %s: %lu connections, %lu records served, %lu bad records refused\n",
	       strsignal(sig), atomic_load(&connections), atomic_load(&records_served),
	       atomic_load(&bad_records));
	fflush(stdout);
	return 0;
}
