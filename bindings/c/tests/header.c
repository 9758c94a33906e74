/* The header alone must compile cleanly as C99 and as C++17 (the test command builds this file
 * both ways with -Wall -Wextra -Wpedantic -Werror). */
#include "shopkeeper.h"

int main(void) {
    return SHOPKEEPER_VERSION_MAJOR >= 0 ? 0 : 1;
}
