/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: a small writer for relocatable objects. Sections,
 * symbols and relocations are collected first, then laid out in one pass
 * (locals before globals in .symtab, as ELF requires) and written by libelf.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "builder/build.h"
#include "common/error.h"

struct wsec {
	char *name;
	GElf_Shdr sh;
	unsigned char *buf; /* owned; NULL for NOBITS */
	size_t nrel, caprel;
	Elf64_Rela *rel; /* r_info holds the symbol handle until written */
	unsigned secsym; /* handle of its section symbol, 0: none yet */
};

struct wsym {
	char *name;
	Elf64_Sym s; /* st_shndx: writer section index */
	unsigned final;
};

struct xb_writer {
	size_t nsec, capsec;
	struct wsec *sec; /* sec[0] unused */
	size_t nsym, capsym;
	struct wsym *sym; /* sym[0] unused */
	int err;
};

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*v, n * size);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * size, 0, (n - *cap) * size);
	*v = p;
	*cap = n;
	return 0;
}

int xbw_new(struct xb_writer **out)
{
	struct xb_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->nsec = w->nsym = 1;
	if (grow((void **)&w->sec, &w->capsec, 1, sizeof(*w->sec)) ||
	    grow((void **)&w->sym, &w->capsym, 1, sizeof(*w->sym))) {
		xbw_free(w);
		return -ENOMEM;
	}
	*out = w;
	return 0;
}

void xbw_free(struct xb_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nsec; i++) {
		free(w->sec[i].name);
		free(w->sec[i].buf);
		free(w->sec[i].rel);
	}
	for (size_t i = 0; i < w->nsym; i++)
		free(w->sym[i].name);
	free(w->sec);
	free(w->sym);
	free(w);
}

unsigned xbw_section(struct xb_writer *w, const char *name, const GElf_Shdr *sh, const void *buf)
{
	struct wsec *s;

	if (w->err || grow((void **)&w->sec, &w->capsec, w->nsec + 1, sizeof(*w->sec)))
		return w->err = -ENOMEM, 0;
	s = &w->sec[w->nsec];
	s->name = strdup(name);
	s->sh = *sh;
	s->sh.sh_flags &= ~(uint64_t)SHF_GROUP;
	s->sh.sh_link = s->sh.sh_info = 0;
	if (sh->sh_type != SHT_NOBITS && sh->sh_size) {
		s->buf = malloc(sh->sh_size);
		if (s->buf && buf)
			memcpy(s->buf, buf, sh->sh_size);
		else if (s->buf)
			memset(s->buf, 0, sh->sh_size);
	}
	if (!s->name || (sh->sh_type != SHT_NOBITS && sh->sh_size && !s->buf))
		return w->err = -ENOMEM, 0;
	return (unsigned)w->nsec++;
}

unsigned char *xbw_section_data(struct xb_writer *w, unsigned sec)
{
	return w->sec[sec].buf;
}

unsigned xbw_symbol(struct xb_writer *w, const char *name, unsigned bind, unsigned type,
                    unsigned sec, uint64_t value, uint64_t size)
{
	struct wsym *s;

	if (w->err || grow((void **)&w->sym, &w->capsym, w->nsym + 1, sizeof(*w->sym)))
		return w->err = -ENOMEM, 0;
	s = &w->sym[w->nsym];
	s->name = strdup(name ? name : "");
	if (!s->name)
		return w->err = -ENOMEM, 0;
	s->s.st_info = ELF64_ST_INFO(bind, type);
	s->s.st_shndx = (Elf64_Section)sec;
	s->s.st_value = value;
	s->s.st_size = size;
	return (unsigned)w->nsym++;
}

/* An undefined reference, one per name. */
unsigned xbw_undef(struct xb_writer *w, const char *name, unsigned bind)
{
	for (size_t i = 1; i < w->nsym; i++)
		if (w->sym[i].s.st_shndx == SHN_UNDEF && !strcmp(w->sym[i].name, name))
			return (unsigned)i;
	return xbw_symbol(w, name, bind == STB_WEAK ? STB_WEAK : STB_GLOBAL, STT_NOTYPE, SHN_UNDEF,
	                  0, 0);
}

unsigned xbw_section_symbol(struct xb_writer *w, unsigned sec)
{
	if (!w->sec[sec].secsym)
		w->sec[sec].secsym = xbw_symbol(w, NULL, STB_LOCAL, STT_SECTION, sec, 0, 0);
	return w->sec[sec].secsym;
}

int xbw_reloc(struct xb_writer *w, unsigned sec, uint64_t off, uint32_t type, unsigned sym,
              int64_t addend)
{
	struct wsec *s = &w->sec[sec];

	if (w->err || !sym || grow((void **)&s->rel, &s->caprel, s->nrel + 1, sizeof(*s->rel)))
		return w->err ? w->err : (w->err = -ENOMEM);
	s->rel[s->nrel++] = (Elf64_Rela){ off, ELF64_R_INFO(sym, type), addend };
	return 0;
}

