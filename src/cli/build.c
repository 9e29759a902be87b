/* SPDX-License-Identifier: MIT */
/*
 * `xsplice build`: a payload from a source tree and a diff. Parses the
 * arguments and runs the builder's pipeline (src/builder/build_main.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/build.h"
#include "cli/cli.h"
#include "common/error.h"

#define BUILD_USAGE                                                                                \
	"usage: xsplice build --src DIR --patch FIX.diff --target BIN (-o OUT.xsp | --id NAME) [--build CMD] [--work DIR] [--keep] [--allow-layout T,...] [--skip FUNC]... [--include FUNC]... [--cache DIR [--cache-keep N]]"

/* Every value of a repeatable option, in order; *n of them. */
static int take_all(int *argc, char **argv, const char *name, const char ***out, size_t *n)
{
	const char *v;

	while ((v = cli_take_option(argc, argv, name))) {
		const char **a = realloc(*out, (*n + 1) * sizeof(*a));

		if (!a)
			return -ENOMEM;
		a[(*n)++] = v;
		*out = a;
	}
	return 0;
}

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

		if (!o.cache || !*v || *end || n < 1 || n > 1000) {
			rc = xs_fail_kind(
			    XS_FAIL_USAGE, -EINVAL,
			    "--cache-keep '%s': a number of entries from 1 to 1000, with --cache",
			    v);
			goto out;
		}
		o.cache_keep = (unsigned)n;
	}
	rc = take_all(&argc, argv, "--skip", &o.skip, &o.nskip);
	if (!rc)
		rc = take_all(&argc, argv, "--include", &o.want, &o.nwant);
	if (rc)
		goto out;
	if ((v = cli_take_option(&argc, argv, "--build")))
		o.build = v;
	/* --id: the payload's name; it is the file's (load takes the id from
	 * the file name), so without -o the payload is written to ID.xsp. */
	if ((v = cli_take_option(&argc, argv, "--id"))) {
		rc = -ENOMEM;
		if (!v[0] || strchr(v, '/'))
			rc = xs_fail_kind(XS_FAIL_USAGE, -EINVAL,
			                  "--id '%s': a payload name, without '/'", v);
		else if (o.out || asprintf(&out, "%s.xsp", v) >= 0)
			rc = 0;
		if (rc)
			goto out;
		if (!o.out)
			o.out = out;
	}
	if (argc > 1)
		rc = xs_fail_kind(XS_FAIL_USAGE, -EINVAL, "unexpected argument '%s'; " BUILD_USAGE,
		                  argv[1]);
	else if (!o.src || !o.patch || !o.target || !o.out)
		rc = xs_fail_kind(XS_FAIL_USAGE, -EINVAL, BUILD_USAGE);
	else
		rc = xb_build(&o);
out:
	free(out);
	free(o.skip);
	free(o.want);
	return rc;
}
