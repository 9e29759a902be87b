/* SPDX-License-Identifier: MIT */
/*
 * Sessions and the registry in the target (see session.h, state.h): finding
 * it through /proc/<pid>/maps, creating it with injected system calls, and
 * reading and writing it through the target door.
 */
#include "state/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "common/page.h"
#include "state/state_check.h"

#define STATE_SIZE XS_ALIGN_UP(sizeof(struct xs_state) + XS_STATE_PAYLOAD_AREA, xs_page_size())

static const char *const status_names[] = {
	[XS_STATUS_LOADED] = "LOADED",
	[XS_STATUS_CHECKED] = "CHECKED",
	[XS_STATUS_APPLIED] = "APPLIED",
	[XS_STATUS_REVERTED] = "REVERTED",
};

const char *xs_status_name(int status)
{
	if (status >= 0 && (size_t)status < XS_ARRAY_SIZE(status_names) && status_names[status])
		return status_names[status];
	return "UNKNOWN";
}

void xs_pause_point(const char *name)
{
	const char *at = getenv("XSPLICE_TEST_PAUSE_AT"), *file = getenv("XSPLICE_TEST_PAUSE_FILE");
	char ready[4200];
	int fd;

	if (!at || !file || strcmp(at, name))
		return;
	snprintf(ready, sizeof(ready), "%s.ready", file);
	fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 2000 && access(file, F_OK); i++) /* 20 s at most */
		usleep(10000);
}

#define STATE_PATH "/memfd:" XS_STATE_NAME " (deleted)"

/* Is the file behind the registry's mapping our sealed memfd? Opened
 * read-only: never open for writing a path the target can point anywhere. */
static int verify_memfd(pid_t pid, const struct xs_map *m)
{
	char path[96], link[sizeof(STATE_PATH) + 1];
	struct stat st;
	ssize_t n;
	int fd, seals, rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid,
	         (unsigned long long)m->start, (unsigned long long)m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return xs_fail(errno == ENOENT ? -ESRCH : -errno,
		               "pid %d: cannot open its registry's file %s", pid, path);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link));
	seals = fcntl(fd, F_GET_SEALS);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink != 0 ||
	    (uint64_t)st.st_size != STATE_SIZE || st.st_ino != m->inode ||
	    n != (ssize_t)strlen(STATE_PATH) || memcmp(link, STATE_PATH, n) ||
	    seals != XS_STATE_SEALS)
		rc = xs_fail(
		    -EPROTO,
		    "pid %d: the mapping at 0x%llx named %s is not a registry xsplice made (not a sealed memfd of %zu bytes)",
		    pid, (unsigned long long)m->start, STATE_PATH, (size_t)STATE_SIZE);
	close(fd);
	return rc;
}

/* The registry's address (0: none), found by what it is: a private rw
 * mapping of our sealed memfd, of its size, the only one. */
static int find_state(pid_t pid, const struct xs_maps *maps, uint64_t *addr)
{
	const struct xs_map *found = NULL;

	*addr = 0;
	for (size_t i = 0; i < maps->n; i++) {
		const struct xs_map *m = &maps->v[i];

		if (strcmp(m->path, STATE_PATH))
			continue;
		if (found || strcmp(m->perms, "rw-p") || m->offset ||
		    m->end - m->start != STATE_SIZE)
			return xs_fail(
			    -EPROTO,
			    "pid %d: its mapping at 0x%llx named %s is not one registry as xsplice maps it",
			    pid, (unsigned long long)m->start, STATE_PATH);
		found = m;
	}
	if (!found)
		return 0;
	*addr = found->start;
	return verify_memfd(pid, found);
}

/* Slots in use, counting from the first: what a commit must cover. */
static size_t used_span(const struct xs_state *st)
{
	size_t n = 0;

	for (size_t i = 0; i < XS_STATE_MAX_PAYLOADS; i++)
		if (st->payloads[i].used)
			n = i + 1;
	return n;
}

/* An empty registry's header; its version random, so that no snapshot of a
 * registry it replaces (at the same address, say) can pass for it
 * (read_state); far from wrapping. */
static void init_state(struct xs_state *st)
{
	memset(st, 0, sizeof(*st));
	st->magic = XS_STATE_MAGIC;
	st->abi = XS_STATE_ABI;
	st->next_seq = 1;
	if (getrandom(&st->version, sizeof(st->version), 0) != sizeof(st->version))
		st->version = (uint32_t)xs_now_us();
	st->version >>= 2;
}

