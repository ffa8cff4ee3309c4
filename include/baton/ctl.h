/*
 * ctl.h: the control socket of a running console, and its client
 * (`baton :COMMAND…`). The protocol is in man/baton-ipc.7.
 *
 * $XDG_RUNTIME_DIR/baton/ctl.sock (without XDG_RUNTIME_DIR:
 * /tmp/baton-UID/ctl.sock), a Unix stream socket in a directory of mode
 * 0700 that must belong to us: a directory owned by someone else, or with
 * any group/other permission, is refused (someone could swap the socket).
 * Each connection's peer uid is checked with SO_PEERCRED; another uid gets
 * one error line and is closed.
 *
 * JSON lines, one request per line:
 *   {"id":1,"command":"say hello"}      → {"id":1,"ok":true,…}
 *                                         {"id":1,"ok":false,"error":"…"}
 *   {"id":2,"subscribe":["message","conversation.queued"]}
 *                                       → {"id":2,"ok":true,"subscribed":[…]}
 *                                         then {"event":"message",…} lines
 *   {"id":3,"unsubscribe":["message"]}
 * A line longer than CTL_LINE_MAX or that is not a JSON object is answered
 * with an error line and the connection is kept.
 *
 * How it is put together: struct ctl owns the listening fd and the
 * connections; ctl_accept/ctl_conn_read/ctl_conn_flush do the
 * non-blocking I/O and the line protocol, with no event loop of their own
 * (the tests drive them with poll(2)). For the console, ctl_adopt() puts
 * the listening fd and every connection into the one lws loop as raw file
 * descriptors served by CTL_LWS_PROTOCOL — the wiring is one entry in the
 * vhost's protocol list and one call.
 */
#ifndef BATON_CTL_H
#define BATON_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <jansson.h>
#include <libwebsockets.h>

#define CTL_LINE_MAX (64 * 1024)	/* a request line; longer ones are refused */
#define CTL_OUT_MAX  (1024 * 1024)	/* queued output per connection: a subscriber
					 * that stops reading is disconnected */
#define CTL_CONNS_MAX 32

/* ---- the socket's place and its checks ---- */

/* The socket path (caller frees): $XDG_RUNTIME_DIR/baton/ctl.sock, or
 * /tmp/baton-UID/ctl.sock without XDG_RUNTIME_DIR. */
char *ctl_default_path(void);
/*
 * The directory check on lstat(2)'s result: a real directory (not a
 * symlink), owned by uid, no group or other permission bits. 0, or -1 with
 * err saying what is wrong and what to do.
 */
int ctl_check_dir_stat(const char *dir, const struct stat *st, uid_t uid, char *err, size_t errlen);
/* Creates dir (mode 0700) if missing, then checks it as above. */
int ctl_prepare_dir(const char *dir, char *err, size_t errlen);
/* The peer of a connected Unix socket must be uid (SO_PEERCRED). 0, or -1
 * with err. */
int ctl_check_peer(int fd, uid_t uid, char *err, size_t errlen);
/*
 * Prepares the directory, removes a stale socket (one nobody answers on;
 * a live one means another console runs: an error), binds, chmod 0600,
 * listens. Returns the fd (non-blocking, close-on-exec) or -1 with err.
 */
int ctl_listen(const char *path, char *err, size_t errlen);

/* ---- the server ---- */

/*
 * Runs one command line for a connection: 0 with *result (a JSON object
 * whose members are added to the answer, or NULL), 1 when the command
 * waits for the agent's confirmation on screen, -1 with err.
 */
typedef int (*ctl_run_fn)(void *ctx, const char *cmdline, json_t **result, char *err, size_t errlen);

struct ctl;
struct ctl_conn;

/* Takes the listening fd (and unlinks path when freed, if non-NULL). */
struct ctl *ctl_new(int listen_fd, const char *path, ctl_run_fn run, void *ctx);
/* Closes every connection and the listening fd; removes the socket. */
void ctl_free(struct ctl *c);
int ctl_listen_fd(const struct ctl *c);

