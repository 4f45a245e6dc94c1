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

static open_fn real_open, real_open64;
static openat_fn real_openat, real_openat64;
static write_fn real_write;
static pwrite_fn real_pwrite, real_pwrite64;
static writev_fn real_writev;
static pwritev_fn real_pwritev, real_pwritev64;
static ftruncate_fn real_ftruncate, real_ftruncate64;
static truncate_fn real_truncate, real_truncate64;
static sync_fn real_fsync, real_fdatasync;
static rename_fn real_rename;
static renameat_fn real_renameat;
static renameat2_fn real_renameat2;
static unlink_fn real_unlink, real_rmdir;
static unlinkat_fn real_unlinkat;
static close_fn real_close;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int enabled;
static int journal_fd = -1;
static char root[PATH_MAX];
static size_t root_length;

/// Descriptor -> absolute path of a tracked file or directory (NULL: not tracked). Written and
/// read under `table_lock`; the unlocked fast check only reads whether a slot is empty.
static char *fd_paths[FD_LIMIT];
static unsigned char fd_is_directory[FD_LIMIT];
static unsigned char fd_appends[FD_LIMIT];
static int fd_high;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

int samsa_durability_journal_version(void) { return SAMSA_DURABILITY_JOURNAL_VERSION; }

static void *resolve(const char *name) { return dlsym(RTLD_NEXT, name); }

static void normalize(char *path);

static void journal(const char *line, size_t length) {
    if (journal_fd < 0) return;
    size_t done = 0;
    while (done < length) {
        ssize_t written = real_write(journal_fd, line + done, length - done);
        if (written < 0) {
            if (errno == EINTR) continue;
            return;
        }
        done += (size_t)written;
    }
}

static void initialize(void) {
    real_open = (open_fn)resolve("open");
    real_open64 = (open_fn)resolve("open64");
    real_openat = (openat_fn)resolve("openat");
    real_openat64 = (openat_fn)resolve("openat64");
    real_write = (write_fn)resolve("write");
    real_pwrite = (pwrite_fn)resolve("pwrite");
    real_pwrite64 = (pwrite_fn)resolve("pwrite64");
    real_writev = (writev_fn)resolve("writev");
    real_pwritev = (pwritev_fn)resolve("pwritev");
    real_pwritev64 = (pwritev_fn)resolve("pwritev64");
    real_ftruncate = (ftruncate_fn)resolve("ftruncate");
    real_ftruncate64 = (ftruncate_fn)resolve("ftruncate64");
    real_truncate = (truncate_fn)resolve("truncate");
    real_truncate64 = (truncate_fn)resolve("truncate64");
    real_fsync = (sync_fn)resolve("fsync");
    real_fdatasync = (sync_fn)resolve("fdatasync");
    real_rename = (rename_fn)resolve("rename");
    real_renameat = (renameat_fn)resolve("renameat");
    real_renameat2 = (renameat2_fn)resolve("renameat2");
    real_unlink = (unlink_fn)resolve("unlink");
    real_rmdir = (unlink_fn)resolve("rmdir");
    real_unlinkat = (unlinkat_fn)resolve("unlinkat");
    real_close = (close_fn)resolve("close");

    const char *root_env = getenv("SAMSA_DURABILITY_ROOT");
    const char *journal_env = getenv("SAMSA_DURABILITY_JOURNAL");
    if (!root_env || !journal_env || root_env[0] != '/' || !real_open || !real_write) return;
    if (strlen(root_env) >= sizeof(root)) return;
    strcpy(root, root_env);
    normalize(root);
    root_length = strlen(root);
    journal_fd = real_open(journal_env, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (journal_fd < 0) return;
    enabled = 1;
    char line[64];
    int length = snprintf(line, sizeof(line), "V %d %ld\n", SAMSA_DURABILITY_JOURNAL_VERSION, (long)getpid());
    journal(line, (size_t)length);
}

static void ensure_initialized(void) { pthread_once(&once, initialize); }

__attribute__((constructor)) static void start(void) { ensure_initialized(); }

/// Lexically normalises an absolute path in place: "//" and "/./" collapse, ".." drops a component.
static void normalize(char *path) {
    char *out = path;
    const char *in = path;
    while (*in) {
        if (in[0] == '/') {
            while (in[1] == '/') in++;
            if (in[1] == '.' && (in[2] == '/' || in[2] == 0)) { in += 2; continue; }
            if (in[1] == '.' && in[2] == '.' && (in[3] == '/' || in[3] == 0)) {
                while (out > path && *(out - 1) != '/') out--;
                if (out > path) out--;
                in += 3;
                continue;
            }
        }
        *out++ = *in++;
    }
    if (out == path) *out++ = '/';
    while (out > path + 1 && *(out - 1) == '/') out--;
    *out = 0;
}

/// The absolute path `path` names relative to `dirfd`; 0 on failure.
static int absolute(int dirfd, const char *path, char *out) {
    if (!path) return 0;
    if (path[0] == '/') {
        if (strlen(path) >= PATH_MAX) return 0;
        strcpy(out, path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof(base))) return 0;
        } else {
            char link[64];
            snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, base, sizeof(base) - 1);
            if (n <= 0) return 0;
            base[n] = 0;
        }
        if (strlen(base) + 1 + strlen(path) >= PATH_MAX) return 0;
        snprintf(out, PATH_MAX, "%s/%s", base, path);
    }
    normalize(out);
    return strchr(out, '\n') == NULL;
}

