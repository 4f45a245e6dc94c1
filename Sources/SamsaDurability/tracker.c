// The state of libSamsaDurability: the real libc functions, the root and journal from the
// environment, and the table of tracked descriptors. See shim.c for what is journaled and why.
#include "tracker.h"

open_fn real_open, real_open64;
openat_fn real_openat, real_openat64;
write_fn real_write;
pwrite_fn real_pwrite, real_pwrite64;
writev_fn real_writev;
pwritev_fn real_pwritev, real_pwritev64;
ftruncate_fn real_ftruncate, real_ftruncate64;
truncate_fn real_truncate, real_truncate64;
sync_fn real_fsync, real_fdatasync;
rename_fn real_rename;
renameat_fn real_renameat;
renameat2_fn real_renameat2;
unlink_fn real_unlink, real_rmdir;
unlinkat_fn real_unlinkat;
close_fn real_close;

static pthread_once_t once = PTHREAD_ONCE_INIT;
int sd_enabled;
int sd_journal_fd = -1;
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

void sd_journal(const char *line, size_t length) {
    if (sd_journal_fd < 0) return;
    size_t done = 0;
    while (done < length) {
        ssize_t written = real_write(sd_journal_fd, line + done, length - done);
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
    sd_journal_fd = real_open(journal_env, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (sd_journal_fd < 0) return;
    sd_enabled = 1;
    char line[64];
    int length = snprintf(line, sizeof(line), "V %d %ld\n", SAMSA_DURABILITY_JOURNAL_VERSION, (long)getpid());
    sd_journal(line, (size_t)length);
}

void sd_ensure_initialized(void) { pthread_once(&once, initialize); }

__attribute__((constructor)) static void start(void) { sd_ensure_initialized(); }

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
int sd_absolute(int dirfd, const char *path, char *out) {
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

int sd_under_root(const char *absolute_path) {
    return strncmp(absolute_path, root, root_length) == 0 &&
           (absolute_path[root_length] == '/' || absolute_path[root_length] == 0);
}

/// Copies the tracked path of `fd` into `out`; 0 when the descriptor is not tracked.
int sd_tracked(int fd, char *out, int *is_directory, int *appends) {
    if (!sd_enabled || fd < 0 || fd >= FD_LIMIT) return 0;
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

void sd_track(int fd, const char *path, int is_directory, int appends) {
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

void sd_untrack(int fd) {
    if (fd < 0 || fd >= FD_LIMIT || __atomic_load_n(&fd_paths[fd], __ATOMIC_ACQUIRE) == NULL) return;
    pthread_mutex_lock(&table_lock);
    char *old = fd_paths[fd];
    __atomic_store_n(&fd_paths[fd], NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&table_lock);
    free(old);
}

/// After a rename, open descriptors of `from` (or of files inside a renamed directory) carry the new name.
void sd_retarget(const char *from, const char *to) {
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

void sd_record(char kind, long long number, const char *path) {
    char line[LINE_MAX_BYTES];
    int length = number >= 0 ? snprintf(line, sizeof(line), "%c %lld %s\n", kind, number, path)
                             : snprintf(line, sizeof(line), "%c %s\n", kind, path);
    if (length > 0 && (size_t)length < sizeof(line)) sd_journal(line, (size_t)length);
}

long long sd_file_size(int fd) {
    struct stat info;
    return fstat(fd, &info) == 0 ? (long long)info.st_size : -1;
}

int sd_needs_mode(int flags) { return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE; }