/*
 * A header of zeros: a run killed while making the registry (mapped, not
 * yet written; xs_session_ensure_state). Taken as empty, rather than
 * refused as not ours, which would lock every later run out.
 */
static bool never_written(const struct xs_state *st)
{
	static const char zeros[offsetof(struct xs_state, payloads)];

	return !memcmp(st, zeros, sizeof(zeros));
}

/*
 * The registry; or, when s->state already holds it as read moments ago at
 * known_addr, only its header: every change bumps the version, changes are
 * made only by runs that hold the process stopped, as we do now, and a
 * registry made anew starts at a random version. In the stop, the 46 KiB
 * need not be read again (into fresh memory, page faults included).
 * With unchanged (the header was read again once every thread was seized,
 * and showed that version and no journal), not even the header: from then
 * on no other run can change it.
 */
static int read_state(struct xs_session *s, uint64_t known_addr, bool unchanged)
{
	const size_t head = offsetof(struct xs_state, payloads);
	struct xs_state *st = s->state;
	bool known = known_addr && known_addr == s->state_addr;
	uint32_t known_version = st->version;
	int rc;

	if (!s->state_addr) {
		memset(st, 0, sizeof(*st));
		return 0;
	}
	if (known && unchanged) { /* seen as it is after every thread was seized */
		s->span = used_span(st);
		return 0;
	}
	rc = xs_session_read(s, s->state_addr, st, known ? head : sizeof(*st));
	if (rc)
		return rc;
	if (never_written(st)) { /* see never_written: the next commit writes it */
		init_state(st);
		s->span = 0;
		return 0;
	}
	if (known && st->version != known_version &&
	    (rc = xs_session_read(s, s->state_addr + head, st->payloads, sizeof(st->payloads))))
		return rc;
	rc = xs_state_check(st, s->pid); /* written by the target: hostile */
	if (rc)
		return rc;
	s->span = used_span(st); /* slots a later commit must cover */
	return 0;
}

bool xs_journal_owner_alive(const struct xs_journal *j)
{
	uint64_t start;

	return j->owner > 0 && xs_proc_start_time(j->owner, &start) == 0 && start == j->owner_start;
}

/*
 * The records describe the process they are in. A forked child inherits its
 * parent's (a private copy, like its code): at its first change it claims
 * them. Only an attached session writes, and only at its commit.
 */
static void claim(struct xs_session *s)
{
	struct xs_state *st = s->state;

	if (!s->state_addr || (st->owner_pid == s->pid && st->owner_start == s->start))
		return;
	xs_debug("pid %d: registry inherited from pid %d: now its own", s->pid, st->owner_pid);
	st->owner_pid = s->pid;
	st->owner_start = s->start;
}

/* before: a session of moments ago whose registry (state) this one takes over. */
static int open_session(pid_t pid, bool attach, bool one, long timeout_ms,
                        struct xs_session *before, struct xs_session **out)
{
	struct xs_session *s = calloc(1, sizeof(*s));
	uint64_t known_addr = 0;
	int rc;

