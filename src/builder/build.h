/* SPDX-License-Identifier: MIT */
/*
 * The patch builder (`xsplice build`): source tree + diff -> payload. Internal
 * to the build_*.c files; the pipeline itself is xb_build() in build_main.c.
 */
#ifndef XS_BUILD_H
#define XS_BUILD_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "payload/payload.h" /* struct xs_build_id */

struct xb_opts {
	const char *src;          /* the project's source tree */
	const char *patch;        /* unified diff, applied with patch -p1 (or -p0) */
	const char *target;       /* the running binary, on disk */
	const char *out;          /* payload to write */
	const char *build;        /* build command, run in the tree (default "make") */
	const char *work;         /* work directory (default: a fresh /tmp dir) */
	bool keep;                /* keep the work directory */
	const char *include;      /* holds xsplice/shadow.h: searched after the project's own */
	const char *allow_layout; /* "conn,T": types whose layout may change (a warning) */
	/* --skip FUNC: changed functions left out; --include FUNC (want): main
	 * or a constructor replaced all the same ("name" or "file.c#name") */
	const char **skip, **want;
	size_t nskip, nwant;
	const char *cache;   /* keep the original build there (build_cache.c); NULL: no */
	unsigned cache_keep; /* entries the cache keeps (0: the default) */
};

/* --- one relocatable object, read with libelf (build_obj.c) -------------------- */

enum xb_state { XB_SAME, XB_CHANGED, XB_NEW };

struct xb_rel {
	uint64_t off;
	uint32_t type;
	uint32_t sym;
	int64_t addend;
};

struct xb_sec {
	const char *name;
	GElf_Shdr sh;
	const unsigned char *data; /* sh_size bytes; NULL for NOBITS and empty */
	size_t nrel;
	struct xb_rel *rel;  /* sorted by offset */
	unsigned twin;       /* the same section in the other object, 0: none */
	enum xb_state state; /* text sections of the patched object: set by the diff */
	unsigned func;       /* symbol of the function it holds (value 0), 0: none */
	unsigned parent;     /* .cold fragment: the section of its function */
	bool include;        /* emitted into the payload (patched object) */
	unsigned out;        /* its writer handle in the payload object */
	/* a changed function: the target's bytes at its entry (build_match.c) */
	struct xsplice_expect expect;
	/* read-only data: sorted offsets where a symbol starts or a relocation
	 * points (build_diff.c): where an anonymous datum ends */
	uint64_t *marks;
	size_t nmarks;
};

struct xb_sym {
	const char *name;
	GElf_Sym s;
	unsigned type, bind;
	unsigned twin;  /* the same symbol in the other object, 0: none */
	unsigned owner; /* data: first text section that refers to it, 0: none */
	unsigned out;   /* its index in the payload's .symtab, 0: none yet */
};

struct xb_lines;

struct xb_obj {
	char *path;
	unsigned char *image;
	size_t size;
	Elf *elf;
	size_t nsec;
	struct xb_sec *sec; /* by section index */
	size_t nsym;
	struct xb_sym *sym;           /* by symbol index */
	char *file;                   /* base name of the STT_FILE symbol ("main.c") */
	const struct xb_lines *lines; /* orig: the diff's line moves, for xb_diff */
};

int xb_obj_open(const char *path, struct xb_obj **out);
void xb_obj_free(struct xb_obj *o);
/* Built with -flto: .gnu.lto_* sections (intermediate code, not what runs). */
bool xb_obj_lto(const struct xb_obj *o);
bool xb_sec_is_text(const struct xb_sec *s);
bool xb_sec_is_rodata(const struct xb_sec *s);
/* Bytes [*from, *to) of its section the linker may rewrite for r: the field,
 * and for a relaxable GOT load or call the opcode (and REX prefix) before it. */
void xb_rel_mask(const struct xb_rel *r, uint64_t *from, uint64_t *to);
/* Length of name without a compiler's numeric suffix (".0", ".12"). */
size_t xb_stem_len(const char *name);
bool xb_same_stem(const char *a, const char *b);

/* What a relocation points at, with section symbols turned into the named
 * symbol they land in where there is one. */
enum xb_tkind { XB_T_UNDEF, XB_T_NAMED, XB_T_SECTION };
struct xb_target {
	enum xb_tkind kind;
	unsigned sym;   /* UNDEF, NAMED: symbol index */
	unsigned sec;   /* NAMED, SECTION: section index (0 for UNDEF) */
	int64_t addend; /* NAMED: relative to the symbol; SECTION: the raw addend */
};
void xb_rel_target(const struct xb_obj *o, const struct xb_rel *r, struct xb_target *t);

/* --- orig <-> patched (build_diff.c) --------------------------------------------- */

