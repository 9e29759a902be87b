/* SPDX-License-Identifier: MIT */
/*
 * The README's five-minute walk-through: a line checksum service on
 * 127.0.0.1 (port 7000, or the one given; 0 picks a free one). Each
 * connection sends one line and gets "checksum N" back. checksum() reads
 * one byte past the end: the newline counts too.
 * Build: gcc -O2 -g -o server server.c     Run: ./server [PORT]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int checksum(const char *s, int n)
{
	int sum = 0;
	for (int i = 0; i <= n; i++)   /* reads one byte past the end */
		sum += s[i];
	return sum;
}

/* One request: a line in, "checksum N" out. */
void serve(int fd)
{
	char buf[256], out[32];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	char *end;

	if (n <= 0)
		return;
	buf[n] = '\0';
	end = strchr(buf, '\n');
	snprintf(out, sizeof(out), "checksum %d\n", checksum(buf, end ? end - buf : n));
	if (write(fd, out, strlen(out)) < 0)
		perror("server: write");
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	sa.sin_port = htons(argc > 1 ? atoi(argv[1]) : 7000);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len)) {
		perror("server: 127.0.0.1");
		return 1;
	}
	printf("server: pid %d, listening on 127.0.0.1:%d\n", (int)getpid(), ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd >= 0) {
			serve(fd);
			close(fd);
		}
	}
}