	if (s && before && before->state) {
		s->state = before->state; /* memory in use: no page faults in the stop */
		before->state = NULL;
		known_addr = before->state_addr;
	} else if (s) {
		s->state = calloc(1, sizeof(*s->state));
	}
	if (!s || !s->state) {
		free(s);
		return xs_fail(-ENOMEM, "pid %d: no memory for a session", pid);
	}
	s->pid = pid;
	s->site_fd = -1;
	rc = before ? 0 : xs_target_check(pid); /* a zombie has no maps to find a registry in */
	if (!rc && (rc = xs_proc_start_time(pid, &s->start)))
		rc = xs_fail(rc, "pid %d: cannot read /proc/%d/stat", pid, pid);
	if (!rc)
		rc = xs_maps_read(pid, &s->maps);
	if (!rc)
		rc = find_state(pid, s->maps, &s->state_addr);
	if (!rc && one) {
		rc = xs_target_attach_one(pid, timeout_ms, &s->t);
	} else if (!rc && attach && before) {
		before->hooks.warm = &before->warm;
		rc = xs_target_attach_hooked(pid, timeout_ms, &before->hooks, &s->t);
	} else if (!rc && attach) {
		rc = xs_target_attach(pid, timeout_ms, &s->t);
	}
	if (!rc)
		rc = read_state(s, known_addr, before && before->head_unchanged);
	if (!rc && s->t)
		claim(s);
	/*
	 * Attached, we hold every thread: no other run can be inside an action
	 * (it would be their tracer), so a journal here was left by a run that
	 * died, whatever its pid is now. Read-only sessions never write: they
	 * report it (xs_session_interrupted).
	 */
	if (!rc && one && s->state->journal.action != XS_ACTION_NONE)
		rc = xs_fail(
		    -EAGAIN,
		    "pid %d: an action left half done is undone only with every thread stopped",
		    pid);
	else if (!rc && s->t && s->state->journal.action != XS_ACTION_NONE)
		rc = xs_session_recover(s);
	if (rc) {
		xs_session_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int xs_session_open(pid_t pid, bool attach, long timeout_ms, struct xs_session **out)
{
	return open_session(pid, attach, false, timeout_ms, NULL, out);
}

int xs_session_open_again(pid_t pid, long timeout_ms, struct xs_session *before,
                          struct xs_session **out)
{
	return open_session(pid, true, false, timeout_ms, before, out);
}

int xs_session_open_one(pid_t pid, long timeout_ms, struct xs_session *before,
                        struct xs_session **out)
{
	return open_session(pid, true, true, timeout_ms, before, out);
}

void xs_session_close(struct xs_session *s)
{
	if (!s)
		return;
	if (s->t)
		xs_target_detach(s->t);
	xs_pages_free(&s->warm);
	xs_maps_free(s->maps);
	if (s->site_fd >= 0)
		close(s->site_fd);
	free(s->state);
	free(s);
}

int xs_session_maps_fresh(struct xs_session *s)
{
	struct xs_maps *m;
	int rc = xs_maps_read(s->pid, &m);

	if (rc)
		return rc;
	xs_maps_free(s->maps);
	s->maps = m;
	return 0;
}

int xs_session_syscall(struct xs_session *s, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
                       uint64_t a3, uint64_t a4, uint64_t a5, long *ret)
{
	const struct xs_syscall c = { nr, { a0, a1, a2, a3, a4, a5 }, NULL };

	return xs_session_run(s, &c, ret);
}

int xs_session_run(struct xs_session *s, const struct xs_syscall *c, long *ret)
{
	char what[192];
	int rc = xs_target_syscall(s->t, c->nr, c->args, ret);

	if (rc)
		return rc;
	if (*ret < 0 && *ret > -4096) {
		xs_syscall_text(c, what, sizeof(what));
		return xs_fail((int)*ret, "pid %d: %s in the target failed%s%s", s->pid, what,
		               c->what ? " " : "", c->what ? c->what : "");
	}
	return 0;
}

/* Making the registry, step by step (scratch holds its name, fd is the memfd). */
enum { ST_SCRATCH, ST_MEMFD, ST_SIZE, ST_SEAL, ST_MAP, ST_CLOSE, ST_UNSCRATCH, ST_NCALLS };

static void state_calls(struct xs_syscall c[ST_NCALLS], uint64_t scratch, uint64_t fd)
{
	const struct xs_syscall calls[ST_NCALLS] = {
		[ST_SCRATCH] = { SYS_mmap,
		                 { 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		                   (uint64_t)-1, 0 },
		                 "to hold the registry's name" },
		[ST_MEMFD] = { SYS_memfd_create,
		               { scratch, MFD_CLOEXEC | MFD_ALLOW_SEALING },
		               "to create the registry" },
		[ST_SIZE] = { SYS_ftruncate, { fd, STATE_SIZE }, "to size the registry" },
		[ST_SEAL] = { SYS_fcntl,
		              { fd, F_ADD_SEALS, XS_STATE_SEALS },
		              "to seal the registry" },
		/* Private: a forked child gets a copy of the records with its copy of the code. */
		[ST_MAP] = { SYS_mmap,
		             { 0, STATE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0 },
		             "to map the registry" },
		[ST_CLOSE] = { SYS_close, { fd }, "to close the registry's file" },
		[ST_UNSCRATCH] = { SYS_munmap, { scratch, 4096 }, "to unmap the registry's name" },
	};

	memcpy(c, calls, sizeof(calls));
}

size_t xs_session_state_calls(const struct xs_session *s, struct xs_syscall out[XS_STATE_CALLS])
{
	_Static_assert(ST_NCALLS == XS_STATE_CALLS, "XS_STATE_CALLS is the number of steps");

	if (s->state_addr)
		return 0;
	state_calls(out, 0, 0);
	return ST_NCALLS;
}

static int state_step(struct xs_session *s, int step, long scratch, long fd, long *ret)
{
	struct xs_syscall c[ST_NCALLS];

	state_calls(c, (uint64_t)scratch, (uint64_t)fd);
	return xs_session_run(s, &c[step], ret);
}

int xs_session_ensure_state(struct xs_session *s)
{
	static const char name[] = XS_STATE_NAME;
	long scratch = 0, fd = -1, addr = 0, ignored;
	int rc;

	if (s->state_addr)
		return 0;
	rc = state_step(s, ST_SCRATCH, 0, 0, &scratch);
	if (!rc)
		rc = xs_target_write(s->t, scratch, name, sizeof(name));
	if (!rc)
		rc = state_step(s, ST_MEMFD, scratch, 0, &fd);
	if (!rc)
		rc = state_step(s, ST_SIZE, scratch, fd, &ignored);
	if (!rc)
		rc = state_step(s, ST_SEAL, scratch, fd, &ignored);
	if (!rc)
		rc = state_step(s, ST_MAP, scratch, fd, &addr);
	if (fd >= 0)
		state_step(s, ST_CLOSE, scratch, fd, &ignored);
	if (scratch)
		state_step(s, ST_UNSCRATCH, scratch, fd, &ignored);
	if (rc)
		return xs_fail(rc, "pid %d: cannot create the xsplice registry", s->pid);

	init_state(s->state);
	s->state->owner_pid = s->pid;
	s->state->owner_start = s->start;
	s->state_addr = addr;
	s->created_state = true;
	return xs_session_commit(s);
}

int xs_session_shadow_anchor(struct xs_session *s, uint64_t *addr)
{
	int rc = xs_session_ensure_state(s);

	if (!rc)
		*addr = s->state_addr + STATE_SIZE - XS_STATE_PAYLOAD_AREA;
	return rc;
}

uint64_t xs_session_shadow_anchor_at(const struct xs_session *s)
{
	return s->state_addr ? s->state_addr + STATE_SIZE - XS_STATE_PAYLOAD_AREA : 0;
}

void xs_session_drop_empty_state(struct xs_session *s)
{
	long ignored;

	if (!s || !s->created_state)
		return;
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++)
		if (s->state->payloads[i].used)
			return;
	xs_session_syscall(s, SYS_munmap, s->state_addr, STATE_SIZE, 0, 0, 0, 0, &ignored);
	s->state_addr = 0;
	s->created_state = false;
}

/*
 * Write back the header, the journal and every slot that is or was in use
 * during this session: one write of a few KiB instead of the whole registry,
 * since this runs while every thread is stopped.
 */
int xs_session_commit(struct xs_session *s)
{
	size_t span = used_span(s->state), len;

	if (span < s->span)
		span = s->span;
	s->span = span;
	s->state->version++;
	len = offsetof(struct xs_state, payloads) + span * sizeof(s->state->payloads[0]);
	return xs_target_write(s->t, s->state_addr, s->state, len);
}

int xs_session_find(struct xs_session *s, const char *id)
{
	for (int i = 0; i < XS_STATE_MAX_PAYLOADS; i++)
		if (s->state->payloads[i].used && !strcmp(s->state->payloads[i].id, id))
			return i;
	return xs_fail(-ENOENT, "pid %d: no payload '%s'", s->pid, id);
}

int xs_session_read(struct xs_session *s, uint64_t addr, void *buf, size_t len)
{
	uint64_t off = addr - s->overlay_addr;

	if (!s->t && s->overlay && addr >= s->overlay_addr && off < s->overlay_len) {
		if (len > s->overlay_len - off)
			return xs_fail(
			    -EFAULT,
			    "pid %d: read of %zu bytes at 0x%llx runs past the payload planned there",
			    s->pid, len, (unsigned long long)addr);
		memcpy(buf, s->overlay + off, len);
		return 0;
	}
	return s->t ? xs_target_read(s->t, addr, buf, len) : xs_proc_read(s->pid, addr, buf, len);
}

int xs_fstate_read(struct xs_session *s, int slot, struct xs_fstate *fs)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	size_t len = p->nfuncs * sizeof(*fs);
	int rc = xs_session_read(s, p->fstate_addr, fs, len);

	return rc ? rc : xs_fstate_check(p, fs, p->nfuncs, s->pid);
}

int xs_fstate_write(struct xs_session *s, int slot, const struct xs_fstate *fs)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];

	return xs_target_write(s->t, p->fstate_addr, fs, p->nfuncs * sizeof(*fs));
}
