/*
 * asyncdash_plugin.h — the C ABI of AsyncDash run-time plugins, version 1.
 *
 * A plugin is a shared library (`.so`) named in config (`PLUGINS: [path/to/libx.so]`). The host
 * (`asyncdash`, or an application's own command line) loads it at start and calls its entry
 * point, `asyncdash_plugin_register_v1`, once, with a host table. The plugin registers observers
 * and formatters under dotted names through that table; config then uses those names like any
 * built-in (`observers: [{type: acme.observers.pager, ...}]`).
 *
 * Only C types cross the boundary: JSON text in, a status and a message out. A plugin can be
 * written in C, Swift (`@_cdecl`), Rust (`extern "C"`) or anything that exports a C function, and
 * never shares Swift types with the host.
 *
 * Rules:
 *  - Every pointer the host passes is owned by the host and valid only during the call. Text is
 *    UTF-8 and NUL-terminated; lengths exclude the NUL.
 *  - A plugin writes messages into host-owned buffers (`asyncdash_buffer`): at most `capacity`
 *    bytes, then sets `length`. The host never frees plugin memory, and the plugin never frees
 *    host memory; an instance's own memory is released in its `release` callback.
 *  - The calls of one observer instance are serialized on a thread of the host's own (never the
 *    host's async executor), so an instance needs no locking of its own; different instances may
 *    run at the same time. A call that takes longer than the observer's `timeout_ms` is reported
 *    as a failure, but the host cannot stop it: keep calls bounded.
 *  - Formatter calls are serialized per instance and run inline, on the caller's thread: they
 *    must be quick (no I/O).
 *  - Nothing registered may be unregistered; the library stays loaded for the process's life.
 */
#ifndef ASYNCDASH_PLUGIN_H
#define ASYNCDASH_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version of this header; the entry point's name carries it too. */
#define ASYNCDASH_PLUGIN_ABI_VERSION 1

/* What an observer call returns. */
#define ASYNCDASH_DELIVERED 0   /* handled */
#define ASYNCDASH_RETRY_LATER 1 /* failed; a durable observer tries again after its backoff */
#define ASYNCDASH_GIVE_UP 2     /* failed for good; a durable observer's event is dead at once */

/* Log levels of `asyncdash_host_v1.log`. */
#define ASYNCDASH_LOG_DEBUG 0
#define ASYNCDASH_LOG_INFO 1
#define ASYNCDASH_LOG_WARNING 2
#define ASYNCDASH_LOG_ERROR 3

/* A host-owned output buffer: write at most `capacity` bytes to `bytes`, then set `length`. */
typedef struct asyncdash_buffer {
    char *bytes;
    size_t capacity;
    size_t length;
} asyncdash_buffer;

/* One observer instance, made from one config entry. */
typedef struct asyncdash_observer_v1 {
    void *instance;
    /* Handles one event (its JSON, as `asyncdash emit --json` prints it). Returns
       ASYNCDASH_DELIVERED, ASYNCDASH_RETRY_LATER or ASYNCDASH_GIVE_UP, with a reason in `message`
       when it failed (any other value counts as ASYNCDASH_RETRY_LATER). */
    int32_t (*observe)(void *instance, const char *event_json, size_t event_length, asyncdash_buffer *message);
    /* Frees the instance; may be NULL. */
    void (*release)(void *instance);
} asyncdash_observer_v1;

/* Makes an observer from its config entry's options (a JSON object of the members other than
   `type`, `events`, `timeout_ms`, `durable`, `buffer`, `max_attempts`, `max_age_s`). Returns 0
   and fills `observer`, or non-zero with the reason in `message` (a config error naming the
   entry). */
typedef int32_t (*asyncdash_make_observer_v1)(
    void *plugin_context, const char *options_json, size_t options_length, asyncdash_observer_v1 *observer, asyncdash_buffer *message);

/* One formatter instance: formats a JSON value (`null` when there is none) into JSON text in
   `output`. Returns 0, or non-zero with a reason in `output` (the value is then kept as is). */
typedef struct asyncdash_formatter_v1 {
    void *instance;
    int32_t (*format)(void *instance, const char *value_json, size_t value_length, asyncdash_buffer *output);
    void (*release)(void *instance);
} asyncdash_formatter_v1;

typedef int32_t (*asyncdash_make_formatter_v1)(
    void *plugin_context, const char *options_json, size_t options_length, asyncdash_formatter_v1 *formatter, asyncdash_buffer *message);

/* The host table passed to the entry point; valid only during that call. */
typedef struct asyncdash_host_v1 {
    /* The host's ABI version (ASYNCDASH_PLUGIN_ABI_VERSION of the header it was built with). */
    uint32_t abi_version;
    void *host;
    /* Registers an observer type under a dotted name (e.g. "acme.observers.pager"). Returns 0, or
       non-zero when the name is taken or not a dotted name. `plugin_context` is passed back to
       `make`. */
    int32_t (*register_observer)(void *host, const char *dotted_name, asyncdash_make_observer_v1 make, void *plugin_context);
    /* Registers a formatter type under a dotted name. */
    int32_t (*register_formatter)(void *host, const char *dotted_name, asyncdash_make_formatter_v1 make, void *plugin_context);
    /* Writes a line to the host's log. */
    void (*log)(void *host, int32_t level, const char *message);
} asyncdash_host_v1;

/* The entry point every plugin exports. Returns 0, or non-zero to refuse to load (say why with
   `host->log` first). */
int32_t asyncdash_plugin_register_v1(const asyncdash_host_v1 *host);

#ifdef __cplusplus
}
#endif

#endif /* ASYNCDASH_PLUGIN_H */
