/* SPDX-License-Identifier: MIT */
/*
 * `xsplice build`: a payload from a source tree and a diff. Parses the
 * arguments and runs the builder's pipeline (src/build_main.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "cli.h"
#include "error.h"

#define BUILD_USAGE                                                                               \
	"usage: xsplice build --src DIR --patch FIX.diff --target BIN (-o OUT.xsp | --id NAME) [--build CMD] [--work DIR] [--keep] [--allow-layout T,...] [--cache DIR [--cache-keep N]]"

int cmd_build(int argc, char **argv)
{
	struct xb_opts o = { .build = "make" };
	char inc[PATH_MAX];
	const char *v;
	char *out = NULL;
	int rc;

	o.src = cli_take_option(&argc, argv, "--src");
	o.patch = cli_take_option(&argc, argv, "--patch");
	o.target = cli_take_option(&argc, argv, "--target");
	o.out = cli_take_option(&argc, argv, "-o");
	o.work = cli_take_option(&argc, argv, "--work");
	o.keep = cli_take_flag(&argc, argv, "--keep");
	o.allow_layout = cli_take_option(&argc, argv, "--allow-layout");
	cli_include_dir(inc, sizeof(inc));
	o.include = inc;
	o.cache = cli_take_option(&argc, argv, "--cache");
	if ((v = cli_take_option(&argc, argv, "--cache-keep"))) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);

		if (!o.cache || !*v || *end || n < 1 || n > 1000)
			return xs_fail_kind(XS_FAIL_USAGE, -EINVAL, "--cache-keep '%s': a number of entries from 1 to 1000, with --cache", v);
		o.cache_keep = (unsigned)n;
	}
	if ((v = cli_take_option(&argc, argv, "--build")))
		o.build = v;
	/* --id: the payload's name; it is the file's (load takes the id from
	 * the file name), so without -o the payload is written to ID.xsp. */
	if ((v = cli_take_option(&argc, argv, "--id"))) {
		if (!v[0] || strchr(v, '/'))
			return xs_fail_kind(XS_FAIL_USAGE, -EINVAL, "--id '%s': a payload name, without '/'", v);
		if (!o.out && asprintf(&out, "%s.xsp", v) < 0)
			return -ENOMEM;
		if (!o.out)
			o.out = out;
	}
	if (argc > 1)
		rc = xs_fail_kind(XS_FAIL_USAGE, -EINVAL, "unexpected argument '%s'; " BUILD_USAGE, argv[1]);
	else if (!o.src || !o.patch || !o.target || !o.out)
		rc = xs_fail_kind(XS_FAIL_USAGE, -EINVAL, BUILD_USAGE);
	else
		rc = xb_build(&o);
	free(out);
	return rc;
}
