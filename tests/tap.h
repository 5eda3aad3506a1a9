/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - a minimal TAP producer for the message_slot tests.
 *
 * Each check prints "ok N - what" or "not ok N - what" with the reason; the
 * plan "1..N" is printed last by tap_done(), so a program that dies part way
 * has no plan and the runner counts it as failed.
 */
#ifndef MS_TAP_H
#define MS_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failures;

__attribute__((format(printf, 2, 3)))
static inline int tap_ok(int pass, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
		tap_failures++;
	fflush(stdout);
	return pass;
}

__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("#   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* A test that cannot run here: counted as skipped, never as passed. */
static inline void tap_skip(const char *what, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_count, what, why);
	fflush(stdout);
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

/* Print the plan; the exit status for main(). */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	return tap_failures ? 1 : 0;
}

#endif /* MS_TAP_H */
