/* SPDX-License-Identifier: MIT */
/*
 * Unit test for the batched code reads and writes (src/target/code_runs.c), on a
 * stopped child: spans grouped into runs, each span found in our copy, what
 * is written back lands in the child; a run kept before the stop and read
 * again is "unchanged" only while the child's bytes are the same, gaps
 * between spans included, and when changed the copy is what the child holds;
 * a text page is made the child's own copy by writing it back unchanged.
 */
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "target/code_runs.h"
#include "common/error.h"
#include "target/target.h"

#define REGION 8192

/* Same address in the forked child: it is the child's code stand-in. */
static unsigned char region[REGION] __attribute__((aligned(4096)));

/* Real code, in a page of its own: the one xs_runs_own_pages is tried on. */
__attribute__((noinline, aligned(4096))) int text_probe(int x)
{
	return x * 3 + 1;
}

/* Private_Dirty of the child's mapping holding addr, in kB (-1: not found). */
static long private_dirty_kb(pid_t pid, uint64_t addr)
{
	char path[64], line[256];
	bool in = false;
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;

		if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2)
			in = addr >= lo && addr < hi;
		else if (in && sscanf(line, "Private_Dirty: %ld kB", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

static bool child_holds(struct xs_target *t, uint64_t at, const void *want, size_t len)
{
	unsigned char got[64];

	return len <= sizeof(got) && !xs_target_read(t, at, got, len) && !memcmp(got, want, len);
}

int main(void)
{
	const uint64_t base = (uintptr_t)region;
	struct xs_span spans[] = {
		{ base + 4000, 5 }, { base + 16, 5 },   { base + 64, 8 },
		{ base + 66, 4 },   { base + 5000, 5 }, /* 1000 past the others: a run of its own */
	};
	const unsigned char jump[5] = { 0xe9, 1, 2, 3, 4 };
	struct xs_target *t = NULL;
	struct xs_runs *r = NULL;
	pid_t pid;
	int rc;

	for (int i = 0; i < REGION; i++)
		region[i] = (unsigned char)(i * 7);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives a failed test */
		for (;;)
			pause();
	}
	check(pid > 0, "child started");
	rc = pid > 0 ? xs_target_attach(pid, 2000, &t) : -1;
	check(rc == 0, "attached to the child (%d)", rc);
	rc = rc ? rc : xs_runs_new(spans, 5, &r);
	check(rc == 0 && r, "runs made for 5 spans");
	rc = rc ? rc : xs_runs_fill(r, pid, t);
	check(rc == 0, "runs read");
	if (!rc) {
		check(xs_runs_at(r, base + 16, 5) &&
		          !memcmp(xs_runs_at(r, base + 16, 5), region + 16, 5),
		      "a span's bytes are the child's");
		check(xs_runs_at(r, base + 66, 4) == xs_runs_at(r, base + 64, 8) + 2,
		      "overlapping spans share their bytes");
		check(!xs_runs_at(r, base + 3000, 5), "bytes in no run are not found");
		check(!xs_runs_at(r, base + 5003, 5), "a piece running past its run is not found");
	}

	/* Kept, changed in our copy, read again while the child is as it was. */
	rc = rc ? rc : xs_runs_remember(r);
	check(rc == 0, "runs kept");
	if (!rc) {
		memcpy(xs_runs_at(r, base + 16, 5), jump, 5);
		rc = xs_runs_reread(r, t);
		check(rc == 1, "unchanged child: reread says so (%d)", rc);
		check(!memcmp(xs_runs_at(r, base + 16, 5), jump, 5), "and our change is kept");
	}

	/* The child changes a byte between two spans of one run. */
	if (rc == 1) {
		unsigned char other = region[40] ^ 0xff;

		rc = xs_target_write(t, base + 40, &other, 1);
		check(rc == 0, "a gap byte changed in the child");
		rc = rc ? rc : xs_runs_reread(r, t);
		check(rc == 0, "changed gap: reread says so (%d)", rc);
		check(!memcmp(xs_runs_at(r, base + 16, 5), jump, 5),
		      "and leaves our changed copy alone");
		/* Put back: read once more (a later stop), it is as kept again. */
		rc = rc ? rc : xs_target_write(t, base + 40, &region[40], 1);
		rc = rc ? rc : xs_runs_reread(r, t);
		check(rc == 1, "gap put back: a second reread says unchanged (%d)", rc);
		check(!memcmp(xs_runs_at(r, base + 16, 5), jump, 5), "with our change still there");
		rc = rc == 1 ? xs_target_write(t, base + 40, &other, 1) : -1;
		rc = rc ? rc : xs_runs_reread(r, t);
		check(rc == 0, "changed again: reread says so (%d)", rc);
		xs_runs_take_reread(r);
		check(!memcmp(xs_runs_at(r, base + 16, 5), region + 16, 5) &&
		          xs_runs_at(r, base + 40, 1)[0] == other,
		      "and our copy is what the child now holds, our change gone");
		memcpy(xs_runs_at(r, base + 16, 5), jump, 5);
		memcpy(xs_runs_at(r, base + 5000, 5), jump, 5);
		rc = xs_runs_write(t, r, NULL, NULL);
		check(rc == 0, "runs written");
		check(child_holds(t, base + 16, jump, 5) && child_holds(t, base + 5000, jump, 5),
		      "both runs' changes are in the child");
		check(child_holds(t, base + 40, &other, 1) &&
		          child_holds(t, base + 21, region + 21, 19),
		      "the bytes between spans are as the child had them");
	}
	xs_runs_free(r);
	r = NULL;

	/* The child's own text page: copied by a write of itself, unchanged. */
	if (t) {
		const uint64_t code = (uintptr_t)&text_probe;
		const struct xs_span probe = { code + 1, 5 };
		unsigned char before[16];
		long dirty = private_dirty_kb(pid, code);

		rc = xs_target_read(t, code, before, sizeof(before));
		rc = rc ? rc : xs_runs_new(&probe, 1, &r);
		check(rc == 0 && dirty == 0, "a text page shared with the file (dirty %ld kB)",
		      dirty);
		rc = rc ? rc : xs_runs_own_pages(t, r);
		check(rc == 0, "its page made the child's own (%d)", rc);
		dirty = private_dirty_kb(pid, code);
		check(dirty > 0, "the child now has a private copy (dirty %ld kB)", dirty);
		check(child_holds(t, code, before, sizeof(before)) &&
		          !memcmp(before, (const void *)(uintptr_t)code, sizeof(before)),
		      "with the same code in it");
		xs_runs_free(r);
	}
	if (t)
		xs_target_detach(t);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	xs_error_clear();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
