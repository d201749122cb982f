#ifndef CEDITLINE_H
#define CEDITLINE_H
/* libedit (BSD licence) through its readline-compatible API: line editing,
   history and tab completion for the operator console. */
#include <stdio.h>
#include <editline/readline.h>

/* The completion hook takes a C function pointer that cannot capture Swift
   context; the console keeps its word list in a global and this shim installs
   one C callback that asks Swift for the next match. */
typedef char *(*ced_generator)(const char *text, int state);
void ced_install_completion(ced_generator generator);
/* The whole line being edited (rl_line_buffer is a mutable global Swift 6 refuses to touch). */
const char *ced_line_buffer(void);
#endif
