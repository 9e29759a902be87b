/* SPDX-License-Identifier: MIT */
/*
 * XSPLICE_STOPS=FILE: each time the target's threads are held, from the
 * first interrupt to the end of the loop that lets them go, is appended to
 * FILE as one line "stop BEGIN_NS END_NS" (CLOCK_MONOTONIC). The benchmark
 * needs it to tell the pause of a stop from the stalls the host causes
 * anywhere else in a command's run; bench/floor.c writes the same lines.
 * The times are kept in memory during the stop and written at the detach.
 */
#ifndef XS_STOP_LOG_H
#define XS_STOP_LOG_H

#define XS_STOPS_ENV "XSPLICE_STOPS"
#define XS_STOPS_FMT "stop %llu %llu\n"

/* Both do nothing unless XSPLICE_STOPS is set; a begin while a stop is
 * open, or an end while none is, is ignored. */
void xs_stop_log_begin(void);
void xs_stop_log_end(void);

/* Append the stops noted so far to the file (best effort). */
void xs_stop_log_flush(void);

#endif
