/*
 * appver — compare application versions for the contract guard.
 *
 * Semantic versions (an optional leading "v", MAJOR.MINOR.PATCH, a
 * -prerelease and a +build) compare by SemVer 2.0 precedence: numbers
 * numerically, a pre-release below its release, build metadata ignored.
 * Anything else compares as a plain string, and the caller is told so
 * (it should say so in its log: "2024-05-01" vs "2024-06-01" works,
 * "build-9" vs "build-10" does not).
 */
#ifndef ZDM_APPVER_H
#define ZDM_APPVER_H

/* True when s is a semantic version. */
int appver_is_semver(const char *s);
/* <0, 0, >0 like strcmp; *as_strings is set to 1 when either side is not
 * a semantic version and a string comparison was used. */
int appver_cmp(const char *a, const char *b, int *as_strings);

#endif
