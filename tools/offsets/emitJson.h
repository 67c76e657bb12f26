/* The JSON printer both offset probes share (probe.c, objectsProbe.c): each emit() writes one
 * "key": value member; OFF/SIZE name a struct field's offset or a struct's size. */
#ifndef PYPROF_EMIT_JSON_H
#define PYPROF_EMIT_JSON_H
#include <stddef.h>
#include <stdio.h>

static int first = 1;
static void emit(const char *k, long long v) { printf("%s\n    \"%s\": %lld", first ? "" : ",", k, v); first = 0; }
#define OFF(T, f, key) emit(key, (long long)offsetof(T, f))
#define SIZE(T, key) emit(key, (long long)sizeof(T))

#endif
