/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: changed code that reaches a library's data directly. GCC
 * reads `stderr`, `environ` or a library's exported variable PC-relative in
 * PIE and non-PIE code, counting on the linker's copy relocation; a payload
 * is placed near the object it patches, far from libc, and has no linker.
 * The patched build writes down how it compiled each object (OBJ.xsgot.cmd,
 * see build_tree.c); when the changed code needs it, that compile runs again
 * with external data reached through the GOT (OBJ.xsgot), and the payload's
 * code comes from there. Which functions
 * changed is still decided on the ordinary object: the diff's results are
 * carried over, section by section and symbol by symbol, by name.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "builder/build.h"
#include "common/error.h"

/* A reference to the symbol's address itself (not through the GOT, not a
 * call), that must reach it from the code: PC-relative or absolute 32-bit. */
static bool direct(uint32_t type)
{
	return xs_arch_reloc_info(type)->kind == XS_ARCH_RELOC_DATA &&
	       !xs_arch_reloc_is_abs_pointer(type);
}

/* Whether changed code refers to a symbol of another object by a direct
 * (non-GOT) PC-relative or absolute 32-bit field: a field that cannot reach
 * a library from a payload. */
static const char *direct_extern(const struct xb_obj *p, const char **sec)
{
	for (size_t i = 1; i < p->nsec; i++) {
		const struct xb_sec *s = &p->sec[i];

		if (!xb_sec_is_text(s) || s->state == XB_SAME)
			continue;
		for (size_t k = 0; k < s->nrel; k++) {
			const struct xb_sym *y = &p->sym[s->rel[k].sym];

			if (y->s.st_shndx == SHN_UNDEF && y->name[0] &&
			    strcmp(y->name, "_GLOBAL_OFFSET_TABLE_") && direct(s->rel[k].type)) {
				*sec = s->name;
				return y->name;
			}
		}
	}
	return NULL;
}

/* The k-th section named like p's section i (k counted among same-named
 * ones of the same type) in g, or 0. */
static unsigned same_sec(const struct xb_obj *p, unsigned i, const struct xb_obj *g)
{
	const struct xb_sec *a = &p->sec[i];
	size_t rank = 0;

	for (unsigned j = 1; j < i; j++)
		rank += p->sec[j].sh.sh_type == a->sh.sh_type && !strcmp(p->sec[j].name, a->name);
	for (unsigned j = 1; j < g->nsec; j++)
		if (g->sec[j].sh.sh_type == a->sh.sh_type && !strcmp(g->sec[j].name, a->name) &&
		    !rank--)
			return j;
	return 0;
}

static bool sym_like(const struct xb_obj *g, const struct xb_sym *x, const struct xb_sym *y,
                     const unsigned *g2p)
{
	unsigned shndx = y->s.st_shndx;

	if (x->type != y->type || x->bind != y->bind || strcmp(x->name, y->name))
		return false;
	return shndx == SHN_UNDEF || shndx >= g->nsec ? x->s.st_shndx == shndx :
	                                                x->s.st_shndx == g2p[shndx];
}

/* A named symbol of p like g's symbol j (same name, binding, type, and a
 * section that corresponds), or 0. Both come from one source in one order:
 * the same index, or one off (_GLOBAL_OFFSET_TABLE_), is tried first. */
static unsigned same_sym(const struct xb_obj *p, const struct xb_obj *g, unsigned j,
                         const unsigned *g2p)
{
	const struct xb_sym *y = &g->sym[j];

	for (unsigned i = j > 1 ? j - 1 : 1; i <= j + 1 && i < p->nsym; i++)
		if (sym_like(g, &p->sym[i], y, g2p))
			return i;
	for (unsigned i = 1; i < p->nsym; i++)
		if (sym_like(g, &p->sym[i], y, g2p))
			return i;
	return 0;
}

/* Carry the diff's and the match's results from p over to g. NULL, or why
 * the two objects do not correspond. */
static const char *carry_over(const struct xb_obj *p, struct xb_obj *g)
{
	unsigned *g2p = calloc(g->nsec, sizeof(*g2p));
	const char *why = NULL;

	if (!g2p)
		return "no memory";
	for (unsigned i = 1; i < p->nsec && !why; i++) {
		unsigned j = same_sec(p, i, g);

		if (j)
			g2p[j] = i;
		else if (xb_sec_is_text(&p->sec[i]) && p->sec[i].state != XB_SAME)
			why = p->sec[i].name; /* a changed function it does not have */
	}
	for (unsigned j = 1; j < g->nsec && !why; j++) {
		struct xb_sec *s = &g->sec[j];

		if (!g2p[j]) {
			if ((s->sh.sh_flags & SHF_ALLOC) && s->sh.sh_type != SHT_NOTE)
				why = s->name; /* code or data the diff did not see */
			continue;
		}
		s->state = p->sec[g2p[j]].state;
		s->twin = p->sec[g2p[j]].twin;
		s->expect = p->sec[g2p[j]].expect;
	}
	for (unsigned j = 1; j < g->nsym && !why; j++) {
		struct xb_sym *y = &g->sym[j];
		unsigned i;

		if (y->type == STT_SECTION) {
			unsigned sh = y->s.st_shndx;

			if (sh && sh < g->nsec && g2p[sh])
				for (i = 1; i < p->nsym; i++)
					if (p->sym[i].type == STT_SECTION &&
					    p->sym[i].s.st_shndx == g2p[sh]) {
						y->twin = p->sym[i].twin;
						break;
					}
			continue;
		}
		if (!y->name[0] || y->type == STT_FILE)
			continue;
		i = same_sym(p, g, j, g2p);
		if (i)
			y->twin = p->sym[i].twin;
		else if (y->s.st_shndx != SHN_UNDEF)
			why = y->name;
	}
	free(g2p);
	return why;
}

