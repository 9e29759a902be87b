/* SPDX-License-Identifier: MIT */
/* The stops of the target noted for XSPLICE_STOPS (stop_log.h). */
#include "target/stop_log.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"

static bool open_stop;
static struct {
	uint64_t begin, end;
} stops[64];
static size_t nstops;

void xs_stop_log_begin(void)
{
	if (open_stop || nstops == XS_ARRAY_SIZE(stops) || !getenv(XS_STOPS_ENV))
		return;
	stops[nstops].begin = (uint64_t)xs_now_ns();
	open_stop = true;
}

void xs_stop_log_end(void)
{
	if (!open_stop)
		return;
	stops[nstops++].end = (uint64_t)xs_now_ns();
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