struct xb_pair {
	char *rel_path; /* object path relative to the tree */
	struct xb_obj *orig, *patched;
	size_t nchanged, nnew;        /* text sections (functions) */
	const struct xb_lines *lines; /* line moves of the diff's files, NULL: none */
	char *lib;                    /* -shared output linking it, relative to the tree;
				  * NULL: the executable (--target) */
	size_t nskipped;              /* changed functions left out (build_skip.c) */
	struct xb_obj *got;           /* the patched object built with external data
				  * through the GOT (build_got.c), NULL: none */
};

/* Line-number noise (build_lines.c): where the unchanged lines of each file
 * the diff touches moved to, from `diff -U0` of orig/ and tree/. */
struct xb_lines;
struct xb_work;
int xb_lines_load(const char *diff, const struct xb_work *w, struct xb_lines **out);
void xb_lines_free(struct xb_lines *l);
/* x and y (len bytes of a function, before and after, relocated fields
 * masked) differ only in 4-byte immediates: line numbers of file (a base
 * name) equal to where their line moved. */
bool xb_lines_noise(const struct xb_lines *l, const char *file, const unsigned char *x,
                    const unsigned char *y, size_t len);

/* Strings a (la bytes, before) and b (lb, after) differ only in numbers that
 * are line numbers of file equal to where their line moved ("f.c:123"). */
bool xb_lines_text_noise(const struct xb_lines *l, const char *file, const char *a, size_t la,
                         const char *b, size_t lb);

/* Correlate, compare, classify every function; refuse data changes. */
int xb_diff(struct xb_pair *p);
/* "name" (global) or "file.c#name" (file-local) of orig's symbol i. */
int xb_ref_name(const struct xb_obj *o, unsigned i, char *buf, size_t len);

/* Leave out (with a warning) the changed functions that cannot take effect
 * live: main and constructors, unless --include names them; and those --skip
 * names. Refuses a --skip or --include naming no changed function. */
int xb_skip_startup(struct xb_pair *pairs, size_t n, const struct xb_opts *o);

/* Refuse when a struct or union the changed or new functions use changes its
 * layout (build_types.c): one line per such type, naming what moved and the
 * functions that use it. */
int xb_check_layouts(struct xb_pair *pairs, size_t n, const char *allow);

/* --- external data through the GOT (build_got.c) ----------------------------- */
/* After the diff: when p's changed code reaches another object's symbol
 * directly, compile its object again (as the patched build did, from
 * tree/REL.xsgot.cmd) with external data through the GOT, into p->got. */
int xb_got_open(struct xb_pair *p, const char *tree);
/* When p's changed code reaches another object's symbol directly (too far
 * from a payload), switch p->patched to the GOT build, carrying the diff's
 * and the match's results over; p is a copy the caller emits from. */
int xb_got_use(struct xb_pair *p);

/* --- the target binary (build_match.c, build_same.c) ------------------------------- */

/* The running binary on disk: where orig's symbols are in it. */
struct xb_tgt;
const char *xb_tgt_path(const struct xb_tgt *t);
/* Address of o's symbol sym (a text section's symbol: its function): 1; 0
 * when it has no name to find it by, the binary has several, or it is
 * another object's that the binary does not define; -ENOENT when o defines
 * it and the binary has not got it. */
int xb_tgt_addr_of(const struct xb_tgt *t, const struct xb_obj *o, unsigned sym, uint64_t *addr);
/* size bytes of the binary at addr, NULL: not all inside one section. */
const unsigned char *xb_tgt_bytes(const struct xb_tgt *t, uint64_t addr, uint64_t size);
/* "name" or "name+N" of the function or object at addr, else "0xADDR". */
void xb_tgt_name_at(const struct xb_tgt *t, uint64_t addr, char *buf, size_t len);
/* addr is in a section whose name starts with prefix (".plt", ".got"). */
bool xb_tgt_in(const struct xb_tgt *t, uint64_t addr, const char *prefix);
/* Name of the symbol whose dynamic relocation fills the pointer at slot (a
 * GOT entry), NULL: none or no name. */
const char *xb_tgt_slot_name(const struct xb_tgt *t, uint64_t slot);
/* Name of the function the PLT entry at addr jumps to, NULL: not known. */
const char *xb_tgt_plt_name(const struct xb_tgt *t, uint64_t addr);

/* Is orig's function section s the code theirs (n bytes at addr of t)?
 * 0; -ESTALE with the first difference, disassembled, in why; -EILSEQ when
 * either does not decode. */
struct xs_arch_dec;
int xb_same_code(struct xs_arch_dec *d, const struct xb_obj *o, const struct xb_sec *s,
                 const struct xb_tgt *t, const unsigned char *theirs, uint64_t n, uint64_t addr,
                 char *why, size_t len);

/* Every replaced function, as built from orig/, must equal the target's;
 * each gets the target's bytes at its entry as its expect block. */