static int under_root(const char *absolute_path) {
    return strncmp(absolute_path, root, root_length) == 0 &&
           (absolute_path[root_length] == '/' || absolute_path[root_length] == 0);
}

/// Copies the tracked path of `fd` into `out`; 0 when the descriptor is not tracked.
static int tracked(int fd, char *out, int *is_directory, int *appends) {
    if (!enabled || fd < 0 || fd >= FD_LIMIT) return 0;
    if (__atomic_load_n(&fd_paths[fd], __ATOMIC_ACQUIRE) == NULL) return 0;
    int found = 0;
    pthread_mutex_lock(&table_lock);
    if (fd_paths[fd]) {
        strcpy(out, fd_paths[fd]);
        if (is_directory) *is_directory = fd_is_directory[fd];
        if (appends) *appends = fd_appends[fd];
        found = 1;
    }
    pthread_mutex_unlock(&table_lock);
    return found;
}

static void track(int fd, const char *path, int is_directory, int appends) {
    if (fd < 0 || fd >= FD_LIMIT) return;
    char *copy = strdup(path);
    pthread_mutex_lock(&table_lock);
    char *old = fd_paths[fd];
    fd_is_directory[fd] = (unsigned char)is_directory;
    fd_appends[fd] = (unsigned char)appends;
    __atomic_store_n(&fd_paths[fd], copy, __ATOMIC_RELEASE);
    if (fd > fd_high) fd_high = fd;
    pthread_mutex_unlock(&table_lock);
    free(old);
}

static void untrack(int fd) {
    if (fd < 0 || fd >= FD_LIMIT || __atomic_load_n(&fd_paths[fd], __ATOMIC_ACQUIRE) == NULL) return;
    pthread_mutex_lock(&table_lock);
    char *old = fd_paths[fd];
    __atomic_store_n(&fd_paths[fd], NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&table_lock);
    free(old);
}

/// After a rename, open descriptors of `from` (or of files inside a renamed directory) carry the new name.
static void retarget(const char *from, const char *to) {
    size_t from_length = strlen(from);
    pthread_mutex_lock(&table_lock);
    for (int fd = 0; fd <= fd_high; fd++) {
        char *path = fd_paths[fd];
        if (!path || strncmp(path, from, from_length) != 0 || (path[from_length] != 0 && path[from_length] != '/')) continue;
        char renamed[PATH_MAX];
        if (strlen(to) + strlen(path + from_length) >= PATH_MAX) continue;
        snprintf(renamed, sizeof(renamed), "%s%s", to, path + from_length);
        char *copy = strdup(renamed);
        if (!copy) continue;
        __atomic_store_n(&fd_paths[fd], copy, __ATOMIC_RELEASE);
        free(path);
    }
    pthread_mutex_unlock(&table_lock);
}

