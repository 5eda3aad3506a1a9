/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - the test programs' KTAP output and their per-case runner.
 *
 * A test program is a table of cases run by tap_main(). Each case runs in
 * a child process of its own, in its own process group, with a time limit
 * in seconds: a case that fails, crashes, bails out or hangs is reported by
 * name, its leftover processes are killed, and the next case runs. Output:
 *
 *	KTAP version 1
 *	1..3
 *	    KTAP version 1
 *	    ok 1 write with no channel selected: EINVAL	<- an assertion
 *	    1..1
 *	ok 1 no_channel					<- a case
 *	not ok 2 sizes # TIMEOUT after 60 s
 *	ok 3 slab # SKIP KASAN's quarantine keeps freed objects
 *
 * KTAP_INDENT=N (set by the guest's init) indents all of it by N spaces, so
 * that the program's document nests under the suite's. A case passes when
 * it ran at least one assertion and none failed; it is skipped only when it
 * says so with tap_skip_case(). The program exits 0 if every case passed
 * or was skipped (4 if all were skipped, kselftest's KSFT_SKIP), else 1.
 */
#ifndef MS_TAP_H
#define MS_TAP_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAP_EXIT_SKIP 4		/* kselftest's KSFT_SKIP */
#define TAP_EXIT_BAIL 2		/* die(): a step the case needs failed */

/* What a case's child tells the runner, in memory they share. */
struct tap_shared {
	int count;		/* assertions run */
	int failures;		/* assertions failed */
	char skip[160];		/* why the case skipped itself, if it did */
};

static struct tap_shared tap_local;
static struct tap_shared *tap_state = &tap_local;
static int tap_indent = -1;	/* spaces before the case's assertions */

static inline int tap_base_indent(void)
{
	const char *s;

	if (tap_indent < 0) {
		s = getenv("KTAP_INDENT");
		tap_indent = s ? atoi(s) : 0;
	}
	return tap_indent;
}

/* Print one line at @extra levels below the program's own. */
__attribute__((format(printf, 2, 0)))
static inline void tap_vline(int extra, const char *fmt, va_list ap)
{
	printf("%*s", tap_base_indent() + 4 * extra, "");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((format(printf, 2, 3)))
static inline void tap_line(int extra, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(extra, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static inline int tap_ok(int pass, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tap_line(1, "%sok %d %s", pass ? "" : "not ", ++tap_state->count, what);
	if (!pass)
		tap_state->failures++;
	return pass;
}

__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tap_line(1, "#   %s", what);
}

/*
 * The case cannot run here (e.g. it needs the debug kernel): it is counted
 * as skipped, never as passed. Ends the case.
 */
static inline void tap_skip_case(const char *why)
{
	snprintf(tap_state->skip, sizeof(tap_state->skip), "%s", why);
	fflush(stdout);
	_exit(TAP_EXIT_SKIP);
}

/* ok() with the source line of a failing check in a diagnostic. */
#define ok(cond, ...)                                                        \
	(tap_ok(!!(cond), __VA_ARGS__) ||                                    \
	 (tap_diag("failed at %s:%d", __FILE__, __LINE__), 0))

/* A check that a call returned @want; on failure shows what it returned. */
#define is_int(got, want, ...)                                               \
	do {                                                                 \
		long long got_ = (got), want_ = (want);                      \
		int errno_ = errno;                                          \
		if (!ok(got_ == want_, __VA_ARGS__))                         \
			tap_diag("got %lld (errno %s), want %lld", got_,     \
				 strerror(errno_), want_);                   \
	} while (0)

/* A check that a call failed with -1 and errno @err. */
#define is_errno(got, err, ...)                                              \
	do {                                                                 \
		long long got_ = (got);                                      \
		int errno_ = errno;                                          \
		if (!ok(got_ == -1 && errno_ == (err), __VA_ARGS__))         \
			tap_diag("got %lld (errno %s), want -1 (errno %s)",  \
				 got_, strerror(errno_), strerror(err));     \
	} while (0)

/* Stop the case: a step its checks depend on failed. */
#define die(...)                                                             \
	do {                                                                 \
		int errno_ = errno;                                          \
		char why_[256];                                              \
		snprintf(why_, sizeof(why_), __VA_ARGS__);                   \
		tap_line(1, "Bail out! %s: %s", why_, strerror(errno_));     \
		_exit(TAP_EXIT_BAIL);                                        \
	} while (0)

/* One test case: a function, its name, its time limit in seconds. */
struct tap_case {
	const char *name;
	void (*fn)(void);
	unsigned int timeout;
};

#define TAP_CASE(fn, seconds) { #fn, fn, seconds }

/*
 * Time limits are for Debian's kernel under emulation; the debug and KCSAN
 * kernels run the same work many times slower (MS_TIME_SCALE, from the
 * guest's init).
 */
static inline unsigned int tap_time_scale(void)
{
	const char *s = getenv("MS_TIME_SCALE");
	int v = s ? atoi(s) : 1;

	return v > 0 ? (unsigned int)v : 1;
}

/*
 * Wait for @pid for at most @seconds; kill its process group if it is
 * still running then. Returns its wait status, or -1 if it timed out.
 */
static inline int tap_wait_case(pid_t pid, unsigned int seconds)
{
	struct timespec limit = { .tv_sec = seconds };
	sigset_t chld;
	int status;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (sigtimedwait(&chld, NULL, &limit) < 0 && errno == EAGAIN) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		/* SIGCHLD (only the case is our child) or EINTR: reap. */
	}
	/* Whatever the case left running dies with it. */
	kill(-pid, SIGKILL);
	return status;
}

/* Run one case in a child; print its result line. Returns 0, 1 or 4. */
static inline int tap_run_case(int n, const struct tap_case *c)
{
	unsigned int limit = c->timeout * tap_time_scale();
	const char *name = c->name;
	int status, code;
	pid_t pid;

	if (strncmp(name, "test_", 5) == 0)
		name += 5;
	memset(tap_state, 0, sizeof(*tap_state));
	tap_line(1, "# Subtest: %s", name);
	tap_line(1, "KTAP version 1");
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		tap_line(0, "not ok %d %s # fork failed: %s", n, name, strerror(errno));
		return 1;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		c->fn();
		tap_line(1, "1..%d", tap_state->count);
		fflush(stdout);
		_exit(tap_state->failures ? 1 : 0);
	}
	setpgid(pid, pid);
	status = tap_wait_case(pid, limit);

	if (status == -1) {
		tap_line(0, "not ok %d %s # TIMEOUT after %u s (%d assertions ran)", n, name,
			 limit, tap_state->count);
		return 1;
	}
	if (WIFSIGNALED(status)) {
		tap_line(0, "not ok %d %s # killed by signal %d (%s)", n, name,
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
		return 1;
	}
	code = WEXITSTATUS(status);
	if (code == TAP_EXIT_SKIP && tap_state->failures == 0) {
		tap_line(0, "ok %d %s # SKIP %s", n, name, tap_state->skip);
		return TAP_EXIT_SKIP;
	}
	if (code == TAP_EXIT_BAIL) {
		tap_line(0, "not ok %d %s # bailed out", n, name);
		return 1;
	}
	if (code != 0 || tap_state->failures) {
		tap_line(0, "not ok %d %s # %d of %d assertions failed%s", n, name,
			 tap_state->failures, tap_state->count, code ? ", exit status non-zero" : "");
		return 1;
	}
	if (tap_state->count == 0) {
		tap_line(0, "not ok %d %s # ran no assertion", n, name);
		return 1;
	}
	tap_line(0, "ok %d %s", n, name);
	return 0;
}

/*
 * Run @n cases in order. Returns the program's exit status: 0 if every
 * case passed or skipped, 4 if all skipped, 1 if any failed.
 */
static inline int tap_main(const struct tap_case *cases, int n)
{
	struct tap_shared *shared;
	sigset_t chld;
	int i, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	tap_state = shared;
	/* Held blocked, so that sigtimedwait() sees each case's exit. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	tap_line(0, "KTAP version 1");
	tap_line(0, "1..%d", n);
	for (i = 0; i < n; i++) {
		int r = tap_run_case(i + 1, &cases[i]);

		failed += r == 1;
		skipped += r == TAP_EXIT_SKIP;
	}
	if (failed)
		return 1;
	return skipped == n ? TAP_EXIT_SKIP : 0;
}

#define TAP_MAIN(...)                                                        \
	int main(void)                                                       \
	{                                                                    \
		static const struct tap_case cases_[] = { __VA_ARGS__ };      \
		return tap_main(cases_, sizeof(cases_) / sizeof(cases_[0])); \
	}

#endif /* MS_TAP_H */
