// Internal to libSamsaDurability: the tracker's state and helpers (tracker.c) shared with the
// interposed libc functions (shim.c). Hidden: nothing here is exported from the library, so none
// of it can interpose or clash with the program's own symbols.
#ifndef SAMSA_DURABILITY_TRACKER_H
#define SAMSA_DURABILITY_TRACKER_H

#define _GNU_SOURCE
#include "SamsaDurability.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/// Descriptors above this are not tracked (a broker with the lab's handful of partitions uses a
/// few hundred); the table costs 8 bytes per slot.
#define FD_LIMIT 65536
#define LINE_MAX_BYTES (2 * PATH_MAX + 64)

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*truncate_fn)(const char *, off_t);
typedef int (*sync_fn)(int);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned int);
typedef int (*unlink_fn)(const char *);
typedef int (*unlinkat_fn)(int, const char *, int);
typedef int (*close_fn)(int);

#pragma GCC visibility push(hidden)

extern open_fn real_open, real_open64;
extern openat_fn real_openat, real_openat64;
extern write_fn real_write;
extern pwrite_fn real_pwrite, real_pwrite64;
extern writev_fn real_writev;
extern pwritev_fn real_pwritev, real_pwritev64;
extern ftruncate_fn real_ftruncate, real_ftruncate64;
extern truncate_fn real_truncate, real_truncate64;
extern sync_fn real_fsync, real_fdatasync;
extern rename_fn real_rename;
extern renameat_fn real_renameat;
extern renameat2_fn real_renameat2;
extern unlink_fn real_unlink, real_rmdir;
extern unlinkat_fn real_unlinkat;
extern close_fn real_close;

/// 1 once the environment named a root and the journal opened; every wrapper passes through otherwise.
extern int sd_enabled;
extern int sd_journal_fd;

/// Resolves the real functions and reads the environment, once per process.
void sd_ensure_initialized(void);
/// Appends one complete line to the journal with a single write(2).
void sd_journal(const char *line, size_t length);
/// The absolute, lexically normalised path `path` names relative to `dirfd`; 0 on failure.
int sd_absolute(int dirfd, const char *path, char *out);
int sd_under_root(const char *absolute_path);
/// Copies the tracked path of `fd` into `out`; 0 when the descriptor is not tracked.
int sd_tracked(int fd, char *out, int *is_directory, int *appends);
void sd_track(int fd, const char *path, int is_directory, int appends);
void sd_untrack(int fd);
/// After a rename, open descriptors of `from` (or of files inside it) carry the new name.
void sd_retarget(const char *from, const char *to);
/// "<kind> <number> <path>" (or "<kind> <path>" for a negative number).
void sd_record(char kind, long long number, const char *path);
long long sd_file_size(int fd);
int sd_needs_mode(int flags);

#pragma GCC visibility pop

#endif
