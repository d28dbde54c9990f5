/* A static stand-in for the firecracker binary (which is static too, so it runs in an empty chroot).
 * It reports what a jailed VMM would see, one fact per line on stdout (the VM's console log):
 *   uid= gid= euid= egid= groups=   the identity it runs as
 *   env: NAME=VALUE                 each environment variable
 *   fd: N                           each open file descriptor
 *   root: NAME                      each entry of its "/" (the chroot)
 *   kvm: MAJOR:MINOR UID MODE       the /dev/kvm node, if any
 *   args: ...                       its argv after argv[0]
 *   report-end
 * then sleeps: forever when "/sleep-forever" exists (an orphan for cleanup tests), else 3 seconds, and exits 0. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    gid_t groups[64];
    int n = getgroups(64, groups);
    printf("uid=%d gid=%d euid=%d egid=%d groups=", (int)getuid(), (int)getgid(), (int)geteuid(), (int)getegid());
    for (int i = 0; i < n; i++) printf("%s%d", i ? "," : "", (int)groups[i]);
    printf("\n");
    for (char **e = environ; *e; e++) printf("env: %s\n", *e);
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) != -1) printf("fd: %d\n", fd);
    DIR *root = opendir("/");
    if (root) {
        struct dirent *d;
        while ((d = readdir(root)))
            if (d->d_name[0] != '.') printf("root: %s\n", d->d_name);
        closedir(root);
    }
    struct stat st;
    if (stat("/dev/kvm", &st) == 0 && S_ISCHR(st.st_mode))
        printf("kvm: %u:%u %d %o\n", major(st.st_rdev), minor(st.st_rdev), (int)st.st_uid, st.st_mode & 07777);
    printf("args:");
    for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
    printf("\nreport-end\n");
    fflush(stdout);
    if (access("/sleep-forever", F_OK) == 0)
        for (;;) pause();
    sleep(3);
    return 0;
}
