#include "ceditline.h"
#include <stdlib.h>

static ced_generator current_generator = NULL;

static char **ced_attempt(const char *text, int start, int end) {
    (void)start; (void)end;
    rl_attempted_completion_over = 1; /* never fall back to file-name completion */
    if (current_generator == NULL) return NULL;
    return rl_completion_matches(text, current_generator);
}

void ced_install_completion(ced_generator generator) {
    current_generator = generator;
    rl_attempted_completion_function = ced_attempt;
}

const char *ced_line_buffer(void) { return rl_line_buffer ? rl_line_buffer : ""; }
