/* SPDX-License-Identifier: MIT */
/* The stops of the target noted for XSPLICE_STOPS (stop_log.h). */
#include "stop_log.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "error.h"

static bool open_stop;
static struct {
	uint64_t begin, end;
} stops[64];
static size_t nstops;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void xs_stop_log_begin(void)
{
	if (open_stop || nstops == XS_ARRAY_SIZE(stops) || !getenv(XS_STOPS_ENV))
		return;
	stops[nstops].begin = now_ns();
	open_stop = true;
}

void xs_stop_log_end(void)
{
	if (!open_stop)
		return;
	stops[nstops++].end = now_ns();
	open_stop = false;
	if (nstops == XS_ARRAY_SIZE(stops)) /* the threads run again: writing costs them nothing */
		xs_stop_log_flush();
}

void xs_stop_log_flush(void)
{
	const char *path = getenv(XS_STOPS_ENV);
	FILE *f;

	if (!nstops || !path)
		return;
	f = fopen(path, "ae");
	if (!f) {
		xs_debug("%s=%s: cannot append the stops", XS_STOPS_ENV, path);
	} else {
		for (size_t i = 0; i < nstops; i++)
			fprintf(f, XS_STOPS_FMT, (unsigned long long)stops[i].begin,
				(unsigned long long)stops[i].end);
		fclose(f);
	}
	nstops = 0;
}
