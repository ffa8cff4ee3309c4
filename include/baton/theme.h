/*
 * theme.h: colour themes (themes/NAME.theme, man/baton-themes.5).
 *
 * One table of slots (THEME_SLOTS below) names every element the screen
 * draws; a theme gives each slot a foreground, a background and attributes:
 *
 *   # comment
 *   queue.urgent  = #ff5f5f default bold
 *   status        = 250 236
 *   msg.note      = yellow default italic
 *
 * Colours: "default" (the terminal's own), a name (black red green yellow
 * blue magenta cyan white, bright-*, grey), 0-255, or #rrggbb (mapped to
 * the nearest of the 256-colour palette). On a terminal with 16 or 8
 * colours each is mapped to the nearest of those (theme_color_reduce), so
 * one file serves every terminal. A slot a theme leaves out takes the
 * colours of "normal" and its own default attributes. NO_COLOR (set and
 * not empty) or a terminal without colours uses attributes only ("mono").
 *
 * This module is pure (no curses): the ui turns a theme into colour pairs.
 */
#ifndef BATON_THEME_H
#define BATON_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define THEME_A_BOLD      0x01u
#define THEME_A_DIM       0x02u
#define THEME_A_UNDERLINE 0x04u
#define THEME_A_REVERSE   0x08u
#define THEME_A_ITALIC    0x10u

#define THEME_DEFAULT_COLOR (-1)	/* the terminal's own fg or bg */
#define THEME_DEFAULT_NAME "night"
#define THEME_NAME_MAX 64

/* X(ENUM, "name", default attributes without colour, "what it is") */
#define THEME_SLOTS(X) \
	X(NORMAL,          "normal",          0, "ordinary text") \
	X(TITLE,           "title",           THEME_A_REVERSE, "a pane's title line") \
	X(TITLE_FOCUS,     "title.focus",     THEME_A_REVERSE | THEME_A_BOLD, "the focused pane's title line") \
	X(DIVIDER,         "divider",         THEME_A_DIM, "the line between panes") \
	X(TAB,             "tab",             0, "a tab (tabs layout)") \
	X(TAB_ACTIVE,      "tab.active",      THEME_A_REVERSE | THEME_A_BOLD, "the tab shown") \
	X(QUEUE_URGENT,    "queue.urgent",    THEME_A_BOLD | THEME_A_REVERSE, "priority mark: urgent") \
	X(QUEUE_HIGH,      "queue.high",      THEME_A_BOLD, "priority mark: high") \
	X(QUEUE_NORMAL,    "queue.normal",    0, "priority mark: normal") \
	X(QUEUE_LOW,       "queue.low",       THEME_A_DIM, "priority mark: low") \
	X(QUEUE_SELECTED,  "queue.selected",  THEME_A_REVERSE, "the selected row of a list") \
	X(QUEUE_MINE,      "queue.mine",      THEME_A_BOLD, "my active conversations in the list") \
	X(SLA_OK,          "sla.ok",          0, "wait timer well within the SLA") \
	X(SLA_WARN,        "sla.warn",        THEME_A_BOLD, "wait timer close to the SLA") \
	X(SLA_BREACH,      "sla.breach",      THEME_A_BOLD | THEME_A_REVERSE, "wait timer past the SLA") \
	X(SENTIMENT_NEG,   "sentiment.neg",   THEME_A_BOLD, "a negative sentiment") \
	X(SENTIMENT_POS,   "sentiment.pos",   0, "a positive sentiment") \
	X(MSG_TIME,        "msg.time",        THEME_A_DIM, "a message's time") \
	X(MSG_CUSTOMER,    "msg.customer",    THEME_A_BOLD, "the customer's name and turns") \
	X(MSG_BOT,         "msg.bot",         THEME_A_DIM, "the bot's turns") \
	X(MSG_AGENT,       "msg.agent",       THEME_A_BOLD, "an agent's turns") \
	X(MSG_NOTE,        "msg.note",        THEME_A_ITALIC | THEME_A_UNDERLINE, "internal notes") \
	X(MSG_SYSTEM,      "msg.system",      THEME_A_DIM, "actions, handoffs, system lines") \
	X(MSG_TEXT,        "msg.text",        0, "message text") \
	X(PLACEHOLDER,     "placeholder",     THEME_A_REVERSE, "a replaced unsafe character") \
	X(CTX_HEADING,     "ctx.heading",     THEME_A_BOLD | THEME_A_UNDERLINE, "a context heading") \
	X(CTX_LABEL,       "ctx.label",       THEME_A_DIM, "a context label") \
	X(CTX_VALUE,       "ctx.value",       0, "a context value") \
	X(CTX_GOOD,        "ctx.good",        THEME_A_BOLD, "a good outcome") \
	X(CTX_BAD,         "ctx.bad",         THEME_A_BOLD, "a bad outcome") \
	X(COMPOSE,         "compose",         0, "the compose area") \
	X(COMPOSE_TITLE,   "compose.title",   THEME_A_REVERSE, "the compose area's title line") \
	X(CMDLINE,         "cmdline",         0, "the : command line") \
	X(STATUS,          "status",          THEME_A_REVERSE, "the status bar") \
	X(STATUS_PRESENCE, "status.presence", 0, "your presence (online, away) in the status bar") \
	X(STATUS_OK,       "status.ok",       THEME_A_REVERSE | THEME_A_BOLD, "connected") \
	X(STATUS_WARN,     "status.warn",     THEME_A_REVERSE | THEME_A_BOLD, "reconnecting") \
	X(STATUS_BAD,      "status.bad",      THEME_A_REVERSE | THEME_A_BOLD | THEME_A_UNDERLINE, "offline") \
	X(STATUS_ALERT,    "status.alert",    THEME_A_BOLD, "urgent counter in the status bar") \
	X(FEEDBACK_OK,     "feedback.ok",     THEME_A_BOLD, "a command's result") \
	X(FEEDBACK_ERROR,  "feedback.error",  THEME_A_BOLD | THEME_A_REVERSE, "a command's error") \
	X(DIALOG,          "dialog",          0, "a dialog or overlay") \
	X(DIALOG_TITLE,    "dialog.title",    THEME_A_REVERSE | THEME_A_BOLD, "a dialog's title") \
	X(DIALOG_KEY,      "dialog.key",      THEME_A_BOLD, "a key named in a dialog or help")

