/* SPDX-License-Identifier: MIT */
/*
 * blocking_io target: a TCP echo server on 127.0.0.1 (port printed as
 * "port N") that echoes every byte through transform(); one thread blocks in
 * accept(), one per connection blocks in read(), one loops on a single
 * nanosleep(2 s) and prints "slept ms=M rc=R errno=E". Every failed call is
 * printed as "... error ...": the test wants none.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "tgt.h"

volatile int shift = 0;

__attribute__((noinline, noipa)) int transform(int c)
{
	return c + shift;
}

static void *conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[256];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			say("read error errno=%d (%s)\n", errno, strerror(errno));
			break;
		}
		if (n == 0) {
			say("closed fd=%d\n", fd);
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)transform(buf[i]);
		if (write(fd, buf, n) != n) {
			say("write error errno=%d (%s)\n", errno, strerror(errno));
			break;
		}
	}
	close(fd);
	return NULL;
}

static void *acceptor(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		pthread_t t;

		if (fd < 0) {
			say("accept error errno=%d (%s)\n", errno, strerror(errno));
			continue;
		}
		say("accepted fd=%d\n", fd);
		if (pthread_create(&t, NULL, conn, (void *)(intptr_t)fd))
			say("pthread_create error\n");
		else
			pthread_detach(t);
	}
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec a, b, req = { 2, 0 };
		int rc, err;

		clock_gettime(CLOCK_MONOTONIC, &a);
		rc = nanosleep(&req, NULL);
		err = rc ? errno : 0;
		clock_gettime(CLOCK_MONOTONIC, &b);
		say("slept ms=%lld rc=%d errno=%d\n",
		    (long long)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000, rc,
		    err);
	}
	return NULL;
}

int main(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	pthread_t t;
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len)) {
		say("socket setup error errno=%d\n", errno);
		return 1;
	}
	say("addr transform %p\n", (void *)transform);
	say("port %d\n", ntohs(sa.sin_port));
	if (pthread_create(&t, NULL, acceptor, (void *)(intptr_t)lfd) ||
	    pthread_create(&t, NULL, sleeper, NULL))
		return 1;
	say("ready\n");
	for (unsigned long tick = 0;; tick++) {
		sleep_ms(200);
		say("tick %lu transform(a)=%c\n", tick, transform('a'));
	}
}
