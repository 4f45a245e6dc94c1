// The lab's durability tracker: an LD_PRELOAD library that records, for every file under one
// directory (a broker's data directory), how much of it was made durable by fsync/fdatasync, so
// that a simulated power loss can drop exactly what a real one could lose. A plain kill -9 never
// shows such bugs: the page cache survives the process.
//
// Why an interposer and not a FUSE file system (Jepsen's LazyFS): it needs no root, no kernel
// module and no mount, and it sees the broker's own system calls; the cost is one fstat per write
// to a tracked file and one journal line per open, sync, truncate, rename and unlink.
//
// The journal is append-only; each record is one write(2) of one line, so it survives the broker
// being killed at any moment. Records (fields separated by one space; a path is always last and
// runs to the end of the line):
//
//     V <version> <pid>           the library started in a process
//     O <existed> <size> <path>   a regular file was opened; existed 0|1 before the call, size after
//     W <offset> <path>           a write began below the file's current size (an overwrite)
//     T <length> <path>           the file was truncated to length
//     S <size> <path>             fsync/fdatasync succeeded; size was the file's size before the call
//     D <path>                    a directory was fsynced
//     R <n> <from> <to>           rename; n is the byte length of <from>
//     U <path>                    unlink, unlinkat or rmdir of a file or directory
//
// What is not seen: writes through descriptors made by dup/fcntl, mmap stores, sync()/syncfs(),
// files opened through glibc-internal paths (fopen, mkstemp). The broker uses none of them on its
// log (plain open, pwrite, ftruncate, fsync, rename, unlink); the lab's test of the shim checks
// that a broker's writes really are seen.
//
// Assumption: one file's fsync does not race with writes or truncations of the same file from
// another thread (true of Samsa's log, where one owner serialises each partition's I/O).
#include "tracker.h"

/// Opens through `call` and, for paths under the root, tracks the descriptor and journals the open.
static int open_tracked(int dirfd, const char *path, int flags, mode_t mode, openat_fn call) {
    char full[PATH_MAX];
    if (!sd_enabled || !sd_absolute(dirfd, path, full) || !sd_under_root(full)) return call(dirfd, path, flags, mode);
    struct stat before;
    int existed = fstatat(dirfd, path, &before, 0) == 0;
    int fd = call(dirfd, path, flags, mode);
    if (fd < 0) return fd;
    int saved = errno;
    struct stat after;
    if (fstat(fd, &after) == 0) {
        int is_directory = S_ISDIR(after.st_mode);
        if (is_directory || S_ISREG(after.st_mode)) {
            sd_track(fd, full, is_directory, (flags & O_APPEND) != 0);
            if (!is_directory) {
                char line[LINE_MAX_BYTES];
                int length = snprintf(line, sizeof(line), "O %d %lld %s\n", existed, (long long)after.st_size, full);
                if (length > 0 && (size_t)length < sizeof(line)) sd_journal(line, (size_t)length);
            }
        }
    }
    errno = saved;
    return fd;
}

static int call_open(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (mode_t)va_arg(ap, int);
    va_end(ap);
    (void)dirfd;
    return real_open(path, flags, mode);
}

static int call_open64(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (mode_t)va_arg(ap, int);
    va_end(ap);
    (void)dirfd;
    return (real_open64 ? real_open64 : real_open)(path, flags, mode);
}

static int call_openat(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (mode_t)va_arg(ap, int);
    va_end(ap);
    return real_openat(dirfd, path, flags, mode);
}

static int call_openat64(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (mode_t)va_arg(ap, int);
    va_end(ap);
    return (real_openat64 ? real_openat64 : real_openat)(dirfd, path, flags, mode);
}

static mode_t mode_argument(int flags, va_list ap) { return sd_needs_mode(flags) ? (mode_t)va_arg(ap, int) : 0; }

int open(const char *path, int flags, ...) {
    sd_ensure_initialized();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_argument(flags, ap);
    va_end(ap);
    return open_tracked(AT_FDCWD, path, flags, mode, call_open);
}

