#include "greet.h"

const char *greet_message(void) { return GREET_MESSAGE; }
int greet_answer(void) { return GREET_ANSWER; }
