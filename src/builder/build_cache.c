/* SPDX-License-Identifier: MIT */
/*
 * Patch builder: the original build kept between runs (--cache DIR).
 *
 * DIR/KEY.lock  flock'ed by the build using the entry (another build of the
 *               same key goes on without the cache rather than waiting)
 * DIR/KEY/orig  the built original tree, as the build's snapshot left it
 * DIR/KEY/tree  the tree both builds of one run use (a copy of orig/ on a
 *               hit); CMake and the like write its absolute path down, so
 *               it is the same path every time
 * DIR/KEY/orig.links, orig.compiles, orig.build.log   the orig build's logs
 * DIR/KEY/mismatch  how the target failed to match a build from scratch
 * DIR/KEY/done  written last: the key text and a listing hash of orig/;
 *               its time is the entry's last use
 *
 * KEY hashes the source tree's content (what the build copies: no ELF files,
 * no CMake build directories, no .git but its HEAD), the build command, the
 * compiler settings in the environment, the compiler's identity and the
 * target's build-id, and xsplice's include directory that the wrapper adds.
 * Whatever a hit gets wrong, the match against the target still catches: the
 * caller then drops the entry and builds from scratch.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/build_cache.h"
#include "common/error.h"

#define KEY_HEX 32 /* of sha256's 64 */
#define FORMAT "xsplice build cache 1"

struct xb_cache {
	char *root;  /* DIR, real path */
	char *entry; /* DIR/KEY */
	char *lock;  /* DIR/KEY.lock */
	char *text;  /* what the key hashes */
	char key[KEY_HEX + 1];
	int fd;           /* holds the lock */
	long long key_ms; /* computing the key and checking the entry */
	unsigned keep;
	bool hit;
};

/* --- a growing text buffer ------------------------------------------------------ */

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *s = realloc(b->s, cap);

		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		b->oom = true;
	else
		put(b, s, (size_t)n);
	free(s);
}

/* --- running a tool ---------------------------------------------------------------- */

/* Run argv in dir, in (if any) on its stdin, its stdout into *out; stderr
 * is dropped. -ECHILD when it fails. The tools run here print little before
 * they have read all their input, so writing first cannot deadlock. */
static int run_io(char *const argv[], const char *dir, const char *in, size_t inlen,
                  struct buf *out)
{
	int ip[2] = { -1, -1 }, op[2];
	char chunk[65536];
	pid_t pid;
	ssize_t n;
	int status;

