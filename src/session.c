/* SPDX-License-Identifier: MIT */
/*
 * Sessions and the registry in the target (see session.h, state.h): finding
 * it through /proc/<pid>/maps, creating it with injected system calls, and
 * reading and writing it through the target door.
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"

#define STATE_SIZE XS_ALIGN_UP(sizeof(struct xs_state), 4096)

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

void xs_crash_point(const char *name)
{
	const char *at = getenv("XSPLICE_TEST_CRASH_AT");

	if (at && !strcmp(at, name))
		raise(SIGKILL);
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

/* The registry mapping's address from /proc/<pid>/maps, 0 when none. */
static int find_state(pid_t pid, uint64_t *addr)
{
	char path[64], line[512];
	FILE *f;

	*addr = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return xs_fail(errno == ENOENT ? -ESRCH : -errno, "pid %d: cannot read %s", pid,
			       path);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start;

		if (strstr(line, "/memfd:" XS_STATE_NAME) && sscanf(line, "%llx-", &start) == 1) {
			*addr = start;
			break;
		}
	}
	fclose(f);
	return 0;
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

/*
 * The registry; or, when s->state already holds it as read moments ago at
 * known_addr, only its header: every change bumps the version, changes are
 * made only by runs that hold the process stopped, as we do now, and a
 * registry made anew starts at a random version. In the stop, reading the
 * 46 KiB again (into fresh memory) cost ~60 us on the VM we measure on.
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
	if (st->magic != XS_STATE_MAGIC || st->abi != XS_STATE_ABI)
		return xs_fail(
		    -EPROTO, "pid %d: registry at 0x%llx has magic 0x%llx abi %u, not ours", s->pid,
		    (unsigned long long)s->state_addr, (unsigned long long)st->magic, st->abi);
	if (known && st->version != known_version &&
	    (rc = xs_session_read(s, s->state_addr + head, st->payloads, sizeof(st->payloads))))
		return rc;
	s->span = used_span(st); /* slots a later commit must cover */
	return 0;
}

static bool owner_alive(pid_t owner)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", owner);
	return owner > 0 && owner != getpid() && access(path, F_OK) == 0;
}