static void record(char kind, long long number, const char *path) {
    char line[LINE_MAX_BYTES];
    int length = number >= 0 ? snprintf(line, sizeof(line), "%c %lld %s\n", kind, number, path)
                             : snprintf(line, sizeof(line), "%c %s\n", kind, path);
    if (length > 0 && (size_t)length < sizeof(line)) journal(line, (size_t)length);
}

static long long file_size(int fd) {
    struct stat info;
    return fstat(fd, &info) == 0 ? (long long)info.st_size : -1;
}

static int needs_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

/// Opens through `call` and, for paths under the root, tracks the descriptor and journals the open.
static int open_tracked(int dirfd, const char *path, int flags, mode_t mode, openat_fn call) {
    char full[PATH_MAX];
    if (!enabled || !absolute(dirfd, path, full) || !under_root(full)) return call(dirfd, path, flags, mode);
    struct stat before;
    int existed = fstatat(dirfd, path, &before, 0) == 0;
    int fd = call(dirfd, path, flags, mode);
    if (fd < 0) return fd;
    int saved = errno;
    struct stat after;
    if (fstat(fd, &after) == 0) {
        int is_directory = S_ISDIR(after.st_mode);
        if (is_directory || S_ISREG(after.st_mode)) {
            track(fd, full, is_directory, (flags & O_APPEND) != 0);
            if (!is_directory) {
                char line[LINE_MAX_BYTES];
                int length = snprintf(line, sizeof(line), "O %d %lld %s\n", existed, (long long)after.st_size, full);
                if (length > 0 && (size_t)length < sizeof(line)) journal(line, (size_t)length);
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

static mode_t mode_argument(int flags, va_list ap) { return needs_mode(flags) ? (mode_t)va_arg(ap, int) : 0; }

int open(const char *path, int flags, ...) {
    ensure_initialized();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_argument(flags, ap);
    va_end(ap);
    return open_tracked(AT_FDCWD, path, flags, mode, call_open);
}

int open64(const char *path, int flags, ...) {
    ensure_initialized();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_argument(flags, ap);
    va_end(ap);
    return open_tracked(AT_FDCWD, path, flags, mode, call_open64);
}

int openat(int dirfd, const char *path, int flags, ...) {
    ensure_initialized();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_argument(flags, ap);
    va_end(ap);
    return open_tracked(dirfd, path, flags, mode, call_openat);
}

int openat64(int dirfd, const char *path, int flags, ...) {
    ensure_initialized();
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
    if (!tracked(fd, path, &is_directory, &appends) || is_directory) return;
    int saved = errno;
    if (offset < 0) {
        if (appends) { errno = saved; return; }
        offset = (long long)lseek(fd, 0, SEEK_CUR);
    }
    long long size = file_size(fd);
    if (offset >= 0 && size >= 0 && offset < size) record('W', offset, path);
    errno = saved;
}

ssize_t write(int fd, const void *buffer, size_t count) {
    ensure_initialized();
    if (fd != journal_fd) note_write(fd, -1);
    return real_write(fd, buffer, count);
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) {
    ensure_initialized();
    note_write(fd, (long long)offset);
    return real_pwrite(fd, buffer, count, offset);
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
    ensure_initialized();
    note_write(fd, (long long)offset);
    return (real_pwrite64 ? real_pwrite64 : real_pwrite)(fd, buffer, count, offset);
}

ssize_t writev(int fd, const struct iovec *vector, int count) {
    ensure_initialized();
    note_write(fd, -1);
    return real_writev(fd, vector, count);
}

ssize_t pwritev(int fd, const struct iovec *vector, int count, off_t offset) {
    ensure_initialized();
    note_write(fd, (long long)offset);
    return real_pwritev(fd, vector, count, offset);
}

ssize_t pwritev64(int fd, const struct iovec *vector, int count, off_t offset) {
    ensure_initialized();
    note_write(fd, (long long)offset);
    return (real_pwritev64 ? real_pwritev64 : real_pwritev)(fd, vector, count, offset);
}

static int truncate_descriptor(int fd, off_t length, ftruncate_fn call) {
    int rc = call(fd, length);
    if (rc != 0) return rc;
    char path[PATH_MAX];
    int is_directory = 0;
    int saved = errno;
    if (tracked(fd, path, &is_directory, NULL) && !is_directory) record('T', (long long)length, path);
    errno = saved;
    return rc;
}

int ftruncate(int fd, off_t length) {
    ensure_initialized();
    return truncate_descriptor(fd, length, real_ftruncate);
}

int ftruncate64(int fd, off_t length) {
    ensure_initialized();
    return truncate_descriptor(fd, length, real_ftruncate64 ? real_ftruncate64 : real_ftruncate);
}

static int truncate_path(const char *path, off_t length, truncate_fn call) {
    int rc = call(path, length);
    char full[PATH_MAX];
    if (rc != 0 || !enabled || !absolute(AT_FDCWD, path, full) || !under_root(full)) return rc;
    int saved = errno;
    record('T', (long long)length, full);
    errno = saved;
    return rc;
}

int truncate(const char *path, off_t length) {
    ensure_initialized();
    return truncate_path(path, length, real_truncate);
}

int truncate64(const char *path, off_t length) {
    ensure_initialized();
    return truncate_path(path, length, real_truncate64 ? real_truncate64 : real_truncate);
}

/// fsync and fdatasync: the size before the call is what the call made durable.
static int sync_tracked(int fd, sync_fn call) {
    char path[PATH_MAX];
    int is_directory = 0;
    if (!tracked(fd, path, &is_directory, NULL)) return call(fd);
    long long size = is_directory ? 0 : file_size(fd);
    int rc = call(fd);
    if (rc != 0) return rc;
    int saved = errno;
    if (is_directory) record('D', -1, path);
    else if (size >= 0) record('S', size, path);
    errno = saved;
    return rc;
}

int fsync(int fd) {
    ensure_initialized();
    return sync_tracked(fd, real_fsync);
}

int fdatasync(int fd) {
    ensure_initialized();
    return sync_tracked(fd, real_fdatasync);
}

static void note_rename(int from_dirfd, const char *from, int to_dirfd, const char *to) {
    char full_from[PATH_MAX], full_to[PATH_MAX];
    if (!enabled || !absolute(from_dirfd, from, full_from) || !absolute(to_dirfd, to, full_to)) return;
    if (!under_root(full_from) && !under_root(full_to)) return;
    char line[LINE_MAX_BYTES];
    int length = snprintf(line, sizeof(line), "R %zu %s %s\n", strlen(full_from), full_from, full_to);
    if (length > 0 && (size_t)length < sizeof(line)) journal(line, (size_t)length);
    retarget(full_from, full_to);
}

int rename(const char *from, const char *to) {
    ensure_initialized();
    int rc = real_rename(from, to);
    if (rc == 0) {
        int saved = errno;
        note_rename(AT_FDCWD, from, AT_FDCWD, to);
        errno = saved;
    }
    return rc;
}

int renameat(int from_dirfd, const char *from, int to_dirfd, const char *to) {
    ensure_initialized();
    int rc = real_renameat(from_dirfd, from, to_dirfd, to);
    if (rc == 0) {
        int saved = errno;
        note_rename(from_dirfd, from, to_dirfd, to);
        errno = saved;
    }
    return rc;
}

int renameat2(int from_dirfd, const char *from, int to_dirfd, const char *to, unsigned int flags) {
    ensure_initialized();
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
    if (!enabled || !absolute(dirfd, path, full) || !under_root(full)) return;
    int saved = errno;
    record('U', -1, full);
    errno = saved;
}

int unlink(const char *path) {
    ensure_initialized();
    int rc = real_unlink(path);
    if (rc == 0) note_unlink(AT_FDCWD, path);
    return rc;
}

int rmdir(const char *path) {
    ensure_initialized();
    int rc = real_rmdir(path);
    if (rc == 0) note_unlink(AT_FDCWD, path);
    return rc;
}

int unlinkat(int dirfd, const char *path, int flags) {
    ensure_initialized();
    int rc = real_unlinkat(dirfd, path, flags);
    if (rc == 0) note_unlink(dirfd, path);
    return rc;
}

int close(int fd) {
    ensure_initialized();
    if (enabled && fd != journal_fd) untrack(fd);
    return real_close(fd);
}
