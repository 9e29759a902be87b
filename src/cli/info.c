/* SPDX-License-Identifier: MIT */
/* `xsplice info FILE.xsp` and `xsplice build-id PID|FILE`: describing things. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "common/error.h"
#include "payload/expect.h"
#include "common/json.h"
#include "symbols/objects.h"
#include "payload/payload.h"
#include "target/target.h"

static const char *hex_of(const struct xs_build_id *id, char *buf)
{
	if (!id->len)
		return NULL;
	xs_hex(id->bytes, id->len, buf);
	return buf;
}

static const char *new_name(const struct xs_payload *p, const struct xs_func_desc *f)
{
	const struct xs_symbol *sym = &p->syms[f->new_sym];

	if (!f->new_sym)
		return NULL;
	if (sym->name[0])
		return sym->name;
	/* A static function is reached through its section symbol plus an addend. */
	for (size_t i = 1; i < p->nsyms; i++)
		if (p->syms[i].type == STT_FUNC && p->syms[i].shndx == sym->shndx &&
		    (int64_t)p->syms[i].value == f->new_addend && p->syms[i].name[0])
			return p->syms[i].name;
	return p->sections[sym->shndx].name;
}

/* ", expects 8d 04 3f c3 (4 bytes)", or ", expects -": the bytes check and
 * apply must find at the function (after endbr64). */
static void expect_text(const struct xsplice_expect *e)
{
	char hex[3 * XSPLICE_EXPECT_MAX];

	if (!e->enabled) {
		printf(", expects -\n");
		return;
	}
	xs_expect_hex(e->data, e->len, hex);
	printf(", expects %s (%u bytes)\n", hex, e->len);
}

static void info_text(const struct xs_payload *p)
{
	char hex[2 * XS_BUILD_ID_MAX + 1];
	const char *h;

	printf("payload: %s\n", p->name);
	printf("build-id: %s\n", hex_of(&p->build_id, hex));
	printf("target: %s\n", hex_of(&p->target_id, hex));
	h = hex_of(&p->depends_id, hex);
	printf("depends: %s\n", h ? h : "-");
	printf("funcs: %zu\n", p->nfuncs);
	for (size_t i = 0; i < p->nfuncs; i++) {
		const struct xs_func_desc *f = &p->funcs[i];

		if (f->new_sym)
			printf("  replace %s -> %s", f->name, new_name(p, f));
		else
			printf("  nop %s (%u bytes)", f->name, f->new_size);
		expect_text(&f->expect);
	}
	for (int k = 0; k < XS_HOOK_COUNT; k++)
		if (p->hook_count[k])
			printf("hook: %s x%zu\n", xs_hook_names[k], p->hook_count[k]);
}

/* The file's functions in the shape list and get show (engine.h): what only
 * a process knows (addresses, applied) stays unknown. */
static int file_funcs(const struct xs_payload *p, struct xs_func_view **out)
{
	struct xs_func_view *v = calloc(p->nfuncs ? p->nfuncs : 1, sizeof(*v));

	for (size_t i = 0; v && i < p->nfuncs; i++) {
		const struct xs_func_desc *f = &p->funcs[i];
		const char *nn = new_name(p, f);

		v[i] = (struct xs_func_view){
			.old = strdup(f->name),
			.new_name = nn ? strdup(nn) : NULL,
			.nop = !f->new_sym,
			.old_size = f->old_size,
			.new_size = f->new_sym ? 0 : f->new_size,
			.applied = -1,
			.expect = f->expect,
		};
		if (!v[i].old || (nn && !v[i].new_name)) {
			xs_func_views_free(v, p->nfuncs);
			v = NULL;
		}
	}
	if (!v)
		return xs_fail(-ENOMEM, "%s: no memory", p->name);
	*out = v;
	return 0;
}

static int info_json(const struct xs_payload *p)
{
	char hex[2 * XS_BUILD_ID_MAX + 1];
	struct xs_func_view *funcs = NULL;
	const char *h;
	int rc = file_funcs(p, &funcs);

	if (rc)
		return rc;
	putchar('{');
	xs_json_str("payload", p->name);
	printf(",\"build_id\":\"%s\",", hex_of(&p->build_id, hex));
	printf("\"target\":\"%s\",", hex_of(&p->target_id, hex));
	h = hex_of(&p->depends_id, hex);
	printf(h ? "\"depends\":\"%s\"," : "\"depends\":null,", h);
	cli_funcs_json(funcs, p->nfuncs);
	printf(",\"hooks\":{");
	for (int k = 0, first = 1; k < XS_HOOK_COUNT; k++)
		if (p->hook_count[k]) {
			printf("%s\"%s\":%zu", first ? "" : ",", xs_hook_names[k],
			       p->hook_count[k]);
			first = 0;
		}
	printf("}}\n");
	xs_func_views_free(funcs, p->nfuncs);
	return 0;
}

int cmd_info(int argc, char **argv)
{
	bool json = cli_take_flag(&argc, argv, "--json");
	struct xs_payload *p;
	int rc;

	if (argc != 2)
		return xs_fail_kind(XS_FAIL_USAGE, -EINVAL,
		                    "usage: xsplice info FILE.xsp [--json]");
	rc = xs_payload_open(argv[1], &p);
	if (rc)
		return rc;
	if (json)
		rc = info_json(p);
	else
		info_text(p);
	xs_payload_free(p);
	return rc;
}

int cmd_build_id(int argc, char **argv)
{
	struct xs_build_id id = { 0 };
	char hex[2 * XS_BUILD_ID_MAX + 1];
	pid_t pid;
	int rc;

	if (argc != 2)
		return xs_fail_kind(XS_FAIL_USAGE, -EINVAL, "usage: xsplice build-id PID|FILE");
	if (access(argv[1], F_OK) != 0 && cli_parse_pid(argv[1], &pid) == 0) {
		struct xs_objects *objs;

		rc = xs_target_check(pid) ?: xs_objects_scan(pid, &objs);
		if (rc)
			return rc;
		for (size_t i = 0; i < objs->n; i++)
			if (objs->v[i].is_main)
				id = objs->v[i].build_id;
		xs_objects_free(objs);
		if (!id.len)
			return xs_fail(-ENODATA, "pid %d: its executable has no build-id", pid);
	} else {
		xs_error_clear();
		rc = xs_file_build_id(argv[1], &id);
		if (rc)
			return rc;
		if (!id.len)
			return xs_fail(-ENODATA, "%s: no build-id note", argv[1]);
	}
	printf("%s\n", hex_of(&id, hex));
	return 0;
}