/*
 * Accepts every pending connection; a peer of another uid gets an error
 * line and is closed. Returns the new connections' count; each is passed to
 * on_new (may be NULL) so a loop can watch its fd.
 */
int ctl_accept(struct ctl *c, void (*on_new)(void *arg, struct ctl_conn *cc), void *arg);
int ctl_conn_fd(const struct ctl_conn *cc);
/* Reads what the fd holds and answers each complete line. Returns 0; 1
 * when the peer has shut its sending side but still reads (answers are
 * pending or it subscribed): stop watching for input, keep writing; -1 when
 * it is done or gone (then ctl_conn_close it). */
int ctl_conn_read(struct ctl_conn *cc);
/* Writes queued output. Returns 1 if some is left (wait until writable),
 * 0 if all is written, -1 if the peer has gone, fell too far behind, or
 * has had its last answer after shutting its side (close it). */
int ctl_conn_flush(struct ctl_conn *cc);
bool ctl_conn_pending(const struct ctl_conn *cc);
/* Feeds bytes as if read (the line protocol without a socket). */
void ctl_conn_feed(struct ctl_conn *cc, const char *buf, size_t len);
void ctl_conn_close(struct ctl_conn *cc);
size_t ctl_conn_count(const struct ctl *c);

/*
 * Sends an event to every connection subscribed to its kind: event is a
 * protocol event frame as JSON (proto_frame_to_json: its "kind" member is
 * matched; lent). Subscribers get {"event":KIND,"seq":…,"conv":…,"at":…,
 * "body":…}. Output is queued; with ctl_adopt the loop writes it.
 */
void ctl_publish(struct ctl *c, json_t *event);

/*
 * The line a subscriber gets for an event frame (JSON, lent): {"event":KIND,
 * "seq":…,"conv":…,"at":…,"body":…}, every string sanitized. A snapshot
 * frame gives {"event":"snapshot","upto":…,"queue":[…],"mine":[…],…} (what
 * `baton --follow` prints first, so a script sees what already waits). NULL
 * for any other frame. Caller frees. `baton --follow` prints these lines.
 */
char *ctl_event_line(json_t *event);

/* ---- the console's loop (libwebsockets) ---- */

#define CTL_LWS_PROTOCOL_NAME "baton-ctl"
/* The raw-file protocol serving the socket: put CTL_LWS_PROTOCOL in the
 * vhost's protocol list (a constant initializer, before the terminator). */
int ctl_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		     size_t len);
#define CTL_LWS_PROTOCOL { CTL_LWS_PROTOCOL_NAME, ctl_lws_callback, 0, 0, 0, NULL, 0 }
/* Adopts the listening fd into vh's loop (the vhost must list
 * CTL_LWS_PROTOCOL); connections are adopted as they come. 0 or -1 with err. */
int ctl_adopt(struct ctl *c, struct lws_vhost *vh, char *err, size_t errlen);

/*
 * Wakes the loop once when fd becomes readable (a pidfd when a child exits,
 * say): a duplicate of fd is watched with CTL_LWS_PROTOCOL and closed at
 * its first readability, so the loop's pass end runs then instead of at
 * the next tick. fd itself stays the caller's. 0, or -1 if it cannot.
 */
int ctl_wake_on(struct lws_vhost *vh, int fd);

/* ---- the client ---- */

/*
 * Sends one request line to the console at path and reads the answer line
 * (at most timeout_ms). Returns 0 with *answer (caller frees), or -1 with
 * err ("no console is running …" when nobody listens).
 */
int ctl_client_request(const char *path, const char *line, int timeout_ms, char **answer,
		       char *err, size_t errlen);
/*
 * `baton :COMMAND [ARG]…` (argv[1] starts with ':'): joins the words into
 * one command line (quoting words with blanks), sends it to the running
 * console, prints the answer as a JSON line on stdout. Returns the exit
 * code: 0 ok, 1 the command failed (the error on stderr), 2 no console or
 * no answer.
 */
int ctl_client_main(int argc, char **argv);

#endif
