/* SPDX-License-Identifier: MIT */
/* The registry mapped into this process too (see state_map.h). */
#include "state_map.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void map_file(char *path, size_t size, pid_t pid, uint64_t addr, size_t len)
{
	snprintf(path, size, "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)addr,
		 (unsigned long long)(addr + len));
}

bool xs_state_map_open(struct xs_state_map *m, pid_t pid, uint64_t addr, size_t len)
{
	char path[96];
	struct stat st;
	void *mem;
	int fd;

	*m = (struct xs_state_map){ 0 };
	map_file(path, sizeof(path), pid, addr, len);
	fd = open(path, O_RDWR | O_CLOEXEC); /* needs CAP_SYS_ADMIN: else not mapped */
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || (size_t)st.st_size < len) {
		close(fd);
		return false;
	}
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return false;
	/* Writable page table entries now, not as page faults in the stop. */
	madvise(mem, len, MADV_POPULATE_WRITE);
	*m = (struct xs_state_map){ mem, len, st.st_dev, st.st_ino };
	return true;
}

bool xs_state_map_current(const struct xs_state_map *m, pid_t pid, uint64_t addr)
{
	char path[96];
	struct stat st;

	if (!m->mem)
		return false;
	map_file(path, sizeof(path), pid, addr, m->len);
	return stat(path, &st) == 0 && st.st_dev == m->dev && st.st_ino == m->ino;
}

void xs_state_map_close(struct xs_state_map *m)
{
	if (m->mem)
		munmap(m->mem, m->len);
	*m = (struct xs_state_map){ 0 };
}