int open64(const char *path, int flags, ...) {
    sd_ensure_initialized();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_argument(flags, ap);
    va_end(ap);
    return open_tracked(AT_FDCWD, path, flags, mode, call_open64);
}

int openat(int dirfd, const char *path, int flags, ...) {
    sd_ensure_initialized();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_argument(flags, ap);
    va_end(ap);
    return open_tracked(dirfd, path, flags, mode, call_openat);
}

int openat64(int dirfd, const char *path, int flags, ...) {
    sd_ensure_initialized();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_argument(flags, ap);
    va_end(ap);
    return open_tracked(dirfd, path, flags, mode, call_openat64);
}

int __open_2(const char *path, int flags) { return open(path, flags); }
int __open64_2(const char *path, int flags) { return open64(path, flags); }
int __openat_2(int dirfd, const char *path, int flags) { return openat(dirfd, path, flags); }
int __openat64_2(int dirfd, const char *path, int flags) { return openat64(dirfd, path, flags); }

int creat(const char *path, mode_t mode) { return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }
int creat64(const char *path, mode_t mode) { return open64(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }

/// Journals an overwrite when a write to a tracked file starts below its current size.
static void note_write(int fd, long long offset) {
    char path[PATH_MAX];
    int is_directory = 0, appends = 0;
    if (!sd_tracked(fd, path, &is_directory, &appends) || is_directory) return;
    int saved = errno;
    if (offset < 0) {
        if (appends) { errno = saved; return; }
        offset = (long long)lseek(fd, 0, SEEK_CUR);
    }
    long long size = sd_file_size(fd);
    if (offset >= 0 && size >= 0 && offset < size) sd_record('W', offset, path);
    errno = saved;
}

ssize_t write(int fd, const void *buffer, size_t count) {
    sd_ensure_initialized();
    if (fd != sd_journal_fd) note_write(fd, -1);
    return real_write(fd, buffer, count);
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
    sd_ensure_initialized();
    note_write(fd, (long long)offset);
    return real_pwrite(fd, buffer, count, offset);
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
    sd_ensure_initialized();
    note_write(fd, (long long)offset);
    return (real_pwrite64 ? real_pwrite64 : real_pwrite)(fd, buffer, count, offset);
}

ssize_t writev(int fd, const struct iovec *vector, int count) {
    sd_ensure_initialized();
    note_write(fd, -1);
    return real_writev(fd, vector, count);
}

ssize_t pwritev(int fd, const struct iovec *vector, int count, off_t offset) {
    sd_ensure_initialized();
    note_write(fd, (long long)offset);
    return real_pwritev(fd, vector, count, offset);
}

ssize_t pwritev64(int fd, const struct iovec *vector, int count, off_t offset) {
    sd_ensure_initialized();
    note_write(fd, (long long)offset);
    return (real_pwritev64 ? real_pwritev64 : real_pwritev)(fd, vector, count, offset);
}

static int truncate_descriptor(int fd, off_t length, ftruncate_fn call) {
    int rc = call(fd, length);
    if (rc != 0) return rc;
    char path[PATH_MAX];
    int is_directory = 0;
    int saved = errno;
    if (sd_tracked(fd, path, &is_directory, NULL) && !is_directory) sd_record('T', (long long)length, path);
    errno = saved;
    return rc;
}

int ftruncate(int fd, off_t length) {
    sd_ensure_initialized();
    return truncate_descriptor(fd, length, real_ftruncate);
}

int ftruncate64(int fd, off_t length) {
    sd_ensure_initialized();
    return truncate_descriptor(fd, length, real_ftruncate64 ? real_ftruncate64 : real_ftruncate);
}

static int truncate_path(const char *path, off_t length, truncate_fn call) {
    int rc = call(path, length);
    char full[PATH_MAX];
    if (rc != 0 || !sd_enabled || !sd_absolute(AT_FDCWD, path, full) || !sd_under_root(full)) return rc;
    int saved = errno;
    sd_record('T', (long long)length, full);
    errno = saved;
    return rc;
}

int truncate(const char *path, off_t length) {
    sd_ensure_initialized();
    return truncate_path(path, length, real_truncate);
}

int truncate64(const char *path, off_t length) {
    sd_ensure_initialized();
    return truncate_path(path, length, real_truncate64 ? real_truncate64 : real_truncate);
}

/// fsync and fdatasync: the size before the call is what the call made durable.
static int sync_tracked(int fd, sync_fn call) {
    char path[PATH_MAX];
    int is_directory = 0;
    if (!sd_tracked(fd, path, &is_directory, NULL)) return call(fd);
    long long size = is_directory ? 0 : sd_file_size(fd);
    int rc = call(fd);
    if (rc != 0) return rc;
    int saved = errno;
    if (is_directory) sd_record('D', -1, path);
    else if (size >= 0) sd_record('S', size, path);
    errno = saved;
    return rc;
}

int fsync(int fd) {
    sd_ensure_initialized();
    return sync_tracked(fd, real_fsync);
}

int fdatasync(int fd) {
    sd_ensure_initialized();
    return sync_tracked(fd, real_fdatasync);
}

static void note_rename(int from_dirfd, const char *from, int to_dirfd, const char *to) {
    char full_from[PATH_MAX], full_to[PATH_MAX];
    if (!sd_enabled || !sd_absolute(from_dirfd, from, full_from) || !sd_absolute(to_dirfd, to, full_to)) return;
    if (!sd_under_root(full_from) && !sd_under_root(full_to)) return;
    char line[LINE_MAX_BYTES];
    int length = snprintf(line, sizeof(line), "R %zu %s %s\n", strlen(full_from), full_from, full_to);
    if (length > 0 && (size_t)length < sizeof(line)) sd_journal(line, (size_t)length);
    sd_retarget(full_from, full_to);
}

int rename(const char *from, const char *to) {
    sd_ensure_initialized();
    int rc = real_rename(from, to);
    if (rc == 0) {
        int saved = errno;
        note_rename(AT_FDCWD, from, AT_FDCWD, to);
        errno = saved;
    }
    return rc;
}

int renameat(int from_dirfd, const char *from, int to_dirfd, const char *to) {
    sd_ensure_initialized();
    int rc = real_renameat(from_dirfd, from, to_dirfd, to);
    if (rc == 0) {
        int saved = errno;
        note_rename(from_dirfd, from, to_dirfd, to);
        errno = saved;
    }
    return rc;
}

int renameat2(int from_dirfd, const char *from, int to_dirfd, const char *to, unsigned int flags) {
    sd_ensure_initialized();
    if (!real_renameat2) { errno = ENOSYS; return -1; }
    int rc = real_renameat2(from_dirfd, from, to_dirfd, to, flags);
    // RENAME_EXCHANGE (2) swaps two names; the journal cannot express that, so it is not recorded.
    if (rc == 0 && (flags & 2) == 0) {
        int saved = errno;
        note_rename(from_dirfd, from, to_dirfd, to);
        errno = saved;
    }
    return rc;
}

static void note_unlink(int dirfd, const char *path) {
    char full[PATH_MAX];
    if (!sd_enabled || !sd_absolute(dirfd, path, full) || !sd_under_root(full)) return;
    int saved = errno;
    sd_record('U', -1, full);
    errno = saved;
}

int unlink(const char *path) {
    sd_ensure_initialized();
    int rc = real_unlink(path);
    if (rc == 0) note_unlink(AT_FDCWD, path);
    return rc;
}

int rmdir(const char *path) {
    sd_ensure_initialized();
    int rc = real_rmdir(path);
    if (rc == 0) note_unlink(AT_FDCWD, path);
    return rc;
}

int unlinkat(int dirfd, const char *path, int flags) {
    sd_ensure_initialized();
    int rc = real_unlinkat(dirfd, path, flags);
    if (rc == 0) note_unlink(dirfd, path);
    return rc;
}

int close(int fd) {
    sd_ensure_initialized();
    if (sd_enabled && fd != sd_journal_fd) sd_untrack(fd);
    return real_close(fd);
}