#define THEME_SLOT_ENUM_(e, n, a, h) THEME_##e,
enum theme_slot { THEME_SLOTS(THEME_SLOT_ENUM_) THEME_SLOT__COUNT };

struct theme_slot_info {
	const char *name;
	unsigned attrs;		/* the default (mono) attributes */
	const char *help;
};
extern const struct theme_slot_info theme_slots[THEME_SLOT__COUNT];

struct theme_style {
	int fg, bg;		/* THEME_DEFAULT_COLOR or 0..255 */
	unsigned attrs;		/* THEME_A_* */
};

struct theme {
	char name[THEME_NAME_MAX];
	bool mono;		/* attributes only */
	struct theme_style s[THEME_SLOT__COUNT];
};

/* The slot named name, or -1. */
int theme_slot_find(const char *name);
/* Every slot with colours "default" and its default attributes. */
void theme_init_mono(struct theme *t);
/* A colour word: 0 and *color (THEME_DEFAULT_COLOR or 0..255), or -1 and err. */
int theme_color_parse(const char *s, int *color, char *err, size_t errlen);
/* Nearest entry of the xterm 256-colour palette to an RGB colour. */
int theme_rgb_to_256(int r, int g, int b);
/* The RGB of a 256-colour index. */
void theme_256_to_rgb(int c, int *r, int *g, int *b);
/* c (0..255) mapped to the nearest of the first ncolors (8 or 16; 256 and
 * more: unchanged; fewer than 8: THEME_DEFAULT_COLOR). */
int theme_color_reduce(int c, int ncolors);
/* A slot's colours for a terminal with ncolors: both reduced; if they
 * become one colour, the foreground is black or white instead, whichever
 * stands out more, so no text disappears. */
void theme_style_colors(const struct theme_style *st, int ncolors, int *fg, int *bg);
/*
 * Parses theme text into t (initialised with theme_init_mono first, then
 * filled). fname prefixes errors ("night.theme:12: unknown slot \"queu\"").
 * Returns 0, or -1 with err set; t is then unspecified.
 */
int theme_parse(struct theme *t, const char *text, size_t len, const char *fname,
		char *err, size_t errlen);
/* Reads and parses one file. */
int theme_load_file(struct theme *t, const char *path, char *err, size_t errlen);
/* True if name can be a theme name ([A-Za-z0-9._-], no leading dot). */
bool theme_name_valid(const char *name);
/*
 * Finds NAME.theme in $XDG_CONFIG_HOME/baton/themes (or ~/.config/…), then
 * BATON_DATADIR/themes, then ./themes and the themes/ beside the running
 * binary's source tree. Returns 0 and the path, or -1 and err (listing
 * where it looked).
 */
int theme_find(const char *name, char *path, size_t pathlen, char *err, size_t errlen);
/* theme_find + theme_load_file; "mono" is also built in. */
int theme_load(struct theme *t, const char *name, char *err, size_t errlen);
/* True if NO_COLOR is set and not empty (https://no-color.org). */
bool theme_no_color(void);

#endif