/* before: a session of moments ago whose registry (state) this one takes over. */
static int open_session(pid_t pid, bool attach, long timeout_ms, struct xs_session *before,
			struct xs_session **out)
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
	rc = before ? 0 : xs_target_check(pid); /* a zombie has no maps to find a registry in */
	if (!rc)
		rc = find_state(pid, &s->state_addr);
	if (!rc && attach && before) {
		before->hooks.warm = &before->warm;
		rc = xs_target_attach_hooked(pid, timeout_ms, &before->hooks, &s->t);
	} else if (!rc && attach) {
		rc = xs_target_attach(pid, timeout_ms, &s->t);
	}
	if (!rc && before && before->map_current && s->state_addr == known_addr) {
		s->map = before->map; /* checked once every thread was seized */
		before->map = (struct xs_state_map){ 0 };
	}
	if (!rc)
		rc = read_state(s, known_addr, before && before->head_unchanged);
	if (!rc && s->state->journal.action != XS_ACTION_NONE &&
	    !owner_alive(s->state->journal.owner)) {
		/* A killed run left an action half done: undo it before anything. */
		if (!s->t)
			rc = xs_target_attach(pid, timeout_ms, &s->t);
		if (!rc)
			rc = read_state(s, 0, false);
		if (!rc)
			rc = xs_session_recover(s);
		if (!attach && s->t) {
			xs_target_detach(s->t);
			s->t = NULL;
		}
	}
	if (rc) {
		xs_session_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int xs_session_open(pid_t pid, bool attach, long timeout_ms, struct xs_session **out)
{
	return open_session(pid, attach, timeout_ms, NULL, out);
}

int xs_session_open_again(pid_t pid, long timeout_ms, struct xs_session *before,
			  struct xs_session **out)
{
	return open_session(pid, true, timeout_ms, before, out);
}

void xs_session_close(struct xs_session *s)
{
	if (!s)
		return;
	if (s->t)
		xs_target_detach(s->t);
	xs_pages_free(&s->warm);
	xs_state_map_close(&s->map);
	free(s->state);
	free(s);
}

void xs_session_map_state(struct xs_session *s)
{
	if (s->state_addr && !s->map.mem)
		xs_state_map_open(&s->map, s->pid, s->state_addr, STATE_SIZE);
}

void xs_session_check_map(struct xs_session *s)
{
	s->map_current = xs_state_map_current(&s->map, s->pid, s->state_addr);
	if (!s->map_current)
		xs_state_map_close(&s->map);
}

int xs_session_syscall(struct xs_session *s, long nr, uint64_t a0, uint64_t a1, uint64_t a2,
		       uint64_t a3, uint64_t a4, uint64_t a5, long *ret)
{
	const uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
	int rc = xs_target_syscall(s->t, nr, args, ret);

	if (rc)
		return rc;
	if (*ret < 0 && *ret > -4096)
		return xs_fail((int)*ret, "pid %d: system call %ld in the target failed", s->pid,
			       nr);
	return 0;
}

int xs_session_ensure_state(struct xs_session *s)
{
	static const char name[] = XS_STATE_NAME;
	long scratch = 0, fd = -1, addr = 0, ignored;
	int rc;

	if (s->state_addr)
		return 0;
	rc = xs_session_syscall(s, SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0, &scratch);
	if (!rc)
		rc = xs_target_write(s->t, scratch, name, sizeof(name));
	if (!rc)
		rc = xs_session_syscall(s, SYS_memfd_create, scratch, MFD_CLOEXEC, 0, 0, 0, 0, &fd);
	if (!rc)
		rc = xs_session_syscall(s, SYS_ftruncate, fd, STATE_SIZE, 0, 0, 0, 0, &ignored);
	if (!rc)
		rc = xs_session_syscall(s, SYS_mmap, 0, STATE_SIZE, PROT_READ | PROT_WRITE,
					MAP_SHARED, fd, 0, &addr);
	if (fd >= 0)
		xs_session_syscall(s, SYS_close, fd, 0, 0, 0, 0, 0, &ignored);
	if (scratch)
		xs_session_syscall(s, SYS_munmap, scratch, 4096, 0, 0, 0, 0, &ignored);
	if (rc)
		return xs_fail(rc, "pid %d: cannot create the xsplice registry", s->pid);

	memset(s->state, 0, sizeof(*s->state));
	s->state->magic = XS_STATE_MAGIC;
	s->state->abi = XS_STATE_ABI;
	s->state->next_seq = 1;
	/* Random, so that no snapshot of a registry it replaces (at the same
	 * address, say) can pass for it (read_state); far from wrapping. */
	if (getrandom(&s->state->version, sizeof(s->state->version), 0) !=
	    sizeof(s->state->version))
		s->state->version = (uint32_t)xs_now_us();
	s->state->version >>= 2;
	s->state_addr = addr;
	s->created_state = true;
	return xs_session_commit(s);
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
	xs_state_map_close(&s->map);
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
	if (s->map.mem && s->t) { /* attached: no other run writes it meanwhile */
		memcpy(s->map.mem, s->state, len);
		return 0;
	}
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
	return s->t ? xs_target_read(s->t, addr, buf, len) : xs_proc_read(s->pid, addr, buf, len);
}

int xs_fstate_read(struct xs_session *s, int slot, struct xs_fstate *fs)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];
	size_t len = p->nfuncs * sizeof(*fs);

	return xs_session_read(s, p->fstate_addr, fs, len);
}

int xs_fstate_write(struct xs_session *s, int slot, const struct xs_fstate *fs)
{
	const struct xs_state_payload *p = &s->state->payloads[slot];

	return xs_target_write(s->t, p->fstate_addr, fs, p->nfuncs * sizeof(*fs));
}