int xb_match_target(const char *target, struct xb_pair *pairs, size_t n);

/* --- the payload (build_emit.c, build_ehframe.c) ---------------------------------- */

/* An ELF relocatable object under construction (build_write.c). Section and
 * symbol handles are 1-based; 0 means failure (the writer remembers it and
 * xbw_write reports it). */
struct xb_writer;
int xbw_new(struct xb_writer **out);
void xbw_free(struct xb_writer *w);
/* A section (sh_name, sh_link, sh_info ignored; buf copied, NULL = zeros). */
unsigned xbw_section(struct xb_writer *w, const char *name, const GElf_Shdr *sh, const void *buf);
unsigned char *xbw_section_data(struct xb_writer *w, unsigned sec);
unsigned xbw_symbol(struct xb_writer *w, const char *name, unsigned bind, unsigned type,
                    unsigned sec, uint64_t value, uint64_t size);
unsigned xbw_undef(struct xb_writer *w, const char *name, unsigned bind);
unsigned xbw_section_symbol(struct xb_writer *w, unsigned sec);
int xbw_reloc(struct xb_writer *w, unsigned sec, uint64_t off, uint32_t type, unsigned sym,
              int64_t addend);
int xbw_write(struct xb_writer *w, const char *path);

/* Write the partial payload object for one pair: the changed and new
 * functions, what they need, their .xsplice.funcs entries and unwind data;
 * target != NULL adds the .note.xsplice target note. */
int xb_emit_object(struct xb_pair *p, const char *path, const struct xs_build_id *target);
/* Copy the .eh_frame records of the included functions (build_ehframe.c). */
int xb_emit_ehframe(struct xb_pair *p, struct xb_writer *w);
/* Output symbol for patched's relocation r (maps locals of the running
 * binary to "file.c#name"); *addend gets the addend to use. */
int xb_emit_rel_sym(struct xb_pair *p, struct xb_writer *w, const struct xb_rel *r, unsigned *sym,
                    int64_t *addend);

/* --- the trees (build_tree.c) ------------------------------------------------------- */

struct xb_work {
	char *dir;        /* work directory */
	char *orig;       /* dir/orig: snapshot of tree after the orig build */
	char *tree;       /* dir/tree: both builds run here, at one absolute path
			  * (CMake's cache keeps it); patched after xb_tree_patch */
	char *wrapper;    /* dir/cc-wrapper */
	const char *base; /* where tree/, orig/ and cc-wrapper go instead of dir
			   * (the cache's entry); NULL: dir */
	bool have_orig;   /* orig/ already holds the original build (a cache hit):
			  * neither copied from the source nor snapshot */
	char **objs;      /* objects the patched build compiled, relative to the tree */
	char **progs;     /* per object: the program or library linking it (relative
			  * to the tree); NULL: not known (set by xb_link_filter) */
	size_t nobjs;
	const char *plevel; /* the patch -pN that applies (xb_tree_check_patch) */
	bool from_git;      /* the copy is --src's git files, ignored ones left out */
	char *built;        /* an ELF file the copy of --src held (--src was built) */
	char *stamp;        /* a file that looks like a stamp of that build */
	char *ignored;      /* "X.o (linked into P)": the first object the patched
			  * build compiled that --target does not link */
};

/* The compiler wrapper's script (its text is part of the cache's key). */
extern const char xb_wrapper_text[];

int xb_tree_prepare(const struct xb_opts *o, struct xb_work *w);
/* Copy the source tree src (a real path) to w->tree (build_copy.c). */
int xb_copy_src(const char *src, struct xb_work *w);
int xb_tree_build(const struct xb_opts *o, struct xb_work *w, bool patched);
/* Whether the diff applies to the fresh copy (dry run): before the build. */
int xb_tree_check_patch(const struct xb_opts *o, struct xb_work *w);
int xb_tree_patch(const struct xb_opts *o, struct xb_work *w);
void xb_tree_free(struct xb_work *w, bool remove);
/* Run argv (NULL-terminated) in dir (NULL: here), stdout+stderr to log (NULL:
 * inherit). 0, or -ECHILD when it exits non-zero (no message: the caller
 * names what failed). */
int xb_run(char *const argv[], const char *dir, const char *log);

/* Set pairs[i].lib from the orig build's link log (build_link.c). */
int xb_link_assign(const struct xb_work *w, struct xb_pair *pairs, size_t n);
/* Keep only the objects the patched build compiled that --target (or a
 * shared library of the tree) links, and set w->progs; drop the others
 * (probes the build deleted, other programs' objects). */
int xb_link_filter(const struct xb_opts *o, struct xb_work *w);

/* The whole pipeline; prints the payload's functions and the timings. */
int xb_build(const struct xb_opts *o);

#endif
