/* SPDX-License-Identifier: MIT */
/*
 * Unit test for the registry mapped into the CLI too (src/state_map.c), on a
 * child that maps a memfd shared as the registry is: what the child wrote is
 * read through our mapping, what we store the child sees; the map is current
 * until the child maps another memfd at the same address; an address with
 * no such mapping is not mapped at all.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "error.h"
#include "state_map.h"
#include "target.h"

#define LEN 8192

struct shared {
	volatile uint64_t addr;
	volatile int remap, remapped;
};

static bool wait_for(volatile int *flag)
{
	for (int i = 0; i < 4000 && !*flag; i++)
		usleep(500);
	return *flag;
}

static void *new_memfd_map(void *at)
{
	int fd = memfd_create("xsplice-state", MFD_CLOEXEC);
	void *mem = MAP_FAILED;

	if (fd >= 0 && ftruncate(fd, LEN) == 0)
		mem = mmap(at, LEN, PROT_READ | PROT_WRITE, MAP_SHARED | (at ? MAP_FIXED : 0), fd, 0);
	if (fd >= 0)
		close(fd);
	return mem;
}

static void child(struct shared *sh)
{
	char *mem = new_memfd_map(NULL);

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives a failed test */
	if (mem == MAP_FAILED)
		_exit(1);
	strcpy(mem, "written by the child");
	sh->addr = (uintptr_t)mem;
	while (!sh->remap)
		usleep(500);
	if (new_memfd_map(mem) == MAP_FAILED)
		_exit(1);
	sh->remapped = 1;
	for (;;) {
		if (!strcmp(mem + 100, "stored by the test"))
			_exit(2); /* the new memfd must not see what went to the old one */
		usleep(1000);
	}
}

int main(void)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct xs_state_map m, none;
	pid_t pid;
	bool ok;

	check(sh != MAP_FAILED, "shared page");
	if (sh == MAP_FAILED)
		return 1;
	pid = fork();
	if (pid == 0)
		child(sh);
	for (int i = 0; i < 4000 && !sh->addr; i++)
		usleep(500);
	check(sh->addr != 0, "child mapped its memfd");

	ok = xs_state_map_open(&m, pid, sh->addr, LEN);
	check(ok && m.mem && m.len == LEN, "mapped here through /proc/PID/map_files");
	check(ok && !strcmp(m.mem, "written by the child"), "the child's bytes read through our map");
	check(xs_state_map_current(&m, pid, sh->addr), "current while the child maps it");
	if (ok) {
		strcpy((char *)m.mem + 50, "stored by the test");
		char seen[32] = "";
		struct iovec l = { seen, sizeof(seen) }, r = { (void *)(uintptr_t)(sh->addr + 50), sizeof(seen) };

		check(xs_proc_readv(pid, &l, &r, 1, NULL) == 1 && !strcmp(seen, "stored by the test"),
		      "our store is in the child's memory at once");
	}

	check(!xs_state_map_open(&none, pid, sh->addr + LEN * 16, LEN) && !none.mem,
	      "an address where the child maps nothing: not mapped");
	check(!xs_state_map_current(&none, pid, sh->addr), "and never current");

	sh->remap = 1;
	check(wait_for(&sh->remapped), "child mapped a new memfd at the same address");
	check(!xs_state_map_current(&m, pid, sh->addr), "our map is no longer current");
	if (m.mem)
		strcpy((char *)m.mem + 100, "stored by the test");
	usleep(20000);
	{
		int st = 0;

		check(waitpid(pid, &st, WNOHANG) == 0, "the child's new memfd did not get our store");
	}
	xs_state_map_close(&m);
	check(!m.mem, "closed");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	xs_error_clear();
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
