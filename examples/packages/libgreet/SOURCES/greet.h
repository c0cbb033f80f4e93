/* The Olivine demo library. GREET_MESSAGE exists only in this header: a program that prints it
   was compiled against the libgreet-devel its project built. */
#ifndef GREET_H
#define GREET_H

#define GREET_MESSAGE "Hello from libgreet, built by Olivine"
#define GREET_ANSWER 42

const char *greet_message(void);
int greet_answer(void);

#endif
