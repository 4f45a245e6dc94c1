#ifndef SAMSA_CREADLINE_SHIM_H
#define SAMSA_CREADLINE_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <readline/readline.h>
#include <readline/history.h>

/* Readline keeps its settings in C globals; Swift 6 refuses to touch shared mutable globals, so
   the shell sets and reads them through these functions. */

/* Readline leaves SIGINT to the shell (which counts it and calls `signal_hook` when a read is
   interrupted) and completes with `completer` only (no file-name fallback). */
static inline void samsa_rl_setup(rl_hook_func_t *signal_hook, rl_completion_func_t *completer) {
    rl_catch_signals = 0;
    rl_catch_sigwinch = 1;
    rl_signal_event_hook = signal_hook;
    rl_attempted_completion_function = completer;
    rl_completer_word_break_characters = (char *)" \t";
    rl_readline_name = (char *)"samsa";
}

/* Ends the line being edited as if it were empty: Ctrl-C at the prompt. */
static inline void samsa_rl_abort_line(void) {
    rl_replace_line("", 0);
    rl_done = 1;
}

static inline const char *samsa_rl_line_buffer(void) { return rl_line_buffer; }
static inline int samsa_rl_point(void) { return rl_point; }
static inline void samsa_rl_completion_over(void) { rl_attempted_completion_over = 1; }
static inline void samsa_rl_completion_append(int character) { rl_completion_append_character = character; }
#endif