/* The compile the patched build ran for p's object, as the wrapper wrote it
 * down: its directory, the compiler (one string: "ccache gcc" splits), its
 * arguments, each ended by NUL. */
struct cmd {
	char *buf;
	char **argv; /* NULL-terminated, into buf */
};

static int read_cmd(const char *path, struct cmd *c)
{
	FILE *f = fopen(path, "re");
	size_t len, n = 0;
	long size;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || size > (1 << 20) ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EFBIG;
	}
	len = (size_t)size;
	c->buf = malloc(len + 1);
	c->argv = calloc(len + 1, sizeof(*c->argv));
	if (!c->buf || !c->argv || fread(c->buf, 1, len, f) != len) {
		fclose(f);
		return -ENOMEM;
	}
	fclose(f);
	c->buf[len] = '\0';
	for (size_t i = 0; i < len; i += strlen(c->buf + i) + 1)
		c->argv[n++] = c->buf + i;
	return n >= 3 ? 0 : -EINVAL; /* directory, compiler, at least one argument */
}

/* Run it again with external data through the GOT, to out: gcc's flag, else clang's. */
static int compile_got(const struct cmd *c, const char *out, const char *log)
{
	static const char *const flags[] = { XS_ARCH_GCC_GOT_DATA,
		                             "-fno-direct-access-external-data" };
	size_t n = 0;
	int rc = -ECHILD;

	while (c->argv[n])
		n++;
	for (size_t f = 0; f < XS_ARRAY_SIZE(flags) && rc; f++) {
		char *script = NULL;
		char **argv = calloc(n + 4, sizeof(*argv));

		/* $0 is the directory; the compiler word-splits as in the wrapper */
		if (!argv ||
		    asprintf(
		        &script,
		        "cd \"$0\" && exec $XSPLICE_GOT_CC \"$@\" -ffunction-sections -fdata-sections %s -o \"$XSPLICE_GOT_OUT\"",
		        flags[f]) < 0) {
			free(argv);
			return -ENOMEM;
		}
		argv[0] = "sh";
		argv[1] = "-c";
		argv[2] = script;
		argv[3] = c->argv[0];
		for (size_t i = 2; i < n; i++)
			argv[i + 2] = c->argv[i];
		setenv("XSPLICE_GOT_CC", c->argv[1], 1);
		setenv("XSPLICE_GOT_OUT", out, 1);
		rc = xb_run(argv, NULL, log);
		unsetenv("XSPLICE_GOT_CC");
		unsetenv("XSPLICE_GOT_OUT");
		free(script);
		free(argv);
	}
	return rc;
}

/* The compiler's first line of complaint (the work directory, and its log, go away). */
static void first_line(const char *log, char *buf, size_t len)
{
	FILE *f = fopen(log, "re");

	snprintf(buf, len, "the compiler failed");
	if (f && fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < ' ')
			*c = '?';
	if (f)
		fclose(f);
}

int xb_got_open(struct xb_pair *p, const char *tree)
{
	const char *sec = NULL, *sym = direct_extern(p->patched, &sec);
	char *base = NULL, *cmdp = NULL, *log = NULL;
	struct cmd c = { 0 };
	int rc;

	if (!sym)
		return 0;
	if (asprintf(&base, "%s/%s.xsgot", tree, p->rel_path) < 0 ||
	    asprintf(&cmdp, "%s.cmd", base) < 0 || asprintf(&log, "%s.log", base) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = read_cmd(cmdp, &c);
	if (rc == -ENOMEM)
		goto out;
	if (!rc)
		rc = compile_got(&c, base, log);
	if (rc) { /* then the payload reaches it directly: the loader names it if out of reach */
		char why[160];

		if (rc == -ECHILD)
			first_line(log, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s: %s", cmdp, strerror(-rc));
		xs_note(
		    "warning: %s: %s reaches '%s' directly and could not be rebuilt to reach other objects' data through the GOT (%s): load refuses the payload if '%s' is far from the object it patches",
		    p->rel_path, sec, sym, why, sym);
		rc = 0;
		goto out;
	}
	rc = xb_obj_open(base, &p->got);
out:
	free(c.buf);
	free(c.argv);
	free(base);
	free(cmdp);
	free(log);
	return rc;
}

int xb_got_use(struct xb_pair *p)
{
	const char *sec = NULL, *sym = direct_extern(p->patched, &sec), *why;

	if (!sym)
		return 0;
	if (!p->got)
		return 0; /* xb_got_open said why */
	why = carry_over(p->patched, p->got);
	if (why) {
		xs_note(
		    "warning: %s: %s reaches '%s' directly, and its build with other objects' data through the GOT differs from it (%s): not used; load refuses the payload if '%s' is far from the object it patches",
		    p->rel_path, sec, sym, why, sym);
		return 0;
	}
	xs_debug("build: %s: %s reaches '%s' directly: code taken from its GOT build", p->rel_path,
	         sec, sym);
	p->patched = p->got; /* p is the emitter's copy: the run still owns both */
	return 0;
}