/* String table of names, offsets into it in offs. */
static char *strtab(char *const *names, size_t n, size_t stride, size_t *offs, size_t *size)
{
	size_t len = 1;
	char *t;

	for (size_t i = 0; i < n; i++)
		len += strlen(*(char *const *)((const char *)names + i * stride)) + 1;
	t = calloc(1, len);
	if (!t)
		return NULL;
	len = 1;
	for (size_t i = 0; i < n; i++) {
		const char *s = *(char *const *)((const char *)names + i * stride);

		offs[i] = s[0] ? len : 0;
		memcpy(t + len, s, strlen(s) + 1);
		len += strlen(s) + 1;
	}
	*size = len;
	return t;
}

static int add_scn(Elf *elf, const GElf_Shdr *sh, void *buf, size_t size, Elf_Type type)
{
	Elf_Scn *scn = elf_newscn(elf);
	Elf_Data *d = scn ? elf_newdata(scn) : NULL;

	if (!d)
		return -ENOMEM;
	d->d_buf = buf;
	d->d_size = size;
	d->d_type = type;
	d->d_align = sh->sh_addralign ? sh->sh_addralign : 1;
	d->d_version = EV_CURRENT;
	return gelf_update_shdr(scn, (GElf_Shdr *)sh) ? 0 : -EINVAL;
}

struct layout {
	size_t nrela, nall, symtab, strtab, shstrtab;
	Elf64_Sym *syms;
	char *symstr, *shstr;
	size_t *symoff, *shoff;
	size_t symstr_size, shstr_size, nlocal;
	Elf64_Rela **relas;
};

/* Final symbol order (locals first) and the string tables. */
static int lay_out(struct xb_writer *w, struct layout *l)
{
	size_t k = 1;
	char **names;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 1; i < w->nsym; i++)
			if ((ELF64_ST_BIND(w->sym[i].s.st_info) == STB_LOCAL) == (pass == 0))
				w->sym[i].final = (unsigned)k++;
	l->syms = calloc(w->nsym, sizeof(*l->syms));
	l->symoff = calloc(w->nsym, sizeof(size_t));
	names = calloc(w->nsym, sizeof(char *));
	if (!l->syms || !l->symoff || !names) {
		free(names);
		return -ENOMEM;
	}
	names[0] = "";
	for (size_t i = 1; i < w->nsym; i++)
		names[w->sym[i].final] = w->sym[i].name;
	l->symstr = strtab(names, w->nsym, sizeof(char *), l->symoff, &l->symstr_size);
	free(names);
	if (!l->symstr)
		return -ENOMEM;
	l->nlocal = 1;
	for (size_t i = 1; i < w->nsym; i++) {
		Elf64_Sym *s = &l->syms[w->sym[i].final];

		*s = w->sym[i].s;
		s->st_name = (Elf64_Word)l->symoff[w->sym[i].final];
		if (ELF64_ST_BIND(s->st_info) == STB_LOCAL)
			l->nlocal++;
	}
	return 0;
}

static int write_rela(struct xb_writer *w, Elf *elf, struct layout *l, size_t i, char **shnames,
                      size_t *nnames)
{
	struct wsec *s = &w->sec[i];
	Elf64_Rela *r = malloc(s->nrel * sizeof(*r));
	char *name = malloc(strlen(s->name) + 6);
	GElf_Shdr sh = { .sh_type = SHT_RELA,
		         .sh_flags = SHF_INFO_LINK,
		         .sh_entsize = sizeof(*r),
		         .sh_addralign = 8,
		         .sh_size = s->nrel * sizeof(*r),
		         .sh_link = (Elf64_Word)l->symtab,
		         .sh_info = (Elf64_Word)i };

	if (!r || !name) {
		free(r);
		free(name);
		return -ENOMEM;
	}
	for (size_t k = 0; k < s->nrel; k++) {
		r[k] = s->rel[k];
		r[k].r_info = ELF64_R_INFO(w->sym[ELF64_R_SYM(s->rel[k].r_info)].final,
		                           ELF64_R_TYPE(s->rel[k].r_info));
	}
	sprintf(name, ".rela%s", s->name);
	shnames[(*nnames)++] = name;
	l->relas[l->nrela++] = r;
	sh.sh_name = 0;
	return add_scn(elf, &sh, r, sh.sh_size, ELF_T_RELA);
}