	if (pipe2(op, O_CLOEXEC) || (in && pipe2(ip, O_CLOEXEC)))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		xs_child_signals();
		if (null < 0 || dup2(in ? ip[0] : null, 0) < 0 || dup2(op[1], 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(126);
		if (dir && chdir(dir))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(op[1]);
	if (in) {
		close(ip[0]);
		for (size_t off = 0; off < inlen; off += (size_t)n) {
			n = write(ip[1], in + off, inlen - off);
			if (n <= 0 && errno != EINTR)
				break;
			if (n < 0)
				n = 0;
		}
		close(ip[1]);
	}
	while ((n = read(op[0], chunk, sizeof(chunk))) != 0) {
		if (n > 0)
			put(out, chunk, (size_t)n);
		else if (errno != EINTR)
			break;
	}
	close(op[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (out->oom)
		return -ENOMEM;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
}

/* sha256 of len bytes, as 64 hex digits. */
static int sha(const char *text, size_t len, char hex[65])
{
	struct buf out = { 0 };
	int rc = run_io((char *const[]){ "sha256sum", NULL }, NULL, text, len, &out);

	if (!rc && (out.len < 64 || strspn(out.s, "0123456789abcdef") < 64))
		rc = -EPROTO;
	if (!rc) {
		memcpy(hex, out.s, 64);
		hex[64] = '\0';
	}
	free(out.s);
	return rc;
}

/* --- listings of a tree -------------------------------------------------------------- */

struct entry {
	char *path; /* relative */
	char *line; /* what the listing says of it */
	bool hash;  /* its content goes into the listing too */
};

/* nftw's callback gets no argument of ours: one walk at a time, here. */
static struct {
	size_t root_len;
	bool content; /* the source tree: contents; orig/: sizes and times */
	struct entry *v;
	size_t n;
	bool oom, git;
	bool top_cmake; /* an in-source CMake build at the top */
} walk;

static bool is_elf(const char *path)
{
	char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool elf;

	if (fd < 0)
		return false;
	elf = read(fd, magic, 4) == 4 && !memcmp(magic, "\177ELF", 4);
	close(fd);
	return elf;
}

static bool has_file(const char *dir, const char *name)
{
	char *p = NULL;
	bool yes;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return false;
	yes = !access(p, F_OK);
	free(p);
	return yes;
}

static int add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = path + walk.root_len + (path[walk.root_len] == '/');
	const char *base = path + ftw->base;
	char link[PATH_MAX] = "";
	struct entry *e;
	char kind;
	int n;

	/* git state: HEAD, apart from the files (a worktree's .git is a file) */
	if (!strcmp(base, ".git")) {
		walk.git |= ftw->level == 1;
		if (flag == FTW_D)
			return FTW_SKIP_SUBTREE;
	}
	/* The source tree as the build copies it (build_tree.c drops these). */
	if (walk.content && flag == FTW_D && ftw->level > 0 && has_file(path, "CMakeCache.txt"))
		return FTW_SKIP_SUBTREE;
	if (walk.content && walk.top_cmake && ftw->level == 1 &&
	    (!strcmp(base, "CMakeCache.txt") || !strcmp(base, "CMakeFiles")))
		return flag == FTW_D ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
	if (ftw->level == 0)
		return FTW_CONTINUE;
	if (flag == FTW_F && S_ISREG(st->st_mode))
		kind = 'f';
	else if (flag == FTW_SL)
		kind = 'l';
	else if (flag == FTW_D)
		kind = 'd';
	else
		kind = 'o';
	if (kind == 'f' && walk.content && is_elf(path))
		return FTW_CONTINUE;
	if (kind == 'l') {
		ssize_t len = readlink(path, link, sizeof(link) - 1);

		link[len > 0 ? len : 0] = '\0';
	}
	e = realloc(walk.v, (walk.n + 1) * sizeof(*e));
	if (!e) {
		walk.oom = true;
		return FTW_STOP;
	}
	walk.v = e;
	e = &walk.v[walk.n++];
	e->hash = kind == 'f' && walk.content;
	e->path = strdup(rel);
	e->line = NULL;
	/* orig/: sizes and times (its content is what the build left there) */
	if (walk.content || kind == 'd')
		n = asprintf(&e->line, "%c %o %s%s%s\n", kind, st->st_mode & 07777, rel,
		             link[0] ? " -> " : "", link);
	else
		n = asprintf(&e->line, "%c %o %s %lld %lld.%09ld%s%s\n", kind, st->st_mode & 07777,
		             rel, (long long)st->st_size, (long long)st->st_mtim.tv_sec,
		             st->st_mtim.tv_nsec, link[0] ? " -> " : "", link);
	if (n < 0)
		e->line = NULL;
	if (!e->path || !e->line) {
		walk.oom = true;
		return FTW_STOP;
	}
	return FTW_CONTINUE;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

/* The sorted listing of dir, then (content) sha256sum of each file in that
 * order; its hash into hex. git: dir has a .git. */
static int listing(const char *dir, bool content, char hex[65], bool *git)
{
	struct buf b = { 0 };
	int rc = 0;

	memset(&walk, 0, sizeof(walk));
	walk.root_len = strlen(dir);
	walk.content = content;
	walk.top_cmake = has_file(dir, "CMakeCache.txt");
	if (nftw(dir, add, 32, FTW_PHYS | FTW_ACTIONRETVAL) < 0)
		rc = -errno;
	if (!rc && walk.oom)
		rc = -ENOMEM;
	if (!rc)
		qsort(walk.v, walk.n, sizeof(*walk.v), by_path);
	for (size_t i = 0; !rc && i < walk.n; i++)
		put(&b, walk.v[i].line, strlen(walk.v[i].line));
	/* sha256sum over the files in batches, in the listing's order */
	for (size_t i = 0; !rc && i < walk.n;) {
		char *argv[260];
		size_t k = 0;

		argv[k++] = "sha256sum";
		argv[k++] = "--";
		for (; i < walk.n && k < 258; i++)
			if (walk.v[i].hash)
				argv[k++] = walk.v[i].path;
		argv[k] = NULL;
		if (k > 2)
			rc = run_io(argv, dir, NULL, 0, &b);
	}
	if (!rc && b.oom)
		rc = -ENOMEM;
	if (!rc)
		rc = sha(b.s ? b.s : "", b.len, hex);
	if (git)
		*git = walk.git;
	for (size_t i = 0; i < walk.n; i++) {
		free(walk.v[i].path);
		free(walk.v[i].line);
	}
	free(walk.v);
	free(b.s);
	return rc;
}

/* --- the key --------------------------------------------------------------------------- */

/* The compiler's identity: its command, --version, and size, time and inode
 * of the driver, cc1, as and ld it runs. */
static const char cc_identity[] =
    "cc=${XSPLICE_REAL_CC:-${CC:-gcc}}\n"
    "set -f; set -- $cc; set +f\n"
    "echo \"cc: $cc\"\n"
    "\"$@\" --version 2>&1\n"
    "for t in \"$1\" \"$(\"$@\" -print-prog-name=cc1 2>/dev/null)\" \\\n"
    "\t\"$(\"$@\" -print-prog-name=as 2>/dev/null)\" \"$(\"$@\" -print-prog-name=ld 2>/dev/null)\"; do\n"
    "\tp=$(command -v -- \"$t\" 2>/dev/null) || p=$t\n"
    "\t[ -f \"$p\" ] && stat -L -c '%n %s %Y %i' -- \"$p\"\n"
    "done\n"
    "exit 0\n";

/* MAKEFLAGS without what only says how to run (-j, the jobserver). */
static void put_makeflags(struct buf *b, const char *v)
{
	char *copy = strdup(v), *save = NULL;

	if (!copy) {
		b->oom = true;
		return;
	}
	put(b, "MAKEFLAGS=", 10);
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		if (strncmp(w, "-j", 2) && strncmp(w, "--jobserver", 11))
			putf(b, " %s", w);
	put(b, "\n", 1);
	free(copy);
}

static int key_text(const struct xb_opts *o, const struct xs_build_id *target, struct buf *b)
{
	static const char *const vars[] = { "XSPLICE_REAL_CC", "CC",      "CFLAGS", "CPPFLAGS",
		                            "CXXFLAGS",        "LDFLAGS", "LDLIBS", "TARGET_ARCH" };
	char hex[2 * XS_BUILD_ID_MAX + 1], tree[65];
	bool git = false;
	int rc;

	xs_hex(target->bytes, target->len, hex);
	putf(b, "%s\nbuild: %s\ntarget: %s\n", FORMAT, o->build, hex);
	for (size_t i = 0; i < XS_ARRAY_SIZE(vars); i++)
		if (getenv(vars[i]))
			putf(b, "%s=%s\n", vars[i], getenv(vars[i]));
	if (getenv("MAKEFLAGS"))
		put_makeflags(b, getenv("MAKEFLAGS"));
	putf(b, "include: %s\nwrapper:\n%s", o->include ? o->include : "", xb_wrapper_text);
	rc = run_io((char *const[]){ "sh", "-c", (char *)cc_identity, NULL }, NULL, NULL, 0, b);
	if (rc)
		return xs_fail(rc, "the compiler's identity");
	rc = listing(o->src, true, tree, &git);
	if (rc)
		return xs_fail(rc, "hashing the files of %s", o->src);
	putf(b, "tree: %s\n", tree);
	if (git) {
		put(b, "git: ", 5);
		rc = run_io(
		    (char *const[]){ "git", "-C", (char *)o->src, "rev-parse", "HEAD", NULL }, NULL,
		    NULL, 0, b);
		if (rc)
			put(b, "?\n", 2);
	}
	return b->oom ? -ENOMEM : 0;
}

/* --- entries --------------------------------------------------------------------------- */

static char *join(const char *a, const char *b)
{
	char *s;

	return asprintf(&s, "%s/%s", a, b) < 0 ? NULL : s;
}

static void rm_rf(const char *path)
{
	xb_run((char *const[]){ "rm", "-rf", (char *)path, NULL }, NULL, NULL);
}

/* flock path without waiting; the fd, -EWOULDBLOCK when another build holds
 * it. Checked against the path afterwards: an eviction may have unlinked
 * the file we opened. */
static int lock_file(const char *path)
{
	for (int tries = 0; tries < 3; tries++) {
		struct stat a, b;
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			int err = -errno;

			close(fd);
			return err == -EAGAIN ? -EWOULDBLOCK : err;
		}
		if (!fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
	return -EWOULDBLOCK;
}

static int read_text(const char *path, struct buf *b)
{
	char chunk[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		put(b, chunk, (size_t)n);
	close(fd);
	return n < 0 ? -EIO : b->oom ? -ENOMEM : 0;
}

/* The entry's done file names this key and an orig/ that is still as it was
 * stored. NULL: usable; else why not. */
static const char *check_entry(struct xb_cache *c)
{
	char *done = join(c->entry, "done"), *orig = join(c->entry, "orig"), hex[65];
	struct buf b = { 0 };
	const char *why = NULL;
	size_t tl = strlen(c->text);

	if (!done || !orig)
		why = "out of memory";
	else if (read_text(done, &b))
		why = "incomplete";
	else if (b.len < tl || memcmp(b.s, c->text, tl) || strncmp(b.s + tl, "orig: ", 6))
		why = "made for another key";
	else if (listing(orig, false, hex, NULL) || strncmp(b.s + tl + 6, hex, 64))
		why = "its original tree changed since it was stored";
	free(b.s);
	free(done);
	free(orig);
	return why;
}

int xb_cache_open(const struct xb_opts *o, const struct xs_build_id *target, struct xb_cache **out)
{
	struct xb_cache *c = calloc(1, sizeof(*c));
	struct buf text = { 0 };
	const char *why;
	long long t, t0;
	char hex[65];
	int rc;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->keep = o->cache_keep ? o->cache_keep : 4;
	if (xb_run((char *const[]){ "mkdir", "-p", (char *)o->cache, NULL }, NULL, NULL) ||
	    !(c->root = realpath(o->cache, NULL))) {
		free(c);
		return xs_fail(-EACCES, "cannot create the cache directory %s", o->cache);
	}
	t = t0 = xs_now_ms();
	rc = key_text(o, target, &text);
	if (!rc)
		rc = sha(text.s, text.len, hex);
	xs_debug("cache: key computed in %lld ms", xs_now_ms() - t);
	if (rc) {
		xs_note("cache: %s (%s): building without the cache", xs_error_message(),
		        strerror(-rc));
		xs_error_clear();
		free(text.s);
		free(c->root);
		free(c);
		return 0;
	}
	c->text = text.s;
	memcpy(c->key, hex, KEY_HEX);
	c->entry = join(c->root, c->key);
	if (!c->entry || asprintf(&c->lock, "%s.lock", c->entry) < 0) {
		xb_cache_close(c, true);
		return -ENOMEM;
	}
	c->fd = lock_file(c->lock);
	if (c->fd < 0) {
		xs_note("cache: %s: %s: building without the cache", c->entry,
		        c->fd == -EWOULDBLOCK ? "in use by another xsplice build" :
		                                strerror(-c->fd));
		c->fd = -1;
		xb_cache_close(c, true);
		return 0;
	}
	t = xs_now_ms();
	why = check_entry(c);
	c->hit = !why;
	xs_debug("cache: entry %s checked in %lld ms: %s", c->entry, xs_now_ms() - t,
	         why ? why : "hit");
	c->key_ms = xs_now_ms() - t0;
	if (why && strcmp(why, "incomplete"))
		xs_note("cache: %s: %s: building from scratch", c->entry, why);
	if (!c->hit) {
		rm_rf(c->entry);
		if (mkdir(c->entry, 0755)) {
			rc = xs_fail(-errno, "cannot create the cache entry %s", c->entry);
			xb_cache_close(c, true);
			return rc;
		}
	}
	*out = c;
	return 0;
}

bool xb_cache_hit(const struct xb_cache *c)
{
	return c && c->hit;
}

const char *xb_cache_dir(const struct xb_cache *c)
{
	return c->entry;
}

static int copy(const char *from, const char *to)
{
	return xb_run(
	    (char *const[]){ "cp", "-a", "--reflink=auto", (char *)from, (char *)to, NULL }, NULL,
	    NULL);
}

int xb_cache_restore(struct xb_cache *c, const struct xb_work *w)
{
	char *links = join(c->entry, "orig.links"), *to = join(w->dir, "orig.links");
	char *done = join(c->entry, "done");
	long long t;
	int rc = -ENOMEM;

	if (!links || !to || !done)
		goto out;
	rm_rf(w->tree);
	rc = 0;
	t = xs_now_ms();
	if (copy(w->orig, w->tree))
		rc = xs_fail(-EIO, "cannot copy the cached %s to %s", w->orig, w->tree);
	else if (!access(links, F_OK) && copy(links, to))
		rc = xs_fail(-EIO, "cannot copy %s to %s", links, to);
	if (!rc) {
		utimensat(AT_FDCWD, done, NULL, 0); /* last use, for eviction */
		printf(
		    "cache: original build reused from %s (key and check %lld ms, copy %lld ms)\n",
		    c->entry, c->key_ms, xs_now_ms() - t);
	}
out:
	free(links);
	free(to);
	free(done);
	return rc;
}

void xb_cache_store(struct xb_cache *c, const struct xb_work *w)
{
	static const char *const logs[] = { "orig.links", "orig.compiles", "orig.build.log" };
	char *done = join(c->entry, "done"), *tmp = join(c->entry, "done.tmp"), hex[65];
	struct buf b = { 0 };
	int rc = done && tmp ? 0 : -ENOMEM;
	FILE *f;

	if (c->hit || access(w->orig, F_OK))
		goto out;
	for (size_t i = 0; !rc && i < XS_ARRAY_SIZE(logs); i++) {
		char *from = join(w->dir, logs[i]);

		rc = !from ? -ENOMEM : access(from, F_OK) || !copy(from, c->entry) ? 0 : -EIO;
		free(from);
	}
	if (!rc)
		rc = listing(w->orig, false, hex, NULL);
	put(&b, c->text, strlen(c->text));
	putf(&b, "orig: %s\n", hex);
	if (!rc && b.oom)
		rc = -ENOMEM;
	if (!rc && !(f = fopen(tmp, "we")))
		rc = -errno;
	if (!rc) {
		fwrite(b.s, 1, b.len, f);
		if (fflush(f) || fsync(fileno(f)))
			rc = -errno;
		if (fclose(f) && !rc)
			rc = -EIO;
	}
	if (!rc && rename(tmp, done))
		rc = -errno;
	if (rc)
		xs_note("cache: cannot store the original build in %s: %s", c->entry,
		        strerror(-rc));
	else
		printf("cache: original build stored in %s (key and check %lld ms)\n", c->entry,
		       c->key_ms);
out:
	free(b.s);
	free(done);
	free(tmp);
}

void xb_cache_drop(struct xb_cache *c)
{
	char *done = join(c->entry, "done"), *mismatch = join(c->entry, "mismatch");

	if (done)
		unlink(done);
	if (mismatch)
		unlink(mismatch);
	free(done);
	free(mismatch);
	c->hit = false;
}

void xb_cache_mismatch_note(struct xb_cache *c, const char *msg)
{
	char *path = join(c->entry, "mismatch");
	FILE *f = path && !c->hit ? fopen(path, "we") : NULL;

	if (f) {
		fputs(msg, f);
		fclose(f);
	}
	free(path);
}

bool xb_cache_mismatch_known(const struct xb_cache *c, const char *msg)
{
	char *path = join(c->entry, "mismatch");
	struct buf b = { 0 };
	bool known = path && !read_text(path, &b) && b.s && !strcmp(b.s, msg);

	free(b.s);
	free(path);
	return known;
}

struct aged {
	char *name;
	struct timespec used; /* 0: incomplete */
};

static int newest_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct aged *)a)->used,
	                      *y = &((const struct aged *)b)->used;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? 1 : -1;
	return x->tv_nsec < y->tv_nsec ? 1 : x->tv_nsec > y->tv_nsec ? -1 : 0;
}

/* Keep the c->keep entries used last (ours among them); remove the others
 * and incomplete ones that no build holds. */
static void evict(struct xb_cache *c)
{
	DIR *d = opendir(c->root);
	struct aged *v = NULL;
	size_t n = 0, kept = 0;
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct aged *nv;
		struct stat st;
		char *done;

		if (strlen(de->d_name) != KEY_HEX ||
		    strspn(de->d_name, "0123456789abcdef") != KEY_HEX)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n].name = strdup(de->d_name);
		if (!v[n].name)
			break;
		v[n].used = (struct timespec){ 0 };
		if (asprintf(&done, "%s/%s/done", c->root, de->d_name) >= 0) {
			if (!stat(done, &st))
				v[n].used = st.st_mtim;
			free(done);
		}
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), newest_first);
	for (size_t i = 0; i < n; i++) {
		char *entry = join(c->root, v[i].name), *lock = NULL;
		int fd;

		if (!strcmp(v[i].name, c->key) || (v[i].used.tv_sec && kept < c->keep)) {
			kept += !!v[i].used.tv_sec;
		} else if (entry && asprintf(&lock, "%s.lock", entry) >= 0 &&
		           (fd = lock_file(lock)) >= 0) {
			xs_debug("cache: evicting %s", entry);
			rm_rf(entry);
			unlink(lock);
			close(fd);
		}
		free(lock);
		free(entry);
		free(v[i].name);
	}
	free(v);
}

void xb_cache_close(struct xb_cache *c, bool keep)
{
	char *done, *tree;

	if (!c)
		return;
	if (c->fd >= 0) {
		done = join(c->entry, "done");
		tree = join(c->entry, "tree");
		if (done && access(done, F_OK))
			rm_rf(c->entry); /* never completed: nothing worth keeping */
		else if (tree && !keep)
			rm_rf(tree);
		free(done);
		free(tree);
		evict(c);
		close(c->fd);
	}
	free(c->root);
	free(c->entry);
	free(c->lock);
	free(c->text);
	free(c);
}