static int write_elf(struct xb_writer *w, Elf *elf, struct layout *l)
{
	size_t nrels = 0, n = 0, k;
	char **shnames;
	GElf_Ehdr eh;
	int rc = 0;

	for (size_t i = 1; i < w->nsec; i++)
		nrels += w->sec[i].nrel > 0;
	l->symtab = w->nsec + nrels;
	l->strtab = l->symtab + 1;
	l->shstrtab = l->symtab + 2;
	l->nall = l->shstrtab + 1;
	shnames = calloc(l->nall, sizeof(char *));
	l->relas = calloc(nrels + 1, sizeof(*l->relas));
	l->shoff = calloc(l->nall, sizeof(size_t));
	if (!shnames || !l->relas || !l->shoff) {
		free(shnames);
		return -ENOMEM;
	}
	if (!gelf_newehdr(elf, XS_ARCH_ELF_CLASS) || !gelf_getehdr(elf, &eh)) {
		free(shnames);
		return -EINVAL;
	}
	eh.e_ident[EI_DATA] = XS_ARCH_ELF_DATA;
	eh.e_type = ET_REL;
	eh.e_machine = (Elf64_Half)xs_arch_elf_machine();
	eh.e_version = EV_CURRENT;
	eh.e_shstrndx = (Elf64_Half)l->shstrtab;
	gelf_update_ehdr(elf, &eh);
	shnames[n++] = "";
	for (size_t i = 1; i < w->nsec && !rc; i++) {
		struct wsec *s = &w->sec[i];

		shnames[n++] = s->name;
		rc =
		    add_scn(elf, &s->sh, s->buf, s->sh.sh_size, ELF_T_BYTE); /* NOBITS: no buffer */
	}
	for (size_t i = 1; i < w->nsec && !rc; i++)
		if (w->sec[i].nrel)
			rc = write_rela(w, elf, l, i, shnames, &n);
	shnames[n++] = ".symtab";
	shnames[n++] = ".strtab";
	shnames[n++] = ".shstrtab";
	l->shstr = rc ? NULL : strtab(shnames, n, sizeof(char *), l->shoff, &l->shstr_size);
	if (!rc && !l->shstr)
		rc = -ENOMEM;
	if (!rc) {
		GElf_Shdr st = { .sh_type = SHT_SYMTAB,
			         .sh_entsize = sizeof(Elf64_Sym),
			         .sh_addralign = 8,
			         .sh_size = w->nsym * sizeof(Elf64_Sym),
			         .sh_link = (Elf64_Word)l->strtab,
			         .sh_info = (Elf64_Word)l->nlocal };
		GElf_Shdr ss = { .sh_type = SHT_STRTAB,
			         .sh_addralign = 1,
			         .sh_size = l->symstr_size };
		GElf_Shdr sx = { .sh_type = SHT_STRTAB,
			         .sh_addralign = 1,
			         .sh_size = l->shstr_size };

		rc = add_scn(elf, &st, l->syms, st.sh_size, ELF_T_SYM);
		if (!rc)
			rc = add_scn(elf, &ss, l->symstr, ss.sh_size, ELF_T_BYTE);
		if (!rc)
			rc = add_scn(elf, &sx, l->shstr, sx.sh_size, ELF_T_BYTE);
	}
	/* Section names, now that every section exists. */
	k = 1;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn && !rc; scn = elf_nextscn(elf, scn), k++) {
		GElf_Shdr sh;

		gelf_getshdr(scn, &sh);
		sh.sh_name = (Elf64_Word)l->shoff[k];
		gelf_update_shdr(scn, &sh);
	}
	for (size_t i = w->nsec; i < n - 3; i++)
		free(shnames[i]); /* the .rela names */
	free(shnames);
	return rc;
}

int xbw_write(struct xb_writer *w, const char *path)
{
	struct layout l = { 0 };
	Elf *elf = NULL;
	int fd, rc;

	if (w->err)
		return xs_fail(w->err, "%s: cannot build the object", path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return xs_fail(-errno, "cannot create %s", path);
	elf_version(EV_CURRENT);
	rc = lay_out(w, &l);
	if (!rc && !(elf = elf_begin(fd, ELF_C_WRITE, NULL)))
		rc = -EINVAL;
	if (!rc)
		rc = write_elf(w, elf, &l);
	if (!rc && elf_update(elf, ELF_C_WRITE) < 0)
		rc = xs_fail(-EIO, "%s: cannot write: %s", path, elf_errmsg(-1));
	if (rc)
		xs_fail(rc, "%s: cannot write the object", path);
	if (elf)
		elf_end(elf);
	close(fd);
	for (size_t i = 0; i < l.nrela; i++)
		free(l.relas[i]);
	free(l.relas);
	free(l.syms);
	free(l.symstr);
	free(l.shstr);
	free(l.symoff);
	free(l.shoff);
	return rc;
}
